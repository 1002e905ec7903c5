#!/usr/bin/env bats
# The supervisor against stub workers: flags, cascades, signals, reaping.

setup_file() {
	load helpers
	need_tools "$SIGIGN"
}

setup() {
	load supervisor_lib
	sup_setup
}

teardown() { sup_teardown; }

@test "--help lists every flag and exits 0; --version too" {
	run "$SUPERVISOR" --help
	[ "$status" -eq 0 ]
	for f in port workers fail-after drain-timeout kill-timeout worker user \
	         ready ready-timeout stop-signal quiet verbose help version; do
		[[ "$output" == *"--$f"* ]]
	done
	run "$SUPERVISOR" -V
	[ "$status" -eq 0 ]
	[[ "$output" == "supervisor "[0-9]* ]]
}

@test "a bad flag or value: one line, the usage hint, exit 2, nothing started" {
	for args in "--bogus" "-w 0" "-w x" "-f abc" "-d -1" "-k 1s" \
	            "-p 70000" "-p :80" "-p 1.2.3:80" "-p [::1]" "extra" \
	            "-r maybe" "-t 0" "--stop-signal FOO" "--stop-signal 0" \
	            "--stop-signal KILL" "--stop-signal 32" "--" "-- /bin/true" \
	            "-u -- /bin/true"; do
		# shellcheck disable=SC2086
		run "$SUPERVISOR" -W "$STUB" -p "127.0.0.1:$PORT" $args
		echo "$args -> $status: $output"
		[ "$status" -eq 2 ]
		[[ "${lines[0]}" == "supervisor: "* ]]
		[[ "${lines[1]}" == "usage: supervisor "* ]]
	done
	[ "$(stub_count)" -eq 0 ]
	port_closed "$PORT"
}

