#!/bin/sh
# shape.sh [ROOT] [LIMIT]: fail on an include circle between the modules of
# supervisor/ and worker/, or on a .c file over LIMIT lines (700).
#
# x.c and x.h are one module, x; an edge is an `#include "..."` line,
# resolved from the including file's directory.  A circle is a set of more
# than one module each of which reaches every other.  Prints each problem
# and a summary line; exits 1 on any.  POSIX sh and awk only: CI machines
# may lack anything more.
set -eu
cd "${1:-.}"
limit=${2:-700}
export LC_ALL=C		# byte order for sort and awk's comparisons

dirs=
for d in supervisor worker; do
	[ ! -d "$d" ] || dirs="$dirs $d"
done

# "LINES PATH" for every .c and .h file: wc -l counts newlines, as the
# limit does.
# shellcheck disable=SC2086  # dirs: words
{ [ -z "$dirs" ] || find $dirs -name '*.[ch]' ! -type d; } | sort |
while IFS= read -r f; do
	printf '%s %s\n' "$(wc -l <"$f")" "$f"
done | awk -v limit="$limit" '
# normpath: drop "." and empty parts, fold "dir/.." away.
function normpath(p,    abs, n, part, out, k, i, r) {
	abs = substr(p, 1, 1) == "/"
	n = split(p, part, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (part[i] == "" || part[i] == ".")
			continue
		if (part[i] == ".." && k > 0 && out[k] != "..") {
			k--
			continue
		}
		if (part[i] == ".." && abs)
			continue
		out[++k] = part[i]
	}
	r = ""
	for (i = 1; i <= k; i++)
		r = r (i > 1 ? "/" : "") out[i]
	if (abs)
		return "/" r
	return r == "" ? "." : r
}

{
	lines = $1
	f = substr($0, index($0, " ") + 1)
	mod = substr(f, 1, length(f) - 2)
	is_mod[mod] = 1
	if (f ~ /\.c$/ && lines + 0 > limit + 0) {
		nlong++
		long_name[nlong] = f
		long_lines[nlong] = lines + 0
	}
	dir = f
	sub(/\/[^\/]*$/, "", dir)
	while ((getline text < f) > 0) {
		while (match(text, /#[ \t\r\f\v]*include[ \t\r\f\v]+"[^"]+"/)) {
			inc = substr(text, RSTART, RLENGTH)
			text = substr(text, RSTART + RLENGTH)
			sub(/^[^"]*"/, "", inc)
			sub(/"$/, "", inc)
			to = normpath(substr(inc, 1, 1) == "/" ? inc : dir "/" inc)
			to = substr(to, 1, length(to) - 2)
			if (to != mod)
				edge[mod, to] = 1
		}
	}
	close(f)
}

END {
	n = 0
	for (m in is_mod)
		name[++n] = m
	for (i = 2; i <= n; i++)	# insertion sort: a few dozen names
		for (j = i; j > 1 && name[j - 1] > name[j]; j--) {
			t = name[j]; name[j] = name[j - 1]; name[j - 1] = t
		}
	for (i = 1; i <= n; i++)
		for (j = 1; j <= n; j++)
			reach[i, j] = ((name[i], name[j]) in edge)
	for (k = 1; k <= n; k++)	# Warshall: the transitive closure
		for (i = 1; i <= n; i++) {
			if (!reach[i, k])
				continue
			for (j = 1; j <= n; j++)
				if (reach[k, j])
					reach[i, j] = 1
		}
	circles = 0
	for (i = 1; i <= n; i++) {
		if (i in taken)
			continue
		line = name[i]
		size = 1
		for (j = i + 1; j <= n; j++)
			if (reach[i, j] && reach[j, i]) {
				taken[j] = 1
				line = line " <-> " name[j]
				size++
			}
		if (size > 1) {
			print "circle: " line
			circles++
		}
	}
	for (i = 2; i <= nlong; i++)	# longest first, then by name
		for (j = i; j > 1 && (long_lines[j - 1] < long_lines[j] ||
		     (long_lines[j - 1] == long_lines[j] &&
		      long_name[j - 1] > long_name[j])); j--) {
			t = long_name[j]; long_name[j] = long_name[j - 1]
			long_name[j - 1] = t
			t = long_lines[j]; long_lines[j] = long_lines[j - 1]
			long_lines[j - 1] = t
		}
	for (i = 1; i <= nlong; i++)
		printf "long: %s %d lines > %d\n", long_name[i], long_lines[i], limit
	printf "%d circles, %d files over %d lines, %d modules\n", circles,
	    nlong + 0, limit, n
	exit (circles > 0 || nlong > 0)
}'
