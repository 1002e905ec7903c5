#!/usr/bin/env bats
# The stop delay (--stop-delay, lame duck): on SIGTERM or SIGQUIT the
# workers serve on for the delay, /healthz 503 and keep-alive answers with
# Connection: close, then the usual drain.  Each signal case, a worker
# that ends during the delay, a program after --, the rolling restart,
# the worker alone, and the bad values.

bats_require_minimum_version 1.5.0

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=	# the real worker says READY=1
	GOT="$BATS_TEST_TMPDIR/got"
}

teardown() {
	[ -n "${WPID:-}" ] && kill -KILL "$WPID" 2>/dev/null
	sup_teardown
}

worker_pids() { children_of "$SUP" | while read -r p; do
	grep -q '^Name:.*worker' "/proc/$p/status" 2>/dev/null && echo "$p"; done; }
workers_up() { [ "$(worker_pids | wc -l)" -eq "$1" ]; }
# The status of GET $1 on port $PORT, on a new connection.
status_of() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
healthz_is() { [ "$(status_of /healthz)" = "$1" ]; }
# The headers of one GET / (HTTP/1.1: keep-alive unless told otherwise).
head_of_root() { curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/"; }

client_connected() { [ "$(ss -tnH state established "( dport = :$PORT )" |
	wc -l)" -ge 1 ]; }

# A supervisor with two real workers and a stop delay of $1 seconds, up
# and serving.
start_delayed() {
	start_sup -p "127.0.0.1:$PORT" -w 2 -s "$1" "${@:2}"
	wait_until 10 workers_up 2
	wait_until 10 healthz_is 200
}

@test "bad --stop-delay values: one line naming the flag, exit 2, the same from both programs" {
	local v out wout
	for v in -1 -0.5 abc 1s '' 3601 3600.5 0.0001; do
		run -2 "$SUPERVISOR" -p "127.0.0.1:$PORT" -s "$v"
		echo "supervisor -s '$v': $output"
		out=$(head -1 <<<"$output")
		[[ "$out" == "supervisor: --stop-delay: '$v' "* ]]
		run -2 "$WORKER" -p "127.0.0.1:$PORT" --stop-delay "$v"
		echo "worker -s '$v': $output"
		wout=$(head -1 <<<"$output")
		[ "${wout#worker: }" = "${out#supervisor: }" ]
		port_closed "$PORT"	# nothing started
	done
	run -2 "$SUPERVISOR" -s -1
	[[ "$output" == *"'-1' is negative"* ]]
	run -2 "$SUPERVISOR" -s 3601
	[[ "$output" == *"over the limit of 3600 seconds"* ]]
	run -2 "$SUPERVISOR" -s abc
	[[ "$output" == *"is not a number of seconds"* ]]
	run -2 "$SUPERVISOR" -s 0.0001
	[[ "$output" == *"finer than a millisecond"* ]]
	run -0 "$SUPERVISOR" --help
	[[ "$output" == *"--stop-delay SECONDS"* ]]
	run -0 "$WORKER" --help
	[[ "$output" == *"--stop-delay"* ]]
}

@test "built-in workers get --stop-delay D+1, their backstop; none without -s" {
	start_delayed 2.5
	for p in $(worker_pids); do
		tr '\0' ' ' < "/proc/$p/cmdline"; echo
		tr '\0' ' ' < "/proc/$p/cmdline" | grep -q -- '--stop-delay 3.500 '
	done
	stop_sup INT
	[ "$status" -eq 0 ]
	PORT=$(free_port)
	start_sup -p "127.0.0.1:$PORT"
	wait_until 10 workers_up 1
	refute_grep -q -- '--stop-delay' "/proc/$(worker_pids)/cmdline"
	stop_sup TERM
}

@test "SIGTERM: STOPPING=1 and the delay line at once, serving on with /healthz 503 and Connection: close, then the drain" {
	listen_notify
	NOTIFY_SOCKET=$NOTIFY start_delayed 3
	head_of_root | grep -qi '^Connection: keep-alive' ||
		refute_grep -qi '^Connection: close' <(head_of_root)
	kill -TERM "$SUP"
	wait_until 10 grep -q 'STOPPING=1' "$GOT"
	wait_until 10 logged 'the stop begins in 3.000 seconds'
	wait_until 10 healthz_is 503
	# New connections are accepted and answered, each keep-alive answer
	# says close.
	[ "$(status_of /)" = 200 ]
	head_of_root | tee /dev/stderr | grep -qi '^Connection: close'
	curl -s "http://127.0.0.1:$PORT/" | grep -qx 'Hello World'
	port_open "$PORT"
	not_logged 'draining'
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 0 ]
	logged 'the stop delay ends: its time is up'
	[ "$(grep -c 'sent SIGINT to worker:' "$LOG")" -eq 2 ]
	[ "$(grep -c 'SIGINT: draining' "$LOG")" -eq 2 ]
	# The drain came after the delay, not before.
	[ $(( $(log_ms 'the stop delay ends') - $(log_ms 'stopping: SIGTERM') )) -ge 2900 ]	# ms: two clocks
	[ "$(grep -c "STOPPING=1" "$GOT")" -eq 1 ]
}

@test "SIGQUIT starts the delay as SIGTERM does" {
	start_delayed 30
	kill -QUIT "$SUP"
	wait_until 10 logged 'the stop begins in 30.000 seconds'
	wait_until 10 healthz_is 503
	[ "$(status_of /)" = 200 ]
	kill -INT "$SUP"
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
}

@test "repeated SIGTERM and SIGQUIT, SIGHUP, SIGTTIN during the delay: logged and ignored" {
	start_delayed 30
	kill -TERM "$SUP"
	wait_until 10 healthz_is 503
	kill -TERM "$SUP"
	wait_until 10 logged 'SIGTERM ignored: in the stop delay'
	kill -QUIT "$SUP"
	wait_until 10 logged 'SIGQUIT ignored: in the stop delay'
	kill -HUP "$SUP"
	wait_until 10 logged 'SIGHUP ignored: in the stop delay'
	kill -TTIN "$SUP"
	wait_until 10 logged 'SIGTTIN ignored: in the stop delay'
	# Still serving with the same two workers, no restart begun.
	[ "$(status_of /)" = 200 ]
	workers_up 2
	not_logged 'restart'
	not_logged 'sent SIGINT'
	kill -INT "$SUP"
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
}

@test "SIGINT during the delay ends it at once; a second SIGINT kills" {
	start_delayed 60
	# A request in flight holds a worker's drain.
	curl -s "http://127.0.0.1:$PORT/sleep?ms=30000" -o /dev/null 3>&- &
	cpid=$!
	wait_until 10 client_connected
	kill -TERM "$SUP"
	wait_until 10 healthz_is 503
	kill -INT "$SUP"
	wait_until 10 logged 'the stop delay ends: SIGINT'
	# The drain, with the /sleep still in flight.
	wait_until 10 logged 'SIGINT: draining (1 connection'
	pid_alive "$SUP"
	kill -INT "$SUP"
	wait_exit "$SUP" 20
	kill "$cpid" 2>/dev/null || true
	cat "$LOG"
	logged 'second SIGINT: killing every child now'
	[ "$status" -eq 137 ]	# the worker with /sleep died of SIGKILL
}

@test "SIGINT alone has no delay" {
	start_delayed 60
	kill -INT "$SUP"
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
	not_logged 'the stop begins in'
}

@test "a worker that ends during the delay is an abnormal exit: the delay ends, its status wins" {
	start_delayed 60
	kill -TERM "$SUP"
	wait_until 10 healthz_is 503
	victim=$(worker_pids | head -1)
	kill -KILL "$victim"
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 137 ]
	grep -q "pid=$victim killed by SIGKILL" "$LOG"
	logged "the stop delay ends now: worker:[0-9]*#[12] pid=$victim ended while the group was in its stop delay"
}

