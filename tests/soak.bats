#!/usr/bin/env bats
# Soak (issue 5, fault 10): 30 cycles of start -> load -> SIGTERM under the
# supervisor with two workers.  Every cycle: exit 0, no truncated answer,
# no reset, the workers' summaries abandon nothing, the port closed, no
# worker left; over all cycles the test shell's descriptors do not grow.
# Bounded: about two seconds a cycle (the load runs 1.5 s, whatever the
# stop), 90 s at most.

setup_file() {
	load helpers
	need_tools "$LOADCLIENT"
	cp "$WORKER" "$BATS_FILE_TMPDIR/soak-worker"
}

setup() {
	load helpers
	WCOPY="$BATS_FILE_TMPDIR/soak-worker"
	SUP= BG=
}

teardown() {
	local p
	for p in $SUP $BG $(our_workers); do
		kill -KILL "$p" 2>/dev/null || true
	done
}

workers_started() { [ "$(grep -c ' started on ' "$1")" -ge 2 ]; }

@test "soak: 30 cycles of start, load, SIGTERM: nothing lost, nothing left" {
	local fds_before fds_after cycle log out port sst
	local complete=0 unanswered=0 refused=0 ctimeout=0 answered=0
	local t0=$SECONDS
	fds_before=$(ls /proc/$BASHPID/fd | wc -l)
	for cycle in $(seq 30); do
		[ $((SECONDS - t0)) -lt 90 ] || { echo "soak over 90 s at cycle $cycle"; false; }
		log="$BATS_TEST_TMPDIR/log.$cycle"
		port=$(free_port)
		"$SUPERVISOR" -v -W "$WCOPY" -p "127.0.0.1:$port" -w 2 -d 10 \
			2>"$log" 3>&- &
		SUP=$!
		wait_until 10 port_open "$port"
		wait_until 10 workers_started "$log"
		"$LOADCLIENT" load "$port" 16 1500 5 > "$BATS_TEST_TMPDIR/out.$cycle" &
		BG=$!
		sleep 0.$((2 + RANDOM % 4))	# the load is running
		kill -TERM "$SUP"
		wait_exit "$SUP" 30
		sst=$status
		wait_exit "$BG" 30
		out=$(cat "$BATS_TEST_TMPDIR/out.$cycle")
		echo "cycle $cycle: exit=$sst $out"
		[ "$sst" -eq 0 ]
		[ "$(kv complete "$out")" -gt 0 ]
		[ "$(kv truncated "$out")" -eq 0 ]
		[ "$(kv reset "$out")" -eq 0 ]
		[ "$(kv bad "$out")" -eq 0 ]
		[ "$(grep -c 'stopped: answered=[0-9]* abandoned_requests=0 abandoned_events=0' "$log")" -eq 2 ]
		port_closed "$port"
		wait_until 10 no_workers_left
		complete=$((complete + $(kv complete "$out")))
		unanswered=$((unanswered + $(kv unanswered "$out")))
		refused=$((refused + $(kv refused "$out")))
		ctimeout=$((ctimeout + $(kv connect_timeout "$out")))
		local a p
		a=$(grep -o 'stopped: answered=[0-9]*' "$log" |
			awk -F= '{ n += $2 } END { print n + 0 }')
		p=$(grep -c ': request: ' "$log" || true)
		# every request read (-v logs each) was answered and arrived
		[ "$p" -eq "$a" ] || { echo "parsed $p answered $a"; false; }
		[ "$a" -eq "$(kv complete "$out")" ]
		answered=$((answered + a))
		SUP= BG=
	done
	fds_after=$(ls /proc/$BASHPID/fd | wc -l)
	echo "# figure: cycles=30 in $((SECONDS - t0))s complete=$complete workers_answered=$answered unanswered_races=$unanswered refused=$refused connect_timeouts=$ctimeout shell_fds_before=$fds_before after=$fds_after" >&3
	[ "$fds_after" -le "$fds_before" ]
	[ "$answered" -eq "$complete" ]
}
