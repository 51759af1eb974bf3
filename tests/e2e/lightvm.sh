#!/bin/sh
# End to end: the minimal guest kernel (make kernel: build/image/minimal/)
# booted for real on QEMU's q35 and microvm machines, both at once, each
# running the demo workload with vmreclaimd in dropcache mode.  On each:
# the guest reaches its init, vmreclaimd finds the balloon's free page
# reporting at order 9 and memory.reclaim, the data disk and the guest
# channel work, host RSS falls back after the free and after the read, and
# vmreclaimctl status shows no crash.  Also: make kernel's one line for a
# missing kernel source.
# Prints "ok - ..." / "not ok - ..." and "# ..." figures.
#   sh tests/e2e/lightvm.sh
set -u
cd "$(dirname "$0")/../.."

. tests/e2e-setup.sh
e2e_setup lightvm

IMAGE=build/image/minimal/initrd.img
if [ ! -s "$IMAGE" ] || [ ! -s build/image/minimal/vmlinuz ]; then
	nok "the minimal kernel's image is built (make kernel)"
	exit 0
fi
KV=$(cat build/image/minimal/kernel-version)
echo "# kernel $KV ($(wc -c <build/image/minimal/vmlinuz) bytes)"

# A missing kernel source: one line that says what to install, exit 1.
KSRC=/nonexistent/linux-source.tar.xz scripts/mkkernel.sh >$T/mk.out 2>&1
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <$T/mk.out)" -eq 1 ] && grep -q 'apt-get install linux-source' $T/mk.out; then
	ok "mkkernel: a missing kernel source is one line and exit 1"
else
	nok "mkkernel: a missing kernel source is one line and exit 1 (exit $st)"; sed 's/^/#   /' $T/mk.out
fi

started=0
for m in q35 microvm; do
	# Recorded until 45 s after the workload's idle event: the drop comes
	# 6-8 s after it, vmreclaimctl status at 35 s.
	e2e_start $m 45 -M $m --image $IMAGE --data build/image/data-400.img -w demo -m 1GB -p 2 \
		--set idleSeconds=6 --set sampleInterval=2 --set autoMemoryReclaim=dropcache
	# One boot at a time: the two guests share two host cores.
	sleep 3
done
if [ $started -eq 2 ]; then ok "both VMs started"; else nok "both VMs started ($started)"; fi
wait
for m in q35 microvm; do
	cp "$VMRECLAIM_RUNTIME_DIR/$m/console.log" $T/$m.console 2>/dev/null
done
$V stop --all >/dev/null 2>&1

mib() { awk -v b="$1" 'BEGIN { printf "%d", b / 1048576 }'; }
for m in q35 microvm; do
	con=$T/$m.console
	tr -d '\r' <$con 2>/dev/null >$con.txt
	if grep -q 'vmreclaim-event: boot-done' $con.txt; then ok "$m: the guest reaches its init"
	else nok "$m: the guest reaches its init"; tail -n 15 $con.txt | sed 's/^/#   /'; continue; fi
	probe=$(grep -m 1 '^vmreclaimd: reporting order' $con.txt)
	echo "# $m probe: ${probe#vmreclaimd: }"
	case $probe in *"reporting order 9, balloon: free page reporting"*) ok "$m: free page reporting at order 9" ;;
	*) nok "$m: free page reporting at order 9" ;; esac
	case $probe in *"memory.reclaim: yes"*) ok "$m: memory.reclaim found" ;;
	*) nok "$m: memory.reclaim found" ;; esac
	if grep -q '^vmreclaimd: guest channel .* open' $con.txt; then ok "$m: the guest channel opens"
	else nok "$m: the guest channel opens"; fi
	csv=$T/$m.csv
	if [ -s "$csv" ] && grep -q idle "$csv"; then
		set -- $(awk -f scripts/phases.awk "$csv")
		boot=$1 peak=$2 anon=$3 read=$4 final=$5
		echo "# $m: post-boot $(mib $boot) MiB, peak $(mib $peak) MiB, after freeing 512 MiB $(mib $anon) MiB, at the end $(mib $final) MiB"
		# Returned: how much of what a phase added to host RSS went back.
		# Not "within 15% of post-boot" as in reclaim.sh: this floor is
		# 130 MiB, and 15% of it is less than one CPU's per-CPU page list
		# (pcp high, about 27 MiB in a 1 GiB 2-CPU guest), which free page
		# reporting does not see and which the kernel empties after a
		# large free only by way of page-table isolation (README, "The
		# lightweight VM"; 93.5-94.3% returned without it).  85% fails
		# when reporting or the drop does not happen.
		pct() { awk -v hi="$1" -v lo="$2" -v b="$3" 'BEGIN { printf "%d", (hi > b ? 100 * (hi - lo) / (hi - b) : 0) }'; }
		anon_pct=$(pct "$peak" "$anon" "$boot")
		cache_pct=$(pct "$read" "$final" "$boot")
		if [ "$peak" -gt $((boot + 400 * 1048576)) ] && [ "$anon_pct" -ge 85 ]; then
			ok "$m: host RSS rose by the 512 MiB and 85% of it went back after the free ($anon_pct%)"
		else nok "$m: host RSS rose by the 512 MiB and 85% of it went back after the free ($anon_pct%)"; fi
		# 400 MiB read from the data disk into page cache.
		if [ "$read" -gt $((boot + 300 * 1048576)) ]; then ok "$m: the data disk is read (host RSS rose by its files)"
		else nok "$m: the data disk is read (host RSS rose by its files: $(mib $read) MiB)"; grep 'mount' $con.txt | sed 's/^/#   /'; fi
		if [ "$cache_pct" -ge 85 ]; then ok "$m: 85% of the read's cache went back after the idle drop ($cache_pct%)"
		else nok "$m: 85% of the read's cache went back after the idle drop ($cache_pct%)"; fi
	else
		nok "$m: recorded the whole workload"; sed 's/^/#   /' $T/$m.top
	fi
	# The status the demo prints at the end, and nothing that crashed.
	if grep -q 'vmreclaimd .*, up ' $con.txt && grep -q 'dropcache  *[1-9][0-9]* runs' $con.txt; then
		ok "$m: vmreclaimctl status answers and shows the drop"
	else nok "$m: vmreclaimctl status answers and shows the drop"; grep -A 20 'up ' $con.txt | sed 's/^/#   /'; fi
	crash=$(grep -E 'Segmentation fault|core dumped|Kernel panic|BUG:|Oops|Call Trace|Aborted|vmreclaimd.*(fatal|assert)' $con.txt)
	if [ -z "$crash" ]; then ok "$m: no crash on the console"
	else nok "$m: no crash on the console"; echo "$crash" | sed 's/^/#   /'; fi
done
left=$(ls "$VMRECLAIM_RUNTIME_DIR" 2>/dev/null)
if [ -z "$left" ]; then ok "stop leaves no VM behind"; else nok "stop leaves no VM behind ($left)"; fi
