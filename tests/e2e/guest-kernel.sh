#!/bin/sh
# End to end: "vmreclaim run --guest-kernel minimal" for real, one VM at a
# time under TCG.  The minimal kernel's image (make kernel) boots on
# microvm to the guest's init; and a minimal kernel whose configuration
# lacks free page reporting is said in one line and the stock kernel boots
# instead (a copy of the tool with an image/ of its own beside it, where
# run looks for the images).  The cases without a VM are in
# tests/blackbox/host-faults.sh and tests/unit/test_run.c.
# Prints "ok - ..." / "not ok - ...".
#   sh tests/e2e/guest-kernel.sh
set -u
cd "$(dirname "$0")/../.."

. tests/e2e-setup.sh
e2e_setup guestkernel

for f in build/image/minimal/initrd.img build/image/minimal/vmlinuz build/image/minimal/config \
	build/image/initrd.img build/image/vmlinuz; do
	if [ ! -s $f ]; then
		nok "$f is built (make image kernel)"
		exit 0
	fi
done

# boot TOOL VM ARGS...: "run -d" of VM; waits (at most 90 s: Debian's
# kernel boots in about 8 s under TCG here, on a loaded host up to 4 times
# that) for the guest init's boot-done on the console.  QEMU's command
# line in $T/VM.cmd, run's messages in $T/VM.run; returns 0 once booted.
boot() {
	_tool=$1
	_vm=$2
	shift 2
	$_tool run -d --name $_vm --console $T/$_vm.con -m 512MB -p 1 --accel tcg "$@" >$T/$_vm.out 2>$T/$_vm.run ||
		{ sed 's/^/#   /' $T/$_vm.run; return 1; }
	_pid=$(cat $VMRECLAIM_RUNTIME_DIR/$_vm/qemu.pid 2>/dev/null)
	tr '\0' ' ' </proc/$_pid/cmdline >$T/$_vm.cmd 2>/dev/null
	_i=0
	while [ $_i -lt 900 ] && ! grep -q 'vmreclaim-event: boot-done' $T/$_vm.con 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	$V stop $_vm >/dev/null 2>&1
	grep -q 'vmreclaim-event: boot-done' $T/$_vm.con || { tail -n 15 $T/$_vm.con | sed 's/^/#   /'; return 1; }
}

if boot $V min --guest-kernel minimal -M microvm; then ok "the minimal kernel boots on microvm to the guest's init"
else nok "the minimal kernel boots on microvm to the guest's init"; fi
check "with the minimal kernel on QEMU's command line" grep -q -- "-kernel $PWD/build/image/minimal/vmlinuz " $T/min.cmd
check "and nothing said about the kernel" test ! -s $T/min.run -o "$(grep -c 'minimal kernel' $T/min.run)" -eq 0

K=$T/kbin
mkdir -p $K/image/minimal
cp $V $K/vmreclaim
for f in initrd.img vmlinuz; do
	ln -s $PWD/build/image/$f $K/image/$f
	ln -s $PWD/build/image/minimal/$f $K/image/minimal/$f
done
grep -v '^CONFIG_PAGE_REPORTING=' build/image/minimal/config >$K/image/minimal/config
if boot $K/vmreclaim fb --guest-kernel minimal -M microvm; then ok "a minimal kernel without page reporting: the stock kernel boots instead"
else nok "a minimal kernel without page reporting: the stock kernel boots instead"; fi
check "with the stock kernel on QEMU's command line" grep -q -- "-kernel $K/image/vmlinuz " $T/fb.cmd
check "and run said why in one line" test "$(grep -c '^vmreclaim run: minimal kernel unusable: .*CONFIG_PAGE_REPORTING=y missing); booting the stock kernel$' $T/fb.run)" -eq 1
no_qemu_left() { ! pgrep -f -- "-pidfile $VMRECLAIM_RUNTIME_DIR/" >/dev/null; }
check "no QEMU of these left running" no_qemu_left
