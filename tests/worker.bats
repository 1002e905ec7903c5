#!/usr/bin/env bats
# worker(8) against real sockets: endpoints, HTTP/1.x rules, bad input,
# timeouts, drain.  Raw bytes go through tests/rawhttp.c, which prints the
# status of each response and then EOF, TIMEOUT, DONE or RESET.

setup_file() {
	load helpers
	need_tools "$RAWHTTP" "$HOLDER" "$LOADCLIENT"
}

setup() {
	load helpers
	LOG="$BATS_TEST_TMPDIR/worker.log"
	WPID= CROWD=
	# make check-valgrind: any error or leak fails the exit status.
	VALGRIND_CMD=
	if [ -n "${VALGRIND:-}" ]; then
		VALGRIND_CMD="valgrind -q --error-exitcode=99 --leak-check=full
			--errors-for-leak-kinds=definite,indirect"
	fi
}

teardown() {
	local st=0
	[ -z "$CROWD" ] || kill "$CROWD" 2>/dev/null || true
	if [ -n "$WPID" ] && pid_alive "$WPID"; then
		# Under valgrind, a graceful stop: memcheck reports at exit,
		# and a SIGKILL would hide every leak.
		if [ -n "${VALGRIND:-}" ]; then
			kill -TERM "$WPID" 2>/dev/null || true
			wait_until 30 pid_gone "$WPID" || true
		fi
		kill -KILL "$WPID" 2>/dev/null || true
	fi
	if [ -n "$WPID" ]; then wait "$WPID" 2>/dev/null || st=$?; fi
	[ ! -f "$LOG" ] || sed 's/^/# log: /' "$LOG" | tail -20
	if [ -n "${VALGRIND:-}" ] && [ -f "$LOG" ]; then
		if grep -qE '^==[0-9]+== ' "$LOG"; then	# any memcheck report
			grep -E '^==[0-9]+== ' "$LOG" | head -40 | sed 's/^/# /'
			return 1
		fi
		[ "$st" -ne 99 ]
	fi
}

up_or_gone() { port_open "$PORT" || pid_gone "$WPID"; }

# start_worker [FLAG...]: a worker on a free port, logging verbosely.  A
# port that cannot be bound (a client socket of a parallel test holds it,
# perhaps in TIME_WAIT) is tried again.
start_worker() {
	local try
	for try in 1 2 3 4 5; do
		: "$RANDOM"	# else $(free_port) repeats: a subshell's RANDOM
		PORT=$(free_port)	# starts from ours, which did not move
		URL="http://127.0.0.1:$PORT"
		$VALGRIND_CMD "$WORKER" -v -p "127.0.0.1:$PORT" "$@" \
			2>"$LOG" 3>&- &
		WPID=$!
		wait_until 10 up_or_gone
		! pid_alive "$WPID" || return 0
	done
	return 1
}

# send FORMAT [RAWHTTP-FLAG...]: printf-format bytes to the worker; the
# statuses and the ending, space-separated, in $output.
send() {
	local fmt=$1
	shift
	output=$(printf "$fmt" | "$RAWHTTP" -S "$@" "$PORT" | tr '\n' ' ')
	output=${output% }
}


# stop_worker: SIGTERM, then the exit status in $status.
stop_worker() {
	kill -TERM "$WPID"
	wait_exit "$WPID" 30
}

@test "GET / answers Hello World with Date, Content-Length, Content-Type" {
	start_worker
	run curl -si "$URL/"
	[ "$status" -eq 0 ]
	[[ "$output" == "HTTP/1.1 200 OK"* ]]
	[[ "$output" == *$'\r\nDate: '???,\ ??\ ???\ ????\ ??:??:??\ GMT$'\r\n'* ]]
	[[ "$output" == *$'\r\nContent-Length: 12\r\n'* ]]
	[[ "$output" == *$'\r\nContent-Type: text/plain; charset=utf-8\r\n'* ]]
	[[ "$output" == *$'\r\n\r\nHello World' ]]
}

