#!/bin/sh
# Probe (issue 14): where MGLRU keeps a re-read hot set against cold files
# read once, and what memory.reclaim takes first.  Not a benchmark
# scenario: run with autoMemoryReclaim=disabled so that nothing but this
# script reclaims, e.g.
#   vmreclaim run -d --name p1 -m 2GB -p 2 --data build/image/bench-1.img \
#     --image build/image/6.12.../initrd.img -w mglru-probe \
#     --set autoMemoryReclaim=disabled --set kernelCommandLine="vrprobe.mode=plain"
# vrprobe.mode=M         how the cold files are reclaimed:
#   plain      memory.reclaim "N swappiness=0"
#   plainsw    memory.reclaim "N" (default swappiness)
#   aged       "+ memcg node max_seq" to lru_gen (forced aging) after every
#              re-read, then as plain
#   evict      lru_gen's "- memcg node min_seq 0 N" (evict the oldest
#              generations only), in steps
#   classic    lru_gen switched off (echo n >/sys/kernel/mm/lru_gen/enabled)
#              before the reclaim, then as plain
#   off0       lru_gen switched off before anything is read, then as plain
#   late       lru_gen switched off after the cold read, before the re-reads
#              (a daemon started late), then as plain
#   age1       one forced aging right before the reclaim only, then as plain
#   age2       two forced agings right before the reclaim, then as plain
# vrprobe.rereads=K      hot-set re-reads between the cold read and the
#                        first reclaim (the benchmark has 1-6 at idleSeconds)
# vrprobe.order=coldfirst  read the cold files before the hot set (the
#                        default reads the hot set first, as the benchmark)
# vrprobe.mib=N          MiB asked of the first reclaim (default 640, the cold
#                        set's size)
# Prints "probe:" lines: lru_gen per generation (file pages in MiB), the
# file LRU lists of /proc/meminfo, workingset counters, and per re-read
# "probe: reread R disk_kib=X".
mode=plain rereads=1 mib=640 order=hotfirst
for w in $(cat /proc/cmdline); do
	case $w in
	vrprobe.mode=*) mode=${w#*=} ;;
	vrprobe.rereads=*) rereads=${w#*=} ;;
	vrprobe.mib=*) mib=${w#*=} ;;
	vrprobe.order=*) order=${w#*=} ;;
	esac
done
p() { echo "probe: $*"; }
disk_read_kib() { read -r _ _ sectors _ </sys/block/vda/stat; echo $((sectors / 2)); }
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
LG=/sys/kernel/debug/lru_gen
CG=/sys/fs/cgroup
# The root memcg's id and node 0: every page here is charged to the root.
memcg_id() { awk '$1 == "memcg" && $3 == "/" { print $2; exit }' $LG; }
# One line per generation: seq, age in ms, file MiB (pages are 4 KiB).
gens() {
	awk '$1 == "memcg" { on = ($3 == "/") } on && NF == 4 && $1 ~ /^[0-9]+$/ {
		printf " g%d:%dms:%dM", $1, $2, $4 / 256 }' $LG
}
seqs() { awk '$1 == "memcg" { on = ($3 == "/") } on && NF == 4 && $1 ~ /^[0-9]+$/ { print $1 }' $LG; }
state() {
	af=$(awk '/^Active\(file\)/ { print int($2 / 1024) }' /proc/meminfo)
	if_=$(awk '/^Inactive\(file\)/ { print int($2 / 1024) }' /proc/meminfo)
	ca=$(awk '/^Cached:/ { print int($2 / 1024) }' /proc/meminfo)
	ws=$(awk '/^workingset_(refault|activate|restore)_file/ { printf " %s=%s", $1, $2 }' $CG/memory.stat)
	p "$1 cached=${ca}M active_file=${af}M inactive_file=${if_}M$ws"
	[ -r $LG ] && p "$1 gens$(gens)"
}
reread() {
	b=$(disk_read_kib)
	vrload read /data/hot >/dev/null
	a=$(disk_read_kib)
	p "reread $1 disk_kib=$((a - b))"
}
age() {
	[ -r $LG ] || return 0
	id=$(memcg_id)
	max=$(seqs | tail -n 1)
	echo "+ $id 0 $max" >$LG 2>/dev/null || p "aging refused"
}
reclaim() { # reclaim MIB
	t0=$(cut -d' ' -f1 /proc/uptime)
	case $mode in
	plainsw) echo "${1}M" >$CG/memory.reclaim 2>/dev/null || p "memory.reclaim fell short" ;;
	evict)
		id=$(memcg_id)
		left=$(($1 * 256))
		# Oldest generation each time, until N pages or 20 tries.
		i=0
		while [ $left -gt 0 ] && [ $i -lt 20 ]; do
			c0=$(awk '/^Cached:/ { print $2 }' /proc/meminfo)
			min=$(awk '$1 == "memcg" { on = ($3 == "/") } on && NF == 4 && $1 ~ /^[0-9]+$/ && $4 > 0 { print $1; exit }' $LG)
			echo "- $id 0 $min 0 $left" >$LG 2>/dev/null || p "evict refused at $min"
			c1=$(awk '/^Cached:/ { print $2 }' /proc/meminfo)
			left=$((left - (c0 - c1) / 4))
			i=$((i + 1))
		done ;;
	*) echo "${1}M swappiness=0" >$CG/memory.reclaim 2>/dev/null || p "memory.reclaim fell short" ;;
	esac
	t1=$(cut -d' ' -f1 /proc/uptime)
	p "reclaim ${1}M mode=$mode took $(echo "$t0 $t1" | awk '{ printf "%d", ($2 - $1) * 1000 }') ms"
}
lru_off() {
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo n >/sys/kernel/mm/lru_gen/enabled
	t1=$(cut -d' ' -f1 /proc/uptime)
	p "lru_gen now $(cat /sys/kernel/mm/lru_gen/enabled), switch took $(echo "$t0 $t1" | awk '{ printf "%d", ($2 - $1) * 1000 }') ms"
}
sleep 3
p "kernel $(uname -r) lru_gen=$(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent) min_ttl_ms=$(cat /sys/kernel/mm/lru_gen/min_ttl_ms 2>/dev/null || echo -) mode=$mode rereads=$rereads mib=$mib order=$order"
if [ "$mode" = off0 ]; then
	lru_off
fi
state boot
if [ "$order" = coldfirst ]; then
	vrload read /data/cold >/dev/null
	state after-cold
	vrload read /data/hot >/dev/null
	state after-hot
else
	vrload read /data/hot >/dev/null
	state after-hot
	vrload read /data/cold >/dev/null
	state after-cold
fi
if [ "$mode" = late ]; then
	lru_off
	state after-off
fi
i=1
while [ $i -le "$rereads" ]; do
	sleep 5
	[ "$mode" = aged ] && age
	reread "pre$i"
	state "after-pre$i"
	i=$((i + 1))
done
[ "$mode" = aged ] && age && state after-age
case $mode in age1) age; state after-age ;; age2) age; age; state after-age ;; esac
if [ "$mode" = classic ]; then
	lru_off
	state after-off
fi
reclaim "$mib"
state after-reclaim1
reread post1
state after-post1
# Two more rounds of a small reclaim (64 MiB, what is left of the cold
# files or the hot set) each followed by a re-read.
for r in 2 3; do
	sleep 5
	[ "$mode" = aged ] && age
	reclaim 64
	state "after-reclaim$r"
	reread "post$r"
done
state end
echo "vmreclaim-event: probe-done"
