#!/usr/bin/env bash
# make fuzz [FUZZ_SECONDS=60]: build each libFuzzer harness with clang and
# run it for that long, seeded with the llhttp request corpus and the
# seeds here.  A crash, leak or sanitizer report fails the run, and the
# input is kept in tests/fuzz/ as crash-*: add it to the unit tests.
set -euo pipefail
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
corpus_json="$here/../corpora/llhttp-requests.json"
cc=${FUZZ_CC:-clang}
flags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -I"$top/worker")

command -v "$cc" >/dev/null || { echo "fuzz: $cc is not installed" >&2; exit 1; }

seed_dir() {
	local dir=$1
	mkdir -p "$dir"
	cp "$here"/seeds/* "$dir"/ 2>/dev/null || true
	if [ -f "$corpus_json" ] && command -v jq >/dev/null; then
		local i=0
		jq -r '.[].raw_b64' "$corpus_json" | while read -r b64; do
			i=$((i + 1))
			printf '%s' "$b64" | base64 -d > "$dir/llhttp-$i"
		done
	fi
}

run_one() {
	local name=$1; shift
	local bin="$here/$name.bin" dir="$here/corpus-$name"
	"$cc" "${flags[@]}" -o "$bin" "$here/$name.c" "$@"
	seed_dir "$dir"
	echo "== $name: ${seconds}s"
	"$bin" -max_total_time="$seconds" -print_final_stats=1 \
	       -artifact_prefix="$here/crash-$name-" -max_len=20000 \
	       "$dir" 2>&1 | tee "$here/$name.log" | grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss|INFO: Loaded|==[0-9]+==ERROR|SUMMARY)' || true
	grep -E 'cov: [0-9]+' "$here/$name.log" | tail -1 | sed 's/^/last: /'
	! grep -qE '==[0-9]+==ERROR|deadly signal|SUMMARY: ' "$here/$name.log"
}

run_one http_parse_fuzz "$top/worker/http_parse.c"
if [ -f "$here/conn_fuzz.c" ]; then
	run_one conn_fuzz $(ls "$top"/worker/*.c "$top"/worker/lib/*.c | grep -v "/main\.c$")
fi