@test "a stop that reaches the children itself (KillMode=control-group) ends the delay cleanly: status 0" {
	# systemd signals every process of the unit at once: the program
	# after -- and the failing child get SIGTERM during the delay and
	# end as asked.  No failure: the stop goes on, exit 0 (not 143, 1).
	STUB_ON_TERM=exit0 start_sup -r exec -p "127.0.0.1:$PORT" -s 60 \
		-f 100 -- "$STUB"
	wait_until 10 stubs_started 1
	stub=$(stub_pids)
	kill -TERM "$SUP"
	wait_until 10 logged 'the stop begins in 60.000 seconds'
	kill -TERM "$stub"
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
	logged "the stop delay ends: worker:[^ ]* pid=$stub ended cleanly"
	not_logged 'ended while the group was in its stop delay'
}

@test "a program after -- is told nothing until the delay ends, then gets its stop signal" {
	start_sup -r exec -p "127.0.0.1:$PORT" -s 1.5 -- "$STUB"
	wait_until 10 stubs_started 1
	stub=$(stub_pids)
	kill -TERM "$SUP"
	wait_until 10 logged 'the stop begins in 1.500 seconds'
	sleep 0.5	# inside the delay: the stub must be untouched
	pid_alive "$stub"
	not_logged 'sent SIGTERM to worker'
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
	pid_gone "$stub"
	grep -q 'sent SIGTERM to worker:.*pid='"$stub" "$LOG"
	d=$(( $(log_ms 'sent SIGTERM to worker') - $(log_ms 'stopping: SIGTERM') ))
	echo "told after $d ms"
	[ "$d" -ge 1450 ]	# ms: two clocks
	not_logged 'sent SIGINT'
}

