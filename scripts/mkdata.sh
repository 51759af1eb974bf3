#!/bin/sh
# Make an ext4 disk image holding MIB MiB of files (50 MiB each, random
# content so that nothing on the host can deduplicate it), for the guest to
# read into its page cache:   scripts/mkdata.sh MIB OUT.img
set -eu
mib=$1
out=$2
[ -s "$out" ] && [ "$(cat "$out.mib" 2>/dev/null)" = "$mib" ] && exit 0
dir=$(mktemp -d /tmp/vmreclaim-data-XXXXXX)
trap 'rm -rf "$dir" "$out.tmp"' EXIT
i=0
left=$mib
while [ "$left" -gt 0 ]; do
	n=$((left < 50 ? left : 50))
	head -c "$((n * 1048576))" /dev/urandom >"$dir/file$i"
	left=$((left - n))
	i=$((i + 1))
done
mkdir -p "$(dirname "$out")"
# Room for the file system's own blocks: 10% + 16 MiB.
/sbin/mkfs.ext4 -q -F -L data -d "$dir" "$out.tmp" "$((mib + mib / 10 + 16))M"
mv "$out.tmp" "$out"
echo "$mib" >"$out.mib"
echo "mkdata: $out holds $mib MiB in $i files"
