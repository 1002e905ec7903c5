#!/usr/bin/env bats
# Programs nobody here wrote, as Debian ships them, run as the workers:
# gunicorn takes its socket by LISTEN_FDS and says READY=1 (the default
# --ready notify waits for it); lighttpd takes the socket but never
# notifies (--ready exec) and drains on SIGINT (--stop-signal INT).
# .ci/run installs both; under CI a missing one fails, elsewhere it skips.

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=
	PORT2=$(free_port)
}

teardown() {
	sup_teardown
	# Whatever a failed test left of the servers: they run from this
	# test's directory, which names them.
	pkill -KILL -f "$BATS_TEST_TMPDIR" 2>/dev/null || true
}

need() {
	command -v "$1" >/dev/null && return 0
	if [ -n "${CI:-}" ]; then
		echo "$1 is not installed: .ci/run installs it" >&2
		return 1
	fi
	skip "$1 is not installed (.ci/run installs it)"
}

# Processes still running anything from this test's directory.
servers_left() { pgrep -f "$BATS_TEST_TMPDIR" || true; }
no_server_left() { [ -z "$(servers_left)" ]; }

# gunicorn says READY=1 when its arbiter has booted, before its workers
# have: a worker that gets SIGTERM before it has set its own handlers
# runs the arbiter's inherited one and never exits (gunicorn 20.1).  So
# before a stop, wait until every gunicorn worker has set them: it
# leaves SIGHUP at its default, which the arbiter catches (SigCgt bit 0).
gunicorn_settled() {	# WORKERS-PER-ARBITER
	local a w n cgt
	for a in $(children_of "$SUP"); do
		n=0
		for w in $(children_of "$a"); do
			cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$w/status" 2>/dev/null)
			[ -n "$cgt" ] && (( (16#$cgt & 1) == 0 )) || return 1
			n=$((n + 1))
		done
		[ "$n" -eq "$1" ] || return 1
	done
}

restarts_done() { [ "$(grep -c 'restart: replaced 2 of 2' "$LOG")" -ge "$1" ]; }

write_wsgi_app() {
	cat > "$BATS_TEST_TMPDIR/app.py" <<'PY'
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello from gunicorn\n"]
PY
}

@test "gunicorn: serves both ports on their sockets, READY=1 waited for, SIGTERM exits 0" {
	need gunicorn
	write_wsgi_app
	start_sup -v -p "127.0.0.1:$PORT" -p "127.0.0.1:$PORT2" -- \
		gunicorn --chdir "$BATS_TEST_TMPDIR" --workers 2 app:app
	wait_until 30 grep -q 'all ready after' "$LOG"
	cat "$LOG"
	# Each arbiter said READY=1 from its own pid before the group was
	# ready, and took the passed socket rather than binding its own.
	[ "$(sed -n '/all ready after/q;/#1 pid=[0-9]* ready after/p' "$LOG" |
		wc -l)" -eq 2 ]
	grep -q "Listening at: http://127.0.0.1:$PORT " "$LOG"
	grep -q "Listening at: http://127.0.0.1:$PORT2 " "$LOG"
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello from gunicorn" ]
	[ "$(curl -s -m 5 "http://127.0.0.1:$PORT2/")" = "Hello from gunicorn" ]
	wait_until 30 gunicorn_settled 2
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'worker:[0-9]*#1 pid=[0-9]* exited with status 0' "$LOG")" -eq 2 ]
	wait_until 10 no_server_left
}

@test "gunicorn replaced on SIGHUP: every request of a client loop answered 200" {
	need gunicorn
	write_wsgi_app
	start_sup -v -p "127.0.0.1:$PORT" -w 2 -- \
		gunicorn --chdir "$BATS_TEST_TMPDIR" --workers 2 app:app
	wait_until 30 grep -q 'all ready after' "$LOG"
	local codes="$BATS_TEST_TMPDIR/codes" stop="$BATS_TEST_TMPDIR/stop"
	# Requests one after another until told to stop (at most 3000).
	(
		i=0
		while [ ! -e "$stop" ] && [ "$i" -lt 3000 ]; do
			curl -s -o /dev/null -w '%{http_code}\n' -m 10 \
				"http://127.0.0.1:$PORT/"
			i=$((i + 1))
		done > "$codes"
	) 3>&- &
	local client=$!
	sleep 0.3
	wait_until 30 gunicorn_settled 2
	kill -HUP "$SUP"
	wait_until 60 restarts_done 1
	wait_until 30 gunicorn_settled 2	# the new ones' workers too
	kill -HUP "$SUP"
	wait_until 60 restarts_done 2
	wait_until 30 gunicorn_settled 2
	sleep 0.3
	touch "$stop"
	wait "$client"
	sort "$codes" | uniq -c
	[ "$(wc -l < "$codes")" -ge 50 ]
	[ "$(grep -cvx 200 "$codes")" -eq 0 ]
	# Each old gunicorn drained and exited 0 when asked.
	[ "$(grep -c 'exited with status 0 after it was asked to stop' "$LOG")" -eq 4 ]
	stop_sup TERM
	[ "$status" -eq 0 ]
	wait_until 10 no_server_left
}

@test "gunicorn behind a wrapper that does not exec: not ready, and the log says why" {
	need gunicorn
	write_wsgi_app
	# Without exec, LISTEN_PID names the shell: gunicorn ignores fd 3
	# and binds what --bind says, and its READY=1 is not the worker's.
	printf '#!/bin/sh\ngunicorn --chdir "%s" --bind 127.0.0.1:%s app:app\n' \
		"$BATS_TEST_TMPDIR" "$PORT2" > "$BATS_TEST_TMPDIR/wrapper"
	chmod +x "$BATS_TEST_TMPDIR/wrapper"
	start_sup -v -t 3 -p "127.0.0.1:$PORT" -- "$BATS_TEST_TMPDIR/wrapper"
	wait_exit "$SUP" 60
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q "Listening at: http://127.0.0.1:$PORT2 " "$LOG"
	grep -q 'notify from pid [0-9]*, not a worker: READY=1' "$LOG"
	grep -q "worker:$PORT#1 pid=[0-9]*: not ready after 3.000s" "$LOG"
	wait_until 10 no_server_left
}

write_lighttpd_conf() {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo "Hello from lighttpd" > "$BATS_TEST_TMPDIR/www/index.html"
	# WORKER_ADDR and WORKER_PORT name the passed socket, which lighttpd
	# matches against its configured address.
	cat > "$BATS_TEST_TMPDIR/lighttpd.conf" <<CONF
server.document-root = "$BATS_TEST_TMPDIR/www"
server.bind = env.WORKER_ADDR
server.port = env.WORKER_PORT
server.systemd-socket-activation = "enable"
index-file.names = ( "index.html" )
CONF
}

@test "lighttpd: --ready exec, --stop-signal INT: serves, drains, exits 0" {
	need lighttpd
	write_lighttpd_conf
	start_sup -v -r exec --stop-signal INT -w 2 \
		-p "127.0.0.1:$PORT" -p "127.0.0.1:$PORT2" -- \
		lighttpd -D -f "$BATS_TEST_TMPDIR/lighttpd.conf"
	wait_until 10 grep -q 'all ready after' "$LOG"
	local ok=0 i
	for i in $(seq 20); do
		[ "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" = "Hello from lighttpd" ] &&
		[ "$(curl -s -m 5 "http://127.0.0.1:$PORT2/")" = "Hello from lighttpd" ] &&
			ok=$((ok + 1))
	done
	[ "$ok" -eq 20 ]
	# Two lighttpd per port, on the supervisor's socket, bound by nobody else.
	[ "$(ss -Hltnp "sport = :$PORT" | grep -o 'lighttpd' | wc -l)" -eq 2 ]
	ss -Hltnp "sport = :$PORT" | grep -q "pid=$SUP,"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'sent SIGINT to worker:' "$LOG")" -eq 4 ]
	[ "$(grep -c 'worker:.* exited with status 0' "$LOG")" -eq 4 ]
	wait_until 10 no_server_left
}

@test "lighttpd under the default --ready notify: a start-up failure that names --ready exec" {
	need lighttpd
	write_lighttpd_conf
	start_sup -t 1 --stop-signal INT -p "127.0.0.1:$PORT" -- \
		lighttpd -D -f "$BATS_TEST_TMPDIR/lighttpd.conf"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q "worker:$PORT#1 pid=[0-9]*: not ready after 1.000s: .*--ready exec is for programs that never notify" "$LOG"
	wait_until 10 no_server_left
}
