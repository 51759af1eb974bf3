#!/bin/sh
# End to end in a guest as people run them: Debian 12 with systemd (built
# with mmdebstrap from Debian's archive, kept in build/distro/ between
# runs), the stock Debian 6.1 kernel (or DISTRO_KERNEL's) from the host's /boot, QEMU under TCG
# with a reporting balloon, 1.5 GiB, the shipped defaults.  The guest
# (tests/distro-guest.sh) installs the .deb, checks the unit and
# vmreclaimctl, takes and frees 512 MiB, reads 400 MiB of files, waits for
# the service, removes the package and powers off; its results come over
# the serial console.  Here: the host RSS of QEMU, recorded by
# "vmreclaim top --pid --qmp", must fall after the guest frees memory and
# after its cache goes cold (within idleSeconds, 120 s, plus 60 s).
# Prints "ok - ..." / "not ok - ..." and "# ..." figures.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tap.sh

V=build/vmreclaim
T=$(mktemp -d /tmp/vmreclaim-e2e-distro-XXXXXX)
qpid=""
toppid=""
cleanup() {
	[ -n "$toppid" ] && kill "$toppid" 2>/dev/null
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && sleep 1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t_start=$(date +%s)
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# What the guest needs, built or reused: the package, the root file
# system (scripts/mkdistro.sh; rebuilt only when that script changes),
# vrload, the 400 MiB data disk.
if ! make --no-print-directory -s deb build/distro/rootfs.tar guest build/vmreclaim \
	build/image/data-400.img >$T/make.log 2>&1; then
	nok "the package, the Debian 12 root file system and the data disk build"
	sed 's/^/#   /' $T/make.log | tail -n 30
	exit 1
fi
deb=$(ls build/deb/vmreclaimd_*_"$(dpkg --print-architecture)".deb)
echo "# inputs ready in $(($(date +%s) - t_start)) s"

# The newest Debian kernel of the series DISTRO_KERNEL (default 6.1; "make
# check-distro-6.12" runs 6.12) in /boot; its initrd (MODULES=most) brings
# virtio_blk and ext4; the disk gets the balloon's module.
DISTRO_KERNEL=${DISTRO_KERNEL:-6.1}
case $DISTRO_KERNEL in
*[!0-9.]* | "") nok "DISTRO_KERNEL=$DISTRO_KERNEL: a kernel series such as 6.1 or 6.12"; exit 1 ;;
esac
KVER=$(ls /boot/vmlinuz-$DISTRO_KERNEL.* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)
if [ -z "$KVER" ] || [ ! -r /boot/initrd.img-$KVER ]; then
	nok "a Debian $DISTRO_KERNEL kernel and initrd in /boot (apt-get install linux-image-amd64 or linux-image-6.12-amd64)"
	exit 1
fi
echo "# kernel $KVER"
if ! KVER=$KVER scripts/mkdistro.sh disk build/distro/rootfs.tar "$deb" $T/disk.img >$T/disk.log 2>&1; then
	nok "the guest disk builds"
	sed 's/^/#   /' $T/disk.log
	exit 1
fi

qemu-system-x86_64 -nodefaults -no-reboot -display none -name vrdistro \
	-accel tcg,tb-size=64 -m 1536M -smp 1 \
	-kernel /boot/vmlinuz-$KVER -initrd /boot/initrd.img-$KVER \
	-append "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=error" \
	-drive file=$T/disk.img,format=raw,if=virtio \
	-drive file=build/image/data-400.img,format=raw,if=virtio,readonly=on \
	-device virtio-balloon-pci,id=balloon0,free-page-reporting=on \
	-qmp unix:$T/qmp.sock,server=on,wait=off \
	-serial file:$T/console.log >$T/qemu.log 2>&1 &
qpid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -S $T/qmp.sock ] && break
	sleep 1
done
t0=$(date +%s.%N)
$V top --pid $qpid --qmp $T/qmp.sock --quiet --record $T/rss.csv --duration 1200 \
	>/dev/null 2>$T/top.log &
toppid=$!

# The guest's events, timed on the host against top's clock, until it
# says "finished" or QEMU ends; at most 12 minutes.
: >$T/events
while kill -0 $qpid 2>/dev/null; do
	tr -d '\r' <$T/console.log 2>/dev/null | sed -n 's/.*vmreclaim-event: \([a-z-]*\).*/\1/p' >$T/seen
	now=$(date +%s.%N)
	while read -r e; do
		grep -q "^$e " $T/events || echo "$e $(calc "$now - $t0")" >>$T/events
	done <$T/seen
	grep -q '^finished ' $T/events && break
	if [ $(($(date +%s) - t_start)) -gt 780 ]; then
		nok "the guest finished within 13 minutes (last event: $(tail -n 1 $T/events))"
		break
	fi
	sleep 0.5
