#!/bin/bash
# make check-systemd: the supervisor under a real systemd.
#
# Boots systemd as PID 1 in a systemd-nspawn container on a cached Debian
# minbase tree, installs the freshly built binaries and unit with
# `make install DESTDIR=...` (bound read-only onto the container's
# /usr/local, over a throw-away overlay: the cache stays clean), and checks
# these scenarios, each with the shipped, sandboxed unit (a copy of it with
# a drop-in):
#   0. lint: systemd-analyze verify, and security exposure 2.0 or below
#   1. start: both ports answer, from a dynamic user with no capability;
#      stop: Result=success, status 0, quick
#   2. --fail-after 1: Result=exit-code, status 1, restarted (NRestarts >= 1)
#   3. KillMode=control-group: stop still succeeds, in-flight /sleep answered
#   4. Type=notify: active only once the ports answer (never, when a worker
#      cannot be executed); STOPPING=1 is seen
#   5. a worker that ignores SIGTERM dies at the supervisor's kill timeout,
#      before systemd's TimeoutStopSec
#   6. systemctl reload of the shipped unit (Type=notify, ExecReload): every
#      worker pid changes, a client loop gets 200 before, during and after,
#      the unit shows "reloading" and returns to "active", the stop after it
#      ends with Result=success
#   7. the watchdog down (the shipped WatchdogSec= and --watchdog): a worker
#      SIGSTOPped is aborted, the group exits 134, Restart=on-failure starts
#      the unit again and it serves
#   8. the watchdog up: an idle supervisor outlives WatchdogSec= (its
#      WATCHDOG=1 arrives); SIGSTOPped, systemd aborts it (Result=watchdog)
#      and restarts it, and it serves
#   9. systemctl restart of the shipped unit under load (tests/loadclient.c,
#      a new connection per request, then keep-alive): the sockets wait in
#      systemd's descriptor store, so a new MainPID and 0 refused, 0 reset,
#      0 unanswered; the same across a failure and Restart=on-failure; then
#      systemctl stop: Result=success
#  10. the same through a .socket unit in front of a copy of the unit
#
# Needs root, systemd-container (systemd-nspawn), util-linux (nsenter) and,
# the first time, debootstrap and Debian's archive. Without them, or when
# the container cannot boot, it prints "SKIP: reason" and exits 0.
#
# Environment:
#   SUPTEST_ROOTFS   cached root tree (default /var/cache/supervisor-systemd-test/bookworm)
#   SUPTEST_MIRROR   Debian mirror for debootstrap (default: apt's own)
#   SUPTEST_TIMEOUT  limit for the whole run, seconds (default 600)
#   SUPTEST_STRICT=1 a skip is a failure (exit 77), for CI that must run it
#   SUPTEST_KEEP=1   keep the work directory (logs, install tree)
#   SUPTEST_VERBOSE=1 print each unit's journal, not only on failure
#   SUPTEST_ONLY     the scenarios to run, by number ("1 6"; default all)

set -u -o pipefail

LIMIT=${SUPTEST_TIMEOUT:-600}
if [ -z "${SUPTEST_TIMED:-}" ]; then
	# The whole run is bounded; the EXIT trap still halts the container
	# because every step below is bounded too and the TERM is acted on
	# between steps.
	SUPTEST_TIMED=1 exec timeout --foreground -k 60 "$LIMIT" "$0" "$@"
fi

TOP=$(cd "$(dirname "$0")/.." && pwd)
SUITE=bookworm
ROOTFS=${SUPTEST_ROOTFS:-/var/cache/supervisor-systemd-test/$SUITE}
INCLUDE=systemd,systemd-sysv,dbus,procps
STAMP="debootstrap --variant=minbase --include=$INCLUDE $SUITE"
BIN=/usr/local/bin
LIBEXEC=/usr/local/libexec/prefork-supervisor
UNIT=prefork-supervisor.service
BUILDING=

WORK=
NSPAWN=
CPID=
CGROUPS=()
PASSED=0
FAILED=0

skip() {
	echo "SKIP: $*"
	if [ "${SUPTEST_STRICT:-}" = 1 ]; then
		exit 77
	fi
	exit 0
}

die() {
	echo "systemd.sh: $*" >&2
	exit 1
}

now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }

