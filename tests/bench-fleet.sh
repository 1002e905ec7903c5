#!/usr/bin/env bash
# make bench, after bench.sh: a rollout behind a load balancer.  Two
# servers behind HAProxy (tests/fleet.bash: GET /healthz every 100 ms,
# fall 2, rise 2, retries 0), keep-alive clients (wrk -t2 -c16) and clients
# with a new connection per request (loadclient close, 16) through it at
# once; each server in turn is stopped, waited for, started again and
# waited for until HAProxy has it up.  Three fleets: supervisors (-w 2)
# with --stop-delay 1, the same without a delay, and nginx (nginx -s quit,
# then a new nginx).  Errors per rollout, median of BENCH_FLEET_ROUNDS (3).
# Appends its table to bench-results.md.
set -euo pipefail

TOP="$(cd "$(dirname "$0")/.." && pwd)"
SUPERVISOR="$TOP/supervisor/supervisor"
LOADCLIENT="$TOP/build/tests/loadclient"
OUT="$TOP/bench-results.md"
ROUNDS=${BENCH_FLEET_ROUNDS:-3}
LOAD_S=12
DELAY_S=1

die() { echo "bench-fleet: $*" >&2; exit 1; }
note() { echo "bench-fleet: $*" >&2; }

[ -x "$SUPERVISOR" ] || die "run make first"
[ -x "$LOADCLIENT" ] || die "no $LOADCLIENT: run make bench"
# The tests' helpers (free_port, wait_until, kv), as bats loads them.
BATS_TEST_DIRNAME="$TOP/tests"
# shellcheck source=tests/helpers.bash
. "$TOP/tests/helpers.bash"
# shellcheck source=tests/fleet.bash
. "$TOP/tests/fleet.bash"
NGINX=$(PATH=$PATH:/usr/sbin command -v nginx || true)
[ -n "$FLEET_HAPROXY" ] || die "haproxy is not installed (apt-get install haproxy)"
[ -n "$NGINX" ] || die "nginx is not installed"
command -v wrk >/dev/null || die "wrk is not installed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-fleet.XXXXXX")
CLIENTS=()
cleanup() {
	local p
	for p in "${CLIENTS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	fleet_stop
	rm -rf "$TMP"
}
trap cleanup EXIT

# shellcheck source=tests/nginx.bash
. "$TOP/tests/nginx.bash"

# The fleet's servers, by KIND: delay, nodelay, nginx.
fleet_start_server() {
	case $KIND in
	nginx)
		nginx_conf "$TMP/nginx-$1" "$2" 2
		"$NGINX" -p "$TMP/nginx-$1" -c "$TMP/nginx-$1/nginx.conf" \
			-e "$TMP/nginx-$1/logs/error.log" 2>>"$TMP/servers.log" &
		;;
	delay)
		"$SUPERVISOR" -q -w 2 -s "$DELAY_S" -p "127.0.0.1:$2" \
			2>>"$TMP/servers.log" &
		;;
	nodelay)
		"$SUPERVISOR" -q -w 2 -p "127.0.0.1:$2" 2>>"$TMP/servers.log" &
		;;
	esac
	STARTED=$!
}
fleet_stop_server() {
	if [ "$KIND" = nginx ]; then
		"$NGINX" -p "$TMP/nginx-$1" -c "$TMP/nginx-$1/nginx.conf" \
			-e "$TMP/nginx-$1/logs/error.log" -s quit
	else
		kill -TERM "$2"
	fi
	wait "$2" || true
}

# round KIND: one rollout under both loads; "kind wrk_err wrk_req
# close_err close_req" appended to $TMP/rounds.
round() {
	KIND=$1
	FLEET_DIR="$TMP/$1"
	rm -rf "$FLEET_DIR"
	mkdir -p "$FLEET_DIR"
	FLEET_LB=$(free_port)
	FLEET_PORTS=("$(free_port)" "$(free_port)")
	fleet_start || die "$KIND: the fleet did not come up"
	wrk -t2 -c16 -d"${LOAD_S}s" "http://127.0.0.1:$FLEET_LB/" \
		>"$FLEET_DIR/wrk.out" &
	CLIENTS=($!)
	"$LOADCLIENT" close "$FLEET_LB" 16 $((LOAD_S * 1000)) \
		>"$FLEET_DIR/close.out" &
	CLIENTS+=($!)
	wait_until 20 fleet_served_over 2000 || die "$KIND: no load"
	sleep 1		# a second of steady state before the rollout
	local t0=$SECONDS
	fleet_rollout || die "$KIND: the rollout failed"
	[ $((SECONDS - t0)) -lt $((LOAD_S - 2)) ] ||
		note "$KIND: the rollout took $((SECONDS - t0)) s: over the load"
	wait "${CLIENTS[@]}"
	CLIENTS=()
	local line
	line=$(cat "$FLEET_DIR/close.out")
	echo "$KIND $(fleet_wrk_errors "$FLEET_DIR/wrk.out")" \
		"$(fleet_wrk_requests "$FLEET_DIR/wrk.out")" \
		"$(loadclient_errors "$line")" \
		"$(kv complete "$line")" >>"$TMP/rounds"
	note "$KIND: wrk $(grep -E 'requests in|Non-2xx|Socket' "$FLEET_DIR/wrk.out" | tr -s ' \n' ' '); close: $line"
	fleet_stop
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$TMP/rounds" | median; }
all() { awk -v k="$1" -v c="$2" '$1 == k { printf "%s%s", s, $c; s = ", " }' "$TMP/rounds"; }

note "rollout behind HAProxy: $ROUNDS rounds of 3 fleets, ${LOAD_S} s each"
for r in $(seq "$ROUNDS"); do
	for k in delay nodelay nginx; do
		round "$k"
	done
	note "round $r done"
done

{
	echo
	echo "Rollout behind HAProxy $("$FLEET_HAPROXY" -v | awk 'NR == 1 { print $3 }'): two servers, each stopped in turn,"
	echo "waited for, started again and waited for until HAProxy has it up, under"
	echo "\`wrk -t2 -c16 -d${LOAD_S}s\` (keep-alive) and \`loadclient close LB 16 ${LOAD_S}000\` (a new"
	echo "connection per request) through HAProxy at once (\`option httpchk GET /healthz\`,"
	echo "\`inter 100ms fall 2 rise 2\`, \`retries 0\`). Errors per rollout (wrk: non-2xx"
	echo "and socket errors; loadclient: non-2xx, resets, truncated, unanswered, refused,"
	echo "connect timeouts), median of $ROUNDS (each round in brackets):"
	echo
	echo "| rollout behind HAProxy | supervisor -w 2 -s $DELAY_S | supervisor -w 2, no delay | nginx, \`-s quit\` |"
	echo "|---|---:|---:|---:|"
	echo "| keep-alive: errors per rollout | $(col delay 2) ($(all delay 2)) | $(col nodelay 2) ($(all nodelay 2)) | $(col nginx 2) ($(all nginx 2)) |"
	echo "| keep-alive: requests | $(col delay 3) | $(col nodelay 3) | $(col nginx 3) |"
	echo "| new connection per request: errors per rollout | $(col delay 4) ($(all delay 4)) | $(col nodelay 4) ($(all nodelay 4)) | $(col nginx 4) ($(all nginx 4)) |"
	echo "| new connection per request: answers | $(col delay 5) | $(col nodelay 5) | $(col nginx 5) |"
} | tee -a "$OUT"
