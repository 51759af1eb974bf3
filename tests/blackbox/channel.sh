#!/bin/sh
# Black-box test of the guest channel: the real static vmreclaimd on a
# fake /proc + /sys tree, its port org.vmreclaim.0 a pseudo-terminal in raw
# mode whose host end tests/blackbox/ptypeer.c holds (as QEMU holds the
# virtio-serial port's).  Never touches this machine's own kernel knobs.
# Prints "ok - ..." / "not ok - ..." per check and "# ..." for figures.
set -u
cd "$(dirname "$0")/../.."

D=build/vmreclaimd
C=build/vmreclaimctl
P=build/host/blackbox/ptypeer
T=$(mktemp -d /tmp/vmreclaim-chan-XXXXXX)
chmod 755 "$T"
PID=
PEER=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	[ -n "$PEER" ] && kill -9 "$PEER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

. tests/tap.sh

if [ ! -x $P ]; then
	nok "the pty peer is built (make blackbox-helpers)"
	exit 1
fi

# The fake tree: 1 GiB of file cache of which 1000 MiB inactive, and a
# quiet CPU.
. tests/fake-tree.sh
R=$T/root
fake_tree $R "console=ttyS0" 24576 1024000
printf 'cpu  1000 0 0 100000 0 0 0 0 0 0\ncpu0 1000 0 0 100000 0 0 0 0 0 0\n' >$R/proc/stat

# The host's end: ptypeer, driven through two FIFOs; peer CMD prints the
# answer to one command.
PORT=$R/dev/virtio-ports/org.vmreclaim.0
mkfifo $T/cmd $T/out
$P $PORT <$T/cmd >$T/out 2>$T/peer.err &
PEER=$!
exec 3>$T/cmd 4<$T/out
peer() {
	printf '%s\n' "$*" >&3
	while IFS= read -r _l <&4; do
		[ "$_l" = . ] && return 0
		printf '%s\n' "$_l"
	done
	return 1
}
peer_ready() { # the answer to the start, or to a command already sent
	while IFS= read -r _l <&4; do
		[ "$_l" = . ] && return 0
		printf '%s\n' "$_l"
	done
	return 1
}
match() { # match STRING EXTENDED-REGEX: the whole string matches
	printf '%s\n' "$1" | grep -Eqx -- "$2"
}
shown() { # a request as written here, for echo (which takes backslashes)
	printf '%s' "$1" | sed 's/\\/\\\\/g'
}
ask() { # ask REQUEST: send it and print the reply line (or "timeout")
	peer send "$1" >/dev/null
	peer read 3000
}
first=$(peer_ready)
check "the peer opened a pty and linked it at dev/virtio-ports ($first)" test -c "$PORT"
if [ ! -c "$PORT" ]; then
	cat $T/peer.err
	exit 1
fi

# The daemon in its default mode (auto), sampling every second, never idle
# long enough to act on its own during the test.
cat >$T/vmreclaim.conf <<EOM
[vmreclaim]
sampleInterval = 1
idleSeconds = 3600
EOM
S=$T/ctl.sock
$D --root $R -c $T/vmreclaim.conf --no-cmdline --socket $S >>$T/log 2>&1 3>&- 4<&- &
PID=$!
i=0
while [ ! -S $S ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "the daemon starts" test -S $S
check "and opens the channel" grep -q "guest channel $PORT open" $T/log

# Files under the fake tree written since stamp (the channel link aside).
stamp() {
	touch $T/stamp
	sleep 0.05
}
written() {
	find $R -type f -newer $T/stamp | sed "s|^$R||" | sort | tr '\n' ' '
}

# --- status --------------------------------------------------------------------
stamp
r=$(ask 'status\n')
echo "# status: $r"
check "status is answered ok with the documented keys" match "$r" \
	'reply: ok total=[0-9]+ available=[0-9]+ cache=[0-9]+ reportable=[0-9]+ stranded=[0-9]+ order=[0-9]+ version=[0-9.]+ mode=[a-z]+'
check "with the fake tree's figures, the version and the mode" match "$r" 'reply: ok total=2078720000 available=1843200000 .* order=9 version=[0-9]+\.[0-9]+\.[0-9]+ mode=auto'
check "status writes nothing ($(written))" test -z "$(written)"

# --- give ----------------------------------------------------------------------
# What a give may write in auto (docs/security.md): memory.reclaim,
# compact_memory, page_reporting_order, the kernel log.
KNOBS="/sys/fs/cgroup/memory.reclaim /proc/sys/vm/compact_memory \
/sys/module/page_reporting/parameters/page_reporting_order /dev/kmsg"
only_knobs() {
	for f in $(written); do
		case " $KNOBS " in *" $f "*) ;; *) return 1 ;; esac
	done
}
stamp
r=$(ask 'give 64MB\n')
echo "# give 64MB: $r"
check "give is answered ok or refused, as documented" match "$r" \
	'reply: (ok released=[0-9]+ reportable_gained=[0-9]+ stranded=[0-9]+ order=[0-9]+ compacted=[01]|refused .+)'
