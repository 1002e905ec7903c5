#!/bin/bash
# A stand-in worker for supervisor tests, steered by the environment the
# supervisor passes on:
#   STUB_DIR          records: env.PID, args.PID (one per line), fds.PID,
#                     then PID in $STUB_DIR/pids
#                     once it is ready (traps set), so tests can wait on it
#   STUB_ON_TERM      exit0 (default) | exitN | ignore | die (default action)
#   STUB_TERM_SLEEP   with exitN: sleep this long first (a slow drain)
#   STUB_EXIT         exit with this status on its own after STUB_AFTER s
#   STUB_GRANDCHILD   leave a "sleep" that ignores SIGTERM behind
#   STUB_ORPHAN       start a process that is orphaned and exits soon
#   STUB_ORPHAN_CHAIN start an orphan that, on SIGTERM, exits and leaves a
#                     child (sleep) orphaned in its turn; pids in chain
#   STUB_PROBE_PORT   record in probe.PID whether that port accepted at start
#   STUB_EXEC_SLEEP   replace itself with sleep (to read its signal state)
set -u
dir=${STUB_DIR:-/tmp}
env > "$dir/env.$$"
printf '%s\n' "$@" > "$dir/args.$$"
# ls is a child: its redirection does not touch this shell's descriptors
# (a pipe here would: the shell holds both ends for a moment).
# 255 is the shell's own handle on this script.
ls /proc/$$/fd > "$dir/fds.$$"
if [ -n "${STUB_PROBE_PORT:-}" ]; then
	if (exec 9<>"/dev/tcp/127.0.0.1/$STUB_PROBE_PORT") 2>/dev/null; then
		echo open
	else
		echo closed
	fi > "$dir/probe.$$"
fi
if [ -n "${STUB_EXEC_SLEEP:-}" ]; then
	echo $$ >> "$dir/pids"
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
if [ -n "${STUB_ORPHAN_CHAIN:-}" ]; then
	( (trap 'exit 0' TERM; sleep 1000 & echo $! >> "$dir/chain"
	   while :; do sleep 0.1; done) & echo $! >> "$dir/chain" )
fi
on_term=${STUB_ON_TERM:-exit0}
case $on_term in
	ignore) trap '' TERM ;;
	exit*) trap 'sleep "${STUB_TERM_SLEEP:-0}"; exit "${on_term#exit}"' TERM ;;
	die) ;;
esac
echo $$ >> "$dir/pids"
end=$(( ${STUB_AFTER:-1000000} * 10 ))
for ((i = 0; i < end; i++)); do
	sleep 0.1
done
exit "${STUB_EXIT:-0}"
