#!/usr/bin/env bash
# make bench, after bench.sh: a restart of the supervisor itself under load
# (not a rolling restart of its workers: the supervisor process goes away
# and a new one starts), beside nginx's own two ways of being replaced:
#   supervisor   tests/holder.c keeps the listening socket (as systemd's
#                descriptor store or a .socket unit does under systemd) and
#                starts a new `supervisor -w 2` per SIGHUP, after the old
#                one has exited on SIGTERM
#   nginx stop   `nginx -s stop`, then nginx started again
#   nginx USR2   its binary upgrade: USR2 to the master, the new master
#                ready, then QUIT to the old one
# Each under 8 clients, keep-alive, then a new connection per request
# (tests/loadclient.c), RESTARTS restarts 0.5 s apart; the errors of each
# (refused, reset, closed with a request unanswered, truncated, timed
# out, non-2xx) and the errors per restart; a client that connects during
# the supervisor's restart waits in the queue: its wait is the max latency.  Appends a table to
# bench-results.md.  Environment: BENCH_SUP_RESTARTS (10).
set -euo pipefail

TOP="$(cd "$(dirname "$0")/.." && pwd)"
SUPERVISOR="$TOP/supervisor/supervisor"
BIN="$TOP/build/tests"
OUT="$TOP/bench-results.md"
RESTARTS=${BENCH_SUP_RESTARTS:-10}
GAP=0.5
LOAD_MS=$(((RESTARTS + 2) * 1000))	# room for nginx's slower restarts
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

die() { echo "bench-restart: $*" >&2; exit 1; }
note() { echo "bench-restart: $*" >&2; }

[ -x "$SUPERVISOR" ] || die "run make first"
for t in holder loadclient; do
	[ -x "$BIN/$t" ] || die "no $BIN/$t: run make bench"
