#!/bin/sh
# auto on the slab scenario end to end: the walk, what auto says and does
# every 10 s, a re-walk after its drop, and its back-off (not a benchmark
# scenario):
#   vmreclaim run -w slabcheck --data build/image/bench-1.img \
#       -s idleSeconds=24 -s sampleInterval=1
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
/etc/workloads/bench-slab.sh
for i in 1 2 3 4 5 6 7 8; do
	sleep 10
	echo "slabcheck: +$((i * 10)) s $(grep SReclaimable /proc/meminfo)"
	vmreclaimctl status | grep -E "^(slab|cache)" | sed 's/^/slabcheck:   /'
done
t0=$(now_ms)
seq 1 1000000 | sed 's|^|/data/absent-0123456789-0123456789-0123456789-0123456789-0123456789-|' | xargs stat -c '' 2>/dev/null
t1=$(now_ms)
echo "slabcheck: re-walk after auto's drop $((t1 - t0)) ms $(grep SReclaimable /proc/meminfo)"
for i in 1 2 3 4 5; do
	sleep 10
	echo "slabcheck: +$((i * 10)) s $(grep SReclaimable /proc/meminfo)"
	vmreclaimctl status | grep -E "^(slab)" | sed 's/^/slabcheck:   /'
done
poweroff -f
