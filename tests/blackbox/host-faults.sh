#!/bin/sh
# Black-box tests of the host tool under faults (docs/faults.md, "Host
# side"): "run", "stop", "top", "give" and "watch" against a fake QEMU
# (tests/blackbox/fake_qemu.c, first on the PATH) that dies, exits, closes
# its QMP socket, sends garbage or too much, or never answers, and whose
# guest channel stays silent, closes or floods; then one real QEMU killed
# under "run" and "top".  Each case checks the exit status, a clear message
# said once, no hang, no QEMU left, and an empty runtime directory.  The
# cases that must wait out a timeout (15 s for QMP at start, 20 s for the
# guest channel) run side by side while the others go on.
# Prints "ok - ..." / "not ok - ...".
set -u
cd "$(dirname "$0")/../.."

V=$PWD/build/vmreclaim
FAKE_DIR=$PWD/build/host/fake-qemu
T=$(mktemp -d /tmp/vmreclaim-hostfaults-XXXXXX)
RUN=$T/run
export VMRECLAIM_RUNTIME_DIR=$RUN
mkdir -m 700 $RUN
REAL_PATH=$PATH
export PATH=$FAKE_DIR:$PATH
cleanup() {
	# Whatever a failed case left: our QEMUs only, by their pid files
	# (another run of this script may be going on beside this one).
	for p in $(pgrep -f -- "-pidfile $T/" 2>/dev/null); do kill -9 $p 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

. tests/tap.sh

if [ ! -x $FAKE_DIR/qemu-system-x86_64 ]; then
	nok "the fake QEMU is built (make blackbox-helpers)"
	exit 0
fi
: >$T/vmlinuz
: >$T/initrd.img

now_ms() { date +%s%3N; }

# The runtime base directory of the VMs that start() starts: $RUN, or one
# of their own for the "watch" cases (watch asks every VM of its base).
base=$RUN

# start NAME SPEC [ARGS]: "vmreclaim run" of VM hfNAME in the background
# with FAKE_QEMU=SPEC; its pid in $run_pid, its output in $T/NAME.out.
start() {
	_n=$1
	_spec=$2
	shift 2
	VMRECLAIM_RUNTIME_DIR=$base FAKE_QEMU=$_spec $V run --name hf$_n --kernel $T/vmlinuz \
		--image $T/initrd.img --console $T/$_n.con -m 256MB -p 1 "$@" >$T/$_n.out 2>&1 </dev/null &
	run_pid=$!
}

# started NAME: wait (up to 5 s) for its QEMU's pid file and sockets.
started() {
	_i=0
	while [ $_i -lt 50 ] && ! { [ -s $base/hf$1/qemu.pid ] && [ -S $base/hf$1/guest.sock ]; }; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s $base/hf$1/qemu.pid ]
}

