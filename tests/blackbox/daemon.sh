#!/bin/sh
# Black-box tests of the real static binaries against a fake /proc + /sys
# tree (--root): never against this machine's own kernel knobs.
# Prints "ok - ..." / "not ok - ..." per check and "# ..." for figures.
set -u
cd "$(dirname "$0")/../.."

D=build/vmreclaimd
C=build/vmreclaimctl
T=$(mktemp -d /tmp/vmreclaim-bb-XXXXXX)
chmod 755 "$T"
PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

. tests/tap.sh

# The fake tree: 1 GiB of file cache over a 128 MiB floor.
. tests/fake-tree.sh
R=$T/root
fake_tree $R "console=ttyS0 vmreclaim.idleSeconds=2" 524288 516096
BUSY=1000
IDLE=100000
cpu() { # advance the fake /proc/stat by 1 s at $1 % busy
	BUSY=$((BUSY + $1))
	IDLE=$((IDLE + 100 - $1))
	printf 'cpu  %d 0 0 %d 0 0 0 0 0 0\ncpu0 %d 0 0 %d 0 0 0 0 0 0\n' $BUSY $IDLE $BUSY $IDLE >$R/proc/stat
}
cpu 0

# --- static binaries -----------------------------------------------------
for b in $D $C; do
	size=$(stat -c %s $b)
	echo "# $(basename $b): $size bytes"
	check "$(basename $b) is under 1 MiB ($size bytes)" test "$size" -lt 1048576
	check "$(basename $b) is statically linked" sh -c "! readelf -l $b | grep -q 'Requesting program interpreter'"
done

# --- --check-config --------------------------------------------------------
printf '[vmreclaim]\nreclaimStep = 12XB\n\nfrobnicate = yes\n' >$T/bad.conf
$D --check-config -c $T/bad.conf --no-cmdline >$T/out 2>&1
rc=$?
check "--check-config on a bad file exits 2 (got $rc)" test $rc -eq 2
check "--check-config names the bad size with its line" grep -q "^$T/bad.conf:2: reclaimStep = 12XB: not a size" $T/out
check "--check-config names the unknown key with its line" grep -q "^$T/bad.conf:4: unknown key 'frobnicate'" $T/out
$D --check-config -c /nonexistent.conf --no-cmdline >$T/out 2>&1
check "--check-config on a missing explicit file exits 2" test $? -eq 2
$D --sample-config >$T/sample.conf
check "packaging/vmreclaim.conf is the current --sample-config" cmp -s $T/sample.conf packaging/vmreclaim.conf
$D --check-config -c $T/sample.conf --no-cmdline >/dev/null 2>&1
check "the sample configuration is valid" test $? -eq 0

# A start that fails under systemd (JOURNAL_STREAM set): the error first, at
# err priority ("<3>"), so that "journalctl -p err" and the ten lines of
# "systemctl status" show it; the keys of the host in one warning line.
cat >$T/wsl.conf <<EOM
[wsl2]
memory = 8GB
processors = 4
swap = 0
localhostForwarding = true
[experimental]
autoMemoryReclaim = sometimes
sparseVhd = true
EOM
JOURNAL_STREAM=8:1 $D --root $R -c $T/wsl.conf --socket $T/none.sock >$T/out 2>&1
rc=$?
check "a start with a bad value under systemd exits 2 (got $rc)" test $rc -eq 2
check "and its first line is the error, at err priority" sh -c "head -n 1 $T/out | grep -q '^<3>$T/wsl.conf:7: '"
check "and the host's keys are one warning line" sh -c "grep -c '^<4>' $T/out | grep -qx 1 && grep -q '^<4>$T/wsl.conf:2: 5 settings not used by the guest daemon' $T/out"
check "and it ends saying it did not start, at err priority" sh -c "tail -n 1 $T/out | grep -q '^<3>not started'"

