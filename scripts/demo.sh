#!/bin/sh
# The demo: boot a 1 GiB VM with free page reporting and vmreclaimd (its
# default mode, with short idle windows so that this takes two minutes),
# allocate and free 512 MiB in the guest, read 400 MiB of files, go idle;
# record host RSS of the QEMU process against the guest's own figures,
# print a before/after table and draw the plot.
set -eu
cd "$(dirname "$0")/.."

V=build/vmreclaim
OUT=build/demo
NAME=demo
mkdir -p $OUT
$V stop $NAME >/dev/null 2>&1 || true

# run's default guest kernel is the minimal one; without "make kernel"
# the demo boots Debian's, as run would, but without run's line about it.
GK=stock
[ -s build/image/minimal/config ] && GK=minimal
echo "== Booting a 1 GiB VM ($GK kernel, free page reporting on, vmreclaimd inside)"
$V run -d --name $NAME --guest-kernel $GK --data build/image/data-400.img -w demo -m 1GB \
	--set idleSeconds=10 --set sampleInterval=2 >$OUT/run.out
console=$(awk '{ print $3 }' $OUT/run.out)
trap '$V stop $NAME >/dev/null 2>&1 || true' EXIT INT TERM
echo "== Host memory of the VM, once a second (guest: allocate and free 512 MiB,"
echo "   read 400 MiB of files, go idle)"
$V top --name $NAME --record $OUT/demo.csv --until-event idle --after 45 --duration 300
cp "$console" $OUT/console.log 2>/dev/null || true
$V stop $NAME >/dev/null
trap - EXIT INT TERM
$V plot $OUT/demo.csv -o $OUT/demo.svg --title "vmreclaim demo: host RSS of a 1 GiB VM"

set -- $(awk -f scripts/phases.awk $OUT/demo.csv)
mib() { echo $(($1 / 1048576)); }
printf '\n%-44s %8s\n' "host RSS of the QEMU process" MiB
printf '%-44s %8d\n' "after boot" "$(mib $1)"
printf '%-44s %8d\n' "512 MiB allocated in the guest" "$(mib $2)"
printf '%-44s %8d\n' "  ... and freed (free page reporting)" "$(mib $3)"
printf '%-44s %8d\n' "400 MiB of files read into page cache" "$(mib $4)"
printf '%-44s %8d\n' "  ... guest idle (vmreclaimd reclaims cache)" "$(mib $5)"
echo
echo "vmreclaimctl status in the guest, at the end:"
sed -n '/^vmreclaimd [0-9.]*, up/,/^idle periods/p' $OUT/console.log | tr -d '\r'
echo
echo "Recording: $OUT/demo.csv"
echo "Plot:      $OUT/demo.svg"
