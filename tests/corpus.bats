#!/usr/bin/env bats
# Replays llhttp's strict request corpus (tests/corpora/README.md gives its
# origin and rules) against a running worker, one fresh connection a case.
# Where the README tags a case with a caveat, the SPEC decides: HTTP/1.1
# without Host, bare LF, bare CR, obs-fold and control characters are 400.

up_or_gone() { port_open "$PORT" || pid_gone "$WORKER_PID"; }

setup_file() {
	load helpers
	need_tools "$RAWHTTP"
	local try
	for try in 1 2 3 4 5; do	# a port a parallel test's client holds
		: "$RANDOM"		# (see start_worker in worker.bats)
		PORT=$(free_port)
		"$WORKER" -q -p "127.0.0.1:$PORT" 3>&- &
		WORKER_PID=$!
		wait_until 10 up_or_gone
		! pid_alive "$WORKER_PID" || break
	done
	export PORT WORKER_PID
}

setup() {
	load helpers
}

teardown_file() {
	kill "$WORKER_PID" 2>/dev/null || true
	wait "$WORKER_PID" 2>/dev/null || true
}

# verdict EXPECT REQUESTS UPGRADE CAVEATS CODE... : the final word of
# rawhttp -S (EOF, TIMEOUT, DONE, RESET) is dropped; prints why on failure.
verdict() {
	local expect=$1 requests=$2 upgrade=$3 caveats=$4
	shift 4
	local codes=("$@")
	unset 'codes[${#codes[@]}-1]'
	codes=($(printf '%s\n' "${codes[@]}" | grep -v '^1' || true))
	local first=${codes[0]:-none} nth=${codes[$requests]:-none}

	if [ "$expect" = error ]; then
		case ",$caveats," in
		*,bare-lf,* | *,bare-cr,* | *,obs-fold,* | *,ctl-in-field-value,*)
			[ "$nth" = 400 ] || { echo "want 400, got $nth"; return 1; } ;;
		*)
			[[ "$nth" != 2* ]] || { echo "want no 2xx, got $nth"; return 1; } ;;
		esac
		return 0
	fi
	case ",$caveats," in
	*,http11-no-host,*)
		[ "$first" = 400 ] || { echo "want 400 (no Host), got $first"; return 1; }
		return 0 ;;
	*,http09,*)
		[[ "$first" =~ ^(400|505)$ ]] || { echo "want 400/505, got $first"; return 1; }
		return 0 ;;
	esac
	if [ "$upgrade" = true ]; then
		[[ "$first" != none && "$first" != 400 ]] || { echo "first: $first"; return 1; }
		return 0
	fi
	[ "${#codes[@]}" = "$requests" ] || { echo "want $requests answers: ${codes[*]}"; return 1; }
	case " ${codes[*]} " in
	*" 400 "*) echo "400 among ${codes[*]}"; return 1 ;;
	esac
}

@test "llhttp request corpus: every case agrees" {
	local agree=0 total=0 bad=() file line expect requests upgrade caveats raw n why
	while IFS=$'\t' read -r file line expect requests upgrade caveats raw; do
		total=$((total + 1))
		n=$requests
		[ "$expect" = error ] && n=$((requests + 1))
		[ "$upgrade" = true ] && n=1
		local out
		out=$(printf '%s' "$raw" | base64 -d |
		      "$RAWHTTP" -S -t 1000 -n "$n" "$PORT")
		if why=$(verdict "$expect" "$requests" "$upgrade" "$caveats" $out); then
			agree=$((agree + 1))
		else
			bad+=("$file:$line ($expect) $why; got: $(echo $out)")
		fi
	done < <(jq -r '.[] | [.file, .line, .expect, .requests, .upgrade,
			       (.caveats | join(",") | if . == "" then "-" else . end), .raw_b64] | @tsv' \
		 "$TOP/tests/corpora/llhttp-requests.json")
	echo "# $agree agree of $total" >&3
	printf '%s\n' "${bad[@]}"
	[ "$total" -eq 116 ]
	[ "$agree" -eq "$total" ]
	pid_alive "$WORKER_PID"
}
