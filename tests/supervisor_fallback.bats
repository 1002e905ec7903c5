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