@test "HEAD gives the GET headers and no body" {
	start_worker
	# Pipelined behind the HEAD, the GET's answer follows its head at once.
	run "$RAWHTTP" "$PORT" < <(printf 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
	[[ "$output" == "HTTP/1.1 200 OK"*$'Content-Length: 12\r\n'* ]]
	[[ "$output" == *$'\r\n\r\nHTTP/1.1 200 OK\r\n'* ]]
	[[ "$output" != *Hello*Hello* && "$output" == *$'\r\n\r\nHello World' ]]
	run curl -sI "$URL/healthz"
	[[ "$output" == *$'Content-Length: 3\r\n'* ]]
}

@test "/event answers at once and logs EventN when the delay is over" {
	start_worker
	run curl -s "$URL/event?delay=1"
	[ "$output" = "Hello World 1" ]
	not_logged 'Event1'
	wait_until 10 logged 'Event1'
	run curl -s "$URL/event"
	[[ "$output" =~ ^Hello\ World\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -le 19 ]
	run curl -s -o /dev/null -w '%{http_code}' "$URL/event?delay=soon"
	[ "$output" = 400 ]
}

@test "/sleep holds the answer; a bad or too long ms is 400" {
	start_worker
	run curl -s "$URL/sleep?ms=300"
	[ "$output" = "slept 300 ms" ]
	for q in "ms=60001" "ms=" "ms=-1" "" "x=1"; do
		run curl -s -o /dev/null -w '%{http_code}' "$URL/sleep?$q"
		[ "$output" = 400 ]
	done
}

@test "/healthz is ok while serving" {
	start_worker
	run curl -s "$URL/healthz"
	[ "$output" = ok ]
}

@test "POST /echo returns the body, Content-Length or chunked" {
	start_worker
	run curl -s --data-binary 'hello there' "$URL/echo"
	[ "$output" = "hello there" ]
	head -c 300000 /dev/urandom > "$BATS_TEST_TMPDIR/body"
	curl -s -H 'Transfer-Encoding: chunked' --data-binary \
		@"$BATS_TEST_TMPDIR/body" "$URL/echo" > "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/back"
	send 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n' -n 1
	[ "$output" = "200 DONE" ]
}

@test "Expect: 100-continue is answered before the body is sent" {
	start_worker
	send 'POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' -t 500
	[ "$output" = "100 TIMEOUT" ]
	run curl -s -H 'Expect: 100-continue' --data-binary 'xy' "$URL/echo"
	[ "$output" = xy ]
}

@test "a 100 Continue the socket will not take is skipped, not the request" {
	[ -z "${VALGRIND:-}" ] || skip "the injection needs the worker's own send"
	# RFC 9110 §10.1.1: the client sends its body after a while anyway.
	WORKER=$WORKER_DYNAMIC LD_PRELOAD=$INJECT ASAN_OPTIONS=$INJECT_ASAN \
		INJECT_SEND_MATCH='HTTP/1.1 100' start_worker
	run curl -s -m 10 -H 'Expect: 100-continue' --data-binary 'xy' \
		"$URL/echo"
	[ "$status" -eq 0 ]
	[ "$output" = xy ]
	logged '100 Continue skipped: the socket is full'
}

@test "a 100 Continue the socket takes part of is finished before the answer" {
	[ -z "${VALGRIND:-}" ] || skip "the injection needs the worker's own send"
	WORKER=$WORKER_DYNAMIC LD_PRELOAD=$INJECT ASAN_OPTIONS=$INJECT_ASAN \
		INJECT_SEND_MATCH='HTTP/1.1 100' INJECT_SEND_TAKE=10 start_worker
	run curl -s -i -m 10 -H 'Expect: 100-continue' --data-binary 'xy' \
		"$URL/echo"
	[ "$status" -eq 0 ]
	[[ "$output" == $'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'* ]]
	[[ "$output" == *$'\r\n\r\nxy' ]]
}

@test "405 with Allow, 404, 501" {
	start_worker
	run curl -si -X DELETE "$URL/"
	[[ "$output" == "HTTP/1.1 405 "* ]]
	[[ "$output" == *$'\r\nAllow: GET, HEAD\r\n'* ]]
	[[ "$output" == *$'\r\nConnection: close\r\n'* ]]
	run curl -si "$URL/echo"
	[[ "$output" == "HTTP/1.1 405 "* && "$output" == *$'\r\nAllow: POST\r\n'* ]]
	run curl -s -o /dev/null -w '%{http_code}' "$URL/nowhere"
	[ "$output" = 404 ]
	send 'BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n'
	[ "$output" = "501 EOF" ]
}

@test "keep-alive: HTTP/1.1 stays open, Connection: close closes" {
	start_worker
	send 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' -t 500
	[ "$output" = "200 TIMEOUT" ]
	send 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	[ "$output" = "200 EOF" ]
	run curl -sv "$URL/" "$URL/healthz"
	[[ "$output" == *"Re-using existing connection"* || "$output" == *"Reusing existing"* ]]
}

@test "Connection: close: closed at once after the answer, while the client still holds its end" {
	start_worker
	# Sockets only: valgrind opens files of its own as it goes.
	sockets() { find "/proc/$WPID/fd" -lname 'socket:*' | wc -l; }
	local base fd
	base=$(sockets)
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >&"$fd"
	run timeout 5 cat <&"$fd"	# the answer, then EOF
	[ "$status" -eq 0 ]
	[[ "$output" == "HTTP/1.1 200 OK"*$'\r\nConnection: close\r\n'*"Hello World" ]]
	# RFC 9112 §9.6: it said close and sent nothing more, so no
	# lingering close waits for its FIN (that would hold the socket for
	# up to a second): the worker's descriptor is gone already.
	local i n
	for i in 1 2 3 4 5; do
		n=$(sockets)
		[ "$n" -le "$base" ] && break
		sleep 0.05
	done
	exec {fd}>&-
	echo "worker sockets: $base before, $n after the answer"
	[ "$n" -le "$base" ]
}

@test "Connection: close with more bytes behind it: a lingering close, EOF and no reset" {
	start_worker
	# A client that breaks its word and pipelines behind "close": the
	# unread bytes would make close(2) send a reset; the worker drains
	# them first, so the answer is read whole and then EOF.
	send 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	[ "$output" = "200 EOF" ]
	# HTTP/1.0 without keep-alive also closes at once, cleanly.
	send 'GET / HTTP/1.0\r\n\r\n'
	[ "$output" = "200 EOF" ]
	# Bytes that come after the request was read, in writes of their
	# own: an old client's CRLF after a body, and more after a /sleep.
	# The kernel counts a close with unread data (TCPAbortOnData) and a
	# reset sent for data that meets a closed socket (TCPAbortOnClose).
	aborts() { awk '/^TcpExt:/ && !h { split($0, k); h = 1; next }
		/^TcpExt:/ { for (i = 2; i <= NF; i++)
			if (k[i] == "TCPAbortOnData" || k[i] == "TCPAbortOnClose") s += $i
			print s }' /proc/net/netstat; }
	# late REQUEST BYTES ANSWER-END: REQUEST, then 10 ms later BYTES in
	# a write of their own; the whole answer must come, ending so.
	late() {
		local fd out
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		printf "$1" >&"$fd"
		sleep 0.01
		printf "$2" >&"$fd" 2>/dev/null || true
		out=$(timeout 5 cat <&"$fd")
		exec {fd}>&-
		[[ "$out" == *"$3" ]]
	}
	local before i
	before=$(aborts)
	for i in $(seq 20); do
		late 'POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nxy' '\r\n' \
			$'\r\n\r\nxy'
		late 'GET /sleep?ms=20 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
			'x' 'slept 20 ms'
	done
	echo "resets counted by the kernel: $(( $(aborts) - before ))"
	[ "$(aborts)" -eq "$before" ]
}

@test "pipelined requests are answered in order" {
	start_worker
	send 'GET /sleep?ms=200 HTTP/1.1\r\nHost: a\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
	[ "$output" = "200 404 EOF" ]	# the 404 closes: the third is not answered
	send 'GET /sleep?ms=200 HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	[ "$output" = "200 200 200 EOF" ]
	run "$RAWHTTP" "$PORT" < <(printf 'GET /sleep?ms=100 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
	[[ "$output" == *"slept 100 ms"*"Hello World"* ]]
}

@test "HTTP/1.0: closes by default, keep-alive on request" {
	start_worker
	run "$RAWHTTP" "$PORT" < <(printf 'GET / HTTP/1.0\r\n\r\n')
	[[ "$output" == "HTTP/1.1 200 OK"*$'\r\nConnection: close\r\n'* ]]
	send 'GET / HTTP/1.0\r\n\r\n'
	[ "$output" = "200 EOF" ]
	send 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' -t 500
	[ "$output" = "200 TIMEOUT" ]
	run "$RAWHTTP" -n 1 "$PORT" < <(printf 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
	[[ "$output" == *$'\r\nConnection: keep-alive\r\n'* ]]
}

@test "empty lines before a request line are ignored; absolute-form works" {
	start_worker
	send '\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	[ "$output" = "200 EOF" ]
	send 'GET http://a:1/healthz?x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	[ "$output" = "200 EOF" ]
}

@test "bad input gets its status and a closed connection" {
	start_worker
	local long
	long=$(head -c 8100 /dev/zero | tr '\0' a)
	big=$(head -c 9000 /dev/zero | tr '\0' b)
	while IFS='|' read -r want raw; do
		send "$raw"
		[ "$output" = "$want EOF" ] || { echo "$raw: $output"; false; }
	done <<-EOF
	400|GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n
	400|GET / HTTP/1.1\nHost: a\n\n
	400|GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n
	400|GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n  c\r\n\r\n
	400|GET / HTTP/1.1\r\nHost : a\r\n\r\n
	400|GET /  HTTP/1.1\r\nHost: a\r\n\r\n
	400|GET / HTTP/1.1\r\n\r\n
	400|POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n
	400|POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n
	400|POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: two\r\n\r\n
	400|POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n
	400|POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\n
	501|POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n
	414|GET /$long HTTP/1.1\r\nHost: a\r\n\r\n
	431|GET / HTTP/1.1\r\nHost: a\r\nX: $big\r\n\r\n
	413|POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n
	413|POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n
	417|GET / HTTP/1.1\r\nHost: a\r\nExpect: sunshine\r\n\r\n
	505|GET / HTTP/2.0\r\nHost: a\r\n\r\n
	EOF
	run curl -si "$URL/" -H 'X: y'
	[[ "$output" == "HTTP/1.1 200 OK"* ]]	# still serving
	run "$RAWHTTP" "$PORT" < <(printf 'GET / HTTP/1.1\r\nHost : a\r\n\r\n')
	[[ "$output" == *$'\r\nConnection: close\r\n'* ]]
}

@test "no whole head within --header-timeout: 408" {
	start_worker --header-timeout 0.3
	send 'GET / HTTP/1.1\r\nHost: a\r\n' -t 5000
	[ "$output" = "408 EOF" ]
	not_logged 'request:'	# no request was ever parsed
}

@test "a connection that sends nothing is closed at --header-timeout, without a 408" {
	start_worker --header-timeout 0.3
	local t0 ms
	t0=$(date +%s%N)
	run timeout 10 bash -c "exec 5<>/dev/tcp/127.0.0.1/$PORT; cat <&5"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "status=$status output='$output' after $ms ms"
	[ "$status" -eq 0 ]	# EOF, not the 10 s timeout
	[ -z "$output" ]	# not a byte: no 408
	[ "$ms" -ge 250 ]	# at the header timeout, not before
}

@test "clients that have yet to speak hold up no one: the next is answered" {
	# A client arriving while the one before has yet to send its request
	# makes the worker leave its listener out of epoll until the
	# newcomer speaks, for two milliseconds at most: two that never speak
	# must not keep a third waiting (here, for their 60 s header
	# timeout).  a and b come back to back, so b comes during a's
	# silence and is taken into a pause.
	start_worker --header-timeout 60
	local a b
	sockets() { find "/proc/$WPID/fd" -lname 'socket:*' | wc -l; }
	holds() { [ "$(sockets)" -ge "$1" ]; }
	exec {a}<>"/dev/tcp/127.0.0.1/$PORT" {b}<>"/dev/tcp/127.0.0.1/$PORT"
	wait_until 10 holds 3	# the listener, a and b
	send 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' -t 5000
	[ "$output" = "200 EOF" ]
	send 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' -t 5000
	[ "$output" = "200 EOF" ]
	exec {a}>&- {b}>&-
}

@test "a crowd of connections that never speak is taken at once, not one a millisecond" {
	# Pausing the listener bets that the client just taken is about to
	# send its request.  Were the bet kept after a pause in which none
	# spoke, a backlog of 2000 idle connections would go one a
	# millisecond, and a request behind them would wait 2 s (seen).
	[ -z "${VALGRIND:-}" ] || skip "accepting 2000 under valgrind takes seconds"
	[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 2100 ] ||
		skip "the crowd needs 2100 descriptors (ulimit -Hn: $(ulimit -Hn))"
	start_worker --header-timeout 60
	"$LOADCLIENT" silent "$PORT" 2000 10000 > "$BATS_TEST_TMPDIR/silent" &
	CROWD=$!
	connected() { grep -q connected= "$BATS_TEST_TMPDIR/silent"; }
	wait_until 30 connected
	send 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' -t 1000
	echo "crowd: $(cat "$BATS_TEST_TMPDIR/silent")"
	[ "$(kv connected "$(cat "$BATS_TEST_TMPDIR/silent")")" -eq 2000 ]
	[ "$output" = "200 EOF" ]
}

@test "an idle keep-alive connection closes after --idle-timeout" {
	start_worker --idle-timeout 0.3
	send 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' -t 5000
	[ "$output" = "200 EOF" ]
}

@test "beyond --max-events pending, /event is 503 with Retry-After; events stay bounded" {
	start_worker --max-events 3 -d 0.5
	local i
	for i in 1 2 3; do
		send 'GET /event?delay=30 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
		[ "$output" = "200 EOF" ]
	done
	curl -s -i -m 5 "$URL/event?delay=30" | tr -d '\r' > "$BATS_TEST_TMPDIR/h"
	cat "$BATS_TEST_TMPDIR/h"
	head -1 "$BATS_TEST_TMPDIR/h" | grep -q '^HTTP/1.1 503 '
	grep -qx 'Retry-After: 1' "$BATS_TEST_TMPDIR/h"
	grep -qix 'Connection: close' "$BATS_TEST_TMPDIR/h"
	logged 'max-events 3 reached'
	# The rest is served as ever; the pending three end a drain cut by
	# its timeout (exit 3), counted.
	[ "$(curl -s -m 5 "$URL/")" = "Hello World" ]
	kill -TERM "$WPID"
	wait_exit "$WPID" 30
	[ "$status" -eq 3 ]
	logged 'abandoned_events=3'
}

@test "beyond --max-connections a client is refused at once" {
	start_worker --max-connections 1
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -S -t 10000 "$PORT" > "$BATS_TEST_TMPDIR/first" &
	wait_until 10 logged 'request: GET /'
	send 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' -t 5000
	[ "$output" = "EOF" ] || [ "$output" = "RESET" ]
	# Counted, and said at warning (at most once a second).
	wait_until 10 logged 'max-connections 1 reached: refusing clients (1 so far)'
	stop_worker
	logged 'stopped: answered=[0-9]* .* refused=1 uptime=[0-9]*s'
}

@test "a client that resets mid-request does not hurt the worker" {
	start_worker
	send 'GET /sleep?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n' -t 50
	[ "$output" = TIMEOUT ]		# and rawhttp is gone
	printf 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 900000\r\n\r\n%0900000d' 0 |
		"$RAWHTTP" -S -t 1 "$PORT" || true
	# Timers fire in deadline order: when this one is answered, the
	# abandoned sleep has ended and written to its closed socket.
	run curl -s "$URL/sleep?ms=400"
	[ "$output" = "slept 400 ms" ]
	pid_alive "$WPID"
}

@test "drain: an in-flight request is answered with Connection: close, exit 0" {
	start_worker
	printf 'GET /sleep?ms=1500 HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -t 10000 "$PORT" > "$BATS_TEST_TMPDIR/out" &
	local client=$!
	wait_until 10 logged 'request: GET /sleep'
	stop_worker
	[ "$status" -eq 0 ]
	wait "$client"
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == "HTTP/1.1 200 OK"*$'\r\nConnection: close\r\n'*"slept 1500 ms" ]]
	logged 'draining'
	logged 'stopped: answered=1 abandoned_requests=0 abandoned_events=0'
}

@test "drain: the listener closes, an idle connection gets a clean EOF" {
	start_worker
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -S -t 20000 "$PORT" > "$BATS_TEST_TMPDIR/out" &
	local client=$!
	wait_until 10 logged 'request: GET /'
	printf 'GET /sleep?ms=2000 HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -S -t 20000 "$PORT" > "$BATS_TEST_TMPDIR/busy" &
	wait_until 10 logged 'request: GET /sleep'
	kill -TERM "$WPID"
	wait_until 10 pid_gone "$client"	# long before its 20 s timeout
	run cat "$BATS_TEST_TMPDIR/out"
	[ "$output" = $'200\nEOF' ]
	wait_until 10 port_closed "$PORT"
	pid_alive "$WPID"		# still finishing the /sleep
	wait_exit "$WPID" 30
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/busy")" = $'200\nEOF' ]
}

# read_response FD: the lines of one response to "GET /" (ending with its
# Hello World body), CRs dropped, or a failure after 5 s of silence.
read_response() {
	local line
	while IFS= read -r -t 5 line <&"$1"; do
		line=${line%$'\r'}
		echo "$line"
		[ "$line" != "Hello World" ] || return 0
	done
	return 1
}

@test "drain: an idle keep-alive client's next request is answered, Connection: close" {
	start_worker --idle-grace 5	# room for the test's own polling
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >&5
	read_response 5 > "$BATS_TEST_TMPDIR/first"
	refute_grep -qi '^connection: close' "$BATS_TEST_TMPDIR/first"
	kill -TERM "$WPID"
	wait_until 10 logged 'draining'
	# The client, idle when the drain began, sends its next request
	# within the grace: answered, and told to go away.
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >&5
	timeout 10 cat <&5 | tr -d '\r' > "$BATS_TEST_TMPDIR/second"
	exec 5>&-
	cat "$BATS_TEST_TMPDIR/second"
	head -1 "$BATS_TEST_TMPDIR/second" | grep -q '^HTTP/1.1 200 '
	grep -qi '^connection: close' "$BATS_TEST_TMPDIR/second"
	[ "$(tail -1 "$BATS_TEST_TMPDIR/second")" = "Hello World" ]
	wait_exit "$WPID" 30
	[ "$status" -eq 0 ]
	logged 'stopped: answered=2 abandoned_requests=0'
}

@test "drain: --idle-grace 0 closes idle connections at once; quiet ones go at its end" {
	start_worker --idle-grace 0
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >&5
	read_response 5 >/dev/null
	stop_worker
	[ "$status" -eq 0 ]
	# No request after the first: EOF (not the timeout), nothing more.
	run timeout 5 cat <&5
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	exec 5>&-
	# With a grace: a connection that stays quiet is closed at its end
	# (not before: the lower bound is the grace itself, which load can
	# only lengthen), long before the drain timeout.
	start_worker --idle-grace 1 -d 20
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >&5
	read_response 5 >/dev/null
	local t0 ms
	t0=$(date +%s%N)
	kill -TERM "$WPID"
	run timeout 15 cat <&5
	ms=$((($(date +%s%N) - t0) / 1000000))
	exec 5>&-
	echo "EOF after $ms ms"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$ms" -ge 950 ]
	wait_exit "$WPID" 30
	[ "$status" -eq 0 ]
}

@test "SIGHUP, SIGUSR1, SIGUSR2 are logged and ignored; SIGQUIT drains" {
	start_worker
	kill -HUP "$WPID"
	kill -USR1 "$WPID"
	kill -USR2 "$WPID"
	wait_until 10 logged 'SIGUSR2 from pid [0-9]*: ignored'
	logged 'SIGHUP from pid [0-9]*: ignored'
	logged 'SIGUSR1 from pid [0-9]*: ignored'
	[ "$(curl -s -m 5 "$URL/")" = "Hello World" ]
	curl -s -m 20 -o "$BATS_TEST_TMPDIR/body" "$URL/sleep?ms=800" 3>&- &
	local client=$!
	wait_until 10 logged 'request: GET /sleep'
	kill -QUIT "$WPID"
	wait "$client"
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = "slept 800 ms" ]
	wait_exit "$WPID" 30
	[ "$status" -eq 0 ]
	logged 'SIGQUIT: draining'
}

@test "drain: a pending event is waited for; repeated signals are ignored" {
	start_worker -d 10
	run curl -s "$URL/event?delay=2"
	[ "$output" = "Hello World 2" ]
	kill -TERM "$WPID"
	wait_until 10 logged 'draining'
	kill -TERM "$WPID"
	kill -INT "$WPID"
	wait_until 10 logged 'ignored'
	pid_alive "$WPID"
	not_logged 'Event2'
	wait_exit "$WPID" 30
	[ "$status" -eq 0 ]
	logged 'Event2'
	logged 'stopped: answered=1 abandoned_requests=0 abandoned_events=0'
}

@test "drain: /healthz is 503 while draining (pipelined behind a /sleep)" {
	start_worker
	printf 'GET /sleep?ms=1500 HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -S -t 10000 "$PORT" > "$BATS_TEST_TMPDIR/out" &
	local client=$!
	wait_until 10 logged 'request: GET /sleep'
	stop_worker
	[ "$status" -eq 0 ]
	wait "$client"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = $'200\n503\nEOF' ]
}