@test "children get LISTEN_FDS, their own pid, fd 3 only, own process group" {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2 -d 2.5
	wait_until 10 stubs_started 2
	for p in $(stub_pids); do
		grep -qx "LISTEN_PID=$p" "$STUB_DIR/env.$p"
		grep -qx "LISTEN_FDS=1" "$STUB_DIR/env.$p"
		[ "$(grep -vx 255 "$STUB_DIR/fds.$p" | sort -n | tr "\n" " ")" = "0 1 2 3 " ]
		# field 5 of /proc/PID/stat is the process group
		stat=$(cat "/proc/$p/stat"); stat=${stat##*) }
		[ "$(echo "$stat" | cut -d' ' -f3)" = "$p" ]
		[ "$(cat /proc/$p/cmdline | tr '\0' ' ')" = \
		  "/bin/bash $STUB --drain-timeout 2.500 " ]
	done
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "the socket is bound before any child and the port accepts at once" {
	STUB_PROBE_PORT=$PORT start_sup -W "$STUB" -p "127.0.0.1:$PORT"
	wait_until 10 stubs_started 1
	[ "$(cat "$STUB_DIR/probe.$(stub_pids)")" = open ]
	stop_sup TERM
	[ "$status" -eq 0 ]
	port_closed "$PORT"
}

@test "children start with default signal state whatever was ignored before" {
	# A shell starts background jobs with SIGINT ignored; sigign ignores
	# every signal it can, glibc's reserved 32 and 33 too.  (SIGCHLD is
	# left alone: ignoring it would make sigign itself reap.)
	STUB_EXEC_SLEEP=1 "$SIGIGN" "$SUPERVISOR" -r exec -W "$STUB" -p "127.0.0.1:$PORT" \
		2>"$LOG" 3>&- &
	SUP=$!
	wait_until 10 stubs_started 1
	p=$(stub_pids)
	wait_until 10 grep -q '^Name:.*sleep' "/proc/$p/status"
	grep '^Sig' "/proc/$p/status"
	grep -q '^SigBlk:.0*$' "/proc/$p/status"
	grep -q '^SigIgn:.0*$' "/proc/$p/status"
	stop_sup INT
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q 'stopping: SIGINT' "$LOG"
}

@test "cascade: --fail-after stops every worker, exit 1" {
	check_fail_after_cascade
}

@test "cascade: a killed worker stops the rest, exit 128+9" {
	check_killed_worker_cascade
}

@test "SIGTERM: every child stopped, exit 0" {
	check_sigterm_stop
}

@test "a worker that exits 0 on its own is a failure: exit 1" {
	check_unasked_exit_zero
}

@test "a worker's own exit status is the supervisor's" {
	STUB_EXIT=3 STUB_AFTER=1 start_sup -W "$STUB" -p "127.0.0.1:$PORT"
	wait_exit "$SUP" 30
	[ "$status" -eq 3 ]
}

@test "a failure while stopping decides the status" {
	STUB_ON_TERM=exit4 start_sup -W "$STUB" -p "127.0.0.1:$PORT"
	wait_until 10 stubs_started 1
	stop_sup TERM
	[ "$status" -eq 4 ]
}

@test "kill timeout: a worker ignoring SIGTERM is SIGKILLed, exit 137" {
	check_kill_timeout
}

@test "double SIGINT kills every child at once" {
	STUB_ON_TERM=ignore start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2 -k 60
	wait_until 10 stubs_started 2
	kill -INT "$SUP"
	wait_until 10 grep -q 'sent SIGTERM' "$LOG"
	kill -INT "$SUP"
	wait_exit "$SUP" 20	# far below the 60 s kill timeout
	cat "$LOG"
	grep -q 'second SIGINT' "$LOG"
	[ "$status" -eq 137 ]
	all_stubs_gone
}

@test "repeated SIGTERM, and SIGHUP while stopping, are logged and ignored" {
	STUB_ON_TERM=ignore start_sup -W "$STUB" -p "127.0.0.1:$PORT" -k 1
	wait_until 10 stubs_started 1
	kill -TERM "$SUP"
	wait_until 10 grep -q 'sent SIGTERM' "$LOG"
	kill -HUP "$SUP"
	wait_until 10 grep -q 'SIGHUP ignored: stopping' "$LOG"
	kill -TERM "$SUP"
	wait_until 10 grep -q 'SIGTERM ignored: already stopping' "$LOG"
	wait_exit "$SUP" 20
	cat "$LOG"
	[ "$(grep -c 'sent SIGTERM to worker' "$LOG")" -eq 1 ]
	[ "$status" -eq 137 ]
}

@test "a grandchild ignoring SIGTERM does not survive" {
	check_grandchild_killed
}

@test "an orphan is adopted and reaped: no zombie" {
	STUB_ORPHAN=1 start_sup -W "$STUB" -p "127.0.0.1:$PORT"
	wait_until 10 test -s "$STUB_DIR/orphans"
	orphan=$(cat "$STUB_DIR/orphans")
	wait_until 10 grep -q "reaped orphan pid=$orphan (status 7)" "$LOG"
	for c in $(children_of "$SUP"); do
		[ "$(proc_state "$c")" != Z ]
	done
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "supervisor SIGKILLed: its workers get SIGTERM and go" {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 stubs_started 2
	kill -KILL "$SUP"
	wait_until 10 all_stubs_gone
}

@test "a port in use: exit 1 naming it, nothing started" {
	STUB_EXEC_SLEEP=1 start_sup -W "$STUB" -p "127.0.0.1:$PORT"
	first=$SUP
	wait_until 10 port_open "$PORT"
	# The port opens before the stub has written its pid: counted now,
	# a second supervisor that fails fast would find 0.
	wait_until 10 stubs_started 1
	other=$(free_port)
	run "$SUPERVISOR" -W "$STUB" -p "127.0.0.1:$other" -p "127.0.0.1:$PORT"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot listen on 127.0.0.1:$PORT: Address already in use"* ]]
	[ "$(stub_count)" -eq 1 ]
	port_closed "$other"
	SUP=$first
	stop_sup TERM
}

@test "an unexecutable worker: exit 1 naming it" {
	run "$SUPERVISOR" -W /nonexistent/worker -p "127.0.0.1:$PORT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot execute worker '/nonexistent/worker'"* ]]
	printf 'not a program\n' > "$BATS_TEST_TMPDIR/noexec"
	run "$SUPERVISOR" -W "$BATS_TEST_TMPDIR/noexec" -p "127.0.0.1:$PORT"
	[ "$status" -eq 1 ]
	port_closed "$PORT"
}

@test "a worker that cannot be started after others did: they are stopped, exit 1" {
	# The third worker's exec-status pipe fails, as when the machine runs
	# out of descriptors half-way (inject.so; the limit check that comes
	# before any fork is the next test).
	LD_PRELOAD=$INJECT ASAN_OPTIONS=$INJECT_ASAN INJECT_PIPE2_FAIL=3 \
		"$SUPERVISOR" -r exec -W "$STUB" -p "127.0.0.1:$PORT" -w 3 \
		2>"$LOG" &
	SUP=$!
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q 'worker:[0-9]*#3: pipe: Too many open files' "$LOG"
	[ "$(grep -c 'sent SIGTERM to worker:' "$LOG")" -eq 2 ]
	all_stubs_gone
}

@test "workers that do not fit in the descriptor limit: exit 1 before any fork" {
	# With only 0-2 inherited, the supervisor holds epoll, signalfd,
	# timerfd, its notify socket and the listening socket, then a pidfd
	# per child: three workers do not fit in 11 with room for a restart.
	(close_fds_above_2; ulimit -n 11
	 exec "$SUPERVISOR" -r exec -W "$STUB" -p "127.0.0.1:$PORT" -w 3 2>"$LOG") &
	SUP=$!
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 1 ]
	grep -q '3 children need 6 descriptors, 8 are open and the limit is 11: raise it' "$LOG"
	refute_grep -q 'started on' "$LOG"
	[ -z "$(stub_pids)" ]
	port_closed "$PORT"
}

