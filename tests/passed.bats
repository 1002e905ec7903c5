#!/usr/bin/env bats
# Sockets that outlive the supervisor: the ones passed by LISTEN_FDS are
# served instead of bound (matched to --port by address), left working for
# their owner at the stop, offered to systemd's descriptor store when the
# supervisor bound them itself; and each bad passed input is refused at
# the start with one line and exit 2.

setup_file() {
	load helpers
	need_tools "$HOLDER"
}

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=
	GOT="$BATS_TEST_TMPDIR/got"
	command -v systemd-socket-activate >/dev/null ||
		skip "no systemd-socket-activate (Debian package systemd)"
}

teardown() { sup_teardown; }

# activate ARGS...: systemd-socket-activate in the background (it execs
# the supervisor on the first connection, so its pid is $SUP), log in
# $LOG.
activate() {
	systemd-socket-activate "$@" 2>"$LOG" 3>&- &
	SUP=$!
}

# A passed input the supervisor refuses: exit 2, one error line, no child.
refused() {
	cat "$LOG"
	[ "$status" -eq 2 ]
	[ "$(grep -c 'supervisor\[[0-9]*\]: ' "$LOG")" -eq 1 ]
	grep -q "$1" "$LOG"
	not_logged 'started on'
	not_logged 'starting:'
}

# run_passed FD-SETUP LISTEN_FDS [SUPERVISOR-ARGS...]: the supervisor run
# by bash (for /dev/tcp) with LISTEN_PID its own pid (exec keeps it) and fd 3 redirected
# by FD-SETUP; exit status in $status.
run_passed() {
	local redir=$1 n=$2
	shift 2
	status=0
	bash -c "LISTEN_PID=\$\$ LISTEN_FDS='$n' exec \"\$0\" \"\$@\" $redir" \
		"$SUPERVISOR" "$@" 2>"$LOG" || status=$?
}

@test "systemd-socket-activate, two sockets: both served, exit 0 on SIGTERM" {
	local p2
	p2=$(free_port)
	activate -l "127.0.0.1:$PORT" -l "[::1]:$p2" --fdname=web:api \
		"$SUPERVISOR" -v
	wait_until 10 port_open "$PORT"
	run curl -s --max-time 10 "http://127.0.0.1:$PORT/"
	[ "$output" = "Hello World" ]
	run curl -s --max-time 10 -g "http://[::1]:$p2/"
	[ "$output" = "Hello World" ]
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	# Served, not bound: no --port, so exactly the passed ones.
	logged "serving 127.0.0.1:$PORT on the passed socket fd 3 ('web')"
	logged "serving \[::1\]:$p2 on the passed socket fd 4 ('api')"
	logged "starting: ports 127.0.0.1:$PORT \[::1\]:$p2,"
	logged "worker:$PORT#1 pid=[0-9]* exited with status 0"
	logged "worker:$p2#1 pid=[0-9]* exited with status 0"
	not_logged ':8888'
}

@test "--port takes the passed socket of its address, binds the others" {
	local p2
	p2=$(free_port)
	activate -l "0.0.0.0:$PORT" "$SUPERVISOR" -v -p "$PORT" \
		-p "127.0.0.1:$p2"
	wait_until 10 port_open "$PORT"
	run curl -s --max-time 10 "http://127.0.0.1:$PORT/"
	[ "$output" = "Hello World" ]
	wait_until 10 port_open "$p2"
	run curl -s --max-time 10 "http://127.0.0.1:$p2/"
	[ "$output" = "Hello World" ]
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	logged "serving \*:$PORT on the passed socket fd 3"
	refute_grep -q "serving 127.0.0.1:$p2 on the passed" "$LOG"
}