# --- a running daemon --------------------------------------------------------
cat >$T/vmreclaim.conf <<EOM
[experimental]
autoMemoryReclaim = gradual
[vmreclaim]
sampleInterval = 1
idleSeconds = 30
EOM
S=$T/ctl.sock
start() {
	$D --root $R -c $T/vmreclaim.conf --socket $S "$@" >>$T/log 2>&1 &
	PID=$!
	i=0
	while [ ! -S $S ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
start
check "the daemon starts and creates its socket" test -S $S
check "the socket is mode 0666 (status is every user's)" test "$(stat -c %a $S)" = 666
check "vmreclaim.idleSeconds on /proc/cmdline overrides the file" \
	sh -c "$C -s $S status --json | jq -e '.idle_sec_needed == 2' >/dev/null"

i=0
while [ $i -lt 30 ]; do
	cpu 0
	sleep 0.5
	$C -s $S status | grep -q '^state: *idle' && break
	i=$((i + 1))
done
check "quiet CPU makes the VM idle" sh -c "$C -s $S status | grep -q '^state: *idle'"
sleep 1.5
check "gradual asked memory.reclaim for a 256 MiB step with swappiness=0" \
	grep -qx '268435456 swappiness=0' $R/sys/fs/cgroup/memory.reclaim
check "compaction wrote 1 to compact_memory" grep -qx 1 $R/proc/sys/vm/compact_memory
check "compaction is noted in the kernel log" grep -q '^<6>vmreclaimd: Performing memory compaction' $R/dev/kmsg
check "and what it achieved" grep -q 'vmreclaimd: compaction done in .* reportable 920 MiB' $R/dev/kmsg
check "dropcache was not used in gradual mode" test ! -s $R/proc/sys/vm/drop_caches

$C -s $S status --json >$T/status.json
check "status --json is valid JSON" jq -e . $T/status.json >/dev/null
check "status --json has the gauges" jq -e '.mode == "gradual" and .reporting.order == 9 and
	.memory.reportable_bytes == 964689920 and .reclaim_interface.swappiness == true and
	.totals.reclaim.runs >= 1' $T/status.json >/dev/null

# Busy: no more writes.
cpu 60
sleep 1.5
n1=$(jq .totals.reclaim.runs $T/status.json)
: >$R/sys/fs/cgroup/memory.reclaim
i=0
while [ $i -lt 6 ]; do cpu 60; sleep 0.5; i=$((i + 1)); done
check "nothing is written while the CPU is busy" test ! -s $R/sys/fs/cgroup/memory.reclaim
check "status says busy and why" sh -c "$C -s $S status | grep -q '^state: *busy: CPU 60.00% >= idleThreshold 1%'"

# Manual commands work whatever the state.
out=$($C -s $S reclaim 64MB)
check "reclaim 64MB is done on request" grep -qx '67108864 swappiness=0' $R/sys/fs/cgroup/memory.reclaim
check "and its reply says what happened" sh -c "echo '$out' | grep -q '^reclaim (manual) of 64 MiB in'"
$C -s $S dropcache >/dev/null
check "dropcache writes dropCacheValue (1)" grep -qx 1 $R/proc/sys/vm/drop_caches
$C -s $S reclaim lots >/dev/null 2>&1
check "a bad size is refused with exit 2" test $? -eq 2
rm $R/proc/sys/vm/compact_memory
$C -s $S compact >$T/out 2>&1
rc=$?
check "a missing compact_memory fails the request (exit $rc)" test $rc -eq 1
check "with the reason" grep -q 'No such file or directory' $T/out
check "and the daemon keeps running" kill -0 $PID
check "status lists it as degraded" sh -c "$C -s $S status | grep -q '^degraded: *$R/proc/sys/vm/compact_memory\|^degraded: */proc/sys/vm/compact_memory'"
: >$R/proc/sys/vm/compact_memory

# Every user gets the status; only root gets the rest.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups $C -s $S status >$T/out 2>&1
	rc=$?
	check "a non-root client gets the status (exit $rc)" test $rc -eq 0
	check "and it is the status" grep -q '^mode:' $T/out
	setpriv --reuid=65534 --regid=65534 --clear-groups $C -s $S compact >$T/out 2>&1
	rc=$?
	check "a non-root client may not compact (exit $rc)" test $rc -eq 1
	check "with a clear message" grep -q 'permission denied: only root' $T/out
	setpriv --reuid=65534 --regid=65534 --clear-groups $C -s $S reload >$T/out 2>&1
	rc=$?
	check "nor reload (exit $rc)" test $rc -eq 1
fi

# Reload: errors keep the old settings; good settings take.
cp $T/vmreclaim.conf $T/good.conf
printf '[experimental]\nautoMemoryReclaim = sometimes\n' >$T/vmreclaim.conf
kill -HUP $PID
sleep 0.5
check "a reload with errors keeps the daemon running" kill -0 $PID
check "and keeps the old mode" sh -c "$C -s $S status | grep -q '^mode: *gradual'"
check "and logs why" grep -q "vmreclaim.conf:2: autoMemoryReclaim = sometimes" $T/log
$C -s $S reload >$T/out 2>&1
rc=$?
check "vmreclaimctl reload of a bad file exits 1 (got $rc)" test $rc -eq 1
check "and shows what is wrong, with the line" grep -q "vmreclaim.conf:2: autoMemoryReclaim = sometimes: must be" $T/out
sed 's/gradual/dropcache/' $T/good.conf >$T/vmreclaim.conf
$C -s $S reload >/dev/null
check "vmreclaimctl reload takes new settings" sh -c "$C -s $S status | grep -q '^mode: *dropcache'"
# A settings file replaced by a FIFO (another process's mkfifo) once held
# the reload in open() for good: now it is refused, and the daemon answers.
cp $T/vmreclaim.conf $T/good.conf
rm $T/vmreclaim.conf
mkfifo $T/vmreclaim.conf
kill -HUP $PID
sleep 0.5
check "a FIFO as the settings file: status still answers" sh -c "$C -s $S -t 3 status | grep -q '^mode: *dropcache'"
check "and the log says why" grep -q "vmreclaim.conf.*not a regular file" $T/log
rm $T/vmreclaim.conf
cp $T/good.conf $T/vmreclaim.conf

# Footprint while idle.
cpu 0
rss=$(awk '/^VmRSS:/ {print $2}' /proc/$PID/status)
echo "# vmreclaimd RSS: $rss KiB"
check "RSS is under 2 MiB ($rss KiB)" test "$rss" -lt 2048
# Its own fds (not the ones this shell passed down): signalfd, timerfd,
# the control socket, the PSI trigger.
fds=$(ls -l /proc/$PID/fd | grep -c -e 'anon_inode:' -e 'socket:' -e " $R/")
echo "# vmreclaimd own fds: $fds"
check "it holds its four fds and no more ($fds)" test "$fds" -eq 4

# 10,000 control requests (status, status --json, compact): the daemon's
# RSS and open fds stay where they were.
all0=$(ls /proc/$PID/fd | wc -l)
i=0
t0=$(date +%s)
while [ $i -lt 10000 ]; do
	case $((i % 3)) in
	0) $C -s $S status >/dev/null 2>&1 ;;
	1) $C -s $S status --json >/dev/null 2>&1 ;;
	2) $C -s $S compact >/dev/null 2>&1 ;;
	esac
	i=$((i + 1))
