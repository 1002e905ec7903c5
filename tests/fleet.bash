# shellcheck shell=bash disable=SC2153  # FLEET_DIR, FLEET_PORTS, FLEET_LB: the caller sets them
# A fleet behind a load balancer, shared by tests/fleet.bats and
# tests/bench-fleet.sh: HAProxy on a port of its own in front of two
# servers, health-checked by GET /healthz every 100 ms (fall 2, rise 2)
# and no retry for the client (retries 0), and a rollout that stops each
# server in turn, waits for its exit, starts it again and waits until
# HAProxy has it up.  The caller sets FLEET_DIR (a directory of its own),
# FLEET_PORTS (two free ports), FLEET_LB (HAProxy's), and defines
# fleet_start_server NAME PORT, which starts one server in the background
# and sets STARTED to the pid to signal, and fleet_stop_server NAME PID,
# which asks it to stop (and waits for it, when it is no child of ours).
# It uses helpers.bash (wait_until, pid_alive, kv), which both load.

FLEET_HAPROXY=$(PATH=$PATH:/usr/sbin:/sbin command -v haproxy || true)
FLEET_NAMES=(a b)
declare -gA FLEET_PID

# fleet_haproxy: write its config and start it; its pid in FLEET_HAPROXY_PID.
fleet_haproxy() {
	cat >"$FLEET_DIR/haproxy.cfg" <<-EOF
	global
	    maxconn 4096
	    stats socket $FLEET_DIR/haproxy.sock mode 600 level admin
	defaults
	    mode http
	    retries 0
	    timeout connect 2s
	    timeout client 30s
	    timeout server 30s
	    timeout check 1s
	frontend fe
	    bind 127.0.0.1:$FLEET_LB
	    default_backend be
	backend be
	    balance roundrobin
	    option httpchk GET /healthz
	    default-server inter 100ms fall 2 rise 2
	    server a 127.0.0.1:${FLEET_PORTS[0]} check
	    server b 127.0.0.1:${FLEET_PORTS[1]} check
	EOF
	"$FLEET_HAPROXY" -db -f "$FLEET_DIR/haproxy.cfg" \
		>"$FLEET_DIR/haproxy.log" 2>&1 3>&- &
	FLEET_HAPROXY_PID=$!
}

# fleet_state NAME: UP, DOWN, or a passing state ("UP 1/2"), from the
# stats socket.
fleet_state() {
	echo "show stat" | socat - "UNIX-CONNECT:$FLEET_DIR/haproxy.sock" \
		2>/dev/null | awk -F, -v s="$1" '$1 == "be" && $2 == s { print $18 }'
}
fleet_up() { [ "$(fleet_state "$1")" = UP ]; }
fleet_all_up() { fleet_up a && fleet_up b; }

# fleet_start: both servers and HAProxy, until HAProxy has both up.
fleet_start() {
	local i
	for i in 0 1; do
		fleet_start_server "${FLEET_NAMES[i]}" "${FLEET_PORTS[i]}"
		FLEET_PID[${FLEET_NAMES[i]}]=$STARTED
	done
	fleet_haproxy
	wait_until 20 fleet_all_up
}

# fleet_rollout: each server in turn stopped, started again, up again.
fleet_rollout() {
	local i name
	for i in 0 1; do
		name=${FLEET_NAMES[i]}
		fleet_stop_server "$name" "${FLEET_PID[$name]}" || return 1
		fleet_start_server "$name" "${FLEET_PORTS[i]}"
		FLEET_PID[$name]=$STARTED
		wait_until 20 fleet_up "$name" || return 1
	done
}

# fleet_wrk_errors FILE: non-2xx answers and socket errors of wrk's report.
fleet_wrk_errors() {
	awk '/Non-2xx/ { e += $NF }
	     /Socket errors/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
	     END { print e + 0 }' "$1"
}
fleet_wrk_requests() { awk '/requests in/ { print $1 }' "$1"; }

# fleet_served: requests the backend has had so far (its stot).
fleet_served() {
	echo "show stat" | socat - "UNIX-CONNECT:$FLEET_DIR/haproxy.sock" \
		2>/dev/null | awk -F, '$1 == "be" && $2 == "BACKEND" { print $8 }'
}
fleet_served_over() { [ "$(fleet_served)" -gt "$1" ] 2>/dev/null; }

# fleet_stop: every server and HAProxy, whatever state they are in.  A
# supervisor's second SIGINT kills its workers at once (a SIGKILL would
# leave them their parent-death SIGTERM, which starts their own delay);
# SIGINT is nginx's fast stop, SIGTERM HAProxy's.
fleet_stop() {
	local p i
	for p in "${FLEET_PID[@]}"; do
		kill -INT "$p" 2>/dev/null || true
	done
	[ -z "${FLEET_HAPROXY_PID:-}" ] || kill -TERM "$FLEET_HAPROXY_PID" 2>/dev/null || true
	sleep 0.1
	for p in "${FLEET_PID[@]}"; do
		kill -INT "$p" 2>/dev/null || true
	done
	for p in "${FLEET_PID[@]}" ${FLEET_HAPROXY_PID:-}; do
		for i in $(seq 100); do
			pid_alive "$p" || break
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	FLEET_HAPROXY_PID=
	FLEET_PID=()
}