@test "a holder's socket serves across supervisor restarts and works for it after" {
	local out="$BATS_TEST_TMPDIR/out" rc=0
	# Each restart queues a request while no supervisor runs; the next
	# one answers it.  Then the holder connects and accepts on its own
	# copy: a drop filter left on the socket would time that out.
	"$HOLDER" -r 2 "$PORT" "$SUPERVISOR" -v -w 2 -p "127.0.0.1:$PORT" \
		>"$out" 2>"$LOG" 3>&- || rc=$?
	cat "$out"
	[ "$(cat "$out")" = "restart 1: exited 0, queued request answered
restart 2: exited 0, queued request answered
worker exited 0
connect ok
accept ok" ]
	[ "$rc" -eq 0 ]
	[ "$(grep -c "serving 127.0.0.1:$PORT on the passed socket fd 3" \
		"$LOG")" -eq 3 ]
	not_logged 'listening on'
}

@test "the supervisor's own sockets go to the descriptor store before READY=1" {
	local p2
	p2=$(free_port)
	listen_notify
	NOTIFY_SOCKET=$NOTIFY start_sup -v -p "127.0.0.1:$PORT" -p "[::1]:$p2"
	wait_until 10 grep -q 'READY=1' "$GOT"
	stop_sup TERM
	cat "$LOG" "$GOT"
	[ "$status" -eq 0 ]
	# One datagram each (no LF between them), in port order, both
	# before READY=1.
	[ "$(tr -d '\n' <"$GOT" | sed 's/READY=1.*//')" = \
	  "FDSTORE=1FDNAME=127.0.0.1_${PORT}FDSTORE=1FDNAME=[__1]_${p2}" ]
	logged "127.0.0.1:$PORT: sent to the descriptor store as '127.0.0.1_$PORT'"
}

@test "FDSTORE=0: nothing stored" {
	listen_notify
	FDSTORE=0 NOTIFY_SOCKET=$NOTIFY start_sup -v -p "127.0.0.1:$PORT"
	wait_until 10 grep -q 'READY=1' "$GOT"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	refute_grep -q FDSTORE "$GOT"
	[ "$(grep -c 'FDSTORE=0: no descriptor store' "$LOG")" -eq 1 ]
}

@test "FDSTORE=1 and two ports: the store gets the first, the other is not sent" {
	local p2
	p2=$(free_port)
	listen_notify
	FDSTORE=1 NOTIFY_SOCKET=$NOTIFY start_sup -v -p "127.0.0.1:$PORT" \
		-p "127.0.0.1:$p2"
	wait_until 10 grep -q 'READY=1' "$GOT"
	stop_sup TERM
	cat "$LOG" "$GOT"
	[ "$status" -eq 0 ]
	[ "$(tr -d '\n' <"$GOT" | sed 's/READY=1.*//')" = \
	  "FDSTORE=1FDNAME=127.0.0.1_${PORT}" ]
	logged 'FDSTORE=1: 1 sockets stored at most'
	not_logged "127.0.0.1:$p2: sent to the descriptor store"
}

@test "a socket we stored that no --port names leaves the store, with a warning" {
	local p2
	p2=$(free_port)
	listen_notify
	NOTIFY_SOCKET=$NOTIFY activate -E NOTIFY_SOCKET \
		-l "127.0.0.1:$PORT" --fdname="127.0.0.1_$PORT" \
		"$SUPERVISOR" -v -p "127.0.0.1:$p2"
	wait_until 10 port_open "$PORT"
	# The first connection makes systemd-socket-activate exec; nobody
	# will serve it: the supervisor closes that socket.
	run curl -s --max-time 2 "http://127.0.0.1:$PORT/"
	wait_until 10 grep -q 'READY=1' "$GOT"
	run curl -s --max-time 10 "http://127.0.0.1:$p2/"
	[ "$output" = "Hello World" ]
	stop_sup TERM
	cat "$LOG" "$GOT"
	[ "$status" -eq 0 ]
	logged "the stored socket 127.0.0.1:$PORT is not named by any --port: removed from the descriptor store and closed"
	tr -d '\n' <"$GOT" | grep -qF "FDSTOREREMOVE=1FDNAME=127.0.0.1_${PORT}FDSTORE=1"
}

@test "LISTEN_PID not ours: the variables are someone else's, ignored" {
	LISTEN_PID=1 LISTEN_FDS=1 start_sup -p "127.0.0.1:$PORT" 3</dev/null
	wait_until 10 port_open "$PORT"
	run curl -s --max-time 10 "http://127.0.0.1:$PORT/"
	[ "$output" = "Hello World" ]
	stop_sup TERM
	[ "$status" -eq 0 ]
	not_logged LISTEN_FDS
}

@test "bad input: a passed socket that no --port names" {
	local p2
	p2=$(free_port)
	activate -l "127.0.0.1:$PORT" --fdname=web "$SUPERVISOR" \
		-p "127.0.0.1:$p2"
	wait_until 10 port_open "$PORT"
	run curl -s --max-time 10 "http://127.0.0.1:$PORT/"
	wait_exit "$SUP" 30
	refused "supervisor\[[0-9]*\]: LISTEN_FDS: fd 3 (127.0.0.1:$PORT, named 'web') is not named by any --port$"
	port_closed "$p2"
}

@test "bad input: a file, a closed fd, beyond the open descriptors" {
	run_passed '3</dev/null' 1 -p "127.0.0.1:$PORT"
	refused "LISTEN_FDS: fd 3 is not a socket$"
	run_passed '3<&-' 1 -p "127.0.0.1:$PORT"
	refused "LISTEN_FDS=1: fd 3 is not open$"
	run_passed "3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&-" 100 -p "127.0.0.1:$PORT"
	refused "LISTEN_FDS: 100 descriptors, more than 64$"
	# One socket passed, three announced.
	activate -l "127.0.0.1:$PORT" sh -c \
		'LISTEN_FDS=3 exec "$0" "$@" 4<&- 5<&-' "$SUPERVISOR"
	wait_until 10 port_open "$PORT"
	run curl -s --max-time 10 "http://127.0.0.1:$PORT/"
	wait_exit "$SUP" 30
	refused "LISTEN_FDS=3: fd 4 is not open$"
	port_closed "$PORT"
}

@test "bad input: LISTEN_FDS not a number, negative" {
	local bad
	for bad in abc -1 '' 2x; do
		run_passed '3</dev/null' "$bad" -p "127.0.0.1:$PORT"
		refused "LISTEN_FDS: '$bad' is not a number of descriptors$"
	done
}

@test "bad input: a datagram socket, a socket not listening" {
	activate -d -l "127.0.0.1:$PORT" "$SUPERVISOR" -p "127.0.0.1:$PORT"
	wait_until 10 grep -qs "Listening on" "$LOG"
	printf x | socat -u - "UDP:127.0.0.1:$PORT"
	wait_exit "$SUP" 30
	refused "LISTEN_FDS: fd 3 is not a stream socket (a datagram socket)$"
	# A connected TCP socket: a stream socket with no listen(2).
	"$WORKER" -p "127.0.0.1:$PORT" 2>/dev/null 3>&- &
	local w=$!
	wait_until 10 port_open "$PORT"
	local p2
	p2=$(free_port)
	run_passed "3<>/dev/tcp/127.0.0.1/$PORT" 1 -p "127.0.0.1:$p2"
	kill "$w"
	wait "$w" || true
	refused "LISTEN_FDS: fd 3 is not listening (no listen(2) on it)$"
}

@test "worker(8) alone: the same checks, and one socket only" {
	local p2
	p2=$(free_port)
	activate -l "127.0.0.1:$PORT" -l "127.0.0.1:$p2" "$WORKER"
	wait_until 10 port_open "$PORT"
	run curl -s --max-time 10 "http://127.0.0.1:$PORT/"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	logged 'worker\[[0-9]*\]: LISTEN_FDS=2: a worker serves one socket$'
	status=0
	bash -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" 3</dev/null' "$WORKER" \
		2>"$LOG" || status=$?
	[ "$status" -eq 1 ]
	logged 'worker\[[0-9]*\]: LISTEN_FDS: fd 3 is not a socket$'
}
