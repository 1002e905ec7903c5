#!/usr/bin/env bats
# Faults and hostile clients (issue 5): each test prints the figure it
# measures ("# figure: ..."), shown by bats when the test fails.  Loopback
# only, bounded in count and time.  Clients are tests/loadclient.c and
# tests/rawhttp.c.

setup_file() {
	load helpers
	need_tools "$LOADCLIENT" "$RAWHTTP"
	# A private copy of the worker: any process still running it after a
	# test is one of ours, whatever else runs on the machine.
	cp "$WORKER" "$BATS_FILE_TMPDIR/fault-worker"
}

setup() {
	load helpers
	WCOPY="$BATS_FILE_TMPDIR/fault-worker"
	LOG="$BATS_TEST_TMPDIR/log"
	SUP= WPID= BG=
}

teardown() {
	local p
	for p in $SUP $WPID $BG; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in $(our_workers); do kill -KILL "$p" 2>/dev/null || true; done
	[ ! -f "$LOG" ] || tail -15 "$LOG" | sed 's/^/# log: /'
	[ -z "${PUBLIC:-}" ] || rm -rf "$PUBLIC"
}

figure() { echo "# figure: $*" >&3; echo "figure: $*"; }

# start_sup ARGS...: the supervisor with the private worker, in the
# background, stderr in $LOG.
start_sup() {
	PORT=$(free_port)
	"$SUPERVISOR" -W "$WCOPY" -p "127.0.0.1:$PORT" "$@" 2>"$LOG" 3>&- &
	SUP=$!
}

workers_started() { [ "$(grep -c ' started on ' "$LOG")" -ge "$1" ]; }

# start_sup_serving ARGS...: start_sup, then wait until it listens; a port
# a parallel test took between pick and bind is tried again.
sup_up_or_gone() { port_open "$PORT" || pid_gone "$SUP"; }
start_sup_serving() {
	local try
	for try in 1 2 3; do
		start_sup "$@"
		wait_until 10 sup_up_or_gone
		if pid_alive "$SUP"; then
			wait_until 10 workers_started 1
			return 0
		fi
		wait "$SUP" 2>/dev/null || true
	done
	return 1
}

worker_up_or_gone() { port_open "$PORT" || pid_gone "$WPID"; }
start_worker() {
	local try
	for try in 1 2 3; do
		PORT=$(free_port)
		"$WCOPY" -p "127.0.0.1:$PORT" "$@" 2>"$LOG" 3>&- &
		WPID=$!
		wait_until 10 worker_up_or_gone
		! pid_gone "$WPID" || continue
		return 0
	done
	return 1
}

nfds() { ls "/proc/$1/fd" | wc -l; }
fds_at_most() { [ "$(nfds "$1")" -le "$2" ]; }
exe_is() { [ "$(readlink "/proc/$1/exe")" = "$2" ]; }


hello() { [ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]; }

# The workers' summary lines in $LOG: N of them, none abandoning anything.
summaries_clean() {
	local want=$1 n bad
	n=$(grep -c 'stopped: answered=[0-9]* abandoned_requests=0 abandoned_events=0' "$LOG")
	bad=$(grep 'stopped: answered=' "$LOG" | grep -vc 'abandoned_requests=0 abandoned_events=0' || true)
	[ "$n" -eq "$want" ] && [ "$bad" -eq 0 ]
}