echo "# give wrote: $(written)"
check "give writes only the documented knobs ($(written))" only_knobs
reclaimed=$(awk '{print $1; exit}' $R/sys/fs/cgroup/memory.reclaim)
check "memory.reclaim was asked for no more than 64 MiB (${reclaimed:-nothing})" \
	test "${reclaimed:-0}" -le 67108864
check "the log says what the host asked" grep -q 'host asks for 64 MiB back' $T/log
stamp
r=$(ask 'give 64MB\n')
check "a second give within 5 s is refused ($r)" test "$r" = "reply: refused too soon after the last request"
check "and writes nothing ($(written))" test -z "$(written)"

# --- malformed requests ----------------------------------------------------------
stamp
for req in 'frobnicate\n' 'give -1\n' 'give 1e99\n' 'give 0\n' 'give 4096\n' 'give 2PB\n' \
	'give 18446744073709551616\n' 'give\n' 'give 64MB now\n' 'status now\n' 'STATUS\n' \
	' status\n' '\n' '\xff\xfe\x80status\n' 'st\xc3\xa4tus\n' 'sta\0tus\n' 'status\0\n' '\0\n' \
	'give\r64MB\n' '\x1b[A\n' '\x03\n' '\x04\n' '\x13\n' '\x7f\n'; do
	r=$(ask "$req")
	check "$(shown "$req") is answered with an error ($r)" match "$r" 'reply: error: .+'
done
check "one reply each, no more ($(peer drain 200 | tail -n 1))" match "$(peer drain 200 | tail -n 1)" 'lines 0 .*'
check "no malformed request wrote anything ($(written))" test -z "$(written)"
r=$(ask 'status\r\n')
check "a line ending in CR LF is taken as one ending in LF, as test_channel.c has it ($r)" \
	match "$r" 'reply: ok total=2078720000 .*'
stamp
r=$(ask 'counters\n')
# The daemon runs in mode auto: its own counters too.
check "counters: every counter of the daemon ($r)" \
	match "$r" 'reply: ok compact_runs=[0-9]+ .* reclaim_bytes=[0-9]+ compact_cpu_usec=[0-9]+ dropcache_cpu_usec=[0-9]+ reclaim_cpu_usec=[0-9]+ idle_periods=[0-9]+ pressure_events=[0-9]+ pcp_drains=[0-9]+ refault_events=[0-9]+ .* order_lowerings=[0-9]+ pcp_cpu_usec=[0-9]+'
check "and writes nothing ($(written))" test -z "$(written)"

