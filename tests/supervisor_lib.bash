# shellcheck disable=SC2154  # status: set by wait_exit in helpers.bash
# Shared by the supervisor test files: start a supervisor in the background
# with stub workers, and the checks that run both with pidfds and without.

sup_setup() {
	load helpers
	STUB="$TOP/tests/stubs/worker.sh"
	export STUB_DIR="$BATS_TEST_TMPDIR"
	LOG="$BATS_TEST_TMPDIR/log"
	PORT=$(free_port)
	SUP=
	# The stubs never send READY=1: they stand for the programs that
	# --ready exec is for.  The real worker's suites clear this.
	SUP_FLAGS="-r exec"
}

# listen_notify: a receiver standing for systemd at $NOTIFY, appending the
# datagrams it gets to $GOT as they come (no separator); sup_teardown
# stops it.
listen_notify() {
	NOTIFY="$BATS_TEST_TMPDIR/notify"
	GOT="$BATS_TEST_TMPDIR/got"
	socat -u "UNIX-RECV:$NOTIFY" "OPEN:$GOT,creat,append" 3>&- &
	rx=$!
	wait_until 10 receiver_bound "$NOTIFY"
}

sup_teardown() {
	[ -n "$SUP" ] && kill -KILL "$SUP" 2>/dev/null
	[ -n "${rx:-}" ] && kill "$rx" 2>/dev/null	# a notify receiver
	local p
	for p in $(cat "$STUB_DIR"/pids "$STUB_DIR"/grandchildren "$STUB_DIR"/chain 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	# A public_dir a test used instead of its private one.
	[ "$STUB_DIR" = "$BATS_TEST_TMPDIR" ] || rm -rf "$STUB_DIR"
	return 0
}

# start_sup ARGS...: the supervisor in the background, log in $LOG, with
# $SUP_FLAGS first.  fd 3 is bats' own: a child holding it would make bats
# wait for it.
start_sup() {
	# shellcheck disable=SC2086  # SUP_FLAGS: words
	"$SUPERVISOR" $SUP_FLAGS "$@" 2>"$LOG" 3>&- &
	SUP=$!
}

stub_count() { cat "$STUB_DIR/pids" 2>/dev/null | wc -l; }
stubs_started() { [ "$(stub_count)" -ge "$1" ]; }
stub_pids() { cat "$STUB_DIR/pids"; }
all_stubs_gone() {
	local p
	for p in $(stub_pids); do pid_alive "$p" && return 1; done
	return 0
}

# stop_sup SIGNAL: signal the supervisor, wait for its exit into $status.
stop_sup() {
	kill -"$1" "$SUP"
	wait_exit "$SUP" 30
}

# The cascades, run once with pidfds and once through the fallback.
check_fail_after_cascade() {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2 -f 0.5
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q 'fail pid=[0-9]* exited with status 1' "$LOG"
	grep -q 'stopping: fail pid=' "$LOG"
	[ "$(grep -c 'sent SIGTERM to worker:' "$LOG")" -eq 2 ]
	[ "$(stub_count)" -eq 2 ]
	all_stubs_gone
}

check_killed_worker_cascade() {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 3
	wait_until 10 stubs_started 3
	local victim
	victim=$(head -1 "$STUB_DIR/pids")
	kill -KILL "$victim"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 137 ]	# 128 + SIGKILL, the first failure
	grep -q "pid=$victim killed by SIGKILL" "$LOG"
	[ "$(grep -c 'sent SIGTERM to worker:' "$LOG")" -eq 2 ]
	all_stubs_gone
}

check_sigterm_stop() {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 stubs_started 2
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q 'stopping: SIGTERM' "$LOG"
	grep -q 'exiting with status 0' "$LOG"
	all_stubs_gone
}

check_kill_timeout() {
	STUB_ON_TERM=ignore start_sup -W "$STUB" -p "127.0.0.1:$PORT" -k 0.5
	wait_until 10 stubs_started 1
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 137 ]
	grep -q 'kill timeout of 0.500s ran out' "$LOG"
	grep -q 'sent SIGKILL to worker:' "$LOG"
	all_stubs_gone
}

check_unasked_exit_zero() {
	STUB_EXIT=0 STUB_AFTER=1 start_sup -W "$STUB" -p "127.0.0.1:$PORT"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q 'exited with status 0' "$LOG"
}

check_grandchild_killed() {
	STUB_GRANDCHILD=1 start_sup -W "$STUB" -p "127.0.0.1:$PORT" -k 0.5
	wait_until 10 stubs_started 1
	wait_until 10 test -s "$STUB_DIR/grandchildren"
	local gc
	gc=$(cat "$STUB_DIR/grandchildren")
	pid_alive "$gc"
	stop_sup TERM
	cat "$LOG"
	pid_gone "$gc"
	[ "$(grep -c "SIGKILL to orphan pid=$gc" "$LOG")" -eq 1 ]
	[ "$status" -eq 0 ]	# orphans do not count toward the status
}