@test "fault 1: out of descriptors (ulimit -n 40): no busy loop, serves again" {
	PORT=$(free_port)
	(ulimit -n 40 && exec "$WCOPY" -p "127.0.0.1:$PORT" 2>"$LOG" 3>&-) &
	WPID=$!
	wait_until 10 port_open "$PORT"
	local base
	base=$(nfds "$WPID")
	"$LOADCLIENT" hold "$PORT" 100 4000 > "$BATS_TEST_TMPDIR/hold" &
	BG=$!
	wait_until 10 grep -q 'refusing a connection' "$LOG"
	local before after
	before=$(cpu_ticks "$WPID")
	sleep 1		# the measuring window
	after=$(cpu_ticks "$WPID")
	local held
	held=$(nfds "$WPID")
	wait_exit "$BG" 20
	local out
	out=$(cat "$BATS_TEST_TMPDIR/hold")
	figure "cpu_ticks_in_1s=$((after - before)) fds_at_limit=$held base_fds=$base hold: $out"
	[ $((after - before)) -le 10 ]
	[ "$held" -ge 35 ]	# it really was at the limit
	[ "$(kv answered "$out")" -ge 1 ]
	# Every client was answered or shown the door (closed with its request
	# unread, hence a reset rather than EOF), none left hanging.
	[ $(( $(kv answered "$out") + $(kv eof "$out") + $(kv reset "$out") )) \
		-eq "$(kv connected "$out")" ]
	wait_until 10 fds_at_most "$WPID" "$base"
	hello
	run curl -s -m 5 --data-binary 'still here' "http://127.0.0.1:$PORT/echo"
	[ "$output" = "still here" ]
	pid_alive "$WPID"
}

@test "fault 2: twenty clients reset mid-response (SO_LINGER 0): worker lives" {
	start_worker
	local base
	base=$(nfds "$WPID")
	run "$LOADCLIENT" reset "$PORT" 20
	[ "$status" -eq 0 ]
	local out=$output
	pid_alive "$WPID"
	wait_until 10 fds_at_most "$WPID" "$base"
	figure "$out worker_fds_before=$base after=$(nfds "$WPID")"
	[ "$(kv resets "$out")" -eq 20 ]
	[ "$(kv partial_bytes "$out")" -gt 0 ]	# the answers had begun
	hello
	head -c 200000 /dev/urandom > "$BATS_TEST_TMPDIR/body"
	curl -s -m 10 --data-binary @"$BATS_TEST_TMPDIR/body" \
		"http://127.0.0.1:$PORT/echo" > "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/back"
	kill -TERM "$WPID"
	wait_exit "$WPID" 20
	[ "$status" -eq 0 ]
}

# serve_checks: exact answers on a keep-alive connection, an echo, and
# requests enough to log a lot (-v logs each request).
serve_checks() {
	local i out
	for i in $(seq 50); do hello; done
	out=$(printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' |
		"$RAWHTTP" "$PORT")
	[[ "$out" == "HTTP/1.1 200 OK"*$'\r\n\r\nHello World\nHTTP/1.1 200 OK'*$'\r\n\r\nok' ]]
	[ "$(curl -s -m 5 --data-binary 'abc' "http://127.0.0.1:$PORT/echo")" = abc ]
}

@test "fault 3a: stderr closed: supervisor and workers serve, stop exits 0" {
	PORT=$(free_port)
	"$SUPERVISOR" -v -W "$WCOPY" -p "127.0.0.1:$PORT" -w 2 2>&- 3>&- &
	SUP=$!
	wait_until 10 port_open "$PORT"
	serve_checks
	kill -TERM "$SUP"
	wait_exit "$SUP" 30
	figure "supervisor exit=$status with stderr closed"
	[ "$status" -eq 0 ]
	wait_until 10 no_workers_left
	# and the worker alone, stderr closed
	PORT=$(free_port)
	"$WCOPY" -v -p "127.0.0.1:$PORT" 2>&- 3>&- &
	WPID=$!
	wait_until 10 port_open "$PORT"
	serve_checks
	kill -TERM "$WPID"
	wait_exit "$WPID" 20
	figure "worker exit=$status with stderr closed"
	[ "$status" -eq 0 ]
}

@test "fault 3b: stderr a broken pipe: service continues, stop exits 0" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# Held read-write so that the writers can open it, then let go: from
	# then on nobody reads and every write gets EPIPE (or SIGPIPE).
	exec {keep}<>"$BATS_TEST_TMPDIR/fifo"
	PORT=$(free_port)
	"$SUPERVISOR" -v -W "$WCOPY" -p "127.0.0.1:$PORT" -w 2 \
		2>"$BATS_TEST_TMPDIR/fifo" 3>&- &
	SUP=$!
	local wport
	wport=$(free_port)
	"$WCOPY" -v -p "127.0.0.1:$wport" 2>"$BATS_TEST_TMPDIR/fifo" 3>&- &
	WPID=$!
	wait_until 10 port_open "$PORT"
	wait_until 10 port_open "$wport"
	exec {keep}>&-
	serve_checks
	PORT=$wport serve_checks
	pid_alive "$SUP"
	pid_alive "$WPID"
	kill -TERM "$SUP" "$WPID"
	local sst wst
	wait_exit "$SUP" 30
	sst=$status
	wait_exit "$WPID" 30
	wst=$status
	figure "supervisor exit=$sst worker exit=$wst with stderr a broken pipe"
	[ "$sst" -eq 0 ]
	[ "$wst" -eq 0 ]
	wait_until 10 no_workers_left
}

