#!/usr/bin/env bash
# make bench: the worker beside nginx, in one run, on 127.0.0.1 only.
#   throughput  wrk on / against 1 and 2 workers and nginx with 1 and 2
#               worker processes, alternating rounds; medians and ratio;
#               keep-alive, then a new connection per request (with the
#               system calls per connection, from the kernel's tracepoints)
#   memory      VmRSS idle, after the load, with 10,000 idle keep-alive
#               connections (each has had one request answered)
#   lifecycle   start, stop and cascade of the supervisor, start and
#               graceful stop of nginx; medians of 10
#   restart     a rolling restart under load (keep-alive, and a new
#               connection per request), 20 SIGHUPs, beside nginx's reload;
#               then a broken build, every restart refused
# Prints a markdown table and writes it to bench-results.md at the top.
# Environment: BENCH_ROUNDS (3), BENCH_CLOSE_ROUNDS (5), BENCH_SECONDS (5),
# BENCH_CONNS (10000), BENCH_LIFECYCLE (10), BENCH_RESTARTS (20);
# BENCH_SUPERVISOR_FLAGS, more flags for every supervisor started here
# ("--watchdog 1": the rows with the watchdog's beats).
set -euo pipefail

TOP="$(cd "$(dirname "$0")/.." && pwd)"
SUPERVISOR="$TOP/supervisor/supervisor"
WORKER="$TOP/worker/worker"
OUT="$TOP/bench-results.md"
ROUNDS=${BENCH_ROUNDS:-3}
# A new connection per request varies more from round to round.
CROUNDS=${BENCH_CLOSE_ROUNDS:-5}
SECS=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNS:-10000}
LIFE=${BENCH_LIFECYCLE:-10}
read -r -a SUPFLAGS <<<"${BENCH_SUPERVISOR_FLAGS:-}"

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

if [ ! -x "$SUPERVISOR" ] || [ ! -x "$WORKER" ]; then die "run make first"; fi
BIN="$TOP/build/tests"	# the clients, which make bench builds
for t in holdconns lifecycle loadclient; do
	[ -x "$BIN/$t" ] || die "no $BIN/$t: run make bench"
done

# ---- tools ------------------------------------------------------------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if ! command -v wrk >/dev/null || [ ! -x "$NGINX" ]; then
	note "installing wrk and nginx-light"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >&2
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
# Debian's package starts a system nginx on port 80; ours are separate.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")

PIDS=()
cleanup() {
	local p e=${TRACEFS:-/sys/kernel/tracing}/events/raw_syscalls/sys_exit
	if [ -w "$e/enable" ]; then	# stopped while counting system calls
		echo 0 >"$e/enable"
		echo 0 >"$e/filter"
	fi
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing listens on the port now, and no earlier pick took it.
USED=" "
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		case $USED in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED="$USED$p "
			echo "$p"
			return
		fi
	done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
	local i
	for ((i = 0; i < 500; i++)); do
		port_open "$1" && return 0
		sleep 0.01
	done
	die "nothing listens on port $1"
}

# Both bind before they fork: wait for the worker processes too.
wait_children() {	# PID N
	local i c
	for ((i = 0; i < 500; i++)); do
		read -ra c <<<"$(children "$1")"
		[ "${#c[@]}" -ge "$2" ] && { sleep 0.05; return 0; }
		sleep 0.01
	done
	die "pid $1 has not started $2 worker processes"
}
children() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }
rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f { print $2 }' "/proc/$1/status"; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

# shellcheck source=tests/nginx.bash
. "$TOP/tests/nginx.bash"

