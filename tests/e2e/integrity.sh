#!/bin/sh
# End to end: no data lost, no OOM kill caused.  Six 1 GiB VMs, each with
# its own empty, writable ext4 disk, run the "integrity" workload
# (image/workloads/integrity.sh):
#   none        vmreclaimd not started (the control for OOM kills)
#   disabled    compaction only
#   dropcache   drop the page cache when idle
#   gradual     memory.reclaim a step per idle tick
#   auto        cache reclaim, compaction and a lowered reporting order
#   give        auto with a 10-minute idle time, so that only the host's
#               request ("vmreclaim give") takes the cache
# Each writes 192 MiB of known contents (64 MiB of it left dirty), lets the
# service act, verifies every 4 KiB block, fills 90% of its memory for 20 s,
# verifies again and powers off.  Then each boots again on its disk and
# verifies once more, and e2fsck checks the file system from the host.
# Prints "ok - ..." / "not ok - ..." and "# ..." figures.
set -u
cd "$(dirname "$0")/../.."

. tests/e2e-setup.sh
e2e_setup int

MODES="none disabled dropcache gradual auto give"
# A VM runs until its guest powers off; 900 s would mean it hung.  Idle
# is 6 s under 5% busy: this test is about what the service does, not
# when, and with six TCG guests on two host cores a guest that does
# nothing can show 1-2% busy.  auto waits 12 s for the cache to settle: it
# must not take the cache while the files are still being written (the
# sync between the clean and the dirty ones can take seconds here), or
# less than 64 MiB would be dirty when it acts.
boot() { # boot NAME LOG: one boot of the VM on its disk, in the foreground
	case $1 in
	none) extra="--set kernelCommandLine=vrinit.daemon=0" ;;
	give) extra="--set autoMemoryReclaim=auto --set idleSeconds=600" ;;
	auto) extra="--set autoMemoryReclaim=auto --set idleSeconds=12" ;;
	*) extra="--set autoMemoryReclaim=$1" ;;
	esac
	# shellcheck disable=SC2086
	timeout 900 $V run --name "$1" -m 1GB -p 1 --data "$T/$1.img" --set dataDiskWritable=true \
		-w integrity --set sampleInterval=2 --set idleSeconds=6 --set idleThreshold=5 \
		--set metricsFile=/run/vmreclaim.prom \
		$extra --console "$2" \
		>"$2.run" 2>&1
	echo $? >"$2.rc"
}
dirty_before() { [ "$1" -ge 49152 ] && [ "$2" -eq 0 ]; }
both_zero() { [ "$1" = 0 ] && [ "$2" = 0 ]; }
no_more_kills() { # no_more_kills KILLS CONTROL_KILLS EXIT
	[ -n "$1" ] && [ -n "$2" ] && [ "$1" -le "$2" ] && [ "$3" = 0 ]
}
# The value of KEY=VALUE in the event line of LOG that starts with WORD.
event() { # event LOG WORD [KEY]
	line=$(tr -d '\r' <"$1" | grep "^vmreclaim-event: $2\( \|$\)" | tail -n 1)
	if [ $# -eq 2 ]; then
		echo "${line#vmreclaim-event: }"
	else
		echo "$line" | tr ' ' '\n' | sed -n "s/^$3=//p"
	fi
}

for m in $MODES; do
	rm -f "$T/$m.img"
	truncate -s 320M "$T/$m.img"
	/sbin/mkfs.ext4 -q -F -L integrity "$T/$m.img"
done

# The host's request, once the give VM has written its files.
ask() {
	i=0
	while ! grep -q "integrity-written" "$T/give.1" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 1
		i=$((i + 1))
	done
	$V give --bytes 1GB give >"$T/give.out" 2>&1
	echo $? >"$T/give.rc"
}

t0=$(date +%s)
for m in $MODES; do boot "$m" "$T/$m.1" & done
ask &
wait
t1=$(date +%s)
for m in $MODES; do boot "$m" "$T/$m.2" & done
wait
t2=$(date +%s)
echo "# first boots: $((t1 - t0)) s, second boots: $((t2 - t1)) s (six VMs at once)"

for m in $MODES; do
	l1=$T/$m.1 l2=$T/$m.2
	echo "# $m: $(event "$l1" integrity-written)"
	[ "$m" != none ] && echo "# $m: $(event "$l1" integrity-service)"
	echo "# $m: $(event "$l1" integrity-fill)"
	for when in reclaimed filled; do echo "# $m: $(event "$l1" integrity-$when)"; done
	echo "# $m: $(event "$l2" integrity-restart)"
	# The checks below can fail: a block that differs, a file that is
	# missing or short, an unclean file system, or a VM that did not
	# come down by itself.
	check "$m: both boots powered off by themselves (exit $(cat "$l1.rc" "$l2.rc" 2>/dev/null | tr '\n' ' '))" \
		both_zero "$(cat "$l1.rc" 2>/dev/null)" "$(cat "$l2.rc" 2>/dev/null)"
	dirty=$(event "$l1" integrity-written dirty_kib)
	early=$(event "$l1" integrity-written runs)
	check "$m: 48 MiB or more was dirty before the service acted (${dirty:-?} KiB, ${early:-?} runs before)" \
		dirty_before "${dirty:-0}" "${early:-1}"
	if [ "$m" != none ]; then
		runs=$(event "$l1" integrity-service runs)
		check "$m: the service acted ($runs runs)" [ "${runs:-0}" -gt 0 ]
	fi
	for when in reclaimed filled restart; do
		log=$l1
		[ $when = restart ] && log=$l2
		check "$m: every block of the 192 MiB reads back as written ($when)" \
			grep -q "^vmreclaim-event: integrity-$when ok" "$log"
	done
	# Reclaim must have sent the reads to the disk, or the check above
	# only read the page cache back.
	case $m in dropcache | gradual | give)
		r=$(event "$l1" integrity-reclaimed disk_read_kib)
		check "$m: the check after reclaim read 64 MiB or more from the disk (${r:-?} KiB)" \
			[ "${r:-0}" -ge 65536 ] ;;
	esac
	r=$(event "$l2" integrity-restart disk_read_kib)
	check "$m: after the restart every block came from the disk (${r:-?} KiB)" [ "${r:-0}" -ge 196608 ]
	if e2fsck -fn "$T/$m.img" >"$T/$m.fsck" 2>&1; then ok "$m: e2fsck finds the file system clean"
	else nok "$m: e2fsck finds the file system clean"; sed 's/^/#   /' "$T/$m.fsck" | tail -n 10; fi
	if [ $m = give ]; then
		echo "# give: vmreclaim give said: $(cat "$T/give.out")"
		check "give: the host's request was answered ok" [ "$(cat "$T/give.rc" 2>/dev/null)" = 0 ]
	fi
	case $(cat "$T/$m.1" "$T/$m.2" 2>/dev/null) in *FAILED*) tr -d '\r' <"$l1" | tail -n 20 | sed 's/^/#   /' ;; esac
done

# OOM kills: none in any mode beyond what the control saw.
base=$(event "$T/none.1" integrity-fill oom_kills)
check "the control filled 90% of its memory (${base:-?} OOM kills)" [ -n "$base" ]
for m in disabled dropcache gradual auto give; do
	k=$(event "$T/$m.1" integrity-fill oom_kills)
	rc=$(event "$T/$m.1" integrity-fill rc)
	during=$(event "$T/$m.1" integrity-fill runs_during)
	psi=$(event "$T/$m.1" integrity-fill pressure_events)
	check "$m: no OOM kill beyond the control's while 90% was filled (${k:-?} vs ${base:-?}, workload exit ${rc:-?}; meanwhile ${during:-?} service actions, ${psi:-?} pressure events)" \
		no_more_kills "$k" "$base" "$rc"
done
if [ -z "$(ls -A "$T/run" 2>/dev/null)" ]; then ok "no runtime directory left behind"
else nok "no runtime directory left behind ($(ls "$T/run"))"; fi