# wait_for PID SECONDS: its exit status in $rc (137 when it had to be
# killed: a hang fails the case, not the run); the time it took in $ms.
wait_for() {
	_t0=$(now_ms)
	_i=0
	while kill -0 $1 2>/dev/null && [ $_i -lt $(($2 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -0 $1 2>/dev/null && kill -9 $1
	wait $1
	rc=$?
	ms=$(($(now_ms) - _t0))
}

qemu_pid() { cat $base/hf$1/qemu.pid 2>/dev/null; }
# first_qmp_done NAME: wait (up to 10 s) until run is done with its first
# QMP connection (the fake says so on the console).
first_qmp_done() {
	_i=0
	while ! grep -q "fake-qemu: qmp 1 closed" $T/$1.con 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# dead PID: gone, or a zombie that nobody has reaped yet (a daemonized
# QEMU's parent is init).
dead() {
	[ -n "$1" ] || return 1
	kill -0 "$1" 2>/dev/null || return 0
	case "$(sed 's/.*) //' /proc/$1/stat 2>/dev/null)" in
	Z* | X* | "") return 0 ;;
	esac
	return 1
}
# no_qemu NAME: no QEMU of VM hfNAME runs; no_qemu_left: none of this test.
no_qemu() { ! pgrep -f -- "-pidfile $base/hf$1/qemu.pid" >/dev/null; }
no_qemu_left() { ! pgrep -f -- "-pidfile $T/" >/dev/null; }
no_dir() { test ! -e $base/hf$1; }
# count PATTERN FILE: lines of FILE that match.
count() { grep -c -- "$1" "$2"; }
# said_once PATTERN FILE: exactly one line matches.
said_once() { test "$(count "$1" "$2")" -eq 1; }
# Lines of "run" on stderr besides the one that says what it starts.
run_errors() { grep -cv ' MiB, [0-9]* CPUs, ' $T/$1.out; }

# --- the slow cases start, in the background ---------------------------

# QMP that never comes: run waits 15 s, says why, stops QEMU, exit 1.
for m in close silent none; do
	start q$m "qmp=$m"
	eval "slow_q$m=\$run_pid"
done
# QEMU hung (SIGSTOP) under run: a signal to run gets no QMP answer, then
# SIGTERM (which a stopped process only takes when continued), then
# SIGKILL after 10 s.
start hung ""
hung_vm=$run_pid
started hung
first_qmp_done hung
hung_qemu=$(qemu_pid hung)
kill -STOP "$hung_qemu"
kill -TERM $hung_vm

# A guest channel that never answers: "give" gives up after 20 s.
for m in silent lines noaccept; do
	start g$m "guest=$m"
	eval "gvm_$m=\$run_pid"
done
for m in silent lines noaccept; do
	started g$m || nok "fake VM g$m started"
done
for m in silent lines; do
	$V give hfg$m >$T/give-$m.out 2>&1 &
	eval "give_$m=\$!"
done
# QEMU takes one client at a time, with a backlog of one: the third of
# three callers must not wait for ever in connect().
for k in 1 2 3; do
	$V give hfgnoaccept >$T/give-noaccept$k.out 2>&1 &
	eval "give_noaccept$k=\$!"
done
# watch asks every guest of its base for its figures when the host is
# short, and MemAvailable below 100 TiB always is.
base=$T/ws
mkdir -m 700 $base
start wsilent "guest=silent"
wsilent_vm=$run_pid
started wsilent || nok "fake VM wsilent started"
VMRECLAIM_RUNTIME_DIR=$base $V watch --once -m 100TB >$T/watch-silent.out 2>$T/watch-silent.err &
watch_silent=$!
base=$RUN

# --- run ---------------------------------------------------------------------

# QEMU killed mid-run.
start kill ""
started kill
qp=$(qemu_pid kill)
sleep 0.3
kill -9 "$qp"
wait_for $run_pid 10
check "run: QEMU killed mid-run exits 1 (got $rc)" test $rc -eq 1
check "and says QEMU died, once" said_once "hfkill: QEMU (pid $qp) died: Killed" $T/kill.out
check "with nothing else" test "$(run_errors kill)" -eq 1
check "and leaves an empty runtime directory" no_dir kill

# QEMU exits with an error mid-run: that was silent.
start exit "exit=700:3"
wait_for $run_pid 10
check "run: QEMU exiting with status 3 exits 1 (got $rc)" test $rc -eq 1
check "and says so" said_once "hfexit: QEMU (pid [0-9]*) exited with status 3" $T/exit.out
check "and removes the runtime directory" no_dir exit

# QEMU exits before its QMP socket is there.
start early "qmp=none exit=300:4"
wait_for $run_pid 10
check "run: QEMU exiting while starting exits 1 (got $rc)" test $rc -eq 1
check "and says so, with the status" said_once "hfearly: QEMU (pid [0-9]*) exited while starting with status 4" $T/early.out
check "and removes the runtime directory" no_dir early

# "run" itself killed outright (no chance to shut the VM down): its QEMU
# must not stay behind, and the next command that looks removes the
# directory.
start runkill ""
started runkill
qp=$(qemu_pid runkill)
kill -9 $run_pid
wait $run_pid 2>/dev/null
i=0
while ! dead "$qp" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "run killed with SIGKILL: its QEMU quits too" dead "$qp"
$V stop hfrunkill >$T/runkill-stop.out 2>&1
check "and the next stop removes its runtime directory" no_dir runkill

# Something on the QMP socket that is not QMP: no waiting 15 s for it.
for m in garbage huge; do
	start q$m "qmp=$m"
	wait_for $run_pid 15
	check "run: QMP $m exits 1 (got $rc)" test $rc -eq 1
	check "at once (${ms} ms)" test $ms -lt 5000
	check "with one line that says what came, and that QEMU is stopped" test "$(run_errors q$m)" -eq 1
	check "and leaves no QEMU" no_qemu q$m
	check "and no runtime directory" no_dir q$m
done
grep -q "hfqgarbage: QMP: not JSON (.*): 'this is not QMP'; stopping QEMU" $T/qgarbage.out
check "run: QMP garbage is quoted" test $? -eq 0
grep -q "hfqhuge: QMP: a message over 1048576 bytes: not QEMU?; stopping QEMU" $T/qhuge.out
check "run: an endless QMP message is cut off at 1 MiB" test $? -eq 0

# QMP works at start, then sends garbage: a signal still stops QEMU, at once
# (SIGTERM) instead of after 5 s.
start qlater "qmp=ok,garbage"
started qlater
first_qmp_done qlater
qp=$(qemu_pid qlater)
kill -TERM $run_pid
wait_for $run_pid 15
check "run: SIGTERM with QMP gone bad exits 0 (got $rc)" test $rc -eq 0
check "within 3 s (${ms} ms)" test $ms -lt 3000
check "says QMP could not quit QEMU" said_once "hfqlater: cannot quit through QMP (QMP: not JSON.*); sending SIGTERM" $T/qlater.out
check "QEMU is gone" dead "$qp"
check "and the runtime directory too" no_dir qlater

# The same faults with --detach.
FAKE_QEMU="qmp=garbage" $V run -d --name hfdgarbage --kernel $T/vmlinuz --image $T/initrd.img \
	-m 256MB -p 1 >$T/dgarbage.out 2>&1
rc=$?
check "run -d: QMP garbage exits 1 (got $rc)" test $rc -eq 1
check "says so" said_once "hfdgarbage: QMP: not JSON.*; stopping QEMU" $T/dgarbage.out
check "leaves no QEMU" no_qemu dgarbage
check "and no runtime directory" no_dir dgarbage
t0=$(now_ms)
FAKE_QEMU="qmp=silent exit=1500:1" $V run -d --name hfddie --kernel $T/vmlinuz --image $T/initrd.img \
	-m 256MB -p 1 >$T/ddie.out 2>&1
rc=$?
ms=$(($(now_ms) - t0))
check "run -d: QEMU dying before QMP answers exits 1 (got $rc)" test $rc -eq 1
check "without waiting out the 15 s (${ms} ms)" test $ms -lt 6000
check "says so" said_once "hfddie: QEMU exited while starting" $T/ddie.out
check "and leaves no runtime directory" no_dir ddie

# stop, when QMP has gone bad: SIGTERM at once.
FAKE_QEMU="qmp=ok,garbage" $V run -d --name hfstop --kernel $T/vmlinuz --image $T/initrd.img \
	-m 256MB -p 1 >$T/stop.out 2>&1
qp=$(qemu_pid stop)
t0=$(now_ms)
$V stop hfstop >>$T/stop.out 2>&1
rc=$?
ms=$(($(now_ms) - t0))
check "stop: QMP garbage, exit 0 (got $rc)" test $rc -eq 0
check "within 3 s (${ms} ms)" test $ms -lt 3000
check "says why it signals" said_once "hfstop: cannot quit through QMP" $T/stop.out
check "QEMU is gone" dead "$qp"
check "and its runtime directory" no_dir stop

# --- top ------------------------------------------------------------------------

# Each VM's monitor socket misbehaves its own way; the tops run side by side.
TOPS="garbage close huge badstats noballoon silent noaccept back"
for m in $TOPS; do
	case $m in
	back) start t$m "monitor=garbage,ok" ;;
	*) start t$m "monitor=$m" ;;
	esac
	eval "tvm_$m=\$run_pid"
done
for m in $TOPS; do
	started t$m || nok "fake VM t$m started"
	case $m in
	silent | noaccept) d=6 ;;
	*) d=3 ;;
	esac
	timeout 30 $V top --name hft$m --duration $d >$T/t$m.top 2>$T/t$m.err &
	eval "top_$m=\$!"