@test "the failing child is not told during the delay: its exit then ends the delay" {
	start_delayed 60 -f 2
	kill -TERM "$SUP"
	wait_until 10 logged 'the stop begins'
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$status" -eq 1 ]
	logged 'fail pid=[0-9]* exited with status 1'
	logged 'the stop delay ends now: fail pid='
}

@test "SIGHUP with a delay: the rolling restart as without one, old workers drain at once (SIGINT)" {
	start_delayed 60
	old=$(worker_pids | sort | tr '\n' ' ')
	kill -HUP "$SUP"
	wait_until 20 logged 'restart.*replaced 2 of 2'
	cat "$LOG"
	[ "$(grep -c 'sent SIGINT to worker:' "$LOG")" -eq 2 ]
	[ "$(grep -c 'SIGINT: draining' "$LOG")" -eq 2 ]
	not_logged 'stop delay'
	not_logged 'the stop begins'
	[ "$(worker_pids | sort | tr '\n' ' ')" != "$old" ]
	healthz_is 200
	kill -INT "$SUP"
	wait_exit "$SUP" 20
	[ "$status" -eq 0 ]
}

@test "SIGTTOU with a delay retires the newest worker with SIGINT: it drains at once" {
	start_delayed 60
	kill -TTIN "$SUP"
	wait_until 20 workers_up 3
	wait_until 10 logged '#3 pid=[0-9]* ready after'
	kill -TTOU "$SUP"
	wait_until 20 workers_up 2
	cat "$LOG"
	logged 'sent SIGINT to worker:[0-9]*#3 '
	logged '#3: SIGINT: draining'
	not_logged 'the drain begins in'
	kill -INT "$SUP"
	wait_exit "$SUP" 20
	[ "$status" -eq 0 ]
}

@test "the worker alone with -s: SIGTERM serves on (503, close), SIGINT drains at once; the delay's own end drains" {
	"$WORKER" -p "127.0.0.1:$PORT" -s 30 2>"$LOG" 3>&- &
	WPID=$!
	wait_until 10 healthz_is 200
	kill -TERM "$WPID"
	wait_until 10 healthz_is 503
	[ "$(status_of /)" = 200 ]
	head_of_root | grep -qi '^Connection: close'
	kill -TERM "$WPID"
	wait_until 10 logged 'SIGTERM: already in the stop delay, ignored'
	port_open "$PORT"
	kill -INT "$WPID"
	wait_exit "$WPID" 10
	cat "$LOG"
	[ "$status" -eq 0 ]
	logged 'SIGINT: draining'
	# Its own timer: the drain begins when the delay is over.
	PORT=$(free_port)
	"$WORKER" -p "127.0.0.1:$PORT" -s 0.5 2>"$LOG" 3>&- &
	WPID=$!
	wait_until 10 healthz_is 200
	kill -QUIT "$WPID"
	wait_exit "$WPID" 10
	cat "$LOG"
	[ "$status" -eq 0 ]
	logged 'SIGQUIT: the drain begins in 0.500 s'
	logged 'the stop delay is over: draining'
}
