#!/usr/bin/env bats
# The same cascades without pidfds: SIGCHLD, waitpid and kill(2) only, as
# on kernels older than 5.3.

setup() {
	load supervisor_lib
	sup_setup
	export SUPERVISOR_NO_PIDFD=1
}

teardown() { sup_teardown; }

@test "fallback: --fail-after cascade" {
	check_fail_after_cascade
	grep -q 'no pidfds' "$LOG"
}

@test "fallback: a killed worker stops the rest" {
	check_killed_worker_cascade
}

@test "fallback: SIGTERM stop" {
	check_sigterm_stop
}

@test "fallback: kill timeout" {
	check_kill_timeout
}

@test "fallback: a worker exiting 0 on its own is a failure" {
	check_unasked_exit_zero
}

@test "fallback: a grandchild ignoring SIGTERM does not survive" {
	check_grandchild_killed
}

@test "fallback: a rolling restart retires and replaces, then a killed one still stops the group" {
	start_sup -W "$STUB" -p "127.0.0.1:$PORT" -w 2
	wait_until 10 stubs_started 2
	local olds p
	olds=$(stub_pids)
	kill -HUP "$SUP"
	wait_until 10 grep -q 'restart: replaced 2 of 2' "$LOG"
	wait_until 10 stubs_started 4
	for p in $olds; do wait_until 10 pid_gone "$p"; done
	[ "$(grep -c 'exited with status 0 after it was asked to stop' "$LOG")" -eq 2 ]
	# Entries of reaped children are reused: the new ones are still
	# watched, and an unasked end fails the group.
	kill -KILL "$(stub_pids | tail -1)"
	wait_exit "$SUP" 30
	cat "$LOG"
	[ "$status" -eq 137 ]
	grep -q 'no pidfds' "$LOG"
}
