#!/bin/sh
# Build the guest image from Debian's packages and our static binaries:
#   build/image/vmlinuz      the kernel (a copy of /boot/vmlinuz-KVER)
#   build/image/initrd.img   busybox, the modules below, vmreclaimd,
#                            vmreclaimctl, vrload, image/init, workloads
# KVER: the newest kernel in /lib/modules with a /boot/vmlinuz, unless set.
# The archive is reproducible: sorted names, fixed times and owners.
set -eu
cd "$(dirname "$0")/.."

OUT=${OUT:-build/image}
# crc32c_generic: ext4 asks the crypto API for crc32c, which modinfo does not
# list as a dependency.
MODULES="virtio_pci virtio_balloon virtio_blk virtio_console crc32c_generic ext4"

if [ -z "${KVER:-}" ]; then
	KVER=$(for d in /lib/modules/*; do
		v=$(basename "$d")
		[ -f "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V | tail -n 1)
fi
[ -n "$KVER" ] || { echo "mkimage: no kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 1; }
[ -r "/boot/vmlinuz-$KVER" ] || { echo "mkimage: /boot/vmlinuz-$KVER not readable" >&2; exit 1; }
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

mkdir -p "$OUT"
EPOCH=${SOURCE_DATE_EPOCH:-0}
# The same bytes whatever the umask and the clock.
chmod -R u=rwX,go=rX "$STAGE"
chmod 0755 "$STAGE/init" "$STAGE"/etc/workloads/*.sh "$STAGE"/sbin/* "$STAGE/bin/busybox"
find "$STAGE" -exec touch -h -d "@$EPOCH" {} +
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc --reproducible -R 0:0) | gzip -9 -n >"$OUT/initrd.img.tmp"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
cp "/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
echo "$KVER" >"$OUT/kernel-version"
echo "mkimage: $OUT/initrd.img ($(wc -c <"$OUT/initrd.img") bytes) for kernel $KVER"