# --- overlong lines ----------------------------------------------------------------
stamp
r=$(ask "$(printf '%063d' 0 | tr 0 x)\n")
check "a 63-byte line is a request ($r)" test "$r" = "reply: error: unknown request (status, counters, give BYTES)"
r=$(ask "$(printf '%064d' 0 | tr 0 x)\n")
check "a 64-byte line is too long ($r)" test "$r" = "reply: error: request longer than 63 bytes"
check "one reply each, no more ($(peer drain 200 | tail -n 1))" match "$(peer drain 200 | tail -n 1)" 'lines 0 .*'
# 1 MiB of letters, then 64 KiB (the pty's whole buffer) of binary bytes.
for fill in 1048576:a 65536:'\xff' 65536:'\0'; do
	size=${fill%%:*}
	fill=${fill#*:}
	peer fill $size "$fill" >$T/out.fill
	peer send '\n' >/dev/null
	peer drain 500 >$T/out.drain
	check "$size bytes of $(shown "$fill") then a newline: sent whole ($(cat $T/out.fill))" grep -qx "sent $size" $T/out.fill
	check "and answered with exactly one error ($(tr '\n' ' ' <$T/out.drain))" \
		test "$(cat $T/out.drain)" = "reply: error: request longer than 63 bytes
lines 1 bad 0 partial 0"
done
r=$(ask 'status\n')
check "status is answered after them" match "$r" 'reply: ok total=2078720000 .*'
check "overlong lines wrote nothing ($(written))" test -z "$(written)"

# --- floods --------------------------------------------------------------------------
# 10,000 lines at a time, as fast as the pty takes them.  Replies the host
# is too slow for are dropped (so that a host cannot stall the daemon),
# but every request is answered and what arrives is whole lines.
rss() { awk '/^VmRSS:/ {print $2}' /proc/$PID/status; }
nfds() { ls /proc/$PID/fd | wc -l; }
ticks() { awk '{print $14 + $15}' /proc/$PID/stat; }
requests() { $C -s $S status --json | jq .host_channel.requests; }
settled() { # the request count once the daemon has read all that was sent
	_a=$(requests)
	_i=0
	while [ $_i -lt 20 ]; do
		sleep 0.2
		_b=$(requests)
		[ "$_b" = "$_a" ] && break
		_a=$_b
		_i=$((_i + 1))
	done
	echo "$_a"
}
flood() { # flood read|noread REQUEST: check its answers
	_n0=$(requests)
	_r=$(peer flood 10000 500 "$1" "$2")
	_n1=$(settled)
	echo "# $(shown "$2"), $1: $_r"
	check "10,000 of $(shown "$2") ($1): all sent, all taken as requests ($((_n1 - _n0)))" \
		match "$_r $((_n1 - _n0))" 'flood sent 10000 .* 10000'
	if [ "$1" = read ]; then
		check "and the replies that came are whole lines ($_r)" \
			match "$_r" 'flood sent 10000 replies [1-9][0-9]* bad 0 partial 0 ms [0-9]+'
	else
		peer drain 500 >$T/out.drain
		_r=$(tail -n 1 $T/out.drain)
		echo "# replies waiting after it: $_r"
		check "and the replies waiting are whole lines ($_r)" match "$_r" 'lines [1-9][0-9]* bad 0 partial 0'
	fi
}
rss0=$(rss)
fds0=$(nfds)
log0=$(wc -l <$T/log)
flood read 'status\n'
stamp
asks0=$(grep -c 'host asks' $T/log)
flood read 'give 64MB\n'
asks1=$(grep -c 'host asks' $T/log)
check "at most one give of 10,000 is acted on ($((asks1 - asks0)))" test $((asks1 - asks0)) -le 1
check "and it wrote only the documented knobs ($(written))" only_knobs
reclaimed=$(awk '{print $1; exit}' $R/sys/fs/cgroup/memory.reclaim)
check "memory.reclaim was asked for no more than 64 MiB (${reclaimed:-nothing})" \
	test "${reclaimed:-0}" -le 67108864
flood read 'frobnicate\n'
flood noread 'status\n'
r=$(ask 'status\n')
check "status is answered after the floods" match "$r" 'reply: ok total=2078720000 .*'
rss1=$(rss)
fds1=$(nfds)
log1=$(wc -l <$T/log)
echo "# 40,000 requests: RSS $rss0 -> $rss1 KiB, open fds $fds0 -> $fds1, log $log0 -> $log1 lines"
check "RSS stays flat over them (within 64 KiB: $rss0 -> $rss1 KiB)" test $((rss1 - rss0)) -le 64
check "and no fd is left open ($fds0 -> $fds1)" test "$fds1" -eq "$fds0"
check "and the log is not flooded: the lines of the one give acted on ($((log1 - log0)))" test $((log1 - log0)) -le 2

# --- the host goes away ------------------------------------------------------------------
# Closing the master hangs the pty's slave up for good: unlike the
# virtio-serial port, whose fd serves the host again when it reconnects
# (the host tool connects once per request), a hung-up tty never reads
# again.  So: the daemon neither spins nor dies nor fills its log, and
# keeps its control socket; it keeps its fd, as it must on virtio-serial,
# so a new pty at the same path is answered only after a restart.
log0=$(wc -l <$T/log)
peer close >/dev/null
t0=$(ticks)
sleep 3
t1=$(ticks)
echo "# host end closed: $((t1 - t0)) clock ticks of CPU in 3 s"
check "with the host end closed the daemon does not spin ($((t1 - t0)) ticks in 3 s)" test $((t1 - t0)) -le 10
check "it keeps running" kill -0 $PID
check "and answers its control socket" sh -c "$C -s $S status | grep -q '^host: *guest channel open'"
check "and logs nothing about it ($(($(wc -l <$T/log) - log0)) lines)" test "$(wc -l <$T/log)" -eq "$log0"
peer open >/dev/null
peer send 'status\n' >/dev/null
r=$(peer read 1500)
echo "# a new pty at the same path, the same daemon: $r"

kill -TERM $PID
wait $PID
rc=$?
PID=
check "SIGTERM exits 0 (got $rc)" test $rc -eq 0
$D --root $R -c $T/vmreclaim.conf --no-cmdline --socket $S >>$T/log 2>&1 3>&- 4<&- &
PID=$!
i=0
while [ ! -S $S ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
r=$(peer read 3000)
check "a restarted daemon opens the new pty and answers what waited there ($r)" match "$r" 'reply: ok total=2078720000 .*'
kill -TERM $PID
wait $PID
rc=$?
PID=
check "and exits 0 on SIGTERM (got $rc)" test $rc -eq 0