done
for m in $TOPS; do
	eval "p=\$top_$m"
	wait_for $p 30
	eval "vm=\$tvm_$m"
	kill -TERM $vm
	wait $vm
	[ $m = back ] && continue
	check "top: monitor QMP $m, exit 0 (got $rc)" test $rc -eq 0
	check "said once" said_once "hft$m: no guest figures: " $T/t$m.err
	check "and nothing else" test "$(wc -l <$T/t$m.err)" -eq 1
	check "the VM's directory is gone" no_dir t$m
done
for m in garbage close huge badstats noballoon; do
	check "top: monitor QMP $m, a row every second, without guest figures" \
		test "$(grep -c "^ *[0-9.]* hft.*M *- *- *- *- *- *$" $T/t$m.top)" -ge 4
done
grep -q "hftnoballoon: no guest figures: Device 'balloon0' not found" $T/tnoballoon.err
check "top: QEMU's own error is quoted" test $? -eq 0
# A QMP that never answers costs its timeout (2 s) at each try: tries
# are spaced, so that samples keep their second.
for m in silent noaccept; do
	check "top: monitor QMP $m, samples go on (5 rows or more in 6 s)" \
		test "$(grep -c "^ *[0-9.]* hft" $T/t$m.top)" -ge 5
done
check "top: QMP that recovers is said to" said_once "hftback: guest figures again" $T/tback.err
check "and figures come" grep -q "hftback .* 1024M  *512M" $T/tback.top