# The supervisor has exec'd and taken SIGTERM into its hands (blocked for
# its signalfd, or caught): from then on a SIGTERM is a stop request.
term_ready() {
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$SUPERVISOR")" ] || return 1
	local blk cgt
	blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/status")
	cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status")
	(( (0x$blk | 0x$cgt) & (1 << 14) ))
}

@test "fault 4: SIGTERM right after start, five times: exit 0, nothing left" {
	local i figures=
	for i in 1 2 3 4 5; do
		start_sup -w 2
		wait_until 10 term_ready "$SUP"
		kill -TERM "$SUP"
		wait_exit "$SUP" 30
		local started
		started=$(grep -c ' started on ' "$LOG")
		figures="$figures run$i:exit=$status,workers_started=$started"
		[ "$status" -eq 0 ] || { figure "$figures"; cat "$LOG"; false; }
		port_closed "$PORT"
		wait_until 10 no_workers_left
	done
	figure "$figures"
}

# Every restart begun has ended, and none is about to begin.
restarts_settled() {
	local begun ended
	begun=$(grep -c 'restart: replacing' "$LOG" || true)
	ended=$(grep -c 'restart: replaced 2 of 2' "$LOG" || true)
	[ "$begun" -ge 1 ] && [ "$begun" -eq "$ended" ] || return 1
	sleep 0.3
	[ "$(grep -c 'restart: replacing' "$LOG" || true)" -eq "$begun" ]
}

@test "fault 5: a storm of SIGHUP, then SIGTERM/SIGHUP while draining: one clean stop" {
	start_sup_serving -w 2 -d 10
	wait_until 10 workers_started 2
	local i sent=0
	for i in $(seq 100); do kill -HUP "$SUP" && sent=$((sent + 1)); done
	# Coalesced into a few restarts, one after the other, each complete.
	wait_until 30 restarts_settled
	hello
	# An in-flight request keeps the drain going through the storm.
	curl -s -m 10 "http://127.0.0.1:$PORT/sleep?ms=1500" > "$BATS_TEST_TMPDIR/slept" &
	BG=$!
	wait_until 10 grep -q 'started on' "$LOG"
	sleep 0.2		# the /sleep is in flight
	# The stop begins first: a SIGHUP read before it would begin one
	# more restart, whose new worker the stop would signal too.
	kill -TERM "$SUP" && sent=$((sent + 1))
	wait_until 10 grep -q 'stopping: ' "$LOG"
	for i in $(seq 250); do
		kill -TERM "$SUP" 2>/dev/null && sent=$((sent + 1)) || break
		kill -HUP "$SUP" 2>/dev/null && sent=$((sent + 1)) || break
	done
	wait_exit "$SUP" 30
	local sst=$status
	wait_exit "$BG" 20
	local stops terms kills recv restarts
	stops=$(grep -c 'stopping: ' "$LOG" || true)
	# The stop's SIGTERMs, not those that retired replaced workers.
	terms=$(sed -n '/stopping: /,$p' "$LOG" | grep -c 'sent SIGTERM to worker' || true)
	kills=$(grep -c 'SIGKILL' "$LOG" || true)
	recv=$(grep -c 'received SIG' "$LOG" || true)
	restarts=$(grep -c 'restart: replaced 2 of 2' "$LOG" || true)
	figure "exit=$sst signals_sent=$sent logged_received=$recv restarts=$restarts stops=$stops sigterms_to_workers=$terms sigkills=$kills in_flight_answer='$(cat "$BATS_TEST_TMPDIR/slept")'"
	[ "$sst" -eq 0 ]
	[ "$sent" -ge 600 ]
	[ "$stops" -eq 1 ]
	[ "$terms" -eq 2 ]
	[ "$kills" -eq 0 ]
	grep -q 'SIGHUP ignored: stopping' "$LOG"
	[ "$(cat "$BATS_TEST_TMPDIR/slept")" = "slept 1500 ms" ]
	summaries_clean $((2 + 2 * restarts))
	wait_until 10 no_workers_left
}

