# Shared by every bats file: load "helpers" in its setup.
# Waits are on conditions (a port open, a pid gone), with generous upper
# bounds that only catch hangs: these machines are noisy.

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
SUPERVISOR="$TOP/supervisor/supervisor"
WORKER="$TOP/worker/worker"

# A TCP port nothing on 127.0.0.1 listens on now.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
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

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
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
