#!/bin/sh
# Build the guest image from Debian's packages and our static binaries:
#   vmlinuz      the kernel (a copy of /boot/vmlinuz-KVER)
#   initrd.img   busybox, the modules below, vmreclaimd, vmreclaimctl,
#                vrload, wslpeer, image/init, the workloads
#   kernel-version
#   config       the kernel's configuration, where there is one: what
#                `vmreclaim run` reads to tell whether the minimal kernel
#                has what the guest needs
# in build/image/KVER/, so that images of several kernels coexist; the
# default kernel's image is also copied to build/image/, where
# `vmreclaim run` and the tests look.
#   scripts/mkimage.sh [--kernel KVER]      (or KVER=... in the environment)
#   scripts/mkimage.sh --minimal
# --minimal: the minimal kernel scripts/mkkernel.sh built (build/kernel/
# bzImage, everything built in, so no modules in the archive), into
# build/image/minimal/.
# KVER: a version in /lib/modules with a /boot/vmlinuz (6.1.0-57-amd64),
# or a prefix of one (6.12); unset: the kernel Debian's linux-image-amd64
# installs (6.1 on Debian 12), else the newest.  OUT=DIR writes there only.
# The archive is reproducible: sorted names, fixed times and owners.
set -eu
cd "$(dirname "$0")/.."

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KVER=$2; shift ;;
	--minimal) MINIMAL=1 ;;
	*) echo "mkimage: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

# crc32c_generic: ext4 asks the crypto API for crc32c, which modinfo does not
# list as a dependency; virtio_mmio: the devices of QEMU's microvm.
MODULES="virtio_pci virtio_mmio virtio_balloon virtio_blk virtio_console crc32c_generic ext4"

installed() {
	for d in /lib/modules/*; do
		v=$(basename "$d")
		[ -f "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V
}
# The kernel the linux-image-amd64 metapackage depends on: the one every
# figure in the README was measured on unless it says otherwise.
debian_default() {
	dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/^linux-image-\([^ ,]*\).*/\1/p'
}
is_default=0
VMLINUZ=
if [ "${MINIMAL:-0}" = 1 ]; then
	[ -r build/kernel/bzImage ] && [ -r build/kernel/kernel-version ] ||
		{ echo "mkimage: build/kernel/bzImage missing (make kernel)" >&2; exit 1; }
	KVER=$(cat build/kernel/kernel-version)
	VMLINUZ=build/kernel/bzImage
	# The configuration of the tree mkkernel.sh built it in (the newest
	# one, should there be several sources unpacked).
	KCONFIG=$(ls -t build/kernel/linux-source-*/.config 2>/dev/null | head -n 1)
	MODULES=
	OUT=${OUT:-build/image/minimal}
elif [ -z "${KVER:-}" ]; then
	KVER=$(debian_default)
	[ -n "$KVER" ] && [ -f "/boot/vmlinuz-$KVER" ] || KVER=$(installed | tail -n 1)
	is_default=1
elif ! [ -f "/boot/vmlinuz-$KVER" ]; then
	# A prefix (6.12): the newest installed kernel that starts with it.
	KVER=$(installed | grep -E "^$KVER([.-]|$)" | tail -n 1 || true)
fi
[ -n "$VMLINUZ" ] || VMLINUZ=/boot/vmlinuz-$KVER
[ -n "${KCONFIG:-}" ] || KCONFIG=/boot/config-$KVER
[ -n "$KVER" ] || { echo "mkimage: no such kernel in /boot (apt-get install linux-image-amd64 or linux-image-6.12-amd64)" >&2; exit 1; }
[ -r "$VMLINUZ" ] || { echo "mkimage: $VMLINUZ not readable" >&2; exit 1; }
[ "${MINIMAL:-0}" = 0 ] && [ "$KVER" = "$(debian_default)" ] && is_default=1
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && file_is_static=$(readelf -l "$BUSYBOX" | grep -c 'program interpreter' || true)
if [ ! -x "$BUSYBOX" ] || [ "${file_is_static:-1}" != 0 ]; then
	echo "mkimage: a static /bin/busybox is needed (apt-get install busybox-static)" >&2
	exit 1
