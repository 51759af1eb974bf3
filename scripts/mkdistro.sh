#!/bin/sh
# A Debian 12 guest as people run them, for tests/e2e/distro.sh:
#   scripts/mkdistro.sh rootfs OUT.tar
#       mmdebstrap from Debian's archive: systemd as init, udev, cron and
#       its timers, apt; no kernel (the guest boots the host's), no network.
#       Slow (minutes); make keeps it in build/distro/ until this script
#       changes.
#   scripts/mkdistro.sh disk ROOTFS.tar DEB OUT.img
#       an ext4 disk of that tree plus, for the test: the .deb in /root,
#       vrload, the test's driver unit and script (tests/distro-guest.sh),
#       and the modules of the host kernel KVER that the initrd does not
#       load (the balloon); seconds.
# Needs root (mmdebstrap's root mode, device nodes in the tree).
set -eu
cd "$(dirname "$0")/.."

MIRROR=${DISTRO_MIRROR:-http://deb.debian.org/debian}
# systemd-sysv: systemd as /sbin/init; udev: loads the balloon's module;
# kmod: modprobe; libinih1: the package's one library (the guest has no
# network to fetch it when the test installs the .deb); make: "make
# uninstall" of an install from source; cron, logrotate: the usual timers
# and jobs of a Debian guest; procps: free, ps for whoever debugs it.
PKGS=systemd-sysv,udev,kmod,libinih1,make,cron,logrotate,procps

rootfs() {
	out=$1
	command -v mmdebstrap >/dev/null || {
		echo "mkdistro: mmdebstrap missing (apt-get install mmdebstrap)" >&2
		exit 1
	}
	mkdir -p "$(dirname "$out")"
	# A root without a password on the console (the guest has no network),
	# no getty on the serial line (the test's script owns the console),
	# the disk as /.
	mmdebstrap --quiet --mode=root --format=tar --variant=minbase --include=$PKGS \
		--customize-hook='echo vrdistro >"$1/etc/hostname"' \
		--customize-hook='echo "/dev/vda / ext4 rw,relatime 0 1" >"$1/etc/fstab"' \
		--customize-hook='chroot "$1" passwd -d root' \
		--customize-hook='chroot "$1" systemctl mask serial-getty@ttyS0.service' \
		bookworm "$out.tmp" "$MIRROR"
	mv "$out.tmp" "$out"
	echo "mkdistro: $out ($(($(stat -c %s "$out") / 1048576)) MiB)"
}

disk() {
	tar=$1 deb=$2 out=$3
	KVER=${KVER:-$(uname -r)}
	stage=$(mktemp -d /tmp/vmreclaim-distro-XXXXXX)
	trap 'rm -rf "$stage"' EXIT
	tar -C "$stage" -xf "$tar"
	# The modules udev loads in the guest, with their dependencies, where
	# modprobe looks for them (the host's initrd brings virtio_blk and ext4).
	for m in virtio_balloon virtio_console; do
		for f in $(modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'); do
			mkdir -p "$stage$(dirname "$f")"
			cp "$f" "$stage$f"
		done
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "/lib/modules/$KVER/$f" ] && cp "/lib/modules/$KVER/$f" "$stage/lib/modules/$KVER/"
	done
	depmod -b "$stage" "$KVER"
	cp "$deb" "$stage/root/vmreclaimd.deb"
	make --no-print-directory -s install-guest DESTDIR="$stage/root/from-source" \
		PREFIX=/usr/local >/dev/null
	mkdir -p "$stage/root/src"
	cp Makefile "$stage/root/src/"
	install -m 0755 build/vrload "$stage/usr/local/bin/vrload"
	install -m 0755 tests/distro-guest.sh "$stage/usr/local/sbin/vr-distro-test"
	cat >"$stage/etc/systemd/system/vr-distro-test.service" <<'UNIT'
[Unit]
Description=vmreclaim distro test driver
[Service]
Type=exec
ExecStart=/usr/local/sbin/vr-distro-test
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
[Install]
WantedBy=multi-user.target
UNIT
	ln -s /etc/systemd/system/vr-distro-test.service \
		"$stage/etc/systemd/system/multi-user.target.wants/vr-distro-test.service"
	mb=$(du -sm "$stage" | cut -f1)
	rm -f "$out"
	/sbin/mkfs.ext4 -q -F -L vrdistro -d "$stage" "$out" "$((mb + 256))M"
}

case ${1:-} in
rootfs) rootfs "$2" ;;
disk) disk "$2" "$3" "$4" ;;
*) echo "usage: mkdistro.sh rootfs OUT.tar | disk ROOTFS.tar DEB OUT.img" >&2; exit 2 ;;
esac
