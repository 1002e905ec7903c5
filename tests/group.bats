#!/usr/bin/env bats
# The supervisor with the real worker: prefork on a shared socket, the
# cascades and a graceful stop end to end, the default ports.

setup_file() {
	load helpers
	need_tools "$LOADCLIENT"
}

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=	# the real worker says READY=1
}

teardown() { sup_teardown; }

worker_pids() { children_of "$SUP" | while read -r p; do
	grep -q '^Name:.*worker' "/proc/$p/status" 2>/dev/null && echo "$p"; done; }
workers_up() { [ "$(worker_pids | wc -l)" -eq "$1" ]; }
summaries() { grep -c 'stopped: answered=' "$LOG"; }

@test "--workers 2: two workers per port share one socket and serve it" {
	start_sup -p "127.0.0.1:$PORT" -w 2
	wait_until 10 workers_up 2
	wait_until 10 port_open "$PORT"
	inodes=$(for p in $(worker_pids); do readlink "/proc/$p/fd/3"; done | sort -u)
	echo "$inodes"
	[ "$(echo "$inodes" | wc -l)" -eq 1 ]
	[[ "$inodes" == socket:* ]]
	pids=()
	for _ in $(seq 40); do
		curl -sf "http://127.0.0.1:$PORT/" -o /dev/null 3>&- &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(summaries)" -eq 2 ]
	total=$(grep -o 'answered=[0-9]*' "$LOG" | cut -d= -f2 | awk '{ s += $1 } END { print s }')
	[ "$total" -eq 40 ]
}

