#!/usr/bin/env bats
# The supervisor as PID 1 of a new PID namespace, as in a container: the
# real worker, orphans re-parented to it, and a SIGTERM from outside (what
# `docker stop` or the kubelet sends).

setup() {
	load helpers
	LOG="$BATS_TEST_TMPDIR/log"
	P1=$(free_port)
	P2=$(free_port)
	while [ "$P2" = "$P1" ]; do P2=$(free_port); done
	UNSHARE=
	SUP=
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip "unshare --pid --fork --mount-proc not permitted here"
}

teardown() {
	# SIGKILL to a namespace's PID 1 kills everything in the namespace.
	[ -n "$SUP" ] && kill -KILL "$SUP" 2>/dev/null
	[ -n "$UNSHARE" ] && wait "$UNSHARE" 2>/dev/null
	return 0
}

# start_pid1 ARGS...: the supervisor as PID 1 of a new PID namespace; SUP
# is its pid as seen from here. fd 3 is bats' own: closed for the child.
start_pid1() {
	unshare --pid --fork --mount-proc "$SUPERVISOR" "$@" >"$LOG" 2>&1 3>&- &
	UNSHARE=$!
	wait_until 10 has_child "$UNSHARE"
	SUP=$(children_of "$UNSHARE")
	# NSpid: its pid here, then 1 in its own namespace.
	[[ "$(grep '^NSpid:' "/proc/$SUP/status")" =~ ^NSpid:[[:space:]]+${SUP}[[:space:]]+1$ ]]
}

has_child() { [ -n "$(children_of "$1")" ]; }

# http_get PORT PATH: the whole response of a GET over /dev/tcp.
http_get() {
	local r
	exec 5<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&5
	r=$(timeout 15 cat <&5)
	exec 5<&-
	printf '%s' "$r"
}

both_listen() { port_open "$P1" && port_open "$P2"; }

# Children of SUP whose command line is exactly "sleep 60".
orphans() {
	local c
	for c in $(children_of "$SUP"); do
		[ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null)" = "sleep 60 " ] && echo "$c"
	done
	return 0
}
two_orphans() { [ "$(orphans | wc -l)" -eq 2 ]; }
reaped() { [ ! -e "/proc/$1" ]; }

@test "as PID 1: serves, reaps orphans, exits 0 on a SIGTERM from outside" {
	# A worker that leaves an orphan behind before it becomes the worker:
	# the orphan's parent is gone at once, so PID 1 inherits it.
	local stub="$BATS_TEST_TMPDIR/orphaning-worker" o r
	cat >"$stub" <<-EOF
		#!/bin/bash
		( sleep 60 3>&- & )
		exec "$WORKER" "\$@"
	EOF
	chmod +x "$stub"

	start_pid1 -W "$stub" -p "127.0.0.1:$P1" -p "127.0.0.1:$P2" -d 3
	wait_until 10 both_listen
	for p in "$P1" "$P2"; do
		r=$(http_get "$p" /)
		echo "$p: $r"
		[[ "$r" == "HTTP/1.1 200 "* ]]
		[[ "$r" == *"Hello World"* ]]
	done

	# Both orphans were adopted by PID 1, then reaped: gone from /proc,
	# not left as zombies.  They live until the test ends them (a timed
	# orphan could end before a loaded machine has looked at it).
	wait_until 10 two_orphans
	for o in $(orphans); do
		[ "$(awk '/^PPid:/ { print $2 }' "/proc/$o/status")" = "$SUP" ]
	done
	for o in $(orphans); do
		kill -TERM "$o"
		wait_until 10 reaped "$o"
	done
	[ -z "$(orphans)" ]

	kill -TERM "$SUP"
	wait_exit "$UNSHARE" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
	grep -q 'reaped orphan' "$LOG"
	grep -q 'exiting with status 0' "$LOG"
	port_closed "$P1"
	port_closed "$P2"
}

@test "as PID 1: a SIGTERM from outside drains, the in-flight request is answered" {
	local out="$BATS_TEST_TMPDIR/response" client
	start_pid1 -p "127.0.0.1:$P1" -p "127.0.0.1:$P2" -d 5
	wait_until 10 both_listen
	http_get "$P1" "/sleep?ms=1500" >"$out" 3>&- &
	client=$!
	sleep 0.5
	kill -TERM "$SUP"
	wait_exit "$client" 20
	cat "$out"
	[[ "$(cat "$out")" == "HTTP/1.1 200 "* ]]
	[[ "$(cat "$out")" == *"slept 1500 ms"* ]]
	wait_exit "$UNSHARE" 20
	cat "$LOG"
	[ "$status" -eq 0 ]
}
