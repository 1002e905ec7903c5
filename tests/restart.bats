#!/usr/bin/env bats
# Changing the workers while the group serves (roll.c): SIGHUP replaces
# them one at a time, SIGTTIN adds one per port, SIGTTOU retires one; a
# broken or mute replacement is refused while the old workers serve; no
# request is lost under load, with keep-alive or a connection per request.

setup_file() {
	load helpers
	need_tools "$LOADCLIENT" "$NOTIFIER"
}

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=
	PORT2=$(free_port)
	# -W names this link: a test re-points it to deploy another program.
	LINK="$BATS_TEST_TMPDIR/current"
	ln -s "$WORKER" "$LINK"
}

teardown() {
	sup_teardown
	pkill -KILL -f "$BATS_TEST_TMPDIR" 2>/dev/null || true
}

figure() { echo "# figure: $*" >&3; }

# Live worker pids of the supervisor, sorted.
worker_pids() {
	local p
	for p in $(children_of "$SUP"); do
		grep -q "^Name:.*\(worker\|current\|notifier\)" "/proc/$p/status" \
			2>/dev/null && echo "$p"
	done | sort -n
}
logged_n() { [ "$(grep -c -- "$1" "$LOG")" -ge "$2" ]; }

# all_new OLD NEW: no pid of the list OLD (one a line, not empty) is in
# the list NEW; those that are, printed.  Not comm(1): it wants its input
# in sort(1)'s order, and numbers sorted as numbers are not (10000 comes
# before 9999 there), so it missed them.
all_new() { [ -n "$1" ] && refute_grep -xF -f <(echo "$1") <(echo "$2"); }

# At no time after a restart began were two new workers starting: each
# "started on" is followed by its "ready after" or its end before the
# next "started on".
one_new_at_a_time() {
	awk '/restart: replacing|SIGTTIN: adding/ { on = 1 }
	     on && / started on / { if (open) bad = 1; open = 1 }
	     on && (/ ready after / || /before it was ready/) { open = 0 }
	     END { exit bad }' "$LOG"
}

@test "SIGHUP: every worker replaced, port by port, one at a time" {
	start_sup -p "127.0.0.1:$PORT" -p "127.0.0.1:$PORT2" -w 2
	wait_until 10 logged 'all ready after'
	local before after
	before=$(worker_pids)
	[ "$(echo "$before" | wc -l)" -eq 4 ]
	kill -HUP "$SUP"
	wait_until 20 logged 'restart: replaced 4 of 4 in'
	wait_until 10 logged_n 'after it was asked to stop' 4
	cat "$LOG"
	after=$(worker_pids)
	[ "$(echo "$after" | wc -l)" -eq 4 ]
	all_new "$before" "$after"
	one_new_at_a_time
	# Port by port: both of the first port's workers come first.
	[ "$(grep -o "replaced by worker:[0-9]*" "$LOG" | cut -d: -f2 | uniq | tr '\n' ' ')" = "$PORT $PORT2 " ]
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT2/")" = "Hello World" ]
	stop_sup TERM
	sed -n '/stopping:/,$p' "$LOG"	# shown when the stop fails
	[ "$status" -eq 0 ]
}