fi
for b in vmreclaimd vmreclaimctl vrload wslpeer; do
	[ -x "build/$b" ] || { echo "mkimage: build/$b missing (run make)" >&2; exit 1; }
done

STAGE=$(mktemp -d /tmp/vmreclaim-image-XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bin" "$STAGE/sbin" "$STAGE/etc/workloads" "$STAGE/lib/modules" \
	"$STAGE/proc" "$STAGE/sys" "$STAGE/dev" "$STAGE/run" "$STAGE/tmp" "$STAGE/data" "$STAGE/root"

# Modules and their dependencies, dependencies first (modinfo -F depends).
seen=" "
order=""
add_module() {
	case "$seen" in *" $1 "*) return ;; esac
	seen="$seen$1 "
	deps=$(modinfo -k "$KVER" -F depends "$1" 2>/dev/null) || {
		# Built into the kernel: nothing to load.
		modinfo -k "$KVER" "$1" >/dev/null 2>&1 || echo "mkimage: note: $1 is not a module of $KVER" >&2
		return
	}
	for d in $(echo "$deps" | tr ',' ' '); do add_module "$d"; done
	f=$(modinfo -k "$KVER" -F filename "$1")
	case "$f" in
	"(builtin)") return ;;
	*.ko) cp "$f" "$STAGE/lib/modules/$1.ko" ;;
	*.ko.xz) xz -dc "$f" >"$STAGE/lib/modules/$1.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$STAGE/lib/modules/$1.ko" ;;
	*) echo "mkimage: $1: unexpected module file $f" >&2; exit 1 ;;
	esac
	order="$order$1.ko
"
}
for m in $MODULES; do add_module "$m"; done
printf '%s' "$order" >"$STAGE/lib/modules/load.order"

cp "$BUSYBOX" "$STAGE/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -s busybox "$STAGE/bin/$a"
done
cp build/vmreclaimd build/vmreclaimctl build/vrload build/wslpeer "$STAGE/sbin/"
cp image/init "$STAGE/init"
cp image/workloads/*.sh "$STAGE/etc/workloads/"
chmod 0755 "$STAGE/init" "$STAGE"/etc/workloads/*.sh
echo "root:x:0:0:root:/root:/bin/sh" >"$STAGE/etc/passwd"
echo "PS1='vmreclaim-guest# '" >"$STAGE/etc/profile"
echo "$KVER" >"$STAGE/etc/kernel-version"

DIR=${OUT:-build/image/$KVER}
mkdir -p "$DIR"
EPOCH=${SOURCE_DATE_EPOCH:-0}
# The same bytes whatever the umask and the clock.
chmod -R u=rwX,go=rX "$STAGE"
chmod 0755 "$STAGE/init" "$STAGE"/etc/workloads/*.sh "$STAGE"/sbin/* "$STAGE/bin/busybox"
find "$STAGE" -exec touch -h -d "@$EPOCH" {} +
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc --reproducible -R 0:0) | gzip -9 -n >"$DIR/initrd.img.tmp"
mv "$DIR/initrd.img.tmp" "$DIR/initrd.img"
cp "$VMLINUZ" "$DIR/vmlinuz"
echo "$KVER" >"$DIR/kernel-version"
if [ -r "$KCONFIG" ]; then cp "$KCONFIG" "$DIR/config"; else rm -f "$DIR/config"; fi
echo "mkimage: $DIR/initrd.img ($(wc -c <"$DIR/initrd.img") bytes) for kernel $KVER"
if [ -z "${OUT:-}" ] && [ "$is_default" = 1 ]; then
	# The default lookup: vmreclaim run, the e2e tests, make install.
	for f in vmlinuz kernel-version initrd.img config; do
		[ -f "$DIR/$f" ] || { rm -f "build/image/$f"; continue; }
		cp "$DIR/$f" "build/image/$f.tmp" && mv "build/image/$f.tmp" "build/image/$f"
	done
	echo "mkimage: build/image/ is the $KVER image (the default)"
fi