@test "the soft descriptor limit is raised to the hard one; a worker gets the old" {
	# select(2) cannot take descriptors above 1023: a program we start
	# gets the soft limit we were given (systemd does the same).
	(ulimit -S -n 200
	 exec "$SUPERVISOR" -r exec -W "$STUB" -p "127.0.0.1:$PORT" 2>"$LOG") &
	SUP=$!
	wait_until 10 stubs_started 1
	local hard mine theirs
	hard=$(ulimit -H -n)
	mine=$(awk '/^Max open files/ { print $4, $5 }' "/proc/$SUP/limits")
	theirs=$(awk '/^Max open files/ { print $4, $5 }' \
		"/proc/$(stub_pids | head -1)/limits")
	echo "hard=$hard supervisor: $mine worker: $theirs"
	[ "$mine" = "$hard $hard" ]
	[ "$theirs" = "200 $hard" ]
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a worker that fails at exec: exit 1 naming it" {
	# Executable but not a valid program: the lookup passes, execve fails.
	printf '#!/nonexistent/interpreter\n' > "$BATS_TEST_TMPDIR/bad"
	chmod +x "$BATS_TEST_TMPDIR/bad"
	run "$SUPERVISOR" -W "$BATS_TEST_TMPDIR/bad" -p "127.0.0.1:$PORT"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot execute worker '$BATS_TEST_TMPDIR/bad'"* ]]
}


# check_notify SOCAT-ADDRESS NOTIFY_SOCKET-VALUE
check_notify() {
	socat -u "$1" "OPEN:$BATS_TEST_TMPDIR/got,creat,append" 3>&- &
	rx=$!
	# A datagram sent before socat has bound is lost: wait for the name.
	wait_until 10 receiver_bound "${2#@}"
	NOTIFY_SOCKET=$2 start_sup -v -W "$STUB" -p "127.0.0.1:$PORT" -w 3
	wait_until 10 grep -q 'READY=1' "$BATS_TEST_TMPDIR/got"
	# READY=1 only once every child has started
	[ "$(sed -n '/notified READY=1/q;/ started on /p' "$LOG" | wc -l)" -eq 3 ]
	wait_until 10 stubs_started 3
	# The children get the supervisor's own socket, never this one.
	local env="$STUB_DIR/env.$(stub_pids | head -1)"
	grep -q '^NOTIFY_SOCKET=@' "$env"
	refute_grep -qxF "NOTIFY_SOCKET=$2" "$env"
	stop_sup TERM
	wait_until 10 grep -q 'STOPPING=1' "$BATS_TEST_TMPDIR/got"
	kill "$rx"
	[ "$status" -eq 0 ]
}