@test "drain timeout cuts a long request: exit 3, counted in the summary" {
	start_worker -d 0.5
	printf 'GET /sleep?ms=30000 HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -S -t 20000 "$PORT" > "$BATS_TEST_TMPDIR/out" &
	local client=$!
	wait_until 10 logged 'request: GET /sleep'
	run curl -s "$URL/event?delay=60"
	stop_worker
	[ "$status" -eq 3 ]
	logged 'stopped: answered=1 abandoned_requests=1 abandoned_events=1'
	# Named: what, whose, how old; and -v said what it answered.
	logged 'abandoned: GET /sleep?ms=30000 from 127.0.0.1:[0-9]*, [0-9]* ms old'
	logged 'answered GET /event?delay=60: 200 to 127.0.0.1:[0-9]* in [0-9]* ms'
	wait "$client"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = EOF ]
}

@test "a clean exit with nothing in progress is immediate" {
	start_worker -d 20
	run curl -s "$URL/"
	stop_worker
	[ "$status" -eq 0 ]
	logged 'stopped: answered=1 abandoned_requests=0 abandoned_events=0'
}

@test "runs under systemd-socket-activate (fd 3, LISTEN_FDS)" {
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	local try
	for try in 1 2 3 4 5; do
		: "$RANDOM"
		PORT=$(free_port)
		systemd-socket-activate -l "127.0.0.1:$PORT" "$WORKER" -v \
			2>"$LOG" 3>&- &
		WPID=$!
		wait_until 10 up_or_gone
		! pid_alive "$WPID" || break
	done
	run curl -s "http://127.0.0.1:$PORT/"
	[ "$output" = "Hello World" ]
	logged 'passed socket'
	not_logged 'listening on'
	stop_worker
	[ "$status" -eq 0 ]
}

