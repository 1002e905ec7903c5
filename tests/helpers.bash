# Shared by every bats file: load "helpers" in its setup.
# shellcheck disable=SC2034  # SUPERVISOR, WORKER, status: for the loaders
# Waits are on conditions (a port open, a pid gone), with generous upper
# bounds that only catch hangs: these machines are noisy.

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
SUPERVISOR="$TOP/supervisor/supervisor"
WORKER="$TOP/worker/worker"
# For failures injected with LD_PRELOAD (tests/inject.c): a worker that
# loads it.  ASan wants its runtime first unless told not to check.
WORKER_DYNAMIC="$TOP/build/worker-dynamic"
INJECT="$TOP/build/inject.so"
INJECT_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# The programs the tests drive, one per tests/*.c, built by make into
# build/tests/ before check-bats runs; a bats file run alone needs them
# built first: `make all test-tools` (need_tools says so when one is not).
# Exported: the scripts a test writes run them by name.
export RAWHTTP="$TOP/build/tests/rawhttp"	# raw bytes in, statuses out
export LOADCLIENT="$TOP/build/tests/loadclient"	# heavy and hostile clients
export HOLDER="$TOP/build/tests/holder"		# lends a listening socket
export NOTIFIER="$TOP/build/tests/notifier"	# sends READY=1 to $NOTIFY_SOCKET
export SIGIGN="$TOP/build/tests/sigign"		# runs a command, signals ignored

# need_tools PATH...: fail, saying how to build them, when a test program
# is missing or older than its source.
need_tools() {
	local t
	for t; do
		if [ ! -x "$t" ] || [ "$TOP/tests/${t##*/}.c" -nt "$t" ]; then
			echo "$t is missing or stale: run 'make all test-tools'" >&2
			return 1
		fi
	done
}

# A TCP port nothing on this machine listens on now, below the ephemeral
# range: a port that an outgoing connection holds cannot be bound either.
free_port() {
	local lo p
	read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 12000 ] || lo=32768
	while :; do
		# SRANDOM: RANDOM repeats in every $(...) from one shell
		p=$((10000 + SRANDOM % (lo - 10000)))
		if ! port_open "$p"; then
			echo "$p"
			return
		fi
	done
}

# public_dir: a new directory in /tmp that every user may enter and write
# to, for what a test runs as another user (--user nobody): the checkout
# and bats' own temporary directories may be private to root (a clone
# under /root, or in a 0700 directory).  The caller removes it.
public_dir() {
	local d
	d=$(mktemp -d -p /tmp supervisor-test.XXXXXX)
	chmod 1777 "$d"
	echo "$d"
}

# Whether $LOG (the test's log) has a line matching $1 (a grep pattern).
logged() { grep -q -- "$1" "$LOG"; }
# Whether it has none: fails too when $LOG cannot be read (refute_grep).
not_logged() { refute_grep -q -- "$1" "$LOG"; }

# log_ms PATTERN: when the first line of $LOG matching PATTERN was
# written, in ms since the epoch, from its timestamp (the stamp the
# programs write when their stderr is not the journal).
log_ms() {
	local line
	line=$(grep -m1 -- "$1" "$LOG") || return 1
	date -d "${line%% *}" +%s%3N
}

# Whether a datagram socket is bound to this path or abstract name.
receiver_bound() { ss -xlH 2>/dev/null | grep -qF -- "$1"; }

# close_fds_above_2: in a subshell about to exec, close every inherited
# descriptor but stdin, stdout and stderr, so that a test counting
# descriptors (ulimit -n) does not depend on what bats or CI left open.
close_fds_above_2() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	return 0
}

# kv KEY LINE: the value of KEY=VALUE in LINE (loadclient's figures).
kv() { local v=${2##*"$1="}; echo "${v%% *}"; }
# loadclient_errors LINE: every client-visible failure in loadclient's
# figures (refused, reset, unanswered, truncated, connect timeouts, non-2xx).
loadclient_errors() {
	local k n=0
	for k in refused reset unanswered truncated connect_timeout bad; do
		n=$((n + $(kv "$k" "$1")))
	done
	echo "$n"
}

# refute_grep GREP-ARGS...: fail unless grep selects no line.  A bare
# "! grep" line cannot fail a bats test (errexit ignores the status of a
# negated command), and a negation takes grep's status 2 (a missing file,
# a bad pattern) for "no match": only status 1 is one here.
refute_grep() {
	local rc=0
	grep "$@" || rc=$?
	case $rc in
	1) return 0 ;;
	0) echo "expected no match: grep $*" >&2 ;;
	*) echo "grep failed (status $rc): grep $*" >&2 ;;
	esac
	return 1
}

# wait_until SECONDS CMD...: poll CMD every 20 ms until it succeeds.
wait_until() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		if [ "$i" -gt $((limit * 50)) ]; then
			echo "timed out after ${limit}s waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# Whether something listens on TCP port $1 (any address), read from the
# kernel's tables rather than by connecting: a connect can fail for want of
# an ephemeral port while another test loads the machine.
port_open() {
	local hex
	hex=$(printf '%04X' "$1")
	grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port_closed() { ! port_open "$1"; }
pid_alive() { kill -0 "$1" 2>/dev/null && [ "$(proc_state "$1")" != Z ]; }
pid_gone() { ! pid_alive "$1"; }

# The one-letter state of a process from /proc (R, S, Z, ...), or nothing.
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	echo "${stat%% *}"
}

# Direct children of a pid, from /proc.
children_of() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}

# wait_exit PID SECONDS: wait for a background job of this shell to end and
# leave its exit status in $status; fails when it does not end in time.
wait_exit() {
	local pid=$1 limit=${2:-20}
	wait_until "$limit" pid_gone "$pid" || return 1
	status=0
	wait "$pid" || status=$?
}

# CPU ticks (user + system) a process has used so far.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13}))
}

# Pids of the processes running the program $WCOPY (a private copy of the
# worker, so that no other test's workers are counted).
our_workers() {
	local d
	for d in /proc/[0-9]*; do
		# -ef is a builtin: a readlink per process costs a fork each,
		# over a second a call with a machine's worth of processes.
		[ "$d/exe" -ef "$WCOPY" ] && echo "${d#/proc/}"
	done
	return 0
}
no_workers_left() { [ -z "$(our_workers)" ]; }