# A detached VM killed under top: top ends, and removes what it left.
FAKE_QEMU="" $V run -d --name hftkill --kernel $T/vmlinuz --image $T/initrd.img -m 256MB -p 1 \
	>/dev/null 2>&1
$V top --name hftkill --duration 20 >$T/tkill.top 2>$T/tkill.err &
top=$!
sleep 1.5
kill -9 "$(qemu_pid tkill)"
wait_for $top 10
check "top: a VM killed, top ends by itself, exit 0 (got $rc)" test $rc -eq 0
check "in a second or two (${ms} ms)" test $ms -lt 3000
check "says so once" said_once "hftkill: the VM process is gone; removed $RUN/hftkill" $T/tkill.err
check "and removes its runtime directory" no_dir tkill

# --- give --------------------------------------------------------------------------

for m in close bytes; do
	start g$m "guest=$m"
	vm=$run_pid
	started g$m
	t0=$(now_ms)
	$V give hfg$m >$T/give-$m.out 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	check "give: guest channel $m exits 1 (got $rc)" test $rc -eq 1
	check "at once (${ms} ms)" test $ms -lt 3000
	check "one line" test "$(wc -l <$T/give-$m.out)" -eq 1
	kill -TERM $vm
	wait $vm
done
check "give: a closed channel is said as such" grep -q "hfgclose: no answer on the guest channel: the connection was closed" $T/give-close.out
check "give: a flood is cut off" grep -q "hfgbytes: no answer on the guest channel: a line too long for an answer" $T/give-bytes.out

# give to a detached VM that was killed: an error, and its directory goes.
FAKE_QEMU="" $V run -d --name hfgdead --kernel $T/vmlinuz --image $T/initrd.img -m 256MB -p 1 \
	>/dev/null 2>&1
kill -9 "$(qemu_pid gdead)"
sleep 0.2
$V give hfgdead >$T/give-dead.out 2>&1
rc=$?
check "give: a VM whose QEMU was killed, exit 1 (got $rc)" test $rc -eq 1
check "says it is not running" said_once "hfgdead is not running" $T/give-dead.out
check "and removes its runtime directory" no_dir gdead

# --- watch ------------------------------------------------------------------------