@test "NOTIFY_SOCKET: READY=1 once it serves, STOPPING=1 when it drains" {
	local got="$BATS_TEST_TMPDIR/got" sock="$BATS_TEST_TMPDIR/notify"
	socat -u "UNIX-RECV:$sock" "OPEN:$got,creat,append" 3>&- &
	local rx=$!
	wait_until 10 test -S "$sock"
	NOTIFY_SOCKET=$sock start_worker
	wait_until 10 grep -qx 'READY=1' "$got"
	refute_grep -q STOPPING "$got"
	stop_worker
	wait_until 10 grep -q 'STOPPING=1' "$got"
	kill "$rx"
	[ "$status" -eq 0 ]
	[ "$(cat "$got")" = 'READY=1STOPPING=1' ]	# two datagrams, no LF
}

@test "a passed socket is left working for its owner after the drain" {
	# The holder binds the port, lends it as fd 3, SIGTERMs the worker,
	# then connects and accepts on its own copy.  A drop filter left on
	# the socket by the worker would time the connect out.
	local rc=0 out="$BATS_TEST_TMPDIR/out"
	PORT=$(free_port)
	"$HOLDER" "$PORT" $VALGRIND_CMD "$WORKER" -v >"$out" 2>"$LOG" 3>&- ||
		rc=$?
	cat "$out"
	[ "$(cat "$out")" = $'worker exited 0\nconnect ok\naccept ok' ]
	[ "$rc" -eq 0 ]
}