done
# The guest powers off after "finished".
for _ in $(seq 30); do kill -0 $qpid 2>/dev/null || break; sleep 1; done
if kill -0 $qpid 2>/dev/null; then
	nok "the guest powers off"
	kill $qpid
else
	ok "the guest powers off"
fi
qpid=""
sleep 1
kill $toppid 2>/dev/null
wait $toppid 2>/dev/null
toppid=""

# The guest's own checks.
tr -d '\r' <$T/console.log | sed -n 's/^vrtest: //p' >$T/guest
grep -q . $T/guest || { nok "the guest ran its checks"; tr -d '\r' <$T/console.log | tail -n 30 | sed 's/^/#   /'; exit 1; }
cat $T/guest
if grep -q '^not ok' $T/guest; then
	echo "#   console, last lines:"
	tr -d '\r' <$T/console.log | grep -v '^vrtest: ' | grep -v '^$' | tail -n 20 | sed 's/^/#   /'
fi

# Host RSS around the guest's events (top's CSV: time_s, vm, pid, rss_bytes, ...).
at() { awk -v e="$1" '$1 == e { print $2 }' $T/events; }
# rss FROM TO min|max: the lowest or highest host RSS between two times.
rss() {
	awk -F, -v a="$1" -v b="$2" -v f="$3" 'NR > 1 && $1 >= a && $1 <= b {
		if (n++ == 0 || (f == "min" && $4 < v) || (f == "max" && $4 > v)) v = $4 }
		END { if (n) printf "%d", v / 1048576; else print "" }' $T/rss.csv
}
a0=$(at anon-start) a1=$(at anon-freed) r0=$(at read-start) r1=$(at read-end) c=$(at cold)
if [ -z "$a0" ] || [ -z "$a1" ] || [ -z "$r0" ] || [ -z "$r1" ] || [ -z "$c" ] || [ ! -s $T/rss.csv ]; then
	nok "recorded the guest's phases and the host RSS"
	sed 's/^/#   /' $T/events $T/top.log
	exit 1
fi
base=$(rss "$(calc "$a0 - 5")" "$a0" max)
peak=$(rss "$a0" "$(calc "$a1 + 2")" max)
after_anon=$(rss "$a1" "$r0" min)
echo "# host RSS: before 512 MiB taken $base MiB, peak $peak MiB, after it is freed $after_anon MiB"
# Freed memory handed back: at least half of what the allocation added.
if [ $((peak - after_anon)) -ge $(((peak - base) / 2)) ] && [ $((peak - base)) -ge 256 ]; then
	ok "host RSS falls after the guest frees 512 MiB"
else
	nok "host RSS falls after the guest frees 512 MiB ($base -> $peak -> $after_anon MiB)"
fi
# Before the read: the lowest since the anonymous memory was freed (the
# guest sleeps 10 s in between). Not the 5 s before read-start as seen
# here: the events are timed by polling the console, and on a loaded host
# that saw read-start once the read was under way or done.
before_read=$after_anon
read_end=$(rss "$r1" "$(calc "$r1 + 2")" max)
half=$((before_read + (read_end - before_read) / 2))
# The first sample after the read at or below half of what it added.
t_half=$(awk -F, -v a="$r1" -v h="$half" 'NR > 1 && $1 > a && $4 / 1048576 <= h { printf "%d", $1 - a; exit }' $T/rss.csv)
final=$(rss "$(calc "$c - 5")" "$c" min)
echo "# host RSS: before the read $before_read MiB, at its end $read_end MiB, cache cold $final MiB"
if [ $((read_end - before_read)) -lt 256 ]; then
	nok "the read grows host RSS by at least 256 MiB ($before_read -> $read_end MiB)"
elif [ -n "$t_half" ] && [ "$t_half" -le 180 ]; then
	echo "# cache read ended -> host RSS down by half of what it added: $t_half s"
	ok "host RSS falls after the cache goes cold (half in $t_half s, limit 180 s)"
else
	nok "host RSS falls after the cache goes cold (not half within 180 s: $before_read -> $read_end -> $final MiB)"
fi
echo "# distro test: $(($(date +%s) - t_start)) s"