@test "READY=1 then STOPPING=1 on NOTIFY_SOCKET, which children do not get" {
	command -v socat >/dev/null || skip "socat is not installed"
	check_notify "UNIX-RECV:$BATS_TEST_TMPDIR/notify" "$BATS_TEST_TMPDIR/notify"
}

@test "NOTIFY_SOCKET may be an abstract socket (@name)" {
	command -v socat >/dev/null || skip "socat is not installed"
	name="supervisor-test-$$-$PORT"
	check_notify "ABSTRACT-RECV:$name" "@$name"
}

@test "a closed stderr neither kills nor stalls the supervisor" {
	"$SUPERVISOR" -r exec -W "$STUB" -p "127.0.0.1:$PORT" 2>&- 3>&- &
	SUP=$!
	wait_until 10 stubs_started 1
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "a full stderr pipe, then a broken one, neither stalls nor kills it" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	exec 7<>"$BATS_TEST_TMPDIR/fifo"
	# Fill the pipe first: a plain write(2) of a log line would block.
	dd if=/dev/zero bs=65536 count=1 oflag=nonblock >&7 2>/dev/null || true
	"$SUPERVISOR" -r exec -v -W "$STUB" -p "127.0.0.1:$PORT" -w 2 \
		2>"$BATS_TEST_TMPDIR/fifo" 3>&- 7>&- &
	SUP=$!
	wait_until 10 stubs_started 2
	kill -HUP "$SUP"	# more lines to write
	exec 7>&-		# no reader left: writes now fail with EPIPE
	kill -HUP "$SUP"
	pid_alive "$SUP"
	stop_sup TERM
	[ "$status" -eq 0 ]
	all_stubs_gone
}

@test "a child dying of SIGTERM while stopping has stopped cleanly: exit 0" {
	STUB_ON_TERM=die start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 stubs_started 2
	stop_sup TERM
	cat "$LOG"
	[ "$(grep -c 'killed by SIGTERM' "$LOG")" -eq 2 ]
	[ "$status" -eq 0 ]
}

@test "the first failure wins" {
	# One worker exits 3 on its own; the other exits 4 when told to stop.
	dir2="$BATS_TEST_TMPDIR/second"
	mkdir "$dir2"
	cat > "$BATS_TEST_TMPDIR/two" <<EOS
#!/bin/bash
if mkdir "$BATS_TEST_TMPDIR/first" 2>/dev/null; then
	STUB_EXIT=3 STUB_AFTER=1 exec "$STUB"
fi
STUB_DIR="$dir2" STUB_ON_TERM=exit4 exec "$STUB"
EOS
	chmod +x "$BATS_TEST_TMPDIR/two"
	start_sup -W "$BATS_TEST_TMPDIR/two" -p "127.0.0.1:$PORT" -w 2
	wait_exit "$SUP" 30
	cat "$LOG"
	grep -q 'exited with status 4' "$LOG"
	[ "$status" -eq 3 ]
}

