#!/bin/sh
# End to end: the host asks a guest for its memory back over the guest
# channel.  Two 1 GiB VMs run the demo workload (allocate and free 512 MiB,
# read 400 MiB of files) with a 10-minute settle time, so that nothing but
# the host's request takes their page cache:
#   asked       vmreclaimd in auto mode: "vmreclaim give" must get its cache
#               back (host RSS of QEMU falls by 150 MiB or more)
#   no-daemon   vmreclaimd not started (control): give fails with a clear
#               message, and its host RSS stays where it was
# First "vmreclaim watch --once" with a threshold 64 MiB above the host's
# MemAvailable ranks both and asks the guest that answers.
# Prints "ok - ..." / "not ok - ..." and "# ..." figures.
set -u
cd "$(dirname "$0")/../.."

. tests/e2e-setup.sh
e2e_setup hp
rss_mib() { # rss_mib NAME: host RSS of the VM's QEMU process
	pid=$(cat "$VMRECLAIM_RUNTIME_DIR/$1/qemu.pid" 2>/dev/null)
	awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo 0
}

DATA=build/image/data-400.img
common="--data $DATA -w demo -m 1GB -p 1 --set idleSeconds=600 --set sampleInterval=2"
started=0
for vm in asked no-daemon; do
	extra=""
	[ $vm = no-daemon ] && extra="--set kernelCommandLine=vrinit.daemon=0"
	# Recorded until 10 s after the workload is done.
	# shellcheck disable=SC2086
	e2e_start $vm 10 $common $extra
done
check "two VMs started" [ $started -eq 2 ]
wait

# watch first, while the asked guest still holds its 400 MiB of cache: after
# the give below, a guest on the minimal kernel is down to its floor (host
# RSS 127 MiB, less than 64 MiB of it beyond what the guest uses), and watch
# rightly asks no guest for less than VR_PRESSURE_DEFICIT_MIN (64 MiB).
# The threshold: 64 MiB above the host's MemAvailable now, so that watch
# asks for its minimum, 64 MiB (the guest's reclaim overshoots: asked for
# 99 MiB it released 169), and leaves the give below about 300 MiB to
# release (the host's own drift between the two reads is far less).
avail=$(awk '/^MemAvailable:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
$V watch --once --min-available $((avail + 64))MiB >$T/watch.out 2>$T/watch.err
echo "# watch --once --min-available $((avail + 64))MiB:"
sed 's/^/#   /' $T/watch.out $T/watch.err
check "watch sees the host short and asks the guest holding the most" \
	grep -q "^[0-9:]* asked holds" $T/watch.out
check "watch names the guest that does not answer" grep -q "no-daemon" $T/watch.err
# The guest refuses a second request within 5 s of the last.
sleep 6

a0=$(rss_mib asked)
n0=$(rss_mib no-daemon)
$V give --bytes 1GB asked >$T/give.out 2>&1
give_status=$?
check "give to the guest with vmreclaimd succeeds" [ $give_status -eq 0 ]
# Too soon after the last request: the guest keeps its memory.
$V give --bytes 64MB asked >$T/soon.out 2>&1
check "a second request within 5 s is refused" grep -q "refused too soon" $T/soon.out
released=$(sed -n 's/.*released \([0-9.]*\) MiB.*/\1/p' $T/give.out | cut -d. -f1)
check "the guest says it released 200 MiB of page cache or more (${released:-?} MiB)" \
	[ "${released:-0}" -ge 200 ]
$V give --bytes 1GB no-daemon >$T/give-none.out 2>&1
none_status=$?
check "give to a guest without vmreclaimd fails" [ $none_status -ne 0 ]
check "and says why" grep -q "no answer on the guest channel" $T/give-none.out
# Free page reporting hands the pages back 2 s after the guest frees them.
sleep 12
a1=$(rss_mib asked)
n1=$(rss_mib no-daemon)
echo "# host RSS, MiB: asked $a0 -> $a1, no-daemon $n0 -> $n1"
sed 's/^/#   /' $T/give.out
check "the asked VM's host RSS fell by 150 MiB or more" [ $((a0 - a1)) -ge 150 ]
check "the control's did not (within 50 MiB)" [ $((n0 - n1)) -lt 50 ]

