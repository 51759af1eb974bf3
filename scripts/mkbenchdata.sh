#!/bin/sh
# The benchmark's data disk: /hot (128 MiB x F, the working set) and /cold
# (640 MiB x F, read once), random content:   scripts/mkbenchdata.sh F OUT
set -eu
f=$1
out=$2
[ -s "$out" ] && [ "$(cat "$out.size" 2>/dev/null)" = "$f" ] && exit 0
dir=$(mktemp -d /tmp/vmreclaim-bench-XXXXXX)
trap 'rm -rf "$dir" "$out.tmp"' EXIT
mkdir "$dir/hot" "$dir/cold"
fill() { # fill DIR FILES MIB_EACH
	i=0
	while [ $i -lt "$2" ]; do
		head -c "$(($3 * 1048576))" /dev/urandom >"$1/file$i"
		i=$((i + 1))
	done
}
fill "$dir/hot" 4 $((32 * f))
fill "$dir/cold" 16 $((40 * f))
mkdir -p "$(dirname "$out")"
mib=$((768 * f))
/sbin/mkfs.ext4 -q -F -L bench -d "$dir" "$out.tmp" "$((mib + mib / 10 + 16))M"
mv "$out.tmp" "$out"
echo "$f" >"$out.size"
echo "mkbenchdata: $out: /hot $((128 * f)) MiB, /cold $((640 * f)) MiB"
