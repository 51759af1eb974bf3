#!/bin/sh
# Data integrity and OOM safety, for tests/e2e/integrity.sh.  Needs a
# writable, empty ext4 data disk (dataDiskWritable).  Two boots:
#
# First boot (no /data/integrity/state yet):
#   1. write 128 MiB of known contents and sync it, then 64 MiB more that is
#      kept dirty (periodic writeback off), and say how much is dirty;
#   2. wait until the service has acted (a compaction, drop or reclaim in
#      its totals; at most WAIT_SEC), then say how much is still dirty and
#      verify every 4 KiB block of every file, counting what came from disk;
#   3. fill 90% of MemTotal with anonymous memory and hold it 20 s (the
#      service may act meanwhile), count OOM kills (/proc/vmstat
#      oom_kill), and verify the files again;
#   4. sync, unmount, power off.
# Second boot: verify every file, unmount, power off.
# Each result is a "vmreclaim-event:" line on the console for the host.
ev() { echo "vmreclaim-event: $1"; }
WAIT_SEC=180
DIR=/data/integrity
FILES="clean0 clean1 clean2 clean3 dirty0 dirty1"
SIZE=32M

meminfo_kib() { # meminfo_kib KEY (no colon), without forking
	while read -r k v _; do
		[ "$k" = "$1:" ] && { echo "$v"; return; }
	done </proc/meminfo
	echo 0
}
vmstat_value() {
	while read -r k v; do
		[ "$k" = "$1" ] && { echo "$v"; return; }
	done </proc/vmstat
	echo 0
}
disk_read_kib() { read -r _ _ sectors _ </sys/block/vda/stat; echo $((sectors / 2)); }
# Runs of compact, dropcache and reclaim in the service's totals, from
# the metrics file it writes after every sample (read without forking: a
# guest that forks every few seconds does not count as idle).
METRICS=/run/vmreclaim.prom
# Sleep without forking: a read with a timeout on a FIFO nobody writes.
NAP=/run/integrity.nap
nap() { read -r -t "$1" _ <>$NAP; }
# Sets RUNS, and PRESSURE (memory pressure events the service saw); a
# $(...) would fork a subshell.
count_runs() {
	RUNS=0
	PRESSURE=0
	[ -f $METRICS ] && while read -r k v; do
		case $k in
		vmreclaim_actions_total*) RUNS=$((RUNS + v)) ;;
		vmreclaim_pressure_events_total) PRESSURE=$v ;;
		esac
	done <$METRICS
}
verify_all() { # verify_all WHEN: every file, one event with the result
	d0=$(disk_read_kib)
	bad=""
	for f in $FILES; do
		vrload verify "$DIR/$f" $SIZE >/dev/null || bad="$bad $f"
	done
	d1=$(disk_read_kib)
	if [ -z "$bad" ]; then
		ev "integrity-$1 ok files=6 mib=192 disk_read_kib=$((d1 - d0))"
	else
		ev "integrity-$1 FAILED differ:$bad"
	fi
}
finish() {
	sync
	umount /data || ev "integrity: umount /data failed"
	ev integrity-done
	poweroff -f
}

daemon=1
for w in $(cat /proc/cmdline); do
	case $w in
	vrinit.daemon=0) daemon=0 ;;
	vmreclaim.metricsFile=*) METRICS=${w#*=} ;;
	esac
done
grep -q ' /data ext4 rw' /proc/mounts || {
	ev "integrity FAILED /data is not mounted read-write"
	finish
}

if [ -f $DIR/state ]; then
	# Second boot: what the first one wrote, read from the disk.
	ev integrity-restart
	verify_all restart
	finish
fi

# Keep the dirty files dirty: no periodic writeback, no expiry, and
# thresholds above what is written.
echo 0 >/proc/sys/vm/dirty_writeback_centisecs
echo 360000 >/proc/sys/vm/dirty_expire_centisecs
echo 60 >/proc/sys/vm/dirty_ratio
echo 50 >/proc/sys/vm/dirty_background_ratio
sleep 2
mkdir -p $DIR
for f in clean0 clean1 clean2 clean3; do
	vrload write $DIR/$f $SIZE >/dev/null || ev "integrity FAILED write $f"
done
sync
for f in dirty0 dirty1; do
	vrload write $DIR/$f $SIZE >/dev/null || ev "integrity FAILED write $f"
done
echo written >$DIR/state
count_runs
ev "integrity-written dirty_kib=$(meminfo_kib Dirty) cached_kib=$(meminfo_kib Cached) runs=$RUNS"

# Wait for the service, looking every 5 s.
waited=0
if [ $daemon = 1 ]; then
	mkfifo $NAP
	count_runs
	while [ $RUNS -eq 0 ] && [ $waited -lt $WAIT_SEC ]; do
		nap 5
		waited=$((waited + 5))
		count_runs
	done
	# Gradual reclaims a step per tick: let it take a few.
	sleep 10
	count_runs
	ev "integrity-service runs=$RUNS waited=$waited dirty_kib=$(meminfo_kib Dirty) cached_kib=$(meminfo_kib Cached)"
fi
verify_all reclaimed

# 90% of the guest's memory, held for 20 s: long enough for the idle
# modes (6 s) and auto (12 s) to act while it is held.
fill=$(($(meminfo_kib MemTotal) * 9 / 10 / 1024))
oom0=$(vmstat_value oom_kill)
count_runs
runs0=$RUNS
pressure0=$PRESSURE
vrload anon ${fill}M 20 >/dev/null
rc=$?
oom1=$(vmstat_value oom_kill)
count_runs
ev "integrity-fill mib=$fill rc=$rc oom_kills=$((oom1 - oom0)) runs=$RUNS runs_during=$((RUNS - runs0)) pressure_events=$((PRESSURE - pressure0))"
verify_all filled
finish