done
[ -x "$NGINX" ] || die "no nginx (bench.sh installs nginx-light)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-restart.XXXXXX")
HOLDER_PID=
cleanup() {
	local f
	[ -z "$HOLDER_PID" ] || kill -TERM "$HOLDER_PID" 2>/dev/null || true
	# nginx runs as a daemon here (its binary upgrade needs one): by pid.
	for f in "$TMP"/nginx*/nginx.pid "$TMP"/nginx*/nginx.pid.oldbin; do
		[ -e "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tests' helpers (free_port, port_open, pid_gone, wait_until, kv,
# loadclient_errors), as bats loads them.
BATS_TEST_DIRNAME="$TOP/tests"
# shellcheck source=tests/helpers.bash
. "$TOP/tests/helpers.bash"
# wait_for SECONDS CMD...: wait_until, and the end of the bench if not.
wait_for() { wait_until "$@" || die "timed out: ${*:2}"; }

# shellcheck source=tests/nginx.bash
. "$TOP/tests/nginx.bash"

# The nginx of bench.sh's restart rows, as a daemon (NGINX_DAEMON=on).
nginx_start() {	# DIR PORT
	NGINX_DAEMON=on nginx_conf "$1" "$2" 2
	"$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log"
	wait_for 10 port_open "$2"
}

# One way of restarting, per kind.
restart_sup() { kill -HUP "$HOLDER_PID"; }
restart_stop() {	# DIR PORT
	local old
	old=$(cat "$1/nginx.pid")
	"$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log" -s stop
	wait_for 10 pid_gone "$old"
	"$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log"
}
restart_usr2() {	# DIR PORT
	local old
	old=$(cat "$1/nginx.pid")
	kill -USR2 "$old"
	# The new master writes nginx.pid once the old one has renamed it.
	wait_for 10 test -s "$1/nginx.pid.oldbin"
	wait_for 10 test -s "$1/nginx.pid"
	kill -QUIT "$old"
	wait_for 10 pid_gone "$old"
}

declare -A R N
# measure KEY MODE PORT RESTART-CMD...: loadclient MODE on PORT while
# up to RESTARTS restarts run GAP s apart; the figures in R[KEY], the
# restarts begun under load in N[KEY].
measure() {
	local key=$1 mode=$2 port=$3 lp i
	shift 3
	"$BIN/loadclient" "$mode" "$port" 8 "$LOAD_MS" >"$TMP/$key" &
	lp=$!
	sleep 0.5
	for ((i = 0; i < RESTARTS && $(kill -0 "$lp" 2>/dev/null && echo 1 || echo 0); i++)); do
		"$@"
		sleep "$GAP"
	done
	wait "$lp" || die "loadclient failed"
	R[$key]=$(cat "$TMP/$key")
	N[$key]=$i
	note "$key: ${R[$key]} after $i restarts"
}

for mode in load close; do
	p=$(free_port)
	"$BIN/holder" -s "$p" "$SUPERVISOR" -q -w 2 -p "127.0.0.1:$p" \
		>"$TMP/holder.out" 2>"$TMP/holder.log" &
	HOLDER_PID=$!
	wait_for 20 port_open "$p"
	measure "sup_$mode" "$mode" "$p" restart_sup
	kill -TERM "$HOLDER_PID"
	wait "$HOLDER_PID" || die "holder: $(cat "$TMP/holder.out")"
	HOLDER_PID=
	# SIGHUPs that came during a restart were one restart.
	N[sup_$mode]=$(grep -c 'queued request answered' "$TMP/holder.out" || true)

	p=$(free_port)
	nginx_start "$TMP/nginx_stop_$mode" "$p"
	measure "stop_$mode" "$mode" "$p" restart_stop "$TMP/nginx_stop_$mode" "$p"
	p=$(free_port)
	nginx_start "$TMP/nginx_usr2_$mode" "$p"
	measure "usr2_$mode" "$mode" "$p" restart_usr2 "$TMP/nginx_usr2_$mode" "$p"
done

cell() { echo "$(loadclient_errors "${R[$1]}") / ${N[$1]}"; }
per() { awk -v e="$(loadclient_errors "${R[$1]}")" -v n="${N[$1]}" 'BEGIN { printf "%.2f", n ? e / n : 0 }'; }
lat() { echo "$(kv p99_ms "${R[$1]}") / $(kv max_ms "${R[$1]}")"; }
detail() { echo "refused $(kv refused "${R[$1]}"), reset $(kv reset "${R[$1]}"), unanswered $(kv unanswered "${R[$1]}"), timeouts $(kv connect_timeout "${R[$1]}")"; }
{
	echo
	echo "Restart of the supervisor under load: the supervisor process replaced, the"
	echo "listening socket kept by its holder (tests/holder.c; under systemd the descriptor"
	echo "store or a .socket unit keeps it), beside nginx \`-s stop\` + start and nginx's"
	echo "binary upgrade (USR2, then QUIT to the old master). 8 clients,"
	echo "\`loadclient load|close PORT 8 $LOAD_MS\`, $RESTARTS restarts $GAP s apart;"
	echo "errors = refused + reset + unanswered + truncated + connect timeouts + non-2xx."
	echo "A client of loadclient stops at its first refused connect: with 8 clients, a"
	echo "refused count of 8 means every client was stopped, so nginx's figures are a floor."
	echo
	echo "| restart of the server under load | supervisor, socket held | nginx -s stop + start | nginx USR2 + QUIT |"
	echo "|---|---:|---:|---:|"
	for mode in load close; do
		label=$([ $mode = load ] && echo "keep-alive" || echo "new connection per request")
		echo "| $label: errors / restarts | $(cell sup_$mode) | $(cell stop_$mode) | $(cell usr2_$mode) |"
		echo "| $label: errors per restart | $(per sup_$mode) | $(per stop_$mode) | $(per usr2_$mode) |"
		echo "| $label: requests completed | $(kv complete "${R[sup_$mode]}") | $(kv complete "${R[stop_$mode]}") | $(kv complete "${R[usr2_$mode]}") |"
		echo "| $label: of which | $(detail sup_$mode) | $(detail stop_$mode) | $(detail usr2_$mode) |"
		echo "| $label: latency p99 / max, ms | $(lat sup_$mode) | $(lat stop_$mode) | $(lat usr2_$mode) |"
	done
} >"$TMP/table"
[ -e "$OUT" ] || note "no $OUT yet (bench.sh writes it): the table goes to a new one"
cat "$TMP/table" >>"$OUT"
cat "$TMP/table"