@test "fault 6: ten thousand pipelined requests on one connection" {
	start_worker -q
	run "$LOADCLIENT" pipeline "$PORT" 10000
	figure "$output"
	[ "$(kv responses "$output")" -eq 10000 ]
	[ "$(kv ok "$output")" -eq 10000 ]
	[ "$(kv ending "$output")" = DONE ]
	pid_alive "$WPID"
}

@test "fault 7: clients that send large /echo requests and never read: RSS bounded" {
	# Under SANITIZE=1, ASan's quarantine would keep every freed 1 MB body:
	# measure the worker, not the quarantine.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
		start_worker -q
	local base
	base=$(awk '/^VmRSS/ { print $2 }' "/proc/$WPID/status")
	local body=$BATS_TEST_TMPDIR/req i
	{ printf 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n'
	  head -c 1000000 /dev/zero; } > "$body"
	local pids=
	for i in 1 2 3 4; do
		"$RAWHTTP" -x -r 40 "$PORT" < "$body" > /dev/null &
		pids="$pids $!"
	done
	BG=$pids
	command -v ss >/dev/null || skip "no ss(8) to see the queues"
	# Until four connections have answers unsent and requests unread.
	stuck() {
		[ "$(ss -Htn state established "( sport = :$PORT )" |
			awk '$1 > 10000 && $2 > 100000' | wc -l)" -ge 4 ]
	}
	if ! wait_until 30 stuck; then
		# What the queues and the worker were doing, for the report.
		ss -tnm "( sport = :$PORT )" | sed 's/^/# ss: /' >&3
		sed 's/^/# worker: /' "/proc/$WPID/stat" "/proc/$WPID/wchan" >&3
		false
	fi
	local rss hwm
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$WPID/status")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$WPID/status")
	local t0 t1
	t0=$(date +%s%N)
	hello
	[ "$(curl -s -m 5 --data-binary 'small' "http://127.0.0.1:$PORT/echo")" = small ]
	t1=$(date +%s%N)
	figure "idle_rss_kb=$base rss_kb=$rss peak_rss_kb=$hwm (4 clients x 40 MB unread) others_served_in_ms=$(((t1 - t0) / 1000000))"
	# kB: growth well under 64 MiB (an ASan build starts near 25 MiB).
	[ $((hwm - base)) -lt 24576 ]
	[ "$hwm" -lt 65536 ]
	kill $pids
}