# A guest that closes the channel twice, then answers: one line for the
# fault, one when it answers; then its QEMU (detached) is killed: one
# line, and its directory goes.
base=$T/wf
mkdir -m 700 $base
VMRECLAIM_RUNTIME_DIR=$base FAKE_QEMU="guest=close,close,ok" $V run -d --name hfwflaky \
	--kernel $T/vmlinuz --image $T/initrd.img -m 256MB -p 1 >/dev/null 2>&1
VMRECLAIM_RUNTIME_DIR=$base $V watch -i 1 -m 100TB >$T/watch.out 2>$T/watch.err &
watch=$!
sleep 4.5
kill -9 "$(qemu_pid wflaky)"
sleep 2
kill -INT $watch
wait_for $watch 30
check "watch: ends on SIGINT, exit 0 (got $rc)" test $rc -eq 0
check "a guest channel that closes is said once" said_once "hfwflaky: no answer on the guest channel: the connection was closed" $T/watch.err
check "and when it answers again" said_once "hfwflaky: the guest answers again" $T/watch.err
check "a VM killed is said once" said_once "hfwflaky: QEMU is gone; removing $base/hfwflaky" $T/watch.err
check "and its directory is removed" no_dir wflaky
base=$RUN

# --- the slow cases ------------------------------------------------------------------

for m in close silent none; do
	eval "p=\$slow_q$m"
	wait_for $p 30
	check "run: QMP $m exits 1 (got $rc)" test $rc -eq 1
	check "says QMP gave nothing and QEMU is stopped, once" said_once "hfq$m: QMP: .*; gave up after 15 s; stopping QEMU" $T/q$m.out
	check "and nothing else" test "$(run_errors q$m)" -eq 1
	check "leaves no QEMU" no_qemu q$m
	check "and no runtime directory" no_dir q$m
done
wait_for $hung_vm 30
check "run: SIGTERM with QEMU hung (SIGSTOP) exits 0 (got $rc)" test $rc -eq 0
check "says QMP did not answer" said_once "hfhung: cannot quit through QMP (QMP: no answer from QEMU within 2000 ms); sending SIGTERM" $T/hung.out
check "QEMU is gone (SIGKILL)" dead "$hung_qemu"
check "and the runtime directory too" no_dir hung
for m in silent lines; do
	eval "p=\$give_$m"
	wait_for $p 40
	check "give: guest channel $m, exit 1 (got $rc)" test $rc -eq 1
	check "one line: timed out" said_once "hfg$m: no answer on the guest channel: timed out" $T/give-$m.out
done
for k in 1 2 3; do
	eval "p=\$give_noaccept$k"
	wait_for $p 40
	check "give: guest channel never accepting, caller $k ends (exit $rc)" test $rc -eq 1
	check "and says it timed out" said_once "hfgnoaccept: no answer on the guest channel: timed out" $T/give-noaccept$k.out
done
wait_for $watch_silent 40
check "watch --once: a silent guest, exit 0 (got $rc)" test $rc -eq 0
check "said once" said_once "hfwsilent: no answer on the guest channel: timed out" $T/watch-silent.err
base=$T/ws
kill -TERM $wsilent_vm
wait_for $wsilent_vm 15
check "run: the VM with a silent guest channel stops on SIGTERM (exit $rc)" test $rc -eq 0
check "and its directory goes" no_dir wsilent
base=$RUN
for m in silent lines noaccept; do
	eval "p=\$gvm_$m"
	kill -TERM $p
	wait_for $p 15
	check "run: the VM with guest channel $m stops on SIGTERM (exit $rc)" test $rc -eq 0
	check "and its directory goes" no_dir g$m
done

# --- the guest kernel: the minimal one unusable, the stock one instead ----------------
# A copy of the tool with an image/ of its own beside it (where run looks
# for the images): a stock image and a minimal one whose kernel
# configuration (image/minimal/config, stored by mkimage.sh) lacks free
# page reporting.