@test "flags: --version, --help, bad values exit 2, a busy port exits 1" {
	run "$WORKER" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^worker\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$WORKER" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--drain-timeout"* ]]
	for bad in "-d soon" "--max-connections 0" "--header-timeout 0" \
		   "--idle-timeout -1" "--bogus" "extra"; do
		run "$WORKER" $bad
		[ "$status" -eq 2 ] || { echo "$bad: $status"; false; }
		[[ "${lines[-1]}" == *"--help"* ]]
	done
	run "$WORKER" -p 127.0.0.1:99999
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
	start_worker
	run "$WORKER" -p "127.0.0.1:$PORT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot listen"* ]]
	# A passed fd 3 that is no listening socket is a start-up failure.
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -p 1 3</dev/null' "$WORKER"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fd 3"* ]]
}

@test "out of descriptors (EMFILE): clients are refused, no busy loop" {
	[ -z "${VALGRIND:-}" ] || skip "valgrind needs descriptors of its own"
	# Room for the worker's own descriptors and a connection or two.
	WORKER="$BATS_TEST_TMPDIR/limited"
	printf '#!/bin/sh\nulimit -n 10 && exec "%s" "$@"\n' "$TOP/worker/worker" \
		> "$WORKER"
	chmod +x "$WORKER"
	start_worker
	local i
	for i in 1 2 3 4 5 6; do
		printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' |
			"$RAWHTTP" -S -t 20000 "$PORT" > "$BATS_TEST_TMPDIR/c$i" &
	done
	wait_until 10 logged 'refusing a connection'
	local before after
	before=$(cpu_ticks "$WPID")
	sleep 1		# a measuring window, not a wait for an event
	after=$(cpu_ticks "$WPID")
	[ $((after - before)) -lt 30 ]	# a spinning loop would use ~100
	# The refused were closed at once (a reset: their request was unread).
	grep -lE 'EOF|RESET' "$BATS_TEST_TMPDIR"/c* | grep -q .
	stop_worker			# the idle ones close at once
	[ "$status" -eq 0 ]
}

