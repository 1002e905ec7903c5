#!/bin/bash
# A stand-in worker for supervisor tests, steered by the environment the
# supervisor passes on:
#   STUB_DIR          record "$$" in $STUB_DIR/pids, its environment and fds
#   STUB_ON_TERM      exit0 (default) | ignore | exitN
#   STUB_EXIT         exit with this status on its own after STUB_AFTER s
#   STUB_GRANDCHILD   leave a "sleep" that ignores SIGTERM behind
#   STUB_ORPHAN       start a process that is orphaned and exits soon
#   STUB_EXEC_SLEEP   replace itself with sleep (to read its signal state)
set -u
dir=${STUB_DIR:-/tmp}
echo $$ >> "$dir/pids"
env > "$dir/env.$$"
# ls is a child: its redirection does not touch this shell's descriptors
# (a pipe here would: the shell holds both ends for a moment).
# 255 is the shell's own handle on this script.
ls /proc/$$/fd > "$dir/fds.$$"
if [ -n "${STUB_EXEC_SLEEP:-}" ]; then
	exec sleep 1000
fi
if [ -n "${STUB_GRANDCHILD:-}" ]; then
	(trap '' TERM; exec sleep 1000) &
	echo $! >> "$dir/grandchildren"
fi
if [ -n "${STUB_ORPHAN:-}" ]; then
	( (sleep 0.3; exit 7) & echo $! >> "$dir/orphans" ) &
	wait $!
fi
on_term=${STUB_ON_TERM:-exit0}
case $on_term in
	ignore) trap '' TERM ;;
	exit*) trap "exit ${on_term#exit}" TERM ;;
esac
end=$(( ${STUB_AFTER:-1000000} * 10 ))
for ((i = 0; i < end; i++)); do
	sleep 0.1
done
exit "${STUB_EXIT:-0}"