@test "fault 8: a slowloris crowd of 300: others answered well under 0.5 s" {
	start_worker -q
	"$LOADCLIENT" slowloris "$PORT" 300 5000 > "$BATS_TEST_TMPDIR/slow" &
	BG=$!
	wait_until 10 grep -q connected= "$BATS_TEST_TMPDIR/slow"
	sleep 0.5	# the crowd is dribbling
	run "$LOADCLIENT" latency "$PORT" 30
	local lat=$output
	wait_exit "$BG" 20
	figure "$lat slowloris: $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/slow")"
	[ "$(kv ok "$lat")" -eq 30 ]
	[ "$(kv connected "$(tr '\n' ' ' < "$BATS_TEST_TMPDIR/slow")")" -eq 300 ]
	awk -v m="$(kv max_ms "$lat")" 'BEGIN { exit !(m < 500) }'
	pid_alive "$WPID"
}

@test "fault 9: graceful stop under load (32 clients, --workers 2): nothing lost" {
	# -v: the workers log every request they parse ("request: ...").
	start_sup_serving -v -w 2 -d 10
	wait_until 10 workers_started 2
	"$LOADCLIENT" load "$PORT" 32 4000 4 > "$BATS_TEST_TMPDIR/load" &
	BG=$!
	sleep 1.5	# mid-way through the load
	kill -TERM "$SUP"
	wait_exit "$SUP" 30
	local sst=$status
	wait_exit "$BG" 30
	local out parsed answered
	out=$(cat "$BATS_TEST_TMPDIR/load")
	parsed=$(grep -c ': request: ' "$LOG" || true)
	answered=$(grep -o 'stopped: answered=[0-9]*' "$LOG" |
		awk -F= '{ n += $2 } END { print n + 0 }')
	figure "$out parsed=$parsed answered=$answered supervisor_exit=$sst summaries: $(grep -o 'stopped: .*' "$LOG" | tr '\n' ' ')"
	[ "$sst" -eq 0 ]
	[ "$(kv complete "$out")" -gt 100 ]
	# Every request a worker read was answered, and every answer reached
	# its client: "unanswered" can then only be requests that crossed a
	# lingering close unread (the race a client retries).
	[ "$parsed" -eq "$answered" ]
	[ "$answered" -eq "$(kv complete "$out")" ]
	[ "$(kv truncated "$out")" -eq 0 ]
	[ "$(kv reset "$out")" -eq 0 ]
	[ "$(kv bad "$out")" -eq 0 ]
	summaries_clean 2
	port_closed "$PORT"
	wait_until 10 no_workers_left
}

@test "--user nobody with the real worker: runs as nobody, serves 127.0.0.1:80" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to bind port 80"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	! port_open 80 || skip "127.0.0.1:80 is busy"
	# The real worker, copied where nobody can run it: the checkout may
	# be private to root.  Default readiness: nobody reaches the notify
	# socket too.
	PUBLIC=$(public_dir)
	cp "$WORKER" "$PUBLIC/worker"
	"$SUPERVISOR" -u nobody -W "$PUBLIC/worker" -p 127.0.0.1:80 \
		2>"$LOG" 3>&- &
	SUP=$!
	wait_until 10 port_open 80
	wait_until 10 workers_started 1
	local w uid gid groups
	w=$(children_of "$SUP" | head -1)
	[ -n "$w" ]
	wait_until 10 exe_is "$w" "$PUBLIC/worker"
	wait_until 10 grep -q 'all ready after' "$LOG"
	uid=$(id -u nobody) gid=$(id -g nobody)
	groups=$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')
	local st
	st=$(cat "/proc/$w/status")
	figure "worker pid=$w $(grep -E '^(Uid|Gid|Groups):' <<<"$st" | tr '\t\n' '  ')"
	grep -qP "^Uid:\t$uid\t$uid\t$uid\t$uid$" <<<"$st"
	grep -qP "^Gid:\t$gid\t$gid\t$gid\t$gid$" <<<"$st"
	[ "$(grep '^Groups:' <<<"$st" | cut -f2 | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" = "$groups" ]
	[ "$(curl -s -m 5 http://127.0.0.1:80/)" = "Hello World" ]
	kill -TERM "$SUP"
	wait_exit "$SUP" 30
	[ "$status" -eq 0 ]
	port_closed 80
}