K=$T/kbin
mkdir -p $K/image/minimal
cp $V $K/vmreclaim
for f in initrd.img vmlinuz; do : >$K/image/$f; : >$K/image/minimal/$f; done
printf 'CONFIG_VIRTIO_BALLOON=y\n# CONFIG_PAGE_REPORTING is not set\nCONFIG_VIRTIO_MMIO=y\nCONFIG_ACPI=y\n' \
	>$K/image/minimal/config
VMRECLAIM_RUNTIME_DIR=$base $K/vmreclaim run --name hfkern --guest-kernel minimal -M microvm \
	--console $T/kern.con -m 256MB -p 1 >$T/kern.out 2>&1 </dev/null &
run_pid=$!
started kern
qp=$(qemu_pid kern)
check "run --guest-kernel minimal, its kernel unusable: QEMU starts (pid $qp)" test -n "$qp"
tr '\0' ' ' </proc/$qp/cmdline >$T/kern.cmd 2>/dev/null
check "with the stock kernel and image" \
	grep -q -- "-kernel $K/image/vmlinuz -initrd $K/image/initrd.img " $T/kern.cmd
check "and says why in one line" \
	said_once "^vmreclaim run: minimal kernel unusable: $K/image/minimal/config: no free page reporting (CONFIG_PAGE_REPORTING=y missing); booting the stock kernel$" \
	$T/kern.out
kill -TERM $run_pid
wait_for $run_pid 10
check "SIGTERM: exit 0 (got $rc)" test $rc -eq 0
check "and no runtime directory" no_dir kern
check "with nothing else said" test "$(run_errors kern)" -eq 2
echo CONFIG_PAGE_REPORTING=y >>$K/image/minimal/config
VMRECLAIM_RUNTIME_DIR=$base $K/vmreclaim run --name hfkern --guest-kernel minimal -M microvm --dry-run \
	>$T/kern2.out 2>&1
check "the minimal kernel usable: its kernel and image, nothing said" \
	grep -qx ".*-kernel $K/image/minimal/vmlinuz -initrd $K/image/minimal/initrd.img .*" $T/kern2.out
check "but not on q35 without virtio-pci: the stock one" \
	sh -c "VMRECLAIM_RUNTIME_DIR=$base $K/vmreclaim run --guest-kernel minimal -M q35 --dry-run 2>&1 |
		grep -q 'no virtio-pci.*booting the stock kernel'"
rm $K/image/minimal/vmlinuz $K/image/initrd.img
VMRECLAIM_RUNTIME_DIR=$base $K/vmreclaim run --name hfkern --guest-kernel minimal -M microvm \
	--console $T/kern.con >$T/kern3.out 2>&1 </dev/null
rc=$?
check "no minimal kernel and no stock image: exit 1 (got $rc)" test $rc -eq 1
check "with one line saying both" test "$(cat $T/kern3.out)" = \
	"vmreclaim run: minimal kernel unusable: $K/image/minimal/vmlinuz: No such file or directory (make kernel); no stock image to fall back to (make image)"
check "and no runtime directory" no_dir kern

# --- top --metrics-file: vmreclaimd's counters over the guest channel --------------

# One guest sends them, one is older than them, one is silent, one floods,
# one sends hostile values: top --once says each once, writes the counters
# it could take, and ends within its wait for them (6 s).
base=$T/tc
mkdir -m 700 $base
cvms=""
for m in ok old silent lines hostile; do
	start c$m "guest=$m"
	cvms="$cvms $run_pid"
done
for m in ok old silent lines hostile; do
	started c$m || nok "fake VM c$m started"
done
t0=$(now_ms)
VMRECLAIM_RUNTIME_DIR=$base $V top --once --quiet --metrics-file $T/c.prom >/dev/null 2>$T/c.err
rc=$?
ms=$(($(now_ms) - t0))
check "top --metrics-file: exit 0 beside guests that do not answer (got $rc)" test $rc -eq 0
check "within its wait for the counters (${ms} ms)" test $ms -lt 9000
check "writes the counters of the guest that sends them, as counters" sh -c \
	"grep -q '^vmreclaim_guest_action_bytes_total{vm=\"hfcok\",backend=\"vmreclaim\",action=\"reclaim\"} 104857600\$' $T/c.prom &&
	 grep -q '^vmreclaim_guest_pcp_drains_total{vm=\"hfcok\",backend=\"vmreclaim\"} 3\$' $T/c.prom &&
	 grep -q '^vmreclaim_guest_action_cpu_seconds_total{vm=\"hfcok\",backend=\"vmreclaim\",action=\"reclaim\"} 0.250000\$' $T/c.prom &&
	 grep -q '^# TYPE vmreclaim_guest_actions_total counter\$' $T/c.prom"