# open_keepalive: one connection, one GET / answered, left open (its fd
# is kept in CONNS).  Bash's /dev/tcp: the client arrives only after the
# previous one had its answer, as clients spread over time do.
open_keepalive() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >&"$fd"
	while IFS= read -r -t 10 line <&"$fd" && [ "$line" != $'\r' ]; do :; done
	read -r -t 10 -N 12 line <&"$fd"
	[ "$line" = "Hello World"$'\n' ]
	CONNS+=("$fd")
}
# Every worker has its listener (fd 3) in its epoll set, so the order in
# which they wait on the socket is settled: exec alone is not enough.
workers_watching() {
	local p
	for p in $(worker_pids); do
		grep -qs '^tfd: *3 ' /proc/"$p"/fdinfo/* || return 1
	done
}
conns_of() { ss -tnpH state established "( sport = :$PORT )" |
	grep -c "pid=$1," || true; }

@test "--workers 2: keep-alive clients arriving one by one go to both workers" {
	# Without care the kernel wakes the same idle worker for every
	# client, and a keep-alive connection never moves (seen: 199 of 200).
	start_sup -p "127.0.0.1:$PORT" -w 2
	wait_until 10 workers_up 2
	wait_until 10 workers_watching
	CONNS=()
	for _ in $(seq 40); do open_keepalive; done
	read -r w1 w2 <<<"$(worker_pids | tr '\n' ' ')"
	n1=$(conns_of "$w1") n2=$(conns_of "$w2")
	echo "# figure: 40 sequential keep-alive clients: $n1 + $n2" >&3
	[ $((n1 + n2)) -eq 40 ]
	[ "$n1" -ge 10 ]
	[ "$n2" -ge 10 ]
	for fd in "${CONNS[@]}"; do exec {fd}>&-; done
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "--workers 2: a flood of new connections goes to both workers, none lost" {
	# Under such a flood a worker leaves its listener out of epoll for
	# moments and takes clients between batches: a sibling must still
	# get its share, and every client its answer.
	start_sup -p "127.0.0.1:$PORT" -w 2
	wait_until 10 workers_up 2
	wait_until 10 workers_watching
	local out a1 a2
	out=$("$LOADCLIENT" close "$PORT" 16 2000)
	stop_sup TERM
	read -r a1 a2 <<<"$(grep -o 'stopped: answered=[0-9]*' "$LOG" |
		cut -d= -f2 | tr '\n' ' ')"
	echo "# figure: $out; answered $a1 + $a2" >&3
	[ "$status" -eq 0 ]
	[ "$(kv complete "$out")" -gt 100 ]
	[ "$(kv truncated "$out")" -eq 0 ]
	[ "$(kv reset "$out")" -eq 0 ]
	[ "$(kv bad "$out")" -eq 0 ]
	[ $((a1 + a2)) -eq "$(kv complete "$out")" ]
	[ $((a1 * 5)) -ge $((a1 + a2)) ]	# a fifth each, at least
	[ $((a2 * 5)) -ge $((a1 + a2)) ]
}

@test "--workers 2: a full worker does not turn away every client" {
	# A worker at --max-connections refuses the clients it is woken
	# for; it must then stand back so that its sibling gets the next.
	printf '#!/bin/sh\nexec "%s" --max-connections 1 "$@"\n' "$WORKER" \
		> "$BATS_TEST_TMPDIR/worker1"
	chmod +x "$BATS_TEST_TMPDIR/worker1"
	start_sup -W "$BATS_TEST_TMPDIR/worker1" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 workers_up 2
	wait_until 10 workers_watching
	CONNS=()
	open_keepalive
	open_keepalive		# both workers hold one: both are full
	read -r w1 w2 <<<"$(worker_pids | tr '\n' ' ')"
	[ "$(conns_of "$w1")" -eq 1 ]
	[ "$(conns_of "$w2")" -eq 1 ]
	fd=${CONNS[1]}
	exec {fd}>&-		# one has room again
	# ...and its worker has closed its end: no socket left in CLOSE-WAIT.
	free_one() { [ $(($(conns_of "$w1") + $(conns_of "$w2"))) -eq 1 ] &&
		[ -z "$(ss -tnH state close-wait "( sport = :$PORT )")" ]; }
	wait_until 10 free_one
	served=0
	for _ in 1 2 3 4; do
		if curl -sf -m 5 "http://127.0.0.1:$PORT/" -o /dev/null 3>&-; then
			served=$((served + 1))
		fi
	done
	echo "# figure: one worker full, one with room: $served of 4 served" >&3
	[ "$served" -ge 1 ]
	fd=${CONNS[0]}
	exec {fd}>&-
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a killed worker: the others drain and exit 0, the supervisor exits 137" {
	start_sup -p "127.0.0.1:$PORT" -w 2
	wait_until 10 workers_up 2
	victim=$(worker_pids | head -1)
	kill -KILL "$victim"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 137 ]
	grep -q "pid=$victim killed by SIGKILL" "$LOG"
	grep -q 'worker:[0-9]*#[0-9] pid=[0-9]* exited with status 0' "$LOG"
	[ "$(summaries)" -eq 1 ]
	port_closed "$PORT"
}

@test "--fail-after: both ports' workers drain and stop, exit 1" {
	other=$(free_port)
	start_sup -p "127.0.0.1:$PORT" -p "127.0.0.1:$other" -f 0.5
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q "worker:$PORT#1 pid=[0-9]* exited with status 0" "$LOG"
	grep -q "worker:$other#1 pid=[0-9]* exited with status 0" "$LOG"
	[ "$(summaries)" -eq 2 ]
}

@test "SIGTERM with a request in flight: it is answered, then exit 0" {
	start_sup -v -p "127.0.0.1:$PORT"	# -v: the worker logs requests
	wait_until 10 port_open "$PORT"
	curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/body" \
		"http://127.0.0.1:$PORT/sleep?ms=800" 3>&- &
	client=$!
	wait_until 10 grep -q 'request: GET /sleep' "$LOG"
	kill -TERM "$SUP"
	wait "$client"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = "slept 800 ms" ]
	grep -qi '^connection: close' "$BATS_TEST_TMPDIR/h"
	grep -q 'abandoned_requests=0 abandoned_events=0' "$LOG"
}

# connect_outcome: 0 connected, 1 refused, 124 no answer within 2 s.
connect_outcome() {
	local rc=0
	timeout 2 bash -c "exec 9<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || rc=$?
	echo "$rc"
}

@test "two addresses on one port: each worker has a name of its own" {
	ip -6 addr show lo 2>/dev/null | grep -q '::1' || skip "no IPv6 loopback"
	start_sup -p "127.0.0.1:$PORT" -p "[::1]:$PORT"
	wait_until 10 grep -q 'all ready after' "$LOG"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q "worker:127.0.0.1:$PORT#1 pid=[0-9]* started on 127.0.0.1:$PORT" "$LOG"
	grep -q "worker:\[::1\]:$PORT#1 pid=[0-9]* started on \[::1\]:$PORT" "$LOG"
	[ "$(grep -o 'worker:[^ ]*#1 pid=[0-9]* exited' "$LOG" | sort -u | wc -l)" -eq 2 ]
}

@test "the supervisor owns the socket: it closes the door before the drain" {
	start_sup -v -d 10 -p "127.0.0.1:$PORT"
	wait_until 10 port_open "$PORT"
	# Its own copy, beside the worker's, for the group's whole life.
	ss -Hltnp "sport = :$PORT" | grep -q "pid=$SUP,"
	curl -s -o "$BATS_TEST_TMPDIR/body" \
		"http://127.0.0.1:$PORT/sleep?ms=6000" 3>&- &
	client=$!
	wait_until 10 grep -q 'request: GET /sleep' "$LOG"
	kill -TERM "$SUP"
	wait_until 10 grep -q 'draining' "$LOG"
	if grep -q 'cannot filter' "$LOG"; then
		skip "this kernel or container refuses SO_ATTACH_FILTER"
	fi
	# The worker has closed its copy; the supervisor's still listens,
	# filtered: a new client's SYN is dropped, neither queued to be
	# reset later nor refused while the group still answers.
	port_open "$PORT"
	[ "$(connect_outcome)" -eq 124 ]
	wait "$client"
	wait_exit "$SUP" 30
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = "slept 6000 ms" ]
	port_closed "$PORT"
}

@test "a worker cut by its drain timeout: the supervisor exits with its 3" {
	start_sup -v -p "127.0.0.1:$PORT" -d 0.3
	wait_until 10 port_open "$PORT"
	curl -s "http://127.0.0.1:$PORT/sleep?ms=5000" -o /dev/null 3>&- &
	wait_until 10 grep -q 'request: GET /sleep' "$LOG"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 3 ]
	grep -q 'abandoned_requests=1' "$LOG"
}

@test "defaults: ports 8888 and 8889, the worker found in the build tree" {
	if port_open 8888 || port_open 8889; then
		skip "8888 or 8889 is busy on this machine"
	fi
	start_sup
	wait_until 10 port_open 8888
	wait_until 10 port_open 8889
	[ "$(curl -s http://127.0.0.1:8888/)" = "Hello World" ]
	[ "$(curl -s http://127.0.0.1:8889/)" = "Hello World" ]
	# Named as it is, without "..".
	grep -q "worker $(realpath "$TOP/worker/worker"), " "$LOG"
	stop_sup INT
	[ "$status" -eq 0 ]
	port_closed 8888
	port_closed 8889
}

@test "make install: the worker in libexec, found there; a unit named for no Debian package" {
	# Only an install of what is built: a make that would rebuild here
	# would change the binaries under the other tests.
	make -s -q -C "$TOP" all || skip "the tree is not built with these flags"
	local d=$BATS_TEST_TMPDIR/dest
	make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr
	run bash -c "cd '$d' && find . -type f | sort"
	echo "$output"
	[ "$output" = "./usr/bin/supervisor
./usr/lib/systemd/system/prefork-supervisor.service
./usr/libexec/prefork-supervisor/worker
./usr/share/man/man8/supervisor.8
./usr/share/man/man8/worker.8" ]
	# Only ExecStart's path is filled in; the rest is the file as shipped.
	local unit=$d/usr/lib/systemd/system/prefork-supervisor.service
	grep -qx 'ExecStart=/usr/bin/supervisor .*' "$unit"
	diff <(grep -v '^ExecStart=' "$TOP/supervisor/prefork-supervisor.service") \
		<(grep -v '^ExecStart=' "$unit")
	# The installed supervisor finds the installed worker.
	PORT=$(free_port)
	"$d/usr/bin/supervisor" -p "127.0.0.1:$PORT" 2>"$LOG" &
	SUP=$!
	wait_until 10 port_open "$PORT"
	[ "$(curl -s "http://127.0.0.1:$PORT/")" = "Hello World" ]
	grep -q "worker $d/usr/libexec/prefork-supervisor/worker, " "$LOG"
	stop_sup TERM
	[ "$status" -eq 0 ]
	# Without it, the error says where it looked.
	rm "$d/usr/libexec/prefork-supervisor/worker"
	run "$d/usr/bin/supervisor" -p "127.0.0.1:$PORT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot find the worker (looked for $d/usr/libexec/prefork-supervisor/worker, $d/usr/worker/worker); give --worker PATH"* ]]
}

@test "on the journal: <N> prefixes, no own name; workers say which they are" {
	: > "$LOG"
	# The check is stderr's device:inode, whatever kind of file it is.
	JOURNAL_STREAM=$(stat -c '%d:%i' "$LOG")
	export JOURNAL_STREAM
	start_sup -p "127.0.0.1:$PORT"
	wait_until 10 port_open "$PORT"
	wait_until 10 grep -q 'serving' "$LOG"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q '^<5>stopping: SIGTERM$' "$LOG"
	grep -q "^<5>worker:$PORT#1 pid=[0-9]*: stopped: answered=0 " "$LOG"
	refute_grep -qv '^<[0-7]>' "$LOG"
	refute_grep -q 'supervisor\[' "$LOG"
	refute_grep -q 'worker\[' "$LOG"
}

@test "elsewhere: a timestamp, name[pid]: and the worker's slot, no <N>" {
	JOURNAL_STREAM=1:1 start_sup -p "127.0.0.1:$PORT"
	wait_until 10 grep -q 'serving' "$LOG"
	stop_sup TERM
	[ "$status" -eq 0 ]
	cat "$LOG"
	refute_grep -q '^<' "$LOG"
	local ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4}'
	# Every line, the workers' too, begins with the time it was written.
	refute_grep -Evq "^$ts (supervisor|worker)\[[0-9]+\]: " "$LOG"
	grep -Eq "^$ts supervisor\[[0-9]+\]: exiting with status 0$" "$LOG"
	grep -Eq "^$ts worker\[[0-9]+\]: worker:$PORT#1: stopped: " "$LOG"
	# Today's date, in the machine's time zone.
	grep -q "^$(date +%Y-%m-%dT%H)" "$LOG" ||
		grep -q "^$(date -d '1 hour ago' +%Y-%m-%dT%H)" "$LOG"
}
