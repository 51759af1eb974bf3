#!/bin/sh
# Install the Debian packages a task needs, if any are missing.
#   scripts/deps.sh          what `make` and `make check` need
# Needs root (apt-get) only when something is missing.
set -eu

# gcc, make, libc6-dev: the build; musl-tools: the static guest binaries;
# libinih-dev: INI parsing; libcmocka-dev: unit tests; jq: the black-box
# tests check `status --json` with it; libjansson-dev: QMP's JSON on the
# host; qemu-system-x86: the VM; linux-image-amd64, busybox-static, kmod
# (modinfo), cpio: the guest image; linux-image-6.12-amd64 (Debian 12's
# newer kernel beside 6.1): the second guest kernel of the benchmark and of
# tests/e2e/reclaim.sh; e2fsprogs (mkfs.ext4 -d): its data disk;
# valgrind: memcheck over the resource-bounds test; clang-14,
# libclang-rt-14-dev (libFuzzer and the sanitizer runtimes): the fuzzers;
# debhelper, dpkg-dev: make deb (the guest side's Debian package);
# mmdebstrap: the Debian 12 root file system of tests/e2e/distro.sh;
# linux-source-6.1, bc, flex, bison, libelf-dev, libssl-dev: the minimal
# guest kernel (make kernel, scripts/mkkernel.sh).
PKGS="gcc make libc6-dev musl-tools libinih-dev libcmocka-dev jq libjansson-dev
qemu-system-x86 linux-image-amd64 linux-image-6.12-amd64 busybox-static kmod cpio
e2fsprogs valgrind clang-14 libclang-rt-14-dev systemd debhelper dpkg-dev
mmdebstrap linux-source-6.1 bc flex bison libelf-dev libssl-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing" >&2
	echo "deps: as root, run: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