cleanup() {
	local rc=$? i d
	# A Ctrl-C reaches this script twice (from the terminal, and passed on
	# by timeout): the second must not cut the cleanup short.
	trap - EXIT
	trap '' INT TERM
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
		# SIGRTMIN+4 asks systemd for a clean poweroff.
		[ -n "$CPID" ] && kill -s SIGRTMIN+4 "$CPID" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$NSPAWN" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$NSPAWN" 2>/dev/null; then
			echo "container did not halt in 10 s: SIGKILL" >&2
			[ -n "$CPID" ] && kill -KILL "$CPID" 2>/dev/null
			sleep 1
			kill -KILL "$NSPAWN" 2>/dev/null
		fi
		wait "$NSPAWN" 2>/dev/null
	fi
	# A root tree half built when we were stopped: 245 MB nobody will use.
	[ -n "$BUILDING" ] && rm -rf --one-file-system "$BUILDING"
	for d in "${CGROUPS[@]}"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	if [ -n "$WORK" ]; then
		if [ "${SUPTEST_KEEP:-}" = 1 ]; then
			echo "work directory kept: $WORK" >&2
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "systemd.sh: interrupted (time limit ${LIMIT}s?)" >&2; exit 143' TERM

# --- preconditions ---------------------------------------------------------

[ "$(id -u)" = 0 ] || skip "not root (systemd-nspawn needs root)"
for c in systemd-nspawn nsenter timeout; do
	command -v "$c" >/dev/null ||
		skip "$c not found (apt-get install systemd-container util-linux coreutils)"
done
for f in supervisor/supervisor worker/worker supervisor/$UNIT; do
	[ -e "$TOP/$f" ] || die "$f missing: run make first"
done

WORK=$(mktemp -d /tmp/suptest.XXXXXX) || die "mktemp failed"

# --- the cached root file system -------------------------------------------

apt_mirror() {
	local m=
	if [ -n "${SUPTEST_MIRROR:-}" ]; then
		echo "$SUPTEST_MIRROR"
		return
	fi
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		m=$(awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
		m=$(awk '$1 == "deb" && !/security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

rootfs_ok() { [ "$(cat "$ROOTFS/.suptest-stamp" 2>/dev/null)" = "$STAMP" ]; }

ensure_rootfs() {
	local mirror tmp t0
	rootfs_ok && return 0
	command -v debootstrap >/dev/null ||
		skip "no cached root file system at $ROOTFS and debootstrap not found (apt-get install debootstrap)"
	mkdir -p "$(dirname "$ROOTFS")" || skip "cannot create $(dirname "$ROOTFS")"
	# One builder at a time; the others wait and use its result.
	exec 8>"$ROOTFS.lock"
	flock -w 400 8 || skip "timed out waiting for $ROOTFS.lock"
	if ! rootfs_ok; then
		mirror=$(apt_mirror)
		# Left by a build that was SIGKILLed (we hold the lock).
		rm -rf --one-file-system "$ROOTFS".tmp.*
		tmp="$ROOTFS.tmp.$$"
		BUILDING=$tmp
		echo "building $ROOTFS: $STAMP from $mirror (once; about a minute)"
		t0=$(now_ms)
		if ! timeout 400 debootstrap --variant=minbase --include="$INCLUDE" \
			"$SUITE" "$tmp" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
			tail -n 5 "$WORK/debootstrap.log"
			rm -rf --one-file-system "$tmp"
			skip "debootstrap of $SUITE from $mirror failed (log above)"
		fi
		echo "$STAMP" >"$tmp/.suptest-stamp"
		rm -rf --one-file-system "$ROOTFS"
		mv "$tmp" "$ROOTFS" || die "cannot move $tmp to $ROOTFS"
		BUILDING=
		echo "root file system built in $(secs $(($(now_ms) - t0))) s"
	fi
	exec 8>&-
}

# --- install and lint --------------------------------------------------------

install_tree() {
	make -C "$TOP" --no-print-directory install PREFIX=/usr/local \
		DESTDIR="$WORK/dest" >"$WORK/install.log" 2>&1 ||
		{ cat "$WORK/install.log"; die "make install DESTDIR=$WORK/dest failed"; }
	[ -x "$WORK/dest$BIN/supervisor" ] && [ -x "$WORK/dest$LIBEXEC/worker" ] ||
		die "make install did not install $BIN/supervisor and $LIBEXEC/worker"
	# The minbase tree has no sanitizer runtimes.
	if [[ $(ldd "$WORK/dest$BIN/supervisor" "$WORK/dest$LIBEXEC/worker" 2>/dev/null) == *lib[au][sb]san* ]]; then
		skip "the binaries are a SANITIZE=1 build, which the container cannot run (make clean first)"
	fi

	# Stubs for scenario 5, bound read-only on /opt/suptest.
	mkdir -p "$WORK/opt"
	cat >"$WORK/opt/stubborn-worker" <<-'EOF'
		#!/bin/bash
		# A worker that ignores SIGTERM, never serves, and leaves a child
		# behind: only the supervisor's SIGKILL to its process group ends it.
		trap '' TERM INT
		sleep 1000 &
		while :; do sleep 1; done
	EOF
	chmod 755 "$WORK/opt/stubborn-worker"
	# Scenario 6: a worker slow to become ready, so that the restart
	# lasts long enough to be seen; it execs the real one (same pid).
	cat >"$WORK/opt/slow-worker" <<-EOF
		#!/bin/sh
		sleep 0.4
		exec $LIBEXEC/worker "\$@"
	EOF
	chmod 755 "$WORK/opt/slow-worker"
	# Scenarios 9 and 10: the load, run inside the container.
	cp "$TOP/build/tests/loadclient" "$WORK/opt/loadclient" ||
		die "build/tests/loadclient missing: run make check-systemd"
}

# The unit as installed with real paths (PREFIX in the work directory, no
# DESTDIR), so that verify checks ExecStart and the man pages too; and its
# sandbox, which must keep `systemd-analyze security` at 2.0 or below.
lint_unit() {
	local out level unit="$WORK/lint/lib/systemd/system/$UNIT"
	if ! command -v systemd-analyze >/dev/null; then
		echo "SKIP lint: systemd-analyze not found"
		return
	fi
	if ! make -C "$TOP" --no-print-directory install PREFIX="$WORK/lint" \
		>"$WORK/lint.log" 2>&1; then
		fail_line 0 "lint" "make install PREFIX=$WORK/lint failed: $(tail -n 3 "$WORK/lint.log")"
		return
	fi
	out=$(MANPATH="$WORK/lint/share/man" systemd-analyze verify "$unit" 2>&1)
	if [ $? -ne 0 ] || [ -n "$out" ] || grep -q '@[A-Z]*@' "$unit"; then
		fail_line 0 "lint" "systemd-analyze verify $UNIT:" "$out"
		return
	fi
	out=$(systemd-analyze security --offline=yes "$unit" 2>&1)
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' <<<"$out")
	if [ -z "$level" ] || ! awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
		fail_line 0 "lint" "systemd-analyze security --offline=yes $UNIT: exposure ${level:-unknown} (want 2.0 or below)" \
			"$(grep -E '✗|Overall' <<<"$out" | head -n 20)"
	else
		pass_line 0 "lint" "systemd-analyze verify $UNIT: no output; security --offline=yes: exposure $level"
	fi
}

# --- the container -------------------------------------------------------------

# Each run in a cgroup of its own, so that parallel runs (and the host's
# other processes) do not share one with systemd-nspawn.
make_cgroups() {
	local name="suptest-$$" h d
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		set -- /sys/fs/cgroup
	else
		set -- /sys/fs/cgroup/unified /sys/fs/cgroup/systemd
	fi
	for h; do
		[ -w "$h/cgroup.procs" ] || continue
		# Left by a run that was SIGKILLed: rmdir fails on any still in use.
		for d in "$h"/suptest-*; do
			[ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null &&
				find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		if mkdir "$h/$name" 2>/dev/null; then
			CGROUPS+=("$h/$name")
		else
			echo "note: cannot create cgroup $h/$name; using the current one" >&2
		fi
	done
}

boot() {
	local i c t0 state deathsig=()
	make_cgroups
	# Should this script be SIGKILLed, nspawn gets a SIGTERM and powers the
	# container off rather than leaving it running.
	command -v setpriv >/dev/null && deathsig=(setpriv --pdeathsig TERM)
	t0=$(now_ms)
	(
		for c in "${CGROUPS[@]}"; do
			echo "$BASHPID" >"$c/cgroup.procs"
		done
		exec "${deathsig[@]}" systemd-nspawn --quiet --boot -D "$ROOTFS" -M "suptest-$$" \
			--register=no --keep-unit --volatile=overlay --private-network \
			--console=pipe \
			--bind-ro="$WORK/dest/usr/local:/usr/local" \
			--bind-ro="$WORK/opt:/opt/suptest" \
			</dev/null >"$WORK/nspawn.log" 2>&1
	) &
	NSPAWN=$!

	# The container's PID 1 is nspawn's child named systemd.
	for ((i = 0; i < 300; i++)); do
		[ -z "$CPID" ] && kill -0 "$NSPAWN" 2>/dev/null || break
		for c in $(cat /proc/"$NSPAWN"/task/*/children 2>/dev/null); do
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && CPID=$c
		done
		[ -n "$CPID" ] || sleep 0.1
	done
	if [ -z "$CPID" ]; then
		tail -n 20 "$WORK/nspawn.log"
		skip "the container did not start (systemd-nspawn output above)"
	fi
	# Nothing may be sent before boot is over: a halt sent earlier is lost.
	# systemctl needs PID 1's private socket first.
	for ((i = 0; i < 600; i++)); do
		[ -S "/proc/$CPID/root/run/systemd/private" ] && break
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	state=$(T=100 in_ct systemctl is-system-running --wait 2>&1)
	case $state in
	running | degraded) ;;
	*)
		tail -n 20 "$WORK/nspawn.log"
		in_ct systemctl --failed --no-pager 2>&1 | head -n 20
		skip "the container did not boot (is-system-running: ${state:-no answer})"
		;;
	esac
	echo "container booted in $(secs $(($(now_ms) - t0))) s ($state)"
}

# in_ct CMD...: run CMD inside the container, bounded by T seconds (30).
in_ct() { timeout -k 5 "${T:-30}" nsenter -t "$CPID" -a -r -w "$@"; }

# ct_write PATH < CONTENT: write a file inside the container.
ct_write() { in_ct sh -c 'mkdir -p "${1%/*}" && cat >"$1"' ct_write "$1"; }

# http PORT PATH [SECONDS]: a GET over bash's /dev/tcp inside the container
# (the minbase tree has no curl); prints the whole response.
http() {
	T=$((${3:-10} + 5)) in_ct bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" "$2" >&3
		timeout "$3" cat <&3' http "$1" "$2" "${3:-10}" 2>/dev/null
}

is_200() { [[ $1 == HTTP/1.?" 200"* ]]; }

# wait_http PORT: until GET /healthz answers 200 (20 s at most).
wait_http() {
	local i
	for ((i = 0; i < 100; i++)); do
		is_200 "$(http "$1" /healthz 2)" && return 0
		sleep 0.2
	done
	return 1
}

# sleep_request PORT MS FILE: GET /sleep?ms=MS in the background, the
# response in FILE and how long it took in FILE.ms; returns once the
# request is in flight (sent 0.5 s ago).
CLIENT=
sleep_request() {
	(
		t=$(now_ms)
		http "$1" "/sleep?ms=$2" $(($2 / 1000 + 15)) >"$3"
		echo $(($(now_ms) - t)) >"$3.ms"
	) &
	CLIENT=$!
	sleep 0.5
}

# sleep_answered FILE MS: the in-flight request got its whole answer, and
# only after the time it asked for (a drain must not cut it short).
sleep_answered() {
	local r ms
	wait "$CLIENT"
	r=$(cat "$1")
	ms=$(cat "$1.ms" 2>/dev/null)
	is_200 "$r" && [[ $r == *"slept $2 ms"* ]] ||
		bad "in-flight GET /sleep?ms=$2 answered: '${r:0:120}'"
	[ "${ms:-0}" -ge $(($2 - 100)) ] ||
		bad "in-flight GET /sleep?ms=$2 answered after ${ms:-?} ms"
}

# Unit properties, read with one `systemctl show` into P[...].
declare -A P
JOURNAL_NOTICE=0
PROPS=(Result ExecMainStatus ExecMainCode NRestarts ActiveState SubState Type KillMode TimeoutStopUSec)
show() {
	local line
	P=()
	while IFS= read -r line; do
		P[${line%%=*}]=${line#*=}
	done < <(in_ct systemctl show "${PROPS[@]/#/-p}" "$1")
}
props() { echo "Result=${P[Result]-} ExecMainStatus=${P[ExecMainStatus]-} NRestarts=${P[NRestarts]-} ActiveState=${P[ActiveState]-}"; }

# --- scenario bookkeeping --------------------------------------------------------

BAD=()
bad() { BAD+=("$*"); }
want() { # want KEY VALUE: the last show must have KEY=VALUE
	[ "${P[$1]-}" = "$2" ] || bad "$1=${P[$1]-} (want $2)"
}

pass_line() {
	echo "PASS $1 $2: $3"
	PASSED=$((PASSED + 1))
}
fail_line() {
	local n=$1 title=$2
	shift 2
	echo "FAIL $n $title: $1"
	shift
	printf '    %s\n' "$@"
	FAILED=$((FAILED + 1))
}

# finish N TITLE UNIT NOTE: report the scenario from BAD and the last show.
finish() {
	local n=$1 title=$2 unit=$3 note=$4
	if [ ${#BAD[@]} -eq 0 ]; then
		pass_line "$n" "$title" "$(props) ($note)"
	else
		fail_line "$n" "$title" "$(props) ($note)" "${BAD[@]}"
	fi
	if [ ${#BAD[@]} -ne 0 ] || [ "${SUPTEST_VERBOSE:-}" = 1 ]; then
		echo "    journal of $unit:"
		in_ct journalctl -u "$unit" -o short-monotonic --no-pager -n 40 2>&1 |
			sed 's/^/      /'
	fi
	BAD=()
}

# Lines systemd writes when it, not the supervisor, had to kill something.
no_systemd_kill() {
	local j
	j=$(in_ct journalctl -u "$1" -o cat --no-pager 2>&1 |
		grep -E "timed out\. (Killing|Terminating)|Killing process [0-9]+ .* with signal SIGKILL|remains running after unit stopped")
	[ -z "$j" ] || bad "systemd had to kill: $j"
}

# SPEC, Logging: on the journal a line carries a <N> priority prefix, which
# journald strips, and no name or pid of its own (the journal adds both).
journal_format() {
	local j
	j=$(in_ct journalctl -u "$1" -o cat --no-pager SYSLOG_IDENTIFIER=supervisor 2>&1 |
		grep -E '^<[0-7]>|^(supervisor|worker)(\[[0-9]+\])?: ' | head -n 3)
	[ -z "$j" ] || bad "journal lines with a raw <N> or their own name: $j"
	# Lines above info prove the <N> prefix is parsed (information only).
	JOURNAL_NOTICE=$(in_ct journalctl -u "$1" -o cat --no-pager -p notice \
		SYSLOG_IDENTIFIER=supervisor 2>/dev/null | wc -l)
}

# --- units ------------------------------------------------------------------------

# Every scenario unit is a copy of the installed unit with a drop-in, so the
# shipped KillMode, TimeoutStopSec and Restart are what is tested. Each is
# wanted by multi-user.target: a unit that stopped cleanly would otherwise
# be unloaded, and `systemctl show` would print defaults.
setup_units() {
	local shipped=/usr/local/lib/systemd/system/$UNIT u
	in_ct grep -q "^ExecStart=$BIN/supervisor" "$shipped" ||
		die "installed $shipped does not start $BIN/supervisor"
	for u in sup-fail sup-cg sup-notify sup-notify-bad sup-stubborn sup-reload sup-sock; do
		in_ct cp "$shipped" "/etc/systemd/system/$u.service" || die "cp $u"
	done
	ct_write /etc/systemd/system/sup-fail.service.d/test.conf <<-EOF
		[Service]
		ExecStart=
		ExecStart=$BIN/supervisor --port 8890 --fail-after 1 --drain-timeout 1
		# Room to observe the auto-restart state between two failures.
		RestartSec=2s
	EOF
	ct_write /etc/systemd/system/sup-cg.service.d/test.conf <<-EOF
		[Service]
		KillMode=control-group
		ExecStart=
		ExecStart=$BIN/supervisor --port 8891 --port 8892 --drain-timeout 5 --kill-timeout 10
	EOF
	ct_write /etc/systemd/system/sup-notify.service.d/test.conf <<-EOF
		[Service]
		Type=notify
		NotifyAccess=main
		TimeoutStartSec=20
		ExecStart=
		ExecStart=$BIN/supervisor --port 8893 --port 8894 --drain-timeout 5
	EOF
	ct_write /etc/systemd/system/sup-notify-bad.service.d/test.conf <<-EOF
		[Service]
		Type=notify
		NotifyAccess=main
		TimeoutStartSec=20
		Restart=no
		ExecStart=
		ExecStart=$BIN/supervisor --port 8896 --worker /nonexistent/worker
	EOF
	ct_write /etc/systemd/system/sup-stubborn.service.d/test.conf <<-EOF
		[Service]
		ExecStart=
		ExecStart=$BIN/supervisor --port 8895 --ready exec --worker /opt/suptest/stubborn-worker --drain-timeout 1 --kill-timeout 3
	EOF
	# The shipped Type=notify and ExecReload, with the slow worker.
	ct_write /etc/systemd/system/sup-reload.service.d/test.conf <<-EOF
		[Service]
		ExecStart=
		ExecStart=$BIN/supervisor --port 8897 --port 8898 --workers 2 --worker /opt/suptest/slow-worker
	EOF
	# Scenario 10: the ports from a .socket unit, the service named after
	# it (so it gets them); with no --port it serves exactly those.
	ct_write /etc/systemd/system/sup-sock.socket <<-EOF
		[Socket]
		ListenStream=8899
		ListenStream=127.0.0.1:8900
		Backlog=4096
	EOF
	ct_write /etc/systemd/system/sup-sock.service.d/test.conf <<-EOF
		[Unit]
		Requires=sup-sock.socket
		After=sup-sock.socket
		[Service]
		ExecStart=
		ExecStart=$BIN/supervisor --drain-timeout 5 --kill-timeout 10
	EOF
	in_ct mkdir -p /etc/systemd/system/multi-user.target.wants
	in_ct ln -sf "$shipped" /etc/systemd/system/multi-user.target.wants/ || die "ln"
	for u in sup-fail sup-cg sup-notify sup-notify-bad sup-stubborn sup-reload sup-sock; do
		in_ct ln -sf "/etc/systemd/system/$u.service" \
			/etc/systemd/system/multi-user.target.wants/ || die "ln $u"
	done
	in_ct systemctl daemon-reload || die "daemon-reload failed"
}

# Scenarios 7 and 8, the watchdog: copies of the shipped unit too.
setup_watchdog_units() {
	local shipped=/usr/local/lib/systemd/system/$UNIT u
	for u in sup-wd-worker sup-wd-sup; do
		in_ct cp "$shipped" "/etc/systemd/system/$u.service" || die "cp $u"
		in_ct ln -sf "/etc/systemd/system/$u.service" \
			/etc/systemd/system/multi-user.target.wants/ || die "ln $u"
	done
	# The shipped WatchdogSec and --watchdog, quicker timeouts.
	ct_write /etc/systemd/system/sup-wd-worker.service.d/test.conf <<-EOF
		[Service]
		ExecStart=
		ExecStart=$BIN/supervisor --port 8911 --workers 2 --watchdog 2 --drain-timeout 1 --kill-timeout 3
		RestartSec=2s
	EOF
	# WatchdogSec above --watchdog plus the kill timeout, as it must be.
	ct_write /etc/systemd/system/sup-wd-sup.service.d/test.conf <<-EOF
		[Service]
		ExecStart=
		ExecStart=$BIN/supervisor --port 8913 --watchdog 1 --drain-timeout 1 --kill-timeout 1
		WatchdogSec=3
		RestartSec=2s
	EOF
	in_ct systemctl daemon-reload || die "daemon-reload failed"
}

# wait_substate UNIT STATE SECONDS: until the unit is in STATE, its
# properties then in P[...].
wait_substate() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		show "$1"
		[ "${P[SubState]-}" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# --- the scenarios ---------------------------------------------------------------

scenario1() {
	local u=$UNIT p r t0 dt=0 pid st
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	for p in 8888 8889; do
		wait_http "$p" || bad "port $p: no 200 on /healthz within 20 s"
		r=$(http "$p" /)
		is_200 "$r" && [[ $r == *"Hello World"* ]] ||
			bad "port $p: GET / answered: ${r:0:80}"
	done
	# The sandbox is what runs: a user made for the unit, no capability.
	pid=$(in_ct systemctl show -p MainPID --value "$u")
	st=$(in_ct cat "/proc/$pid/status" 2>/dev/null)
	local uid cap
	uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' <<<"$st")
	cap=$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$st")
	[ -n "$uid" ] && [ "$uid" -ne 0 ] ||
		bad "the supervisor (pid $pid) runs as uid ${uid:-?}, not a dynamic user"
	[[ $cap =~ ^0+$ ]] || bad "the supervisor's CapEff is ${cap:-?}, not empty"
	t0=$(now_ms)
	in_ct systemctl stop "$u" || bad "systemctl stop $u failed"
	dt=$(($(now_ms) - t0))
	show "$u"
	want Result success
	want ExecMainStatus 0
	want ExecMainCode 1 # exited, not killed
	want ActiveState inactive
	want Type notify
	want KillMode mixed
	# Idle, the stop must not wait for the 5 s drain timeout.
	[ "$dt" -lt 2500 ] || bad "idle stop took $(secs "$dt") s (drain timeout is 5 s)"
	no_systemd_kill "$u"
	journal_format "$u"
	finish 1 "start/stop" "$u" "GET / on 8888 8889 from uid ${uid:-?}, CapEff ${cap:-?}; idle stop took $(secs "$dt") s; $JOURNAL_NOTICE journal lines at notice or above"
}

scenario2() {
	local u=sup-fail.service i
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	# Caught between a failure and the restart after it: by then the
	# first failure has been restarted once already.
	for ((i = 0; i < 150; i++)); do
		show "$u"
		[ "${P[SubState]-}" = auto-restart ] && [ "${P[NRestarts]:-0}" -ge 1 ] && break
		sleep 0.2
	done
	want Result exit-code
	want ExecMainStatus 1
	want SubState auto-restart
	[ "${P[NRestarts]:-0}" -ge 1 ] || bad "NRestarts=${P[NRestarts]-} (want >= 1)"
	finish 2 "fail-after" "$u" "restarted by Restart=on-failure, SubState=${P[SubState]-}"
	in_ct systemctl stop "$u"
}

scenario3() {
	local u=sup-cg.service p t0 dt=0
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	for p in 8891 8892; do
		wait_http "$p" || bad "port $p: no 200 on /healthz within 20 s"
	done
	sleep_request 8891 2000 "$WORK/s3.out"
	t0=$(now_ms)
	in_ct systemctl stop "$u" || bad "systemctl stop $u failed"
	dt=$(($(now_ms) - t0))
	sleep_answered "$WORK/s3.out" 2000
	show "$u"
	want Result success
	want ExecMainStatus 0
	want ActiveState inactive
	want KillMode control-group
	no_systemd_kill "$u"
	finish 3 "KillMode=control-group" "$u" "in-flight /sleep?ms=2000 during the stop; stop took $(secs "$dt") s"
}

scenario4() {
	local u=sup-notify.service p r t0 dt=0 i seen=
	t0=$(now_ms)
	in_ct systemctl start "$u" || bad "systemctl start $u failed (no READY=1?)"
	dt=$(($(now_ms) - t0))
	show "$u"
	want ActiveState active
	want Type notify
	# No waiting here: once start returned, the ports must answer.
	for p in 8893 8894; do
		r=$(http "$p" /)
		is_200 "$r" || bad "port $p right after start: '${r:0:80}'"
	done
	# SIGTERM from outside systemd: only the supervisor's STOPPING=1 can
	# move the unit to deactivating while a request is still in flight.
	sleep_request 8893 3000 "$WORK/s4.out"
	in_ct systemctl kill --kill-who=main -s SIGTERM "$u" || bad "systemctl kill failed"
	for ((i = 0; i < 20; i++)); do
		show "$u"
		if [ "${P[ActiveState]-}" = deactivating ]; then
			seen="${P[ActiveState]}/${P[SubState]}"
			break
		fi
		[ "${P[ActiveState]-}" = active ] || break
		sleep 0.1
	done
	[ -n "$seen" ] || bad "no deactivating state during the drain (STOPPING=1 not sent?): ActiveState=${P[ActiveState]-}"
	sleep_answered "$WORK/s4.out" 3000
	for ((i = 0; i < 100; i++)); do
		show "$u"
		[ "${P[ActiveState]-}" = inactive ] && break
		sleep 0.1
	done
	want Result success
	want ExecMainStatus 0
	want ActiveState inactive
	# A worker that cannot be executed: no READY=1, so the start fails and
	# the unit is never active.
	if in_ct systemctl start sup-notify-bad.service 2>/dev/null; then
		bad "sup-notify-bad.service (--worker /nonexistent/worker) started"
	fi
	r=$(in_ct systemctl show -p ActiveEnterTimestampMonotonic -p Result sup-notify-bad.service | tr '\n' ' ')
	[[ $r == *ActiveEnterTimestampMonotonic=0* ]] ||
		bad "sup-notify-bad.service was active once: $r"
	# And through systemctl: started again, stopped, a clean result.
	in_ct systemctl start "$u" || bad "second systemctl start $u failed"
	in_ct systemctl stop "$u" || bad "systemctl stop $u failed"
	show "$u"
	want Result success
	want ExecMainStatus 0
	want ActiveState inactive
	finish 4 "Type=notify" "$u" "start returned in $(secs "$dt") s, then GET / on 8893 8894; start with an unrunnable worker tried; STOPPING=1 seen as ${seen:-nothing}"
}

scenario5() {
	local u=sup-stubborn.service t0 dt=0 i left
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	for ((i = 0; i < 100; i++)); do
		in_ct pgrep -f "sleep 1000" >/dev/null && break
		sleep 0.2
	done
	t0=$(now_ms)
	in_ct systemctl stop "$u" || bad "systemctl stop $u failed"
	dt=$(($(now_ms) - t0))
	show "$u"
	# The supervisor exits by itself after its SIGKILL; the status is that
	# of a worker killed by SIGKILL (128 + 9).
	want Result exit-code
	want ExecMainCode 1
	want ExecMainStatus 137
	want ActiveState failed
	want TimeoutStopUSec 15s
	[ "$dt" -ge 2500 ] || bad "stop took $(secs "$dt") s, before the 3 s kill timeout"
	[ "$dt" -lt 14000 ] || bad "stop took $(secs "$dt") s: systemd's TimeoutStopSec=15 s, not the supervisor, ended it"
	left=$(in_ct pgrep -af 'stubborn-worker|sleep 1000')
	[ -z "$left" ] || bad "left running: $left"
	no_systemd_kill "$u"
	finish 5 "SIGTERM ignored" "$u" "stop took $(secs "$dt") s: kill timeout 3 s < TimeoutStopSec 15 s"
}

# Worker pids in the container, sorted, on one line.
ct_workers() { in_ct pgrep -x worker | sort -n | tr '\n' ' '; }

scenario6() {
	local u=sup-reload.service p before after i seen='' back='' lines ok
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	for p in 8897 8898; do
		wait_http "$p" || bad "port $p: no 200 on /healthz within 20 s"
	done
	before=$(ct_workers)
	# A client loop across the reload: a new connection per request.
	T=60 in_ct bash -c '
		for i in $(seq 200); do
			for p in 8897 8898; do
				if ! exec 3<>"/dev/tcp/127.0.0.1/$p"; then
					echo "$p refused"; continue
				fi
				printf "GET / HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n" >&3
				read -r -t 5 line <&3 || line=none
				echo "$p ${line%$'"'"'\r'"'"'}"
				exec 3<&-
			done
			sleep 0.01
		done' >"$WORK/s6.client" 2>&1 &
	local client=$!
	sleep 0.3
	in_ct systemctl reload --no-block "$u" || bad "systemctl reload $u failed"
	for ((i = 0; i < 200; i++)); do
		show "$u"
		[ "${P[ActiveState]-}" = reloading ] && seen=1
		if [ -n "$seen" ] && [ "${P[ActiveState]-}" = active ]; then
			back=1
			break
		fi
		sleep 0.05
	done
	[ -n "$seen" ] || bad "never seen reloading (RELOADING=1 not sent?)"
	[ -n "$back" ] || bad "not active again after the reload: ${P[ActiveState]-}"
	wait "$client"
	after=$(ct_workers)
	lines=$(wc -l <"$WORK/s6.client")
	ok=$(grep -c ' HTTP/1.1 200 OK$' "$WORK/s6.client")
	[ "$lines" -eq 400 ] && [ "$ok" -eq 400 ] ||
		bad "client loop: $ok of $lines answered 200: $(grep -v ' 200 OK$' "$WORK/s6.client" | sort | uniq -c | head -3 | tr '\n' ' ')"
	[ "$(echo "$after" | wc -w)" -eq 4 ] || bad "after the reload: workers $after"
	for p in $before; do
		[[ " $after " != *" $p "* ]] || bad "worker $p survived the reload"
	done
	in_ct journalctl -u "$u" --no-pager -o cat | grep -q 'restart: replaced 4 of 4' ||
		bad "no 'restart: replaced 4 of 4' in the journal"
	in_ct systemctl stop "$u" || bad "systemctl stop $u failed"
	show "$u"
	want Result success
	want ExecMainStatus 0
	want ActiveState inactive
	finish 6 "reload" "$u" "workers $before-> $after; $ok of $lines requests 200 across the reload; reloading seen, then active"
}

scenario7() {
	local u=sup-wd-worker.service wd main w t0 dt_exit=0 dt_serve=0 line
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	# Loaded now (a unit never started may show defaults): the copy
	# carries the shipped WatchdogSec=.
	wd=$(in_ct systemctl show -p WatchdogUSec --value "$u")
	[ "$wd" = 20s ] || bad "the shipped unit's WatchdogUSec=$wd (want 20s)"
	wait_http 8911 || bad "port 8911: no 200 on /healthz within 20 s"
	main=$(in_ct systemctl show -p MainPID --value "$u")
	w=$(in_ct pgrep -o -P "$main" -x worker)
	t0=$(now_ms)
	in_ct kill -STOP "$w" || bad "cannot SIGSTOP worker ${w:-?}"
	wait_substate "$u" auto-restart 30 || bad "no auto-restart within 30 s"
	dt_exit=$(($(now_ms) - t0))
	want Result exit-code
	want ExecMainStatus 134
	local failed="Result=${P[Result]-} ExecMainStatus=${P[ExecMainStatus]-}"
	wait_http 8911 || bad "port 8911: not serving again within 20 s"
	dt_serve=$(($(now_ms) - t0))
	show "$u"
	want ActiveState active
	[ "${P[NRestarts]:-0}" -ge 1 ] || bad "NRestarts=${P[NRestarts]-} (want >= 1)"
	line=$(in_ct journalctl -u "$u" -o cat --no-pager | grep -m1 "pid=$w is hung")
	[ -n "$line" ] || bad "no 'pid=$w is hung' line in the journal"
	finish 7 "hung worker" "$u" "WatchdogUSec=$wd; worker $w SIGSTOPped: auto-restart with $failed after $(secs "$dt_exit") s, serving again after $(secs "$dt_serve") s; '$line'"
	in_ct systemctl stop "$u"
}

scenario8() {
	local u=sup-wd-sup.service main t0 dt_exit=0 dt_serve=0 line
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	wait_http 8913 || bad "port 8913: no 200 on /healthz within 20 s"
	main=$(in_ct systemctl show -p MainPID --value "$u")
	# Longer than WatchdogSec=3: only the supervisor's WATCHDOG=1 keeps
	# it running.
	sleep 4.5
	show "$u"
	want ActiveState active
	want NRestarts 0
	[ "$(in_ct systemctl show -p MainPID --value "$u")" = "$main" ] ||
		bad "the supervisor changed during 4.5 s idle: its WATCHDOG=1 did not reach systemd"
	t0=$(now_ms)
	in_ct kill -STOP "$main" || bad "cannot SIGSTOP the supervisor ${main:-?}"
	wait_substate "$u" auto-restart 30 || bad "no auto-restart within 30 s"
	dt_exit=$(($(now_ms) - t0))
	want Result watchdog
	local failed="Result=${P[Result]-} ExecMainCode=${P[ExecMainCode]-} ExecMainStatus=${P[ExecMainStatus]-}"
	wait_http 8913 || bad "port 8913: not serving again within 20 s"
	dt_serve=$(($(now_ms) - t0))
	show "$u"
	want ActiveState active
	[ "${P[NRestarts]:-0}" -ge 1 ] || bad "NRestarts=${P[NRestarts]-} (want >= 1)"
	line=$(in_ct journalctl -u "$u" -o cat --no-pager | grep -m1 -i "watchdog timeout")
	[ -n "$line" ] || bad "no 'watchdog timeout' line from systemd in the journal"
	finish 8 "hung supervisor" "$u" "idle 4.5 s with WatchdogSec=3 kept; SIGSTOPped: auto-restart with $failed after $(secs "$dt_exit") s, serving again after $(secs "$dt_serve") s; '$line'"
	in_ct systemctl stop "$u"
}

# restart_under_load UNIT PORT MODE [fail]: loadclient MODE (close: a new
# connection per request; load: keep-alive) on PORT for 4 s, 8 clients,
# `systemctl restart UNIT` one second in, or with "fail" a failure: the
# workers told to stop from outside, which the supervisor counts as a
# failure (exit 1), and Restart=on-failure starts it again after
# RestartSec=1s.  Appends "MODE: figures" to NOTE and a bad line for any
# client error or an unchanged MainPID.
restart_under_load() {
	local u=$1 port=$2 mode=$3 how=${4:-restart} pid0 pid1 k v err=
	local out="$WORK/load.$1.$3.$how"
	pid0=$(in_ct systemctl show -p MainPID --value "$u")
	T=60 in_ct /opt/suptest/loadclient "$mode" "$port" 8 4000 >"$out" 2>&1 &
	local client=$!
	sleep 1
	if [ "$how" = fail ]; then
		in_ct pkill -TERM -P "$pid0" -x worker || bad "no worker of $pid0 to stop"
	else
		T=60 in_ct systemctl restart "$u" || bad "systemctl restart $u failed"
	fi
	wait "$client" || bad "loadclient $mode failed: $(cat "$out")"
	pid1=$(in_ct systemctl show -p MainPID --value "$u")
	[ "$pid1" != "$pid0" ] && [ "${pid1:-0}" != 0 ] ||
		bad "$mode: MainPID $pid0 -> $pid1, not a new supervisor"
	for k in refused reset unanswered truncated connect_timeout bad; do
		v=$(sed -n "s/.*\b$k=\([0-9]*\).*/\1/p" "$out")
		[ "${v:-x}" = 0 ] || err="$err $k=${v:-?}"
	done
	v=$(sed -n 's/.*\bcomplete=\([0-9]*\).*/\1/p' "$out")
	[ "${v:-0}" -gt 0 ] || err="$err complete=${v:-?}"
	[ -z "$err" ] || bad "$mode across the $how:$err ($(cat "$out"))"
	NOTE="$NOTE${NOTE:+ }$mode${4:+ after a failure}: $(grep -o 'complete=[0-9]* .*reset=[0-9]* unanswered=[0-9]* refused=[0-9]*' "$out");"
}

scenario9() {
	local u=$UNIT p j
	NOTE=
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	for p in 8888 8889; do
		wait_http "$p" || bad "port $p: no 200 on /healthz within 20 s"
	done
	restart_under_load "$u" 8888 close
	restart_under_load "$u" 8889 load
	restart_under_load "$u" 8888 close fail
	# The three supervisors after the first took the stored sockets back.
	j=$(in_ct journalctl -u "$u" --no-pager -o cat | grep -c 'serving \*:8888 on the passed socket')
	[ "$j" -ge 3 ] || bad "the stored socket of 8888 taken back $j times (want 3)"
	show "$u"
	[ "${P[NRestarts]:-0}" -eq 1 ] || bad "NRestarts=${P[NRestarts]-} after the failure (want 1)"
	in_ct systemctl stop "$u" || bad "systemctl stop $u failed"
	show "$u"
	want Result success
	want ExecMainStatus 0
	want ActiveState inactive
	no_systemd_kill "$u"
	finish 9 "restart, descriptor store" "$u" "${NOTE%;}"
}

scenario10() {
	local u=sup-sock.service p j
	NOTE=
	in_ct systemctl start sup-sock.socket || bad "systemctl start sup-sock.socket failed"
	in_ct systemctl start "$u" || bad "systemctl start $u failed"
	for p in 8899 8900; do
		wait_http "$p" || bad "port $p: no 200 on /healthz within 20 s"
	done
	restart_under_load "$u" 8899 close
	restart_under_load "$u" 8900 load
	j=$(in_ct journalctl -u "$u" --no-pager -o cat | grep -c 'serving \[::\]:8899 on the passed socket')
	[ "$j" -ge 3 ] || bad "the .socket unit's 8899 served $j times (want 3)"
	# systemd warns that the socket can still start it: it is the point.
	in_ct systemctl stop "$u" 2>/dev/null || bad "systemctl stop $u failed"
	show "$u"
	want Result success
	want ExecMainStatus 0
	want ActiveState inactive
	no_systemd_kill "$u"
	in_ct systemctl stop sup-sock.socket
	finish 10 ".socket unit restart" "$u" "${NOTE%;}"
}

# --- main --------------------------------------------------------------------------

T_START=$(now_ms)
ensure_rootfs
install_tree
lint_unit
boot
setup_units
setup_watchdog_units
for n in 1 2 3 4 5 6 7 8 9 10; do
	[[ " ${SUPTEST_ONLY:-$n} " == *" $n "* ]] && "scenario$n"
done
echo "total $(secs $(($(now_ms) - T_START))) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
