#!/usr/bin/env bats
# A rollout behind a load balancer: two supervisors (-w 2) behind HAProxy
# (tests/fleet.bash), keep-alive clients (wrk) and clients with a new
# connection per request (loadclient close) through it; each supervisor
# in turn gets SIGTERM, exits, is started again and comes up in HAProxy.
# With --stop-delay above the health check's time to notice (100 ms x
# fall 2), no client sees an error; without it, the same rollout loses
# requests: the figures are printed either way, so a loss shows.

LOAD_S=10	# the clients' time: the rollout must fit in it, with room

setup_file() {
	load helpers
	need_tools "$LOADCLIENT"
}

setup() {
	load helpers
	load fleet
	[ -n "$FLEET_HAPROXY" ] || { echo "haproxy is not installed" >&2; return 1; }
	command -v wrk >/dev/null || { echo "wrk is not installed" >&2; return 1; }
	FLEET_DIR=$BATS_TEST_TMPDIR
	FLEET_LB=$(free_port)
	FLEET_PORTS=("$(free_port)" "$(free_port)")
	while [ "${FLEET_PORTS[0]}" = "${FLEET_PORTS[1]}" ] ||
	      [ "${FLEET_PORTS[1]}" = "$FLEET_LB" ] ||
	      [ "${FLEET_PORTS[0]}" = "$FLEET_LB" ]; do
		FLEET_PORTS[1]=$(free_port)
		FLEET_LB=$(free_port)
	done
	LOG="$FLEET_DIR/sup.log"
	CLIENTS=()
}

teardown() {
	local p
	for p in "${CLIENTS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	fleet_stop
}

fleet_start_server() {
	# shellcheck disable=SC2086  # DELAY: words
	"$SUPERVISOR" -p "127.0.0.1:$2" -w 2 $DELAY 2>>"$LOG" 3>&- &
	STARTED=$!
}
fleet_stop_server() {
	kill -TERM "$2"
	wait_exit "$2" 30
	[ "$status" -eq 0 ] || { echo "server $1 exited with $status" >&2; return 1; }
}

# rollout_under_load: the fleet, both loads, one rollout in the middle of
# them; the figures in WRK_ERR, WRK_REQ, CLOSE_ERR, CLOSE_LINE, printed.
rollout_under_load() {
	local t0 t1
	fleet_start
	t0=$(date +%s%3N)
	wrk -t1 -c8 -d"${LOAD_S}s" "http://127.0.0.1:$FLEET_LB/" \
		>"$FLEET_DIR/wrk.out" 3>&- &
	CLIENTS+=($!)
	"$LOADCLIENT" close "$FLEET_LB" 4 $((LOAD_S * 1000)) \
		>"$FLEET_DIR/close.out" 3>&- &
	CLIENTS+=($!)
	wait_until 20 fleet_served_over 2000	# the load is on
	fleet_rollout
	t1=$(date +%s%3N)
	for p in "${CLIENTS[@]}"; do wait "$p"; done
	CLIENTS=()
	cat "$FLEET_DIR/wrk.out" "$FLEET_DIR/close.out"
	WRK_ERR=$(fleet_wrk_errors "$FLEET_DIR/wrk.out")
	WRK_REQ=$(fleet_wrk_requests "$FLEET_DIR/wrk.out")
	CLOSE_LINE=$(cat "$FLEET_DIR/close.out")
	CLOSE_ERR=$(loadclient_errors "$CLOSE_LINE")
	CLOSE_MAX=$(kv max_ms "$CLOSE_LINE")
	CLOSE_MAX=${CLOSE_MAX%.*}
	echo "# figure: rollout ${DELAY:-without a delay}: keep-alive $WRK_ERR errors in $WRK_REQ requests; a connection per request $CLOSE_ERR errors in $(kv complete "$CLOSE_LINE") answers, the slowest in $CLOSE_MAX ms" >&3
	# The whole rollout happened under load.
	[ $((t1 - t0)) -lt $((LOAD_S * 1000 - 500)) ]
}

@test "rollout behind HAProxy with --stop-delay 1: not one client error, keep-alive or not" {
	DELAY="-s 1"
	rollout_under_load
	[ "$WRK_REQ" -gt 1000 ]
	[ "$(kv complete "$CLOSE_LINE")" -gt 100 ]
	# Both came up again under HAProxy, and they served.
	fleet_all_up
	[ "$WRK_ERR" -eq 0 ]
	[ "$CLOSE_ERR" -eq 0 ]
	[ "$(grep -c 'the stop begins in 1.000 seconds' "$LOG")" -eq 2 ]
}

@test "the same rollout without a delay: clients see errors, or a handshake dropped and retried (the harm the delay prevents)" {
	DELAY=
	rollout_under_load
	[ "$WRK_REQ" -gt 1000 ]
	fleet_all_up
	# HAProxy goes on sending to the stopping server until two checks
	# have failed: a request on a pooled connection the drain closes
	# fails (how many depends on the race), and a new connection's SYN
	# that the closed door dropped is sent again a second later (the
	# kernel's first retransmission), by then to the next instance.
	[ $((WRK_ERR + CLOSE_ERR)) -gt 0 ] || [ "$CLOSE_MAX" -ge 900 ]
}
