#!/bin/sh
# Measurement for auto's slab rule (not a benchmark scenario): grow the
# reclaimable slab with negative dentries on the ext4 data disk (stat of
# names that do not exist), then time how memory.reclaim and
# drop_caches=2 return it and what a re-walk of the same names costs
# after each.  Run with autoMemoryReclaim=disabled and --data.
#   vmreclaim run -w slabprobe --data build/image/data-400.img -s autoMemoryReclaim=disabled
N=${SLABPROBE_N:-600000}
for w in $(cat /proc/cmdline); do
	case $w in vrinit.slabn=*) N=${w#*=} ;; esac
done
sreclaim() { awk '/^SReclaimable:/ { print $2 }' /proc/meminfo; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
say() { echo "slabprobe: $*"; }
# 64-character names: past the dentry's inline name, so each negative
# dentry also holds an external name (a reclaimable kmalloc).
names() { seq 1 "$N" | sed 's|^|/data/never-there-0123456789-0123456789-0123456789-0123456789-|'; }
walk() { names | xargs stat -c '' 2>/dev/null; }
timed_walk() {
	t0=$(now_ms); walk; t1=$(now_ms)
	say "$1: walk of $N names $((t1 - t0)) ms, SReclaimable $(sreclaim) kB"
}
sleep 5
say "kernel $(uname -r) N=$N"
# The pipeline alone (no lookups of new names): its cost is in every walk.
t0=$(now_ms); names | xargs true; t1=$(now_ms)
say "pipeline alone $((t1 - t0)) ms"
s0=$(sreclaim)
say "before: SReclaimable $s0 kB"
timed_walk "cold (grow)"
s1=$(sreclaim)
say "growth $(( (s1 - s0) / 1024 )) MiB"
timed_walk "warm"
sleep 10
say "after 10 s idle: SReclaimable $(sreclaim) kB"

swp=""
echo "0 swappiness=0" >/sys/fs/cgroup/memory.reclaim 2>/dev/null && swp=" swappiness=0"
# (a) memory.reclaim of the growth, then of twice the growth.
for mult in 1 2; do
	b=$(( (s1 - s0) * 1024 * mult ))
	sb=$(sreclaim); t0=$(now_ms)
	if echo "$b$swp" >/sys/fs/cgroup/memory.reclaim 2>/dev/null; then r=ok; else r=failed; fi
	t1=$(now_ms); sa=$(sreclaim)
	say "memory.reclaim $((b / 1048576)) MiB$swp: $r in $((t1 - t0)) ms, SReclaimable $sb -> $sa kB ($(( (sb - sa) * 100 / (s1 - s0 + 1) ))% of growth)"
	grep -E '^(Cached|MemFree):' /proc/meminfo | tr -s ' ' | sed 's/^/slabprobe:   /'
done
timed_walk "after memory.reclaim"
timed_walk "warm again"
# (b) drop_caches=2
sb=$(sreclaim); t0=$(now_ms)
echo 2 >/proc/sys/vm/drop_caches
t1=$(now_ms); sa=$(sreclaim)
say "drop_caches=2: $((t1 - t0)) ms, SReclaimable $sb -> $sa kB ($(( (sb - sa) * 100 / (s1 - s0 + 1) ))% of growth)"
timed_walk "after drop_caches=2"
# (c) memory.reclaim in small steps (what auto would do per tick).
sb=$(sreclaim); t0=$(now_ms); steps=0
while [ $steps -lt 8 ]; do
	echo "$((32 * 1048576))$swp" >/sys/fs/cgroup/memory.reclaim 2>/dev/null || break
	steps=$((steps + 1))
done
t1=$(now_ms); sa=$(sreclaim)
say "memory.reclaim 8 x 32 MiB: $steps ok in $((t1 - t0)) ms, SReclaimable $sb -> $sa kB"
grep -E '^(Cached|MemFree|SUnreclaim):' /proc/meminfo | tr -s ' ' | sed 's/^/slabprobe:   /'
say done
poweroff -f