@test "the soft descriptor limit is raised to the hard one" {
	[ -z "${VALGRIND:-}" ] || skip "valgrind keeps descriptors of its own"
	WORKER="$BATS_TEST_TMPDIR/limited"
	printf '#!/bin/sh\nulimit -S -n 200 && exec "%s" "$@"\n' \
		"$TOP/worker/worker" > "$WORKER"
	chmod +x "$WORKER"
	start_worker
	local hard
	hard=$(ulimit -H -n)
	run awk '/^Max open files/ { print $4, $5 }' "/proc/$WPID/limits"
	echo "hard=$hard worker: $output"
	[ "$output" = "$hard $hard" ]
}

@test "back-pressure: a client that does not read is not read either" {
	start_worker -q
	# 28 MB of pipelined requests, never reading an answer: the writer
	# blocks once the worker stops reading.
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -x -r 1000000 "$PORT" &
	local client=$!
	command -v ss >/dev/null || skip "no ss(8) to see the queues"
	# Wait until the worker leaves bytes unread, its answers unsent.
	queued() {
		ss -Htn state established "( sport = :$PORT )" |
			awk '$1 > 10000 && $2 > 100000 { found = 1 } END { exit !found }'
	}
	wait_until 20 queued
	local rss
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$WPID/status")
	# kB: far below the 28 MB sent and their answers (valgrind's own
	# memory is counted too, so not under it).
	[ -n "${VALGRIND:-}" ] || [ "$rss" -lt 16384 ]
	run curl -s "$URL/"		# and everyone else is still served
	[ "$output" = "Hello World" ]
	kill "$client"
}