@test "the failing child, asked to stop, exits 0 and holds no descriptor of ours" {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -f 60
	wait_until 10 stubs_started 1
	f=$(grep -o 'fail pid=[0-9]*' "$LOG" | head -1 | cut -d= -f2)
	[ "$(ls "/proc/$f/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
	stop_sup TERM
	cat "$LOG"
	grep -q "fail pid=$f exited with status 0" "$LOG"
	[ "$status" -eq 0 ]
}

@test "--kill-timeout 0: SIGKILL as soon as the stop begins, once to each" {
	STUB_GRANDCHILD=1 STUB_ON_TERM=ignore start_sup -W "$STUB" \
		-p "127.0.0.1:$PORT" -k 0
	wait_until 10 stubs_started 1
	wait_until 10 test -s "$STUB_DIR/grandchildren"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 137 ]
	grep -q 'sent SIGKILL to worker:' "$LOG"
	# At once: not at a timeout (the default one, --drain-timeout + 5 s,
	# would be 10 s here).
	local stopping killed
	stopping=$(log_ms 'stopping: SIGTERM')
	killed=$(log_ms 'sent SIGKILL to worker:')
	[ $((killed - stopping)) -lt 2000 ]
	# The grandchild, adopted when its parent died: one SIGKILL line,
	# however many reaps followed.
	local gc
	gc=$(cat "$STUB_DIR/grandchildren")
	[ "$(grep -c "SIGKILL to orphan pid=$gc\$" "$LOG")" -le 1 ]
	pid_gone "$gc"
}

@test "SIGTERM while children are still being started: a clean stop" {
	# Waiting for a READY=1 the stubs never send, the group is STARTING
	# (group.h) when it reads the signal, not RUNNING as with -r exec.
	SUP_FLAGS="-t 60"
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 100
	# "starting:" comes once signals are taken and before any fork; the
	# hundred forks, each waiting for its exec, leave time to land in.
	wait_until 10 grep -q 'starting:' "$LOG"
	kill -TERM "$SUP"
	# ... and it did land in them: sent before the last one was started.
	[ "$(grep -c ' started on ' "$LOG")" -lt 100 ]
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q 'stopping: SIGTERM$' "$LOG"
	[ "$(grep -c ' started on ' "$LOG")" -eq 100 ]
	# A stub signalled before its trap is set dies of SIGTERM: clean too.
	[ "$(grep -cE 'exited with status 0|killed by SIGTERM' "$LOG")" -eq 100 ]
	all_stubs_gone
}

@test "fifty children killed at once: every exit reaped, no zombie" {
	# Deaf to the SIGTERM that the first death brings, so that all fifty
	# die of our SIGKILL.
	STUB_ON_TERM=ignore start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 50
	wait_until 20 stubs_started 50
	kill -KILL $(stub_pids)	# their SIGCHLDs coalesce
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 137 ]
	[ "$(grep -c 'killed by SIGKILL' "$LOG")" -eq 50 ]
}

@test "--user: children run as that user and its groups, ports bound as root" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	# The stub, and where it writes, where nobody can reach them.
	STUB_DIR=$(public_dir)
	cp "$STUB" "$STUB_DIR/worker.sh"
	STUB_EXEC_SLEEP=1 start_sup -W "$STUB_DIR/worker.sh" \
		-p "127.0.0.1:$PORT" -u nobody -f 60
	wait_until 10 stubs_started 1
	p=$(stub_pids)
	wait_until 10 grep -q '^Name:.*sleep' "/proc/$p/status"
	uid=$(id -u nobody) gid=$(id -g nobody)
	grep -qP "^Uid:\t$uid\t$uid\t$uid\t$uid$" "/proc/$p/status"
	grep -qP "^Gid:\t$gid\t$gid\t$gid\t$gid$" "/proc/$p/status"
	# the failing child too
	f=$(grep -o 'fail pid=[0-9]*' "$LOG" | head -1 | cut -d= -f2)
	grep -qP "^Uid:\t$uid\t" "/proc/$f/status"
	stop_sup TERM
	[ "$status" -eq 0 ]
}

@test "--user with an unknown name: exit 1, nothing started" {
	run "$SUPERVISOR" -W "$STUB" -p "127.0.0.1:$PORT" -u no-such-user-here
	[ "$status" -eq 1 ]
	[[ "$output" == *"--user no-such-user-here: no such user"* ]]
	[ "$(stub_count)" -eq 0 ]
}

@test "SIGQUIT stops the group gracefully; SIGUSR1 and SIGUSR2 are logged and ignored" {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 stubs_started 2
	kill -USR1 "$SUP"
	kill -USR2 "$SUP"
	wait_until 10 grep -q 'SIGUSR2 ignored' "$LOG"
	grep -q 'SIGUSR1 ignored' "$LOG"
	pid_alive "$SUP"
	stop_sup QUIT
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q 'stopping: SIGQUIT' "$LOG"
	[ "$(grep -c 'sent SIGTERM to worker:' "$LOG")" -eq 2 ]
	all_stubs_gone
}