@test "no request lost during restarts: keep-alive, then a connection per request" {
	start_sup -p "127.0.0.1:$PORT" -w 2
	wait_until 10 logged 'all ready after'
	local mode out i before
	before=$(worker_pids)
	for mode in load close; do
		out="$BATS_TEST_TMPDIR/$mode"
		"$LOADCLIENT" "$mode" "$PORT" 16 3000 > "$out" &
		for i in 1 2 3 4 5 6; do
			sleep 0.4
			kill -HUP "$SUP"
		done
		wait $!
		figure "$mode with 6 restarts: $(cat "$out")"
		grep -q 'truncated=0 reset=0 unanswered=0 refused=0 connect_timeout=0 bad=0' "$out"
		[ "$(grep -o 'complete=[0-9]*' "$out" | cut -d= -f2)" -gt 1000 ]
	done
	# The restarts did happen (SIGHUPs may coalesce, never all of them).
	[ "$(grep -c 'restart: replaced 2 of 2' "$LOG")" -ge 4 ]
	all_new "$before" "$(worker_pids)"
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a request in flight on a replaced worker is answered" {
	start_sup -v -p "127.0.0.1:$PORT"
	wait_until 10 logged 'all ready after'
	curl -s -m 20 -o "$BATS_TEST_TMPDIR/body" \
		"http://127.0.0.1:$PORT/sleep?ms=1500" 3>&- &
	local client=$!
	wait_until 10 logged 'request: GET /sleep'
	kill -HUP "$SUP"
	wait_until 10 logged 'restart: replaced 1 of 1'
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]
	wait "$client"
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = "slept 1500 ms" ]
	wait_until 10 logged '#1 pid=[0-9]* exited with status 0 after it was asked to stop'
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a broken replacement is refused: the old workers serve on, a later SIGHUP tries again" {
	start_sup -W "$LINK" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 logged 'all ready after'
	local before
	before=$(worker_pids)
	printf '#!/bin/sh\nexit 1\n' > "$BATS_TEST_TMPDIR/broken"
	chmod +x "$BATS_TEST_TMPDIR/broken"
	ln -sfn "$BATS_TEST_TMPDIR/broken" "$LINK"
	kill -HUP "$SUP"
	wait_until 10 logged 'restart refused'
	cat "$LOG"
	grep -q 'restart refused: worker:[0-9]*#3 pid=[0-9]* exited with status 1 before it was ready; replaced 0 of 2' "$LOG"
	[ "$(worker_pids)" = "$before" ]
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]
	pid_alive "$SUP"
	ln -sfn "$WORKER" "$LINK"
	kill -HUP "$SUP"
	wait_until 10 logged 'restart: replaced 2 of 2'
	stop_sup TERM
	[ "$status" -eq 0 ]	# the refusal does not count
}

@test "a mute replacement is refused at --ready-timeout and stopped" {
	start_sup -t 2 -W "$LINK" -p "127.0.0.1:$PORT"
	wait_until 10 logged 'all ready after'
	local before
	before=$(worker_pids)
	ln -sfn "$STUB" "$LINK"		# never says READY=1
	kill -HUP "$SUP"
	wait_until 10 logged 'restart refused'
	wait_until 10 logged 'after it was asked to stop'
	cat "$LOG"
	grep -q 'restart refused: worker:[0-9]*#2 pid=[0-9]* not ready after 2.000s' "$LOG"
	grep -q '#2 pid=[0-9]* exited with status 0 after it was asked to stop' "$LOG"
	[ "$(worker_pids)" = "$before" ]
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "SIGTERM during a restart stops everything, the replacement too" {
	start_sup -W "$LINK" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 logged 'all ready after'
	local olds p
	olds=$(worker_pids)
	ln -sfn "$STUB" "$LINK"
	kill -HUP "$SUP"
	wait_until 10 stubs_started 1
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'sent SIGTERM to worker:' "$LOG")" -eq 3 ]
	all_stubs_gone
	for p in $olds; do pid_gone "$p"; done
}

@test "SIGHUPs during a restart: one more restart, never two new workers at once" {
	start_sup -v -p "127.0.0.1:$PORT" -w 2 -- "$NOTIFIER" 1000
	wait_until 10 logged 'all ready after'
	kill -HUP "$SUP"
	wait_until 10 logged 'restart: replacing'
	# Well inside the restart's 2 s: remembered as one more.
	kill -HUP "$SUP"
	kill -HUP "$SUP"
	kill -HUP "$SUP"
	wait_until 30 logged_n 'restart: replaced 2 of 2' 2
	sleep 1		# a third restart would have begun by now
	cat "$LOG"
	[ "$(grep -c 'restart: replacing' "$LOG")" -eq 2 ]
	logged 'SIGHUP: waits until the restart has ended'
	one_new_at_a_time
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a worker that ends unasked during a restart stops the group" {
	start_sup -p "127.0.0.1:$PORT" -w 2 -- "$NOTIFIER" 1500
	wait_until 10 logged 'all ready after'
	local victim
	victim=$(worker_pids | tail -1)
	kill -HUP "$SUP"
	wait_until 10 logged 'restart: replacing'
	kill -KILL "$victim"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 137 ]
	grep -q "stopping: worker:[0-9]*#[12] pid=$victim ended while the group was running" "$LOG"
}

