#!/usr/bin/env bats
# Readiness both ways, and any program as the worker: READY=1 from each
# worker on the supervisor's own notify socket (the sender known by its
# kernel credentials), READY=1/STOPPING=1/STATUS= upward, --ready exec,
# --ready-timeout, "-- COMMAND", WORKER_ADDR/WORKER_PORT, --stop-signal.

setup_file() {
	load helpers
	need_tools "$NOTIFIER"
}

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=
	GOT="$BATS_TEST_TMPDIR/got"
}

teardown() { sup_teardown; }


@test "--ready notify: READY=1 upward only once every worker said READY=1" {
	listen_notify
	NOTIFY_SOCKET=$NOTIFY start_sup -v -p "127.0.0.1:$PORT" -w 2 \
		-- "$NOTIFIER" 600
	wait_until 10 grep -q 'READY=1' "$GOT"
	cat "$LOG"
	[ "$(grep -c 'worker:[0-9]*#[12] pid=[0-9]* ready after' "$LOG")" -eq 2 ]
	# Both workers' lines come before the supervisor's own READY=1.
	[ "$(sed -n '/]: notified READY=1/q;/#[12] pid=[0-9]* ready after /p' \
		"$LOG" | wc -l)" -eq 2 ]
	grep -q '^STATUS=serving: 2 workers on 1 port (2 per port)$' "$GOT"
	stop_sup TERM
	[ "$status" -eq 0 ]
	wait_until 10 grep -q 'STOPPING=1' "$GOT"
	grep -q '^STATUS=stopping: SIGTERM$' "$GOT"
	[ "$(grep -c '^READY=1$' "$GOT")" -eq 1 ]
}

@test "32 workers say READY=1 at once: none is lost in the socket's queue" {
	# The kernel queues 10 datagrams per socket by default
	# (net.unix.max_dgram_qlen): senders wait for room, the supervisor
	# reads as it starts them.
	start_sup -p "127.0.0.1:$PORT" -w 32 -t 20
	wait_until 30 grep -q 'all ready after' "$LOG"
	[ "$(grep -c 'ready after' "$LOG")" -eq 33 ]
	stop_sup TERM
	[ "$status" -eq 0 ]
	refute_grep -q 'notify' "$LOG"	# no datagram refused or timed out
}

@test "a worker that never says READY=1: start-up failure at --ready-timeout" {
	listen_notify
	NOTIFY_SOCKET=$NOTIFY start_sup -t 0.5 -W "$STUB" -p "127.0.0.1:$PORT"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q "worker:$PORT#1 pid=[0-9]*: not ready after 0.500s: .*--ready exec is for programs that never notify" "$LOG"
	refute_grep -q '^READY=1' "$GOT"
	grep -q '^STOPPING=1' "$GOT"
	all_stubs_gone
}

@test "only the child's own pid counts: a wrapper must exec its server" {
	printf '#!/bin/sh\n"$NOTIFIER" 0\n' > "$BATS_TEST_TMPDIR/noexec"
	printf '#!/bin/sh\nexec "$NOTIFIER" 0\n' > "$BATS_TEST_TMPDIR/exec"
	chmod +x "$BATS_TEST_TMPDIR/noexec" "$BATS_TEST_TMPDIR/exec"
	start_sup -v -t 1 -p "127.0.0.1:$PORT" -- "$BATS_TEST_TMPDIR/noexec"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q 'notify from pid [0-9]*, not a worker: READY=1' "$LOG"
	grep -q 'not ready after 1.000s' "$LOG"
	start_sup -v -t 5 -p "127.0.0.1:$PORT" -- "$BATS_TEST_TMPDIR/exec"
	wait_until 10 grep -q 'all ready after' "$LOG"
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a worker that exits before it is ready is an abnormal exit" {
	start_sup -p "127.0.0.1:$PORT" -w 2 -- sh -c 'exit 4'
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 4 ]
	grep -q 'stopping: worker:[0-9]*#[12] pid=[0-9]* ended while the group was starting' "$LOG"
}

@test "-- COMMAND: run with exactly its arguments, found in PATH, told its address" {
	PATH="$TOP/tests/stubs:$PATH" start_sup -r exec -d 3 -v \
		-p "127.0.0.1:$PORT" -- worker.sh --bind 'a b' -v
	wait_until 10 stubs_started 1
	local p
	p=$(stub_pids)
	[ "$(cat "$STUB_DIR/args.$p")" = $'--bind\na b\n-v' ]
	grep -qx "WORKER_ADDR=127.0.0.1" "$STUB_DIR/env.$p"
	grep -qx "WORKER_PORT=$PORT" "$STUB_DIR/env.$p"
	grep -qx "WORKER_NAME=worker:$PORT#1" "$STUB_DIR/env.$p"
	grep -qx "LISTEN_PID=$p" "$STUB_DIR/env.$p"
	[[ "$(tr '\0' ' ' < "/proc/$p/cmdline")" == *"worker.sh --bind a b -v "* ]]
	grep -q "worker .*worker.sh --bind a b -v, ready on exec" "$LOG"
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "--stop-signal QUIT: workers get SIGQUIT, and dying of it is a clean stop" {
	# The notifier takes SIGTERM as a request to exit 0; SIGQUIT's
	# default action kills it (no core: ulimit -c 0).
	ulimit -c 0
	start_sup --stop-signal QUIT -p "127.0.0.1:$PORT" -w 2 -f 100 \
		-- "$NOTIFIER" 0
	wait_until 10 grep -q 'all ready after' "$LOG"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'sent SIGQUIT to worker:' "$LOG")" -eq 2 ]
	[ "$(grep -c 'worker:.* killed by SIGQUIT' "$LOG")" -eq 2 ]
	grep -q 'sent SIGTERM to fail pid=' "$LOG"	# it takes SIGTERM
}