@test "a stopped worker is sent SIGCONT with SIGTERM: it stops cleanly, no SIGKILL" {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -k 20
	wait_until 10 stubs_started 1
	local w
	w=$(stub_pids)
	kill -STOP "$w"
	wait_until 10 test "$(proc_state "$w")" = T
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	refute_grep -q SIGKILL "$LOG"
}

@test "an orphan adopted while stopping gets SIGTERM when it is adopted" {
	# The worker drains for a second: long after the orphan's child was
	# adopted, which must not wait for the worker's end, nor for the
	# kill timeout.
	STUB_TERM_SLEEP=1 STUB_ORPHAN_CHAIN=1 start_sup -W "$STUB" \
		-p "127.0.0.1:$PORT" -k 20
	wait_until 10 stubs_started 1
	wait_until 10 test "$(wc -l < "$STUB_DIR/chain" 2>/dev/null)" = 2
	local child orphan p
	for p in $(cat "$STUB_DIR/chain"); do	# written in either order
		if [ "$(cat "/proc/$p/comm")" = sleep ]; then
			child=$p	# the sleep, orphaned last
		else
			orphan=$p
		fi
	done
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q "sent SIGTERM to orphan pid=$orphan" "$LOG"
	grep -q "sent SIGTERM to orphan pid=$child" "$LOG"
	refute_grep -q SIGKILL "$LOG"		# not left to the kill timeout
	pid_gone "$child"
	# Reaped before the worker had ended.
	[ "$(grep -n "reaped orphan pid=$child " "$LOG" | cut -d: -f1)" -lt \
	  "$(grep -n 'worker:[0-9]*#1 pid=[0-9]* exited' "$LOG" | cut -d: -f1)" ]
}

@test "errors that say why: limits, resolution, a port twice; .5 is seconds" {
	run "$SUPERVISOR" -W "$STUB" -d 100000
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"'100000' is over the limit of 86400 seconds"* ]]
	run "$SUPERVISOR" -W "$STUB" -k 0.0001
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"'0.0001' is finer than a millisecond"* ]]
	run "$SUPERVISOR" -W "$STUB" -p "127.0.0.1:$PORT" -p "127.0.0.1:$PORT"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"--port: 127.0.0.1:$PORT is given twice"* ]]
	# .5 is half a second; a kill timeout below the drain timeout warns.
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -d .5 -k .25
	wait_until 10 stubs_started 1
	stop_sup TERM
	[ "$status" -eq 0 ]
	grep -q 'drain timeout 0.500s, kill timeout 0.250s' "$LOG"
	grep -q 'kill-timeout 0.250s is below --drain-timeout 0.500s: a worker still draining at the kill timeout is SIGKILLed' "$LOG"
}

@test "-q hides what is below warning, never a crash, an unasked end or a SIGKILL" {
	STUB_ON_TERM=ignore start_sup -q -W "$STUB" -p "127.0.0.1:$PORT" -w 2 \
		-k 0.5 -f 30
	wait_until 10 stubs_started 2
	local victim other
	victim=$(stub_pids | head -1)	# either worker: the file's order
	other=$(stub_pids | tail -1)
	kill -SEGV "$victim"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 139 ]
	grep -q "worker:[0-9]*#[12] pid=$victim killed by SIGSEGV" "$LOG"
	grep -q "sent SIGKILL to worker:[0-9]*#[12] pid=$other " "$LOG"	# kill timeout
	grep -q 'kill timeout of 0.500s ran out' "$LOG"
	refute_grep -q 'started on' "$LOG"		# info: hidden
	# The failing child's own line is info too: -q reaches it.
	run "$SUPERVISOR" -q -r exec -W "$STUB" -p "127.0.0.1:$PORT" -f 0.2
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fail pid="*"exited with status 1"* ]]
	[[ "$output" != *"fork err"* ]]
}