@test "a replaced worker's non-zero exit is a warning; one stuck is SIGKILLed at the kill timeout" {
	STUB_ON_TERM=exit3 start_sup -r exec -W "$STUB" -p "127.0.0.1:$PORT"
	wait_until 10 stubs_started 1
	kill -HUP "$SUP"
	wait_until 10 logged 'exited with status 3 after it was asked to stop'
	pid_alive "$SUP"
	wait_until 10 stubs_started 2	# the new one's trap is set
	stop_sup TERM
	[ "$status" -eq 3 ]	# the stop's own: a worker of the stop exited 3
	# A stuck one: the restart's SIGKILL, the group running on.
	rm -f "$STUB_DIR/pids"
	STUB_ON_TERM=ignore start_sup -r exec -k 0.5 -W "$STUB" -p "127.0.0.1:$PORT"
	wait_until 10 stubs_started 1
	kill -HUP "$SUP"
	wait_until 10 logged 'still running 0.500s after it was asked to stop'
	wait_until 10 logged 'killed by SIGKILL after it was asked to stop'
	pid_alive "$SUP"
	cat "$LOG"
}

@test "SIGTTIN adds a worker per port, SIGTTOU retires the newest, never below one" {
	start_sup -p "127.0.0.1:$PORT" -p "127.0.0.1:$PORT2"
	wait_until 10 logged 'all ready after'
	kill -TTIN "$SUP"
	wait_until 10 logged 'SIGTTIN: added 2 of 2 in'
	[ "$(worker_pids | wc -l)" -eq 4 ]
	kill -TTOU "$SUP"
	wait_until 10 logged_n 'after it was asked to stop' 2
	[ "$(worker_pids | wc -l)" -eq 2 ]
	grep -q "SIGTTOU: retiring worker:$PORT#2 pid=[0-9]*, 1 left" "$LOG"
	kill -TTOU "$SUP"
	wait_until 10 logged_n 'keeps its one worker' 2
	[ "$(worker_pids | wc -l)" -eq 2 ]
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT2/")" = "Hello World" ]
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "notify: READY=1, RELOADING=1 with MONOTONIC_USEC, READY=1, STOPPING=1" {
	local got="$BATS_TEST_TMPDIR/got" sock="$BATS_TEST_TMPDIR/notify"
	socat -u "UNIX-RECV:$sock" "OPEN:$got,creat,append" 3>&- &
	rx=$!
	wait_until 10 test -S "$sock"
	NOTIFY_SOCKET=$sock start_sup -p "127.0.0.1:$PORT" -w 2 -f 100
	wait_until 10 grep -q 'READY=1' "$got"
	local fail
	fail=$(grep -o 'fail pid=[0-9]*' "$LOG" | head -1)
	kill -HUP "$SUP"
	wait_until 10 logged 'restart: replaced 2 of 2'
	pid_alive "${fail#fail pid=}"	# left alone by the restart
	stop_sup TERM
	wait_until 10 grep -q 'STOPPING=1' "$got"
	cat "$got"; echo
	# Datagrams arrive without separators: one per state line.
	[ "$(grep -o 'READY=1\|RELOADING=1\|STOPPING=1' "$got" | tr '\n' ' ')" = \
	  "READY=1 RELOADING=1 READY=1 STOPPING=1 " ]
	grep -qx 'MONOTONIC_USEC=[0-9]\{6,\}' "$got"
	grep -q '^STATUS=restarting: 2 workers' "$got"
	grep -q 'STATUS=serving: 2 workers on 1 port (2 per port); last restart: replaced 2 of 2 in' "$got"
	# ... and not signalled before the stop.
	refute_grep -q "sent SIGTERM to $fail" <(sed '/stopping:/q' "$LOG")
	[ "$status" -eq 0 ]
}
