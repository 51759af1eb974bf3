#!/bin/sh
# Measurement for the per-CPU list drain (not a benchmark scenario): what a
# pass of vm.stat_refresh costs, whether the kernel decays the lists' high
# mark on it (6.7 and later), and how /proc/zoneinfo shows the lists.  Run
# with autoMemoryReclaim=disabled:
#   vmreclaim run -w pcpprobe -s autoMemoryReclaim=disabled --guest-kernel stock
say() { echo "pcpprobe: $*"; }
# This shell's CPU (utime + stime, clock ticks): fork-free, so the
# builtin writes below are all it counts.
cpu() {
	read -r l </proc/$$/stat
	set -- ${l#*) }
	shift 11
	echo $(($1 + $2))
}
pcp_count() { awk '/^ *count:/ { s += $2 } END { print s }' /proc/zoneinfo; }
sleep 5
say "kernel $(uname -r)"
awk '/pagesets/ { p = 1 } p && n < 12 { print "pcpprobe: zoneinfo: " $0; n++ }' /proc/zoneinfo
say "fields: $(awk '/^ *(high_min|high_max|high|batch|count):/ { print $1 }' /proc/zoneinfo | sort -u | tr '\n' ' ')"
# Fill the lists: a large free.
dd if=/dev/zero of=/dev/null bs=64M count=4 2>/dev/null
head -c 300000000 /dev/zero | tail -c 1 >/dev/null
say "lists hold $(pcp_count) pages (every zone and CPU)"
f0=$(cat /proc/sys/vm/percpu_pagelist_high_fraction)
echo 1073741824 >/proc/sys/vm/percpu_pagelist_high_fraction
c0=$(cpu); t0=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
i=0
while [ $i -lt 32 ]; do
	echo 1 >/proc/sys/vm/stat_refresh
	i=$((i + 1))
	case $i in 1 | 4 | 8 | 16 | 32) say "after $i passes: lists hold $(pcp_count) pages" ;; esac
done
c1=$(cpu); t1=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
echo "$f0" >/proc/sys/vm/percpu_pagelist_high_fraction
say "32 passes (with 5 zoneinfo reads): $((c1 - c0)) ticks CPU, $((t1 - t0)) ms"
c0=$(cpu); t0=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
i=0
while [ $i -lt 32 ]; do echo 1 >/proc/sys/vm/stat_refresh; i=$((i + 1)); done
c1=$(cpu); t1=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
say "32 passes alone: $((c1 - c0)) ticks CPU, $((t1 - t0)) ms"
c0=$(cpu); i=0
while [ $i -lt 20 ]; do read -r x </proc/zoneinfo; i=$((i + 1)); done
c1=$(cpu)
say "20 zoneinfo opens (first line): $((c1 - c0)) ticks"
c0=$(cpu); t0=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
pcp_count >/dev/null
t1=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
say "one full zoneinfo read (awk): $((t1 - t0)) ms"
say "done"