check "and none of the others" test "$(grep -c '^vmreclaim_guest_actions_total{' $T/c.prom)" -eq 3
check "with the host RSS of all five" test "$(grep -c '^vmreclaim_host_rss_bytes{' $T/c.prom)" -eq 5
check "says the older vmreclaimd once" said_once "hfcold: no counters from vmreclaimd: it does not know them" $T/c.err
check "the silent guest once" said_once "hfcsilent: no counters from vmreclaimd: timed out" $T/c.err
check "the flooding guest once" said_once "hfclines: no counters from vmreclaimd: timed out" $T/c.err
check "the hostile guest once" said_once "hfchostile: no counters from vmreclaimd: a malformed answer" $T/c.err
check "and nothing else" test "$(wc -l <$T/c.err)" -eq 4
check "no escape sequence from a guest on the terminal" sh -c "! grep -q \"\$(printf '\\033')\" $T/c.err $T/c.prom"
sed 's/^/# /' $T/c.err
# Every second for 3 s: asked at the start, the answer read at a later
# sample; the silent guest holds nothing up.
t0=$(now_ms)
VMRECLAIM_RUNTIME_DIR=$base $V top --quiet -n hfcok -n hfcsilent --metrics-file $T/c2.prom \
	--duration 3 >/dev/null 2>$T/c2.err
rc=$?
ms=$(($(now_ms) - t0))
check "top --metrics-file, every second: exit 0 in about 3 s (got $rc, ${ms} ms)" \
	sh -c "[ $rc -eq 0 ] && [ $ms -lt 5000 ]"
check "the counters come at a later sample" \
	grep -q '^vmreclaim_guest_pcp_drains_total{vm="hfcok",backend="vmreclaim"} 3$' $T/c2.prom
check "and the silent guest is not said before its 15 s" test ! -s $T/c2.err
for p in $cvms; do kill -TERM $p; done
for p in $cvms; do wait $p; done
base=$RUN

# --- a real QEMU, killed --------------------------------------------------------------

if no_vm; then
	skip "a real QEMU killed under run and top: boots a real QEMU (VR_TEST_NO_VM=1)"
elif [ -r build/image/initrd.img ] && PATH=$REAL_PATH command -v qemu-system-x86_64 >/dev/null; then
	PATH=$REAL_PATH $V run --name hfreal --console $T/real.con -m 256MB -p 1 >$T/real.out 2>&1 </dev/null &
	vm=$!
	i=0
	while [ ! -S $RUN/hfreal/monitor.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	$V top --name hfreal --duration 60 >$T/real.top 2>$T/real.err &
	top=$!
	sleep 1
	qp=$(qemu_pid real)
	check "real QEMU started (pid $qp)" test -n "$qp"
	[ -n "$qp" ] && kill -9 "$qp"
	wait_for $vm 10
	check "real QEMU killed mid-run: run exits 1 (got $rc)" test $rc -eq 1
	check "and says QEMU died" said_once "hfreal: QEMU (pid $qp) died: Killed" $T/real.out
	check "with nothing else" test "$(run_errors real)" -eq 1
	check "and leaves no runtime directory" no_dir real
	wait_for $top 10
	check "top of it ends by itself, exit 0 (got $rc)" test $rc -eq 0
	check "saying the VM is gone, once" said_once "hfreal: the VM process is gone" $T/real.err
else
	nok "the guest image and QEMU are there for the real QEMU case"
fi

check "no QEMU of these cases is left" no_qemu_left
check "the runtime base directories are empty at the end" \
	test -z "$(find $RUN $T/ws $T/wf $T/tc -mindepth 1)"
