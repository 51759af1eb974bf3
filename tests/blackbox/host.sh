#!/bin/sh
# Black-box tests of the host tool that need no running guest: settings
# (a real .wslconfig), the QEMU command line, the runtime directory, top
# and plot on bad input.  Prints "ok - ..." / "not ok - ...".
set -u
cd "$(dirname "$0")/../.."

V=build/vmreclaim
T=$(mktemp -d /tmp/vmreclaim-hostbb-XXXXXX)
export VMRECLAIM_RUNTIME_DIR=$T/run
mkdir -m 700 $T/run
trap 'rm -rf "$T"' EXIT

. tests/tap.sh

# A .wslconfig as WSL users write it (CRLF, Windows paths, keys we do not
# know).
printf '%s\r\n' '[wsl2]' 'memory=4GB' 'processors=4' 'swap=8GB' \
	'kernel=C:\\Users\\me\\bzImage' 'localhostForwarding=true' 'guiApplications=false' \
	'pageReporting=true' 'idleThreshold=1' 'kernelCommandLine = sysctl.vm.swappiness=10' \
	'[experimental]' 'autoMemoryReclaim=gradual' 'sparseVhd=true' 'networkingMode=mirrored' \
	'someFutureKey=1' >$T/wslconfig
$V run --config $T/wslconfig --dry-run >$T/out 2>$T/err
rc=$?
check "a real .wslconfig is accepted (exit $rc)" test $rc -eq 0
check "its memory and processors reach QEMU" grep -q -- '-m 4096M -smp 4' $T/out
check "guest settings travel on the kernel command line" \
	grep -q 'vmreclaim.idleThreshold=1 vmreclaim.autoMemoryReclaim=gradual' $T/out
check "kernelCommandLine is appended" grep -q 'sysctl.vm.swappiness=10' $T/out
check "free page reporting is on the balloon" grep -q 'virtio-balloon-pci,id=balloon0,free-page-reporting=on' $T/out
check "the Windows kernel path is warned about, with its line" \
	grep -q "wslconfig:5: warning: kernel = .*not an absolute path on this machine; ignored" $T/err
check "an unknown key warns, as in WSL" grep -q "wslconfig:15: warning: unknown key 'someFutureKey'" $T/err
check "the known WSL keys we do not use warn, in one line" \
	grep -q "wslconfig:4: warning: [0-9]* settings not used by vmreclaim, ignored (lines 4-[0-9]*): swap, " $T/err

# Flags override the file.
$V run --config $T/wslconfig -m 1GB --page-reporting off --set autoMemoryReclaim=dropcache --dry-run >$T/out 2>/dev/null
check "flags override the file" grep -q -- '-m 1024M -smp 4' $T/out
check "--page-reporting off drops the feature" sh -c "grep -q 'id=balloon0 ' $T/out && ! grep -q free-page-reporting $T/out"
check "the last setting wins on the guest command line" grep -q 'vmreclaim.autoMemoryReclaim=dropcache' $T/out

# Bad settings: file:line, exit 2.
printf '[wsl2]\nmemory = lots\nprocessors = 0\n' >$T/bad
$V run --config $T/bad --dry-run >$T/out 2>&1
rc=$?
check "bad settings exit 2 (got $rc)" test $rc -eq 2
check "with the line of each" sh -c "grep -q '$T/bad:2: memory = lots: not a size' $T/out && grep -q '$T/bad:3: processors = 0: must be a whole number' $T/out"
$V run --set idleSeconds=0 --dry-run >$T/out 2>&1
check "a bad --set exits 2" test $? -eq 2
$V run --name 'a/b' --dry-run >/dev/null 2>&1
check "a VM name with a slash is refused" test $? -eq 2

# KVM only with vmx/svm and a working /dev/kvm.
$V run --dry-run >$T/out 2>/dev/null
if grep -qE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
	check "KVM where the CPU has vmx or svm" grep -q -- '-accel kvm' $T/out
else
	check "TCG where the CPU has no vmx or svm (whatever /dev/kvm says)" grep -q -- '-accel tcg' $T/out
fi

# The runtime directory of a VM that died is removed.
mkdir -p $T/run/ghost
echo 999999 >$T/run/ghost/qemu.pid
$V top --once >$T/out 2>&1
rc=$?
check "top with no VM running says so (exit $rc)" test $rc -eq 1
check "and removes a dead VM's directory" test ! -e $T/run/ghost
mkdir -p $T/run/ghost2
echo $$ >$T/run/ghost2/qemu.pid # alive, but not a QEMU
$V stop ghost2 >/dev/null 2>&1
check "stop of a pid that is not QEMU does not kill it" kill -0 $$
check "and removes the stale directory" test ! -e $T/run/ghost2

# plot on bad input.
printf 'not,a,recording\n' >$T/bad.csv
$V plot $T/bad.csv -o $T/bad.svg >$T/out 2>&1
rc=$?
check "plot of a non-recording exits 2 (got $rc)" test $rc -eq 2
check "says where" grep -q "$T/bad.csv:1: not a vmreclaim recording" $T/out
check "and writes no file" test ! -e $T/bad.svg

# A VM in the foreground: SIGTERM shuts it down through QMP and cleans up.
if no_vm; then
	skip "a VM in the foreground stopped by SIGTERM: boots a real QEMU (VR_TEST_NO_VM=1)"
elif [ -r build/image/initrd.img ] && command -v qemu-system-x86_64 >/dev/null; then
	# wait_for PID: up to 30 s, then kill it (a hang must fail the test,
	# not the CI run); the exit status in $rc.
	wait_for() {
		i=0
		while kill -0 $1 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		kill -0 $1 2>/dev/null && kill -9 $1
		wait $1
		rc=$?
	}
	# A signal while QEMU is still starting is not lost.
	$V run --name early --console $T/early.console -m 256MB -p 1 >$T/early.out 2>&1 &
	RUN=$!
	# As soon as it has made its runtime directory (signals are blocked
	# from just before), while QEMU is still starting.
	i=0
	while [ ! -d $T/run/early ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
	kill -TERM $RUN
	wait_for $RUN
	check "SIGTERM while QEMU starts still stops it (exit $rc)" test "$rc" -eq 0
	check "and leaves no QEMU behind" sh -c "! pgrep -f 'vmreclaim-[e]arly' >/dev/null"
	check "nor its runtime directory" test ! -e $T/run/early
	$V run --name fg --console $T/fg.console -m 256MB -p 1 >$T/fg.out 2>&1 &
	RUN=$!
	i=0
	while [ ! -S $T/run/fg/qmp.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	QPID=$(cat $T/run/fg/qemu.pid 2>/dev/null)
	check "the console file is linked where top looks for it" test -L $T/run/fg/console.log
	sleep 1
	kill -TERM $RUN
	wait_for $RUN
	check "SIGTERM stops a foreground VM, exit 0 (got $rc)" test "$rc" -eq 0
	check "through QMP quit" grep -q 'shutting fg down' $T/fg.out
	check "QEMU is gone" sh -c "[ -n '$QPID' ] && ! kill -0 '$QPID' 2>/dev/null"
	check "and the runtime directory with it" test ! -e $T/run/fg
	check "the console went to the file asked for" test -e $T/fg.console
else
	nok "the guest image and QEMU are there for the foreground test"
fi