done
t1=$(date +%s)
rss2=$(awk '/^VmRSS:/ {print $2}' /proc/$PID/status)
all1=$(ls /proc/$PID/fd | wc -l)
answered=$($C -s $S status --json | jq '.totals.compact.runs')
echo "# 10000 control requests in $((t1 - t0)) s: RSS $rss -> $rss2 KiB, open fds $all0 -> $all1, $answered compactions run"
check "all 10000 requests were served (compact ran $answered times)" test "$answered" -ge 3333
check "RSS stays flat over them (within 64 KiB: $rss -> $rss2 KiB)" test $((rss2 - rss)) -le 64
check "and no fd is left open ($all0 -> $all1)" test "$all1" -eq "$all0"

# A second daemon on the same socket is refused.
$D --root $R -c $T/vmreclaim.conf --socket $S >$T/out 2>&1
rc=$?
check "a second daemon on a live socket exits 1 (got $rc)" test $rc -eq 1
check "and says why" grep -q 'another vmreclaimd is running' $T/out

# SIGTERM: clean exit, socket removed.
kill -TERM $PID
wait $PID
rc=$?
PID=
check "SIGTERM exits 0 (got $rc)" test $rc -eq 0
check "and removes the socket" test ! -e $S

# A stale socket from a killed daemon is replaced.
start
kill -9 $PID
wait $PID 2>/dev/null
PID=
check "a killed daemon leaves its socket" test -S $S
start
# start() returns at once here (the stale socket is there already): give
# the new daemon its time to replace it.
i=0
while ! $C -s $S status >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "a new daemon takes over the stale socket" sh -c "$C -s $S status >/dev/null"
kill -TERM $PID
wait $PID
PID=

# Wake-ups at the default sampleInterval (5 s), and CPU used, over 11 s.
printf '[vmreclaim]\nidleSeconds = 120\n' >$T/default.conf
$D --root $R -c $T/default.conf --socket $S >>$T/log 2>&1 &
PID=$!
sleep 0.5
t0=$(awk '{print $14 + $15}' /proc/$PID/stat)
sleep 11
t1=$(awk '{print $14 + $15}' /proc/$PID/stat)
samples=$($C -s $S status --json | jq .samples)
echo "# default settings: $samples samples in 11.5 s, $((t1 - t0)) clock ticks of CPU in 11 s"
check "it samples at most once per 5 s ($samples samples in 11.5 s)" test "$samples" -le 4
check "and uses under 1% of a CPU while idle ($((t1 - t0)) ticks in 11 s)" test $((t1 - t0)) -le 11
kill -TERM $PID
wait $PID
PID=
