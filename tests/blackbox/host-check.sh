#!/bin/sh
# Black-box tests of "vmreclaim check" on the VMs "vmreclaim run" starts,
# against the fake QEMU (tests/blackbox/fake_qemu.c, first on the PATH):
# the own backend reads the balloon and the channel from QEMU's command
# line and asks the guest channel for vmreclaimd's version and mode.
#   hcok     as run starts it: check passes, exit 0, version and mode shown
#   hcoff    --page-reporting off: exit 1, the QEMU flag to add
#   hcquiet  a guest channel that never answers: exit 1 after --timeout
# and usage errors (exit 2), a VM that is not running and a libvirt URI
# that does not connect (exit 1, one line).  libvirt's own domains are in
# tests/e2e/libvirt.sh.
# Prints "ok - ..." / "not ok - ...".
set -u
cd "$(dirname "$0")/../.."

V=$PWD/build/vmreclaim
FAKE_DIR=$PWD/build/host/fake-qemu
T=$(mktemp -d /tmp/vmreclaim-hostcheck-XXXXXX)
export VMRECLAIM_RUNTIME_DIR=$T/run
mkdir -m 700 "$T/run"
export PATH=$FAKE_DIR:$PATH
# Only the names given are checked; no libvirt unless asked for.
unset LIBVIRT_DEFAULT_URI
cleanup() {
	$V stop --all >/dev/null 2>&1
	for p in $(pgrep -f -- "-pidfile $T/" 2>/dev/null); do kill -9 $p 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

. tests/tap.sh

if [ ! -x $FAKE_DIR/qemu-system-x86_64 ] || [ ! -x $V ]; then
	nok "build/vmreclaim and the fake QEMU are built (make all blackbox-helpers)"
	exit 0
fi
: >$T/vmlinuz
: >$T/initrd.img

# run_d NAME SPEC [ARGS]: a detached VM on the fake QEMU.
run_d() {
	_n=$1
	_spec=$2
	shift 2
	FAKE_QEMU=$_spec $V run -d --name $_n --kernel $T/vmlinuz --image $T/initrd.img \
		--console $T/$_n.con -m 256MB -p 1 "$@" >$T/$_n.run 2>&1 </dev/null
}

check "hcok starts" run_d hcok "guest=ok"
$V check hcok >$T/ok.out 2>&1
rc=$?
sed 's/^/# /' $T/ok.out
check "check passes on a VM as run starts it (exit $rc)" [ $rc -eq 0 ]
check "balloon with reporting, from QEMU's command line" grep -q '^  balloon  *ok, free page reporting on$' $T/ok.out
check "the guest channel answered" grep -q '^  guest channel  *ok, answered$' $T/ok.out
check "vmreclaimd's version and mode" grep -q '^  vmreclaimd  *version 0\.1\.0, mode auto$' $T/ok.out
check "nothing to add" sh -c "! grep -q 'QEMU:' $T/ok.out"

check "hcoff starts" run_d hcoff "guest=ok" --page-reporting off
$V check hcoff >$T/off.out 2>&1
rc=$?
sed 's/^/# /' $T/off.out
check "check fails without free page reporting (exit $rc)" [ $rc -eq 1 ]
check "and gives the QEMU flag to add" \
	grep -q 'QEMU: -device virtio-balloon-pci,id=balloon0,free-page-reporting=on$' $T/off.out

check "hcquiet starts" run_d hcquiet "guest=silent"
t0=$(date +%s)
$V check --timeout 2 hcquiet >$T/quiet.out 2>&1
rc=$?
t=$(($(date +%s) - t0))
sed 's/^/# /' $T/quiet.out
check "check fails on a guest channel that does not answer (exit $rc, $t s)" \
	sh -c "[ $rc -eq 1 ] && [ $t -le 6 ] && grep -q '^  guest channel  *configured, no answer: ' $T/quiet.out"

# every VM: ours, as none is named (libvirt only when its daemon answers)
$V check --timeout 2 >$T/all.out 2>&1
rc=$?
check "check of every VM fails while one is not well (exit $rc)" [ $rc -eq 1 ]
check "and goes through all three" sh -c "[ \$(grep -c '^hc[a-z]* (vmreclaim, pid [0-9]*):$' $T/all.out) -eq 3 ]"

$V check hcnone >$T/none.out 2>&1
rc=$?
check "a VM that is not running: exit 1 (got $rc)" [ $rc -eq 1 ]
check "said in one line" sh -c "[ \$(wc -l <$T/none.out) -eq 1 ] && grep -q 'hcnone is not running' $T/none.out"
$V check --timeout 0 hcok >/dev/null 2>&1
check "--timeout 0 is a usage error (exit 2)" [ $? -eq 2 ]
$V check --bogus >/dev/null 2>&1
check "an unknown option is a usage error (exit 2)" [ $? -eq 2 ]
$V check --connect "qemu:///system?socket=$T/no-such.sock" hcok >$T/uri.out 2>&1
rc=$?
check "a libvirt URI that does not connect: exit 1 in one line (got $rc)" \
	sh -c "[ $rc -eq 1 ] && [ \$(wc -l <$T/uri.out) -eq 1 ] && grep -q 'libvirt qemu:///system' $T/uri.out"
