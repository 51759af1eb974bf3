#!/bin/sh
# What holds a build's memory after auto has settled (not a benchmark
# scenario): the build scenario's rounds, with the kernel's memory figures
# taken after boot, at the workload's end and at points after it, kept in
# /run and printed at the end (printing them as they are taken would make
# the guest look busy to the service).  Run as the benchmark runs build:
#   vmreclaim run -m 2GB -p 2 -w buildprobe --data build/image/bench-1.img \
#       --image build/image/6.1.0-57-amd64/initrd.img \
#       --set kernelCommandLine="vrinit.size=1 vrinit.burn=60"
. /etc/workloads/bench-lib.sh
D=/run/probe
mkdir -p "$D"
snap() {
	f=$D/$1
	{
		echo "== uptime $(cat /proc/uptime)"
		echo "== meminfo"; cat /proc/meminfo
		echo "== vmstat"; cat /proc/vmstat
		echo "== buddyinfo"; cat /proc/buddyinfo
		echo "== pagetypeinfo"; cat /proc/pagetypeinfo
		echo "== pcp"; grep -E "^Node|cpu:|count:|high:|batch:" /proc/zoneinfo
		echo "== memory.stat"; cat /sys/fs/cgroup/memory.stat 2>/dev/null
		echo "== slabinfo"; cat /proc/slabinfo 2>/dev/null
		echo "== order $(cat /sys/module/page_reporting/parameters/page_reporting_order 2>/dev/null)"
		echo "== status"; vmreclaimctl status 2>&1
	} >"$f"
	ev "probe-$1"
}
sleep 3
snap boot
ev work-start
build_rounds
snap end
ev work-end
ev idle
t=0
for p in ${BUILDPROBE_AT:-60 120 180 240 300}; do
	sleep $((p - t))
	t=$p
	snap "t$p"
done
for f in boot end $(for p in ${BUILDPROBE_AT:-60 120 180 240 300}; do echo "t$p"; done); do
	sed "s/^/buildprobe $f: /" "$D/$f"
done
poweroff -f