start_nginx() {	# DIR PORT WORKERS [MAX-CONNECTIONS] -> pid in $STARTED
	nginx_conf "$@"
	"$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log" \
		2>>"$TMP/servers.log" &
	STARTED=$!
	PIDS+=("$STARTED")
	wait_port "$2"
	wait_children "$STARTED" "$3"
}
start_worker() {	# PORT -> pid in $STARTED
	"$WORKER" -q -p "127.0.0.1:$1" --max-connections $((CONNS + 500)) \
		2>>"$TMP/servers.log" &
	STARTED=$!
	PIDS+=("$STARTED")
	wait_port "$1"
}
start_supervisor() {	# PORT WORKERS -> pid in $STARTED
	"$SUPERVISOR" -q "${SUPFLAGS[@]}" -w "$2" -p "127.0.0.1:$1" \
		2>>"$TMP/servers.log" &
	STARTED=$!
	PIDS+=("$STARTED")
	wait_port "$1"
	wait_children "$STARTED" "$2"
}
stop_server() {	# PID [SIGNAL]
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Sum of a /proc/PID/status field (VmRSS, RssAnon) over pids, in KiB.
rss_sum() {	# FIELD PID...
	local p sum=0 f=$1
	shift
	for p in "$@"; do
		sum=$((sum + $(rss_kb "$p" "$f")))
	done
	echo "$sum"
}

# CPU time (user + system) of the given pids so far, in clock ticks.
cpu_ticks() {
	local p stat sum=0 f
	for p in "$@"; do
		stat=$(<"/proc/$p/stat")
		read -ra f <<<"${stat##*) }"
		sum=$((sum + f[11] + f[12]))	# utime, stime: fields 14 and 15
	done
	echo "$sum"
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# Sets WRK_RPS, wrk's requests/s, and WRK_CPU, the server's CPU time per
# request in µs; a run with errors or non-2xx answers is flagged.  WRK is
# how wrk connects: 64 keep-alive connections, or CLOSE_WRK's 16 that each
# send one request with "Connection: close".
KEEP_WRK=(-t1 -c64)
CLOSE_WRK=(-t1 -c16 -H "Connection: close")
WRK=("${KEEP_WRK[@]}")
run_wrk() {	# PORT LABEL SERVER-PID...
	local out reqs t0 t1
	t0=$(cpu_ticks "${@:3}")
	out=$(wrk "${WRK[@]}" -d"${SECS}s" "http://127.0.0.1:$1/")
	t1=$(cpu_ticks "${@:3}")
	WRK_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
	reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
	[ -n "$WRK_RPS" ] && [ -n "$reqs" ] ||
		die "wrk against $2 printed no rate: $out"
	WRK_CPU=$(awk -v t=$((t1 - t0)) -v us="$TICK_US" -v n="$reqs" \
		'BEGIN { printf "%.2f", t * us / n }')
	if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
		note "$2: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ')"
	fi
}
# Sets SYSCALLS, the system calls per connection of the server processes
# (all of them, divided by the accept4 calls that returned a connection),
# and SYSCALL_MIX, the main ones per connection, over 1 s of CLOSE_WRK.
# Counted by the kernel's raw_syscalls tracepoints, filtered to these
# pids: strace -c would slow the server so much that its accept queue
# never empties, and it would count another program's system calls.
TRACEFS=/sys/kernel/tracing
[ -d "$TRACEFS/events/raw_syscalls" ] || TRACEFS=/sys/kernel/debug/tracing
syscalls_per_conn() {	# PORT SERVER-PID...
	local p filter='' e=$TRACEFS/events/raw_syscalls
	SYSCALLS='?' SYSCALL_MIX=
	[ -w "$e/sys_exit/enable" ] || return 0
	for p in "${@:2}"; do filter="$filter${filter:+ || }common_pid == $p"; done
	echo 0 >"$TRACEFS/tracing_on"
	echo >"$TRACEFS/trace"
	echo 8192 >"$TRACEFS/buffer_size_kb"
	echo "$filter" >"$e/sys_exit/filter"
	echo 1 >"$e/sys_exit/enable"
	wrk "${CLOSE_WRK[@]}" -d3s "http://127.0.0.1:$1/" >/dev/null &
	local w=$!
	sleep 1
	echo 1 >"$TRACEFS/tracing_on"
	sleep 1
	echo 0 >"$TRACEFS/tracing_on"
	wait "$w"
	echo 0 >"$e/sys_exit/enable"
	echo 0 >"$e/sys_exit/filter"
	# x86_64 numbers: accept4 288, read 0, sendto 44, close 3,
	# epoll_wait 232, epoll_ctl 233, setsockopt 54, shutdown 48,
	# writev 20, recvfrom 45, timerfd_settime 286.
	read -r SYSCALLS SYSCALL_MIX < <(awk '
		/sys_exit: NR / { n = $0; sub(/.*NR /, "", n); split(n, f, " ")
			all++; c[f[1]]++
			if (f[1] == 288 && f[3] + 0 >= 0) conns++ }
		END { if (!conns) { print "?"; exit }
			name[288] = "accept4"; name[0] = "read"; name[44] = "sendto"
			name[3] = "close"; name[232] = "epoll_wait"; name[233] = "epoll_ctl"
			name[54] = "setsockopt"; name[48] = "shutdown"
			name[20] = "writev"; name[45] = "recvfrom"
			name[286] = "timerfd_settime"
			printf "%.1f", all / conns
			for (k in name) if (c[k]) printf " %s=%.2f", name[k], c[k] / conns
			print "" }' "$TRACEFS/trace")
	echo >"$TRACEFS/trace"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	END { if (NR % 2) print v[(NR + 1) / 2];
	      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# row LABEL WORKER NGINX: a table row with their ratio; "?" (not measured,
# say without tracefs) gets none.
row() {
	local r=–
	[[ $2 == *[0-9]* && $3 == *[1-9]* ]] && r=$(ratio "$2" "$3")
	echo "| $1 | $2 | $3 | $r |"
}
# rows LABEL W N: row for 1 and 2 workers, from the arrays named W and N
# (indexed by the worker count); %n in LABEL is the count.
rows() {
	local -n w=$2 x=$3
	local n
	for n in 1 2; do row "${1//%n/$n}" "${w[$n]}" "${x[$n]}"; done
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNS + 100)) ]; then
	die "ulimit -n is $(ulimit -n): $CONNS connections need more"
fi

# alternate ROUNDS LABEL: wrk with WRK against the worker (port $pw, pids
# wpids) and nginx ($pn, npids) in turn, ROUNDS each.  Sets MED_RPS_W,
# MED_RPS_N, MED_CPU_W, MED_CPU_N (medians) and ALL_RPS_W, ALL_RPS_N (each
# round's requests/s).
alternate() {
	local r w=() nx=() wc=() nc=()
	for ((r = 1; r <= $1; r++)); do
		run_wrk "$pw" "worker x$n$2" "${wpids[@]}"
		w+=("$WRK_RPS") wc+=("$WRK_CPU")
		run_wrk "$pn" "nginx x$n$2" "${npids[@]}"
		nx+=("$WRK_RPS") nc+=("$WRK_CPU")
		note "$n worker(s)$2, round $r: worker ${w[-1]}/s ${wc[-1]} µs," \
			"nginx ${nx[-1]}/s ${nc[-1]} µs"
	done
	MED_RPS_W=$(median "${w[@]}") MED_RPS_N=$(median "${nx[@]}")
	MED_CPU_W=$(median "${wc[@]}") MED_CPU_N=$(median "${nc[@]}")
	ALL_RPS_W="${w[*]}" ALL_RPS_N="${nx[*]}"
}

# ---- throughput, and RSS idle / after load -----------------------------
declare -A RPS_W RPS_N CPU_W CPU_N RSS ANON CRPS_W CRPS_N CCPU_W CCPU_N SYS_W SYS_N
for n in 1 2; do
	pw=$(free_port)
	pn=$(free_port)
	if [ "$n" = 1 ]; then
		start_worker "$pw"
		wpids=("$STARTED")
	else
		start_supervisor "$pw" 2
		sup=$STARTED
		read -ra wpids <<<"$(children "$sup")"
	fi
	start_nginx "$TMP/nginx$n" "$pn" "$n"
	npid=$STARTED
	read -ra npids <<<"$(children "$npid")"
	[ "${#wpids[@]}" = "$n" ] && [ "${#npids[@]}" = "$n" ] ||
		die "expected $n worker processes: ${wpids[*]} / ${npids[*]}"
	RSS[w_idle_$n]=$(rss_sum VmRSS "${wpids[@]}")
	ANON[w_idle_$n]=$(rss_sum RssAnon "${wpids[@]}")
	RSS[n_idle_$n]=$(rss_sum VmRSS "${npids[@]}")
	ANON[n_idle_$n]=$(rss_sum RssAnon "${npids[@]}")
	WRK=("${KEEP_WRK[@]}")
	alternate "$ROUNDS" ""
	RPS_W[$n]=$MED_RPS_W RPS_N[$n]=$MED_RPS_N
	# shellcheck disable=SC2034  # read by name, in rows
	CPU_W[$n]=$MED_CPU_W CPU_N[$n]=$MED_CPU_N
	RPS_W[all_$n]=$ALL_RPS_W RPS_N[all_$n]=$ALL_RPS_N
	WRK=("${CLOSE_WRK[@]}")
	alternate "$CROUNDS" ", a connection per request"
	WRK=("${KEEP_WRK[@]}")
	CRPS_W[$n]=$MED_RPS_W CRPS_N[$n]=$MED_RPS_N
	# shellcheck disable=SC2034  # read by name, in rows
	CCPU_W[$n]=$MED_CPU_W CCPU_N[$n]=$MED_CPU_N
	CRPS_W[all_$n]=$ALL_RPS_W CRPS_N[all_$n]=$ALL_RPS_N
	syscalls_per_conn "$pw" "${wpids[@]}"
	SYS_W[$n]=$SYSCALLS SYS_W[mix_$n]=$SYSCALL_MIX
	syscalls_per_conn "$pn" "${npids[@]}"
	SYS_N[$n]=$SYSCALLS SYS_N[mix_$n]=$SYSCALL_MIX
	sleep 0.2
	RSS[w_load_$n]=$(rss_sum VmRSS "${wpids[@]}")
	ANON[w_load_$n]=$(rss_sum RssAnon "${wpids[@]}")
	RSS[n_load_$n]=$(rss_sum VmRSS "${npids[@]}")
	ANON[n_load_$n]=$(rss_sum RssAnon "${npids[@]}")
	if [ "$n" = 1 ]; then stop_server "${wpids[0]}"; else stop_server "$sup"; fi
	stop_server "$npid" QUIT
done

# ---- memory with idle keep-alive connections ---------------------------
# Sets HELD_IDLE and HELD_WITH (KiB) for PID, a server on PORT.
held_rss() {	# PORT PID
	local hp i
	HELD_IDLE=$(rss_kb "$2")
	: >"$TMP/held"
	"$BIN/holdconns" "$1" "$CONNS" 60 >"$TMP/held" 2>>"$TMP/servers.log" &
	hp=$!
	PIDS+=("$hp")
	for ((i = 0; i < 3000; i++)); do
		grep -q held "$TMP/held" && break
		kill -0 "$hp" 2>/dev/null ||
			die "holdconns failed: $(tail -2 "$TMP/servers.log")"
		sleep 0.01
	done
	grep -q held "$TMP/held" || die "holdconns did not finish in 30 s"
	sleep 0.2
	HELD_WITH=$(rss_kb "$2")
	stop_server "$hp"
}
pw=$(free_port)
start_worker "$pw"
held_rss "$pw" "$STARTED"
w_cidle=$HELD_IDLE w_conns=$HELD_WITH
stop_server "$STARTED"
pn=$(free_port)
start_nginx "$TMP/nginxc" "$pn" 1 $((CONNS + 500))
npid=$STARTED
read -ra npids <<<"$(children "$npid")"
held_rss "$pn" "${npids[0]}"
n_cidle=$HELD_IDLE n_conns=$HELD_WITH
stop_server "$npid" QUIT
per_conn() { awk -v a="$1" -v b="$2" -v n="$CONNS" \
	'BEGIN { printf "%.0f", (b - a) * 1024 / n }'; }

# ---- lifecycle ----------------------------------------------------------
lifecycle() {	# MODE SIGNAL PORTS COMMAND... -> "listen serve end" medians
	"$BIN/lifecycle" "$1" "$LIFE" "$2" "$3" -- "${@:4}" \
		2>>"$TMP/lifecycle.log" | awk '{ printf "%s ", $2 } END { print "" }'
}
l1=$(free_port)
l2=$(free_port)
read -r s_listen s_serve s_stop < <(lifecycle stop 15 "$l1,$l2" \
	"$SUPERVISOR" -q "${SUPFLAGS[@]}" -p "127.0.0.1:$l1" -p "127.0.0.1:$l2")
read -r _ _ s_cascade < <(lifecycle cascade 15 "$l1,$l2" \
	"$SUPERVISOR" -q "${SUPFLAGS[@]}" -p "127.0.0.1:$l1" -p "127.0.0.1:$l2")
ln=$(free_port)
nginx_conf "$TMP/nginxl" "$ln" 1
read -r n_listen n_serve n_stop < <(lifecycle stop 3 "$ln" \
	"$NGINX" -p "$TMP/nginxl" -c "$TMP/nginxl/nginx.conf" \
	-e "$TMP/nginxl/logs/error.log")
[ -n "$s_stop" ] && [ -n "$s_cascade" ] && [ -n "$n_stop" ] ||
	die "a lifecycle measure failed: $(tail -3 "$TMP/lifecycle.log")"

# ---- rolling restart under load, beside nginx's reload --------------------
# 32 clients for RESTART_MS: first with no restart (steady state), then
# with RESTARTS restarts 0.2 s apart (SIGHUP to the supervisor; to nginx's
# master, which is what `nginx -s reload` sends); keep-alive, then a new
# connection per request.  loadclient counts every outcome.
RESTARTS=${BENCH_RESTARTS:-20}
RESTART_MS=$(((RESTARTS * 200) + 1000))
declare -A RL
restart_load() {	# KEY MODE PORT PID RESTARTS
	local out="$TMP/restart.$1" lp i
	"$BIN/loadclient" "$2" "$3" 32 "$RESTART_MS" >"$out" 2>>"$TMP/servers.log" &
	lp=$!
	PIDS+=("$lp")
	sleep 0.5
	for ((i = 0; i < $5; i++)); do
		kill -HUP "$4"
		sleep 0.2
	done
	wait "$lp" || die "loadclient failed: $(tail -2 "$TMP/servers.log")"
	RL[$1]=$(cat "$out")
	note "$1: ${RL[$1]}"
}
kv() { local v=${RL[$1]##*"$2="}; echo "${v%% *}"; }
lost() {	# KEY: resets, and closes with a request unanswered
	echo $(($(kv "$1" reset) + $(kv "$1" truncated) + $(kv "$1" unanswered)))
}
pr=$(free_port)
"$SUPERVISOR" "${SUPFLAGS[@]}" -w 2 -p "127.0.0.1:$pr" 2>"$TMP/restart-sup.log" &
rsup=$!
PIDS+=("$rsup")
wait_port "$pr"
wait_children "$rsup" 2
pnr=$(free_port)
start_nginx "$TMP/nginxr" "$pnr" 2
rng=$STARTED
for mode in load close; do
	restart_load "w_${mode}_steady" "$mode" "$pr" "$rsup" 0
	restart_load "w_${mode}_roll" "$mode" "$pr" "$rsup" "$RESTARTS"
	restart_load "n_${mode}_steady" "$mode" "$pnr" "$rng" 0
	restart_load "n_${mode}_roll" "$mode" "$pnr" "$rng" "$RESTARTS"
done
# One restart's time per worker: the supervisor logs each restart's.
mapfile -t restart_ms < <(awk '/restart: replaced 2 of 2 in/ { print $(NF-1) / 2 }' \
	"$TMP/restart-sup.log")
per_worker=$(median "${restart_ms[@]}")
restarts_done=$(grep -c 'restart: replaced 2 of 2 in' "$TMP/restart-sup.log" || true)
stop_server "$rng" QUIT
# A broken build deployed: the worker path re-pointed at a program that
# exits 1.  Every restart is refused; the old workers serve throughout.
ln -s "$WORKER" "$TMP/current"
printf '#!/bin/sh\nexit 1\n' >"$TMP/broken"
chmod +x "$TMP/broken"
stop_server "$rsup"
pb=$(free_port)
"$SUPERVISOR" -w 2 -W "$TMP/current" -p "127.0.0.1:$pb" 2>"$TMP/broken-sup.log" &
bsup=$!
PIDS+=("$bsup")
wait_port "$pb"
wait_children "$bsup" 2
ln -sfn "$TMP/broken" "$TMP/current"
for mode in load close; do
	restart_load "b_$mode" "$mode" "$pb" "$bsup" "$RESTARTS"
done
refused=$(grep -c 'restart refused' "$TMP/broken-sup.log" || true)
stop_server "$bsup"

mem_cell() { echo "$(kib_to_mib "${RSS[$1]}") ($(kib_to_mib "${ANON[$1]}"))"; }

# ---- the table ------------------------------------------------------------
{
	echo "| measure | worker | nginx | worker/nginx |"
	echo "|---|---:|---:|---:|"
	rows "requests/s, %n worker(s) (median of $ROUNDS)" RPS_W RPS_N
	rows "server CPU per request, %n worker(s), µs (median)" CPU_W CPU_N
	rows "new connection per request: requests/s, %n worker(s) (median of $CROUNDS)" CRPS_W CRPS_N
	rows "new connection per request: server CPU per request, %n worker(s), µs (median)" CCPU_W CCPU_N
	rows "new connection per request: system calls per connection, %n worker(s)" SYS_W SYS_N
	for n in 1 2; do
		for k in idle load; do
			echo "| RSS $([ $k = idle ] && echo idle || echo after the load), $n worker(s), MiB (anon) | $(mem_cell w_${k}_$n) | $(mem_cell n_${k}_$n) | $(ratio "${RSS[w_${k}_$n]}" "${RSS[n_${k}_$n]}") |"
		done
	done
	echo "| RSS idle, room for $((CONNS + 500)) connections, MiB | $(kib_to_mib "$w_cidle") | $(kib_to_mib "$n_cidle") | $(ratio "$w_cidle" "$n_cidle") |"
	echo "| RSS with $CONNS idle keep-alive connections, MiB | $(kib_to_mib "$w_conns") | $(kib_to_mib "$n_conns") | $(ratio "$w_conns" "$n_conns") |"
	wpc=$(per_conn "$w_cidle" "$w_conns")
	npc=$(per_conn "$n_cidle" "$n_conns")
	echo "| bytes per idle keep-alive connection | $wpc | $npc | $(ratio "$wpc" "$npc") |"
	echo "| start → both ports accepting, ms (median of $LIFE) | $s_listen | $n_listen | $(ratio "$s_listen" "$n_listen") |"
	echo "| start → both ports answering \`GET /\`, ms | $s_serve | $n_serve | $(ratio "$s_serve" "$n_serve") |"
	echo "| stop when idle (SIGTERM / nginx SIGQUIT) → exit, ms | $s_stop | $n_stop | $(ratio "$s_stop" "$n_stop") |"
	echo "| killed worker (SIGKILL) → supervisor exit, ms | $s_cascade | – | – |"
	echo
	echo "Per-round requests/s — 1 worker: ${RPS_W[all_1]}; nginx: ${RPS_N[all_1]};" \
		"2 workers: ${RPS_W[all_2]}; nginx: ${RPS_N[all_2]}; a new connection per" \
		"request, 1 worker: ${CRPS_W[all_1]}; nginx: ${CRPS_N[all_1]}; 2 workers:" \
		"${CRPS_W[all_2]}; nginx: ${CRPS_N[all_2]}."
	echo "Server CPU = user + system time of the worker processes (nginx: its workers)"
	echo "over a round, from /proc/PID/stat, divided by the requests wrk counted: wrk"
	echo "with one thread is the bottleneck here, so this is the server's cost."
	echo "RSS is VmRSS (in brackets its RssAnon part: VmRSS also counts the shared"
	echo "C library pages mapped) of the worker process(es) (summed for two), and of nginx's"
	echo "worker process(es) only, master not counted; per connection ="
	echo "(RSS with connections − RSS idle) / $CONNS, each connection having had one"
	echo "\`GET /\` answered, then held idle. nginx lifecycle: one port, in its own"
	echo "prefix; the supervisor: two ports, one worker each. nginx has"
	echo "\`worker_connections 1024\` except for the $CONNS connections"
	echo "(\`$((CONNS + 500))\`): it preallocates them, hence its higher idle RSS there."
	echo
	echo "Commands: \`wrk -t1 -c64 -d${SECS}s http://127.0.0.1:PORT/\` (keep-alive) and"
	echo "\`wrk -t1 -c16 -H 'Connection: close' -d${SECS}s\` (a new connection per request),"
	echo "rounds alternating worker, nginx ($ROUNDS and $CROUNDS each). System calls per connection: the"
	echo "kernel's raw_syscalls:sys_exit tracepoint filtered to the server's pids, 1 s into a"
	echo "separate run of the second, every call divided by the accept4 calls that returned"
	echo "a connection; per call, 1 worker: ${SYS_W[mix_1]}; nginx: ${SYS_N[mix_1]};"
	echo "2 workers: ${SYS_W[mix_2]}; nginx: ${SYS_N[mix_2]}."
	echo "Servers: \`worker -q -p 127.0.0.1:PORT --max-connections $((CONNS + 500))\`;"
	echo "\`supervisor -q -w 2 -p 127.0.0.1:PORT\`; nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')"
	echo "\`-p DIR -c DIR/nginx.conf\` with \`worker_processes 1|2\`, \`access_log off\`,"
	echo "\`keepalive_requests 100000000\`, \`return 200 \"Hello World\\n\"\`;"
	echo "\`holdconns PORT $CONNS\`; \`lifecycle stop|cascade $LIFE SIG PORTS -- supervisor -q"
	echo "-p 127.0.0.1:P1 -p 127.0.0.1:P2\` and \`-- nginx -p DIR -c DIR/nginx.conf\`"
	echo "(tests/holdconns.c, tests/lifecycle.c; connect polled every 100 µs)."
	echo
	echo "Rolling restart under load, same run: 32 clients, $RESTARTS restarts 0.2 s apart"
	echo "(\`supervisor -w 2\` SIGHUP; nginx \`worker_processes 2\`, SIGHUP to its master as"
	echo "\`nginx -s reload\` sends), measured by \`loadclient load|close PORT 32 $RESTART_MS\`:"
	echo
	echo "| measure | worker | nginx |"
	echo "|---|---:|---:|"
	for mode in load close; do
		label=$([ $mode = load ] && echo "keep-alive" || echo "new connection per request")
		echo "| $label: requests completed during the restarts | $(kv w_${mode}_roll complete) | $(kv n_${mode}_roll complete) |"
		echo "| $label: non-2xx or malformed answers | $(kv w_${mode}_roll bad) | $(kv n_${mode}_roll bad) |"
		echo "| $label: connects refused | $(kv w_${mode}_roll refused) | $(kv n_${mode}_roll refused) |"
		echo "| $label: resets, or closes with a request unanswered | $(lost w_${mode}_roll) | $(lost n_${mode}_roll) |"
		echo "| $label: connect timeouts | $(kv w_${mode}_roll connect_timeout) | $(kv n_${mode}_roll connect_timeout) |"
		echo "| $label: latency p50 / p99, steady, ms | $(kv w_${mode}_steady p50_ms) / $(kv w_${mode}_steady p99_ms) | $(kv n_${mode}_steady p50_ms) / $(kv n_${mode}_steady p99_ms) |"
		echo "| $label: latency p50 / p99, during the restarts, ms | $(kv w_${mode}_roll p50_ms) / $(kv w_${mode}_roll p99_ms) | $(kv n_${mode}_roll p50_ms) / $(kv n_${mode}_roll p99_ms) |"
	done
	echo "| one restart, per worker, ms (median of $restarts_done) | $per_worker | – |"
	echo "| a broken build: restarts refused, of $((2 * RESTARTS)) | $refused | – |"
	echo "| a broken build: requests lost, keep-alive / per request | $(lost b_load) / $(lost b_close) | – |"
	echo "| a broken build: requests completed, keep-alive / per request | $(kv b_load complete) / $(kv b_close complete) | – |"
	echo
	echo "Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)),"
	echo "Linux $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load average at start $LOAD, commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TOP" diff --quiet HEAD -- worker supervisor 2>/dev/null || echo ' + local changes')."
} >"$OUT"
cat "$OUT"
