#!/usr/bin/env bats
# The watchdog, both ways (--watchdog T): a worker that said READY=1 and
# then stops saying WATCHDOG=1 (a SIGSTOPped built-in worker, a `--`
# program that never says it) is named and aborted, and the group stops
# with its status; a healthy group, idle or loaded, is never taken for
# hung; WATCHDOG=1 upward from the supervisor's own loop, held back while
# a worker is overdue; bad values.  Each hang's time to the group's exit
# is printed (bats shows lines written to fd 3).

setup_file() {
	load helpers
	need_tools "$NOTIFIER" "$SIGIGN"
}

setup() {
	load supervisor_lib
	sup_setup
	SUP_FLAGS=
	GOT="$BATS_TEST_TMPDIR/got"
	ulimit -c 0	# the SIGABRTed workers leave no core behind
	# listen_notify's receiver is no descriptor store: socat keeps a
	# socket sent with FDSTORE=1 open, and the next supervisor on the port
	# would find it in use.  FDSTORE=0 says there is none.
	export FDSTORE=0
}

teardown() {
	[ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
	sup_teardown
}

beats() { grep -o 'WATCHDOG=1' "$GOT" 2>/dev/null | wc -l; }
beats_at_least() { [ "$(beats)" -ge "$1" ]; }

# The pid of the first worker the log says is ready.
first_ready() {
	grep -m1 -o 'pid=[0-9]* ready after' "$LOG" | tr -dc 0-9
}
# ms 1.234: the milliseconds in a number of seconds with three decimals.
ms() { echo $(( 10#${1/./} )); }
# report WHAT MS: one line of figures on the terminal.
report() { echo "# $1: $2 ms" >&3; }

# check_hang T SECONDS-BOUND: the group must end within the bound (a hang
# catcher), with the hung pid $victim named in a warning that says it was
# found silent for less than T + 1 s (the supervisor's own measure, not a
# race with this script).  $hung_at is when it hung; sets $took, ms from
# the hang to the group's exit, which is printed, not asserted.
check_hang() {
	wait_exit "$SUP" "$2"
	took=$(( $(date +%s%3N) - hung_at ))
	cat "$LOG"
	grep -q "pid=$victim is hung: no WATCHDOG=1 for [0-9.]*s (--watchdog $1s): sending SIGABRT" "$LOG"
	grep -q "sent SIGABRT to worker:$PORT#[0-9]* pid=$victim" "$LOG"
	grep -q "stopping: worker:$PORT#[0-9]* pid=$victim ended while the group was running" "$LOG"
	# Found at T after its last word, give or take the loop's wake-up.
	local silent
	silent=$(grep -o "pid=$victim is hung: no WATCHDOG=1 for [0-9.]*s" "$LOG")
	silent=${silent##* for }
	silent=${silent%s}
	echo "silent for ${silent}s"
	[ "$(ms "$silent")" -lt $(( $(ms "$1") + 1000 )) ]
}

@test "a SIGSTOPped worker: found within T + 1 s, SIGABRT, group exits 134" {
	start_sup -p "127.0.0.1:$PORT" -w 2 --watchdog 1
	wait_until 10 logged 'all ready after'
	victim=$(first_ready)
	hung_at=$(date +%s%3N)
	kill -STOP "$victim"
	check_hang 1.000 10
	[ "$status" -eq 134 ]	# 128 + SIGABRT: it dumped, not killed
	grep -q "pid=$victim killed by SIGABRT" "$LOG"
	not_logged "SIGKILL"
	# The other worker drained: it was asked, and exited 0.
	grep -q "sent SIGTERM to worker:$PORT#[12] pid=" "$LOG"
	pid_gone "$victim"
	report "SIGSTOPped built-in worker, --watchdog 1, hang to group exit" "$took"
}

@test "a program that says READY=1 and never WATCHDOG=1: aborted at T, 134" {
	start_sup -p "127.0.0.1:$PORT" --watchdog 0.5 -- "$NOTIFIER" 0
	wait_until 10 logged 'all ready after'
	victim=$(first_ready)
	hung_at=$(log_ms 'all ready after')
	check_hang 0.500 10
	[ "$status" -eq 134 ]
	report "READY=1 then silent, --watchdog 0.5, READY=1 to group exit" "$took"
}

@test "a hung program that ignores SIGABRT: SIGKILL at the kill timeout, 137" {
	start_sup -p "127.0.0.1:$PORT" --watchdog 0.5 -k 0.5 \
		-- "$SIGIGN" "$NOTIFIER" 0
	wait_until 10 logged 'all ready after'
	victim=$(first_ready)
	hung_at=$(log_ms 'all ready after')
	check_hang 0.500 10
	[ "$status" -eq 137 ]
	grep -q "pid=$victim still running 0.[0-9]*s after SIGABRT" "$LOG"
	grep -q "sent SIGKILL to worker:$PORT#1 pid=$victim and its process group" "$LOG"
	pid_gone "$victim"
	report "SIGABRT ignored, --watchdog 0.5 -k 0.5, READY=1 to group exit" "$took"
}

@test "each worker gets WATCHDOG_USEC and its own WATCHDOG_PID; none without --watchdog" {
	local show="$BATS_TEST_TMPDIR/show"
	printf '#!/bin/sh\necho "$$ ${WATCHDOG_USEC-unset} ${WATCHDOG_PID-unset}" >> "%s"\nexec "$NOTIFIER" 0\n' \
		"$GOT" > "$show"
	chmod +x "$show"
	WATCHDOG_USEC=7 WATCHDOG_PID=1 start_sup -p "127.0.0.1:$PORT" -w 2 \
		--watchdog 2.5 -- "$show"
	wait_until 10 logged 'all ready after'
	stop_sup TERM
	cat "$GOT"
	[ "$status" -eq 0 ]
	[ "$(wc -l < "$GOT")" -eq 2 ]
	while read -r pid usec wpid; do
		[ "$usec" = 2500000 ]
		[ "$wpid" = "$pid" ]
	done < "$GOT"
	# Ours from systemd are not theirs: without --watchdog, nothing.
	: > "$GOT"
	WATCHDOG_USEC=7 WATCHDOG_PID=1 start_sup -p "127.0.0.1:$PORT" -- "$show"
	wait_until 10 logged 'all ready after'
	stop_sup TERM
	[ "$(cat "$GOT")" = "$(grep -o 'pid=[0-9]* ready after' "$LOG" | tr -dc 0-9) unset unset" ]
}

# The healthy cases use T = 1 s: a beat every 0.5 s must then be more than
# 0.5 s late to be missed, which a loaded 2-core machine does not do to a
# process that runs (a worker traced by strace -f on it did).
@test "a healthy group of 4 workers runs 10 T without a false alarm" {
	start_sup -p "127.0.0.1:$PORT" -w 4 --watchdog 1
	wait_until 10 logged 'all ready after'
	local end=$(( $(date +%s%3N) + 10000 ))
	while [ "$(date +%s%3N)" -lt "$end" ]; do
		[ "$(curl -sS -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]
		sleep 0.2
	done
	pid_alive "$SUP"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	not_logged 'hung'
	not_logged 'SIGABRT'
}

@test "under wrk load, 2 workers run 10 T without a false alarm" {
	command -v wrk >/dev/null || skip "wrk is not installed"
	start_sup -p "127.0.0.1:$PORT" -w 2 --watchdog 1
	wait_until 10 logged 'all ready after'
	run wrk -t1 -c32 -d10s "http://127.0.0.1:$PORT/"
	echo "$output"
	[[ $output == *"Requests/sec:"* ]]
	[[ $output != *"Non-2xx"* ]]
	[[ $output != *"Socket errors"* ]]
	pid_alive "$SUP"
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	not_logged 'hung'
	not_logged 'SIGABRT'
}

@test "a rolling restart under --watchdog completes; the replacement is watched" {
	start_sup -p "127.0.0.1:$PORT" -w 2 --watchdog 1
	wait_until 10 logged 'all ready after'
	kill -HUP "$SUP"
	wait_until 30 logged 'replaced 2 of 2'
	# Retired workers were told to drain: no longer watched, whatever
	# their drain takes.  Their replacements are, from their READY=1.
	sleep 3	# 3 T: a false alarm would have come
	not_logged 'hung'
	[ "$(curl -sS -m 5 "http://127.0.0.1:$PORT/")" = "Hello World" ]
	victim=$(grep -o "#3 pid=[0-9]* ready after" "$LOG" | grep -o 'pid=[0-9]*' | tr -dc 0-9)
	hung_at=$(date +%s%3N)
	kill -STOP "$victim"
	check_hang 1.000 10
	[ "$status" -eq 134 ]
	report "SIGSTOPped replacement, --watchdog 1, hang to group exit" "$took"
}

@test "a replacement retired as late is not watched when its READY=1 comes" {
	# The first worker is the real one; each later one says READY=1 only
	# after 1.5 s and ignores the stop signal (SIGUSR1 here: a pending
	# SIGTERM would end the notifier's own wait), so it lives on,
	# retired, until the kill timeout.
	local w="$BATS_TEST_TMPDIR/late" d="$BATS_TEST_TMPDIR"
	printf '#!/bin/sh\nif [ -e "%s/first" ]; then exec "$SIGIGN" "$NOTIFIER" 1500; fi\ntouch "%s/first"\nexec "%s"\n' \
		"$d" "$d" "$WORKER" > "$w"
	chmod +x "$w"
	start_sup -v -p "127.0.0.1:$PORT" -t 0.5 -k 2.5 --watchdog 0.5 \
		--stop-signal USR1 -- "$w"
	wait_until 10 logged 'all ready after'
	kill -HUP "$SUP"
	wait_until 10 logged 'restart refused'
	wait_until 10 logged "#2 pid=[0-9]* notified READY=1"
	# Watched from that READY=1, it would be hung 0.5 s later, long
	# before its SIGKILL at the kill timeout (2.5 s after it was retired).
	wait_until 10 logged '#2 pid=[0-9]* still running 2.500s after it was asked to stop'
	cat "$LOG"
	not_logged 'is hung'
	not_logged 'SIGABRT'
	grep -q '#2 pid=[0-9]* killed by SIGKILL after it was asked to stop' "$LOG"
	# The real worker logs and ignores SIGUSR1: killed at the kill
	# timeout too, which is the group's status.
	stop_sup TERM
	[ "$status" -eq 137 ]
	grep -q "sent SIGKILL to worker:$PORT#1 pid=" "$LOG"
}

@test "upward: WATCHDOG=1 every half of our WATCHDOG_USEC, none while a worker is overdue" {
	listen_notify
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 start_sup -p "127.0.0.1:$PORT" \
		--watchdog 0.5 -k 1.5 -- "$SIGIGN" "$NOTIFIER" 0
	wait_until 10 logged 'is hung'
	local at_abort
	at_abort=$(beats)
	wait_until 10 logged 'after SIGABRT'
	local at_kill
	at_kill=$(beats)
	wait_exit "$SUP" 10
	cat "$LOG"
	echo "beats: $at_abort by the abort, $at_kill by the kill"
	[ "$status" -eq 137 ]
	# 0.5 s of ready worker, a beat every 0.1 s: about 5, and more.
	[ "$at_abort" -ge 3 ]
	# 1.5 s of an overdue worker: without the hold, about 15.  One may
	# have been on its way when the log line was read.
	[ "$at_kill" -le $((at_abort + 1)) ]
	logged 'a worker is overdue: no WATCHDOG=1 upward'
}

@test "upward: a WATCHDOG_PID of another process, or a malformed value, means none" {
	listen_notify
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=100000 WATCHDOG_PID=1 \
		start_sup -p "127.0.0.1:$PORT"
	wait_until 10 logged 'all ready after'
	sleep 0.5	# 10 half periods
	stop_sup TERM
	[ "$status" -eq 0 ]
	[ "$(beats)" -eq 0 ]
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=1e6 start_sup -p "127.0.0.1:$PORT"
	wait_until 10 logged 'all ready after'
	sleep 0.3
	stop_sup TERM
	cat "$LOG"
	[ "$status" -eq 0 ]
	[ "$(beats)" -eq 0 ]
	[ "$(grep -c "WATCHDOG_USEC='1e6' is not a number of microseconds above 0: no watchdog" "$LOG")" -eq 1 ]
}

@test "the worker alone: WATCHDOG=1 every half period from its loop, until it exits" {
	listen_notify
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 "$WORKER" -p "127.0.0.1:$PORT" \
		2>"$LOG" 3>&- &
	SUP=$!
	wait_until 10 beats_at_least 3
	kill -STOP "$SUP"	# a loop that does not turn does not beat
	local stopped
	sleep 0.2
	stopped=$(beats)
	sleep 0.6	# 6 half periods
	[ "$(beats)" -eq "$stopped" ]
	kill -CONT "$SUP"
	wait_until 10 beats_at_least $((stopped + 1))
	stop_sup TERM
	[ "$status" -eq 0 ]
	# Malformed: one warning, no beat; another pid's: no beat, no word.
	: > "$GOT"
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=-3 "$WORKER" -p "127.0.0.1:$PORT" \
		2>"$LOG" 3>&- &
	SUP=$!
	wait_until 10 grep -q 'READY=1' "$GOT"
	sleep 0.3
	stop_sup TERM
	cat "$LOG"
	[ "$(beats)" -eq 0 ]
	grep -q "WATCHDOG_USEC='-3' is not a number of microseconds above 0: no watchdog" "$LOG"
}

@test "bad --watchdog values: one line naming the flag, exit 2, nothing started" {
	local bad
	for bad in "0" "-1" "abc" "0.0001" "1s" ""; do
		run "$SUPERVISOR" -p "127.0.0.1:$PORT" --watchdog "$bad"
		echo "--watchdog '$bad': $status: ${lines[0]}"
		echo "# --watchdog '$bad' -> ${lines[0]}" >&3
		[ "$status" -eq 2 ]
		[[ ${lines[0]} == "supervisor: --watchdog: '$bad' "* ]]
	done
	run "$SUPERVISOR" -p "127.0.0.1:$PORT" --watchdog 1 -r exec
	echo "# --watchdog 1 -r exec -> ${lines[0]}" >&3
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "supervisor: --watchdog needs --ready notify"* ]]
	run "$SUPERVISOR" -p "127.0.0.1:$PORT" --watchdog
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "supervisor: option '--watchdog' needs a value" ]]
	port_closed "$PORT"
	run "$SUPERVISOR" --help
	[[ $output == *"--watchdog SECONDS"* ]]
}
