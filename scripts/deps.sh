#!/bin/sh
# Install the Debian packages a task needs, if any are missing.
#   scripts/deps.sh          what `make` and `make check` need
#   scripts/deps.sh --test   what `make test` needs: only says what is
#                            missing (exit 1), installs nothing
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
# libvirt-dev: the host tool's libvirt backend (libvirt's C API, for the
# domains virt-manager, virsh and Cockpit run); libvirt-daemon,
# libvirt-daemon-driver-qemu (libvirtd and its QEMU driver) and
# libvirt-clients (virsh): tests/e2e/libvirt.sh runs a libvirtd of its own.
# linux-source-6.1, bc, flex, bison, libelf-dev, libssl-dev: the minimal
# guest kernel (make kernel, scripts/mkkernel.sh).
PKGS="gcc make libc6-dev musl-tools libinih-dev libcmocka-dev jq libjansson-dev
libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
qemu-system-x86 linux-image-amd64 linux-image-6.12-amd64 busybox-static kmod cpio
e2fsprogs valgrind clang-14 libclang-rt-14-dev systemd debhelper dpkg-dev
mmdebstrap linux-source-6.1 bc flex bison libelf-dev libssl-dev"

# make test: the build, the guest image (host.sh's command-line cases
# need one), jq and systemd-analyze for the black-box tests; no QEMU (a
# fake one stands in), no valgrind, no fuzzer toolchain.
TEST_PKGS="gcc make libc6-dev musl-tools libinih-dev libcmocka-dev jq libjansson-dev
libvirt-dev linux-image-amd64 busybox-static kmod cpio systemd"
check_only=0
if [ "${1:-}" = --test ]; then
	PKGS=$TEST_PKGS
	check_only=1
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$check_only" -eq 1 ]; then
	echo "make test: missing packages:$missing" >&2
	echo "make test: install them first (as root: apt-get install$missing, or scripts/deps.sh); make test installs nothing" >&2
	exit 1
fi

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