@test "started with stderr closed: /dev/null takes fd 2, not a socket" {
	PORT=$(free_port)
	"$WORKER" -p "127.0.0.1:$PORT" 2>&- 3>&- &
	WPID=$!
	wait_until 10 port_open "$PORT"
	[ "$(readlink "/proc/$WPID/fd/2")" = /dev/null ]
	[ "$(curl -s "http://127.0.0.1:$PORT/")" = "Hello World" ]
	stop_worker
	[ "$status" -eq 0 ]
}

@test "drain: a pipelined request whose head was half read is finished and answered" {
	start_worker
	exec {c}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /sleep?ms=1000 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHo' >&"$c"
	wait_until 10 logged 'request: GET /sleep'
	kill -TERM "$WPID"
	wait_until 10 logged 'draining'
	printf 'st: a\r\n\r\n' >&"$c"
	out=$(timeout 10 cat <&"$c" | tr -d '\r')
	exec {c}>&-
	wait_exit "$WPID" 30
	echo "$out"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^HTTP/1.1 200 OK' <<< "$out")" -eq 2 ]
	[[ "$out" == *"slept 1000 ms"*"Connection: close"*"Hello World" ]]
	logged 'stopped: answered=2 abandoned_requests=0 abandoned_events=0'
}

@test "drain: a CRLF after a body leaves the connection idle, not busy" {
	start_worker -d 5
	exec {c}<>"/dev/tcp/127.0.0.1/$PORT"
	# RFC 9112 §2.2: empty lines before a request line are ignored.
	printf 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\r\n' >&"$c"
	read -r -t 5 line <&"$c"
	[[ "$line" == "HTTP/1.1 200 OK"* ]]
	kill -TERM "$WPID"
	wait_exit "$WPID" 4	# the drain timeout (5 s) must not be needed
	exec {c}>&-
	[ "$status" -eq 0 ]
	logged 'stopped: answered=1 abandoned_requests=0 abandoned_events=0'
}

@test "drain timeout: every request read and not answered is counted" {
	start_worker -d 0.5
	printf 'GET /sleep?ms=5000 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n' |
		"$RAWHTTP" -S -t 10000 "$PORT" > /dev/null &
	wait_until 10 logged 'request: GET /sleep'
	stop_worker
	[ "$status" -eq 3 ]
	logged 'abandoned_requests=2 abandoned_events=0'
}

@test "drain timeout with only a slow close left: nothing lost, exit 0" {
	start_worker -d 0.3
	exec {c}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >&"$c"
	read -r -t 5 line <&"$c"
	# Keep our end open: the worker's lingering close waits for our FIN
	# longer than the drain timeout.
	stop_worker
	exec {c}>&-
	[ "$status" -eq 0 ]
	logged 'stopped: answered=1 abandoned_requests=0 abandoned_events=0'
}

@test "a long request line is 414 at once, even with its fields arriving" {
	start_worker --header-timeout 5
	target=$(printf 'a%.0s' $(seq 9000))
	field=$(printf 'b%.0s' $(seq 7800))
	send "GET /$target HTTP/1.1\r\nHost: x\r\nX-A: $field\r\n" -t 3000
	[ "$output" = "414 EOF" ]
}

@test "HEAD gets no body with an error; an error carries no stale Allow" {
	start_worker
	printf 'HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n' |
		"$RAWHTTP" -t 3000 "$PORT" > "$BATS_TEST_TMPDIR/out"
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == "HTTP/1.1 413 "* ]]
	# The last bytes are the head's empty line: no body follows.
	[ "$(tail -c 4 "$BATS_TEST_TMPDIR/out" | od -An -c | tr -d ' ')" = '\r\n\r\n' ]
	printf 'PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n' |
		"$RAWHTTP" -t 3000 "$PORT" > "$BATS_TEST_TMPDIR/out"
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == "HTTP/1.1 413 "* ]]
	[[ "$output" != *"Allow:"* ]]
}

@test "half-sent chunked bodies cost what has arrived, not the 1 MiB limit" {
	start_worker
	vm() { awk '/^VmSize:/ { print $2 }' "/proc/$WPID/status"; }
	before=$(vm)
	fds=()
	for _ in $(seq 200); do
		exec {c}<>"/dev/tcp/127.0.0.1/$PORT"
		printf 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n' >&"$c"
		fds+=("$c")
	done
	held() { [ "$(ls "/proc/$WPID/fd" | wc -l)" -ge 200 ]; }
	wait_until 10 held
	sleep 0.2	# the last chunks: read in the wake-up after the accept
	after=$(vm)
	for c in "${fds[@]}"; do exec {c}>&-; done
	echo "VmSize: ${before} kB -> ${after} kB for 200 bodies"
	# a 1 MiB buffer each would be 200 MiB of address space
	[ $((after - before)) -lt 20480 ]
}
