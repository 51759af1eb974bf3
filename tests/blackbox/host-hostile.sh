#!/bin/sh
# Black-box tests of the host tool against what an outside probe did to it
# (docs/security.md, docs/faults.md): a device, a FIFO or the recording
# itself as plot's output; a hostile guest's text on the terminal; a NUL
# byte and an early event on the console; two "run" of one name at once;
# 70 VMs; a runtime directory open to others; FIFOs where files are read;
# and sloppy values.  Uses the fake QEMU (tests/blackbox/fake_qemu.c);
# nothing of this machine is touched, and no test writes through a device.
# Prints "ok - ..." / "not ok - ...".
set -u
cd "$(dirname "$0")/../.."

V=$PWD/build/vmreclaim
FAKE_DIR=$PWD/build/host/fake-qemu
T=$(mktemp -d /tmp/vmreclaim-hostile-XXXXXX)
RUN=$T/run
export VMRECLAIM_RUNTIME_DIR=$RUN
mkdir -m 700 $RUN
export PATH=$FAKE_DIR:$PATH
cleanup() {
	# Our fake QEMUs only, by their pid files.
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
ESC=$(printf '\033')
BEL=$(printf '\007')

# run_d NAME [SPEC]: a detached fake VM hNAME.
run_d() {
	FAKE_QEMU=${2:-} $V run -d --name h$1 --kernel $T/vmlinuz --image $T/initrd.img \
		--console $T/$1.con -m 256MB -p 1 >$T/$1.run 2>&1
}
qemu_pid() { cat $RUN/h$1/qemu.pid 2>/dev/null; }
# no_raw FILE: no ESC, BEL nor C1 CSI byte in FILE.
no_raw() { ! grep -q "[$ESC$BEL]" "$1" && ! grep -qa "$(printf '\302\233')" "$1"; }
# within SECONDS CMD...: CMD's exit status in $rc; 124 when it had to be
# stopped (a hang fails the case, not the run).
within() {
	_s=$1
	shift
	timeout -k 2 "$_s" "$@"
	rc=$?
}

# --- 1: one safe way to write an output file ------------------------------------

printf '%s\n' "time_s,vm,pid,rss_bytes,guest_total_bytes,guest_free_bytes,guest_available_bytes,guest_cache_bytes,guest_used_bytes,stranded_bytes,event" \
	"0.0,a,1,1048576,,,,,,," "1.0,a,1,2097152,,,,,,," >$T/rec.csv
cp $T/rec.csv $T/rec.orig
# As root "plot -o /dev/null" made /dev/null a regular file.  No test may
# risk that: a device node of our own that no driver serves (0:0, which
# nothing can write through) stands in, as root; without root a FIFO.
if mknod $T/dev c 0 0 2>/dev/null; then kind=-c; else mkfifo $T/dev; kind=-p; fi
within 10 $V plot $T/rec.csv -o $T/dev >$T/out 2>&1
check "plot -o DEVICE: refused, exit 2 (got $rc)" test $rc -eq 2
check "says it is not a regular file" grep -q "$T/dev: not a regular file" $T/out
check "the device is still one" test $kind $T/dev
ln -s $T/dev $T/stdout-link
within 10 $V plot $T/rec.csv -o $T/stdout-link >$T/out 2>&1
check "plot -o LINK: refused (got $rc), the link kept" sh -c "[ $rc -eq 2 ] && [ -L $T/stdout-link ]"
# The recording named another way: the guard compared strings.
(cd $T && within 10 $V plot $T/rec.csv -o ./rec.csv >$T/out 2>&1; echo $rc >$T/rc)
check "plot -o ./rec.csv of $T/rec.csv: refused, exit 2 (got $(cat $T/rc))" test "$(cat $T/rc)" -eq 2
check "and the recording is intact" cmp -s $T/rec.csv $T/rec.orig
# A FIFO planted at the old temporary name made plot block for ever.
mkfifo $T/out.svg.tmp
within 10 $V plot $T/rec.csv -o $T/out.svg >$T/out 2>&1
check "plot with a FIFO at OUT.tmp: done at once, exit 0 (got $rc)" test $rc -eq 0
check "the SVG is written" grep -q '</svg>' $T/out.svg
check "the FIFO is left alone" test -p $T/out.svg.tmp
check "no temporary file is left" test "$(ls -A $T | grep -c '^\.out\.svg\.')" -eq 0
mkfifo $T/fifo.svg
within 10 $V plot $T/rec.csv -o $T/fifo.svg >$T/out 2>&1
check "plot -o FIFO: refused at once, exit 2 (got $rc)" test $rc -eq 2
within 10 $V plot $T/rec.csv -o - >$T/stdout.svg 2>$T/out
check "plot -o -: the SVG on standard output (exit $rc)" sh -c "[ $rc -eq 0 ] && grep -q '</svg>' $T/stdout.svg"

# top --record: the same rules, and the file kept as it grows.
run_d rec
mkfifo $T/rec.fifo
within 10 $V top --name hrec --once -r $T/rec.fifo >$T/out 2>&1
check "top -r FIFO: refused at once, exit 1 (got $rc)" test $rc -eq 1
check "says it is not a regular file" grep -q "rec.fifo: not a regular file" $T/out
within 10 $V top --name hrec --once -r $T/dev >$T/out 2>&1
check "top -r DEVICE: refused (got $rc)" sh -c "[ $rc -eq 1 ] && [ $kind $T/dev ]"
echo "somebody's data" >$T/victim
ln $T/victim $T/linked.csv
within 10 $V top --name hrec --once -r $T/linked.csv >$T/out 2>&1
check "top -r on a file with another hard link: refused (got $rc)" test $rc -eq 1
check "and the other name keeps its data" grep -q "somebody's data" $T/victim
within 10 $V top --name hrec --once -q -r $T/top.csv >$T/out 2>&1
check "top -r FILE: a recording (exit $rc)" sh -c "[ $rc -eq 0 ] && [ \$(wc -l <$T/top.csv) -eq 2 ]"

# --- 2: a guest's text never reaches the terminal raw ----------------------------

run_d bad "guest=hostile"
within 30 $V give hbad >$T/give.out 2>&1
check "give: a hostile refusal exits 1 (got $rc)" test $rc -eq 1
check "and is shown escaped" grep -qF 'hbad: refused \x1b]0;pwned\x07\x1b[2J\u009b31m' $T/give.out
check "no escape byte reaches the terminal" no_raw $T/give.out
$V stop hbad >/dev/null 2>&1
base_w=$T/w
mkdir -m 700 $base_w
VMRECLAIM_RUNTIME_DIR=$base_w FAKE_QEMU="guest=hostile" $V run -d --name hw --kernel $T/vmlinuz \
	--image $T/initrd.img --console $T/w.con -m 256MB -p 1 >/dev/null 2>&1
VMRECLAIM_RUNTIME_DIR=$base_w within 40 $V watch --once -m 100TB >$T/watch.out 2>$T/watch.err
check "watch: a hostile status reply is shown escaped" grep -qF 'status: ok total=1073741824 available=\x1b[2J\x1b]0;pwned\x07' $T/watch.err
check "with no escape byte" no_raw $T/watch.err
VMRECLAIM_RUNTIME_DIR=$base_w $V stop --all >/dev/null 2>&1
# Console events: the CSV cleaned them, the terminal did not.
printf 'vmreclaim-event: \033]0;pwned\007\033[2Jx\n' >>$T/rec.con
within 10 $V top --name hrec --once >$T/top.out 2>&1
check "top: an event with escapes is shown escaped" grep -qF '\x1b]0;pwned\x07\x1b[2Jx' $T/top.out
check "with no escape byte" no_raw $T/top.out

# A settings file's text, quoted in a message.
printf '[wsl2]\nmemory = \033]0;pwned\007\033[2J\n' >$T/esc.conf
within 10 $V run -c $T/esc.conf --dry-run >$T/out 2>&1
check "run -c: a bad value with escapes is quoted escaped (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -qF 'memory = \\x1b]0;pwned\\x07\\x1b[2J: not a size' $T/out"
check "with no escape byte" no_raw $T/out

# --- 4 and 5: the console, read right -----------------------------------------------

# EV in the first sample, --after 0: "0 s after" was taken for "not seen".
printf 'vmreclaim-event: first\n' >>$T/rec.con
t0=$(date +%s)
within 15 $V top --name hrec --until-event first --after 0 -q >$T/out 2>&1
check "top --until-event EV, EV in the first sample: ends, exit 0 (got $rc)" test $rc -eq 0
check "at once ($(($(date +%s) - t0)) s)" test $(($(date +%s) - t0)) -le 3
# One NUL byte hid every later event.
printf 'junk\000junk\nvmreclaim-event: after-nul\n' >>$T/rec.con
within 15 $V top --name hrec --until-event after-nul -q >$T/out 2>&1
check "top: an event after a NUL byte on the console is seen (exit $rc)" test $rc -eq 0
check "a NUL inside an event line is shown, not the end" sh -c \
	"printf 'vmreclaim-event: a\000b\n' >>$T/rec.con && $V top --name hrec --once | grep -qF 'a\\x00b'"
$V stop hrec >/dev/null 2>&1

# --- 6: two "run -d" of one name at once ---------------------------------------------

won_all=true
lost_msg=true
for k in 1 2 3 4 5; do
	FAKE_QEMU="" $V run -d --name hrace --kernel $T/vmlinuz --image $T/initrd.img -m 256MB -p 1 \
		>$T/race1.out 2>&1 &
	a=$!
	FAKE_QEMU="" $V run -d --name hrace --kernel $T/vmlinuz --image $T/initrd.img -m 256MB -p 1 \
		>$T/race2.out 2>&1 &
	b=$!
	wait $a
	ra=$?
	wait $b
	rb=$?
	n=$(pgrep -fc -- "-pidfile $RUN/hrace/qemu.pid")
	if [ $((ra + rb)) -ne 1 ] || [ "$n" -ne 1 ]; then
		won_all=false
		echo "# try $k: exits $ra $rb, $n QEMUs"
	fi
	grep -qE "is being started or run by another|is running" $T/race1.out $T/race2.out || lost_msg=false
	$V stop hrace >/dev/null 2>&1
done
check "two run -d of one name, 5 times: one exits 0, one 1, one QEMU" $won_all
check "the other says why" $lost_msg
check "and stop finds and stops the one QEMU" test -z "$(pgrep -f -- "-pidfile $RUN/hrace/")"

# A run in the foreground holds the name: a second run is refused, and no
# listing removes the directory of the VM being started.
FAKE_QEMU="qmp=silent" $V run --name hslow --kernel $T/vmlinuz --image $T/initrd.img \
	--console $T/slow.con -m 256MB -p 1 >$T/slow.out 2>&1 &
slow=$!
i=0
while [ ! -d $RUN/hslow ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
rm -f $RUN/hslow/qemu.pid
touch -d '2 hours ago' $RUN/hslow
$V top --once >/dev/null 2>&1
check "a listing leaves the directory of a VM being started" test -d $RUN/hslow
within 10 $V run -d --name hslow --kernel $T/vmlinuz --image $T/initrd.img -m 256MB -p 1 >$T/out 2>&1
check "a second run of that name: exit 1 (got $rc)" test $rc -eq 1
check "says another run holds it" grep -q "hslow is being started or run by another" $T/out
kill -TERM $slow
wait $slow

# --- 7: no silent caps -----------------------------------------------------------------

base70=$T/many
mkdir -m 700 $base70
for g in 0 1 2 3 4 5 6; do
	for k in 0 1 2 3 4 5 6 7 8 9; do
		VMRECLAIM_RUNTIME_DIR=$base70 FAKE_QEMU="" $V run -d --name m$g$k --kernel $T/vmlinuz \
			--image $T/initrd.img -m 256MB -p 1 >/dev/null 2>&1 &
	done
	wait
done
started=$(ls $base70 | grep -c '^m')
check "70 VMs started (got $started)" test "$started" -eq 70
VMRECLAIM_RUNTIME_DIR=$base70 within 60 $V top --once >$T/top70.out 2>&1
check "top shows all 70 (got $(grep -c '^ *[0-9.]* m[0-9]' $T/top70.out))" \
	test "$(grep -c '^ *[0-9.]* m[0-9]' $T/top70.out)" -eq 70
VMRECLAIM_RUNTIME_DIR=$base70 within 120 $V give --all -b 1MB >$T/give70.out 2>&1
check "give --all asks all 70 (got $(grep -c 'asked for' $T/give70.out))" \
	test "$(grep -c 'asked for' $T/give70.out)" -eq 70
VMRECLAIM_RUNTIME_DIR=$base70 within 120 $V stop --all >$T/stop70.out 2>&1
check "stop --all stops all 70, exit 0 (got $(grep -c 'stopped' $T/stop70.out), exit $rc)" \
	sh -c "[ $rc -eq 0 ] && [ $(grep -c 'stopped' $T/stop70.out) -eq 70 ]"
check "and leaves none running" test -z "$(pgrep -f -- "-pidfile $base70/")"

# run's flags: past its table of 64 they were dropped in silence.
set --
for k in $(seq 1 65); do set -- "$@" -s idleSeconds=$((k + 10)); done
within 10 $V run --kernel $T/vmlinuz --image $T/initrd.img --dry-run "$@" >$T/out 2>&1
check "run with 65 settings as flags: refused, exit 2 (got $rc)" test $rc -eq 2
check "says so" grep -q "more than 64 settings given as flags" $T/out
set --

# --- 9: every command checks the runtime directory ----------------------------------

open=$T/open
mkdir -m 700 $open
VMRECLAIM_RUNTIME_DIR=$open FAKE_QEMU="" $V run -d --name ho --kernel $T/vmlinuz \
	--image $T/initrd.img -m 256MB -p 1 >/dev/null 2>&1
chmod 777 $open
for c in "top --once" "give --all" "stop --all" "give ho" "stop ho" "top --name ho --once"; do
	VMRECLAIM_RUNTIME_DIR=$open within 30 $V $c >$T/out 2>&1
	check "$c in a runtime directory open to others: refused, exit 1 (got $rc)" test $rc -eq 1
	check "says why" grep -q "runtime directory $open is not ours" $T/out
done
VMRECLAIM_RUNTIME_DIR=$open within 30 $V watch -i 1 -m 100TB >$T/out 2>&1
check "watch: refuses it too, at start, exit 1 (got $rc)" test $rc -eq 1
check "said once" test "$(grep -c "runtime directory $open is not ours" $T/out)" -eq 1
check "and the VM was left alone" test -n "$(pgrep -f -- "-pidfile $open/ho/")"
chmod 700 $open
VMRECLAIM_RUNTIME_DIR=$open $V stop ho >/dev/null 2>&1

# --- 11: a FIFO where a file is read ----------------------------------------------

mkfifo $T/config.fifo
within 10 $V run -c $T/config.fifo --dry-run >$T/out 2>&1
check "run -c FIFO: refused at once (got $rc)" test $rc -eq 2
check "says it is not a regular file" grep -q "config.fifo: not a regular file" $T/out
if [ -x build/vmreclaimd ]; then
	within 10 build/vmreclaimd --check-config -c $T/config.fifo >$T/out 2>&1
	check "vmreclaimd --check-config -c FIFO on the host: ends at once (got $rc)" \
		sh -c "[ $rc -ne 124 ] && [ $rc -ne 0 ]"
fi

# --- 13: values --------------------------------------------------------------------

within 10 $V run --name -x --kernel $T/vmlinuz --image $T/initrd.img --dry-run >$T/out 2>&1
check "run --name -x: refused, exit 2 (got $rc)" test $rc -eq 2
for m in " 2GB" "2 GB" "2GB "; do
	within 10 $V run -m "$m" --kernel $T/vmlinuz --image $T/initrd.img --dry-run >$T/out 2>&1
	check "run -m '$m': 2048 MiB (exit $rc)" grep -q -- '-m 2048M' $T/out
done
within 10 $V run -m 1PB --kernel $T/vmlinuz --image $T/initrd.img --dry-run >$T/out 2>&1
check "run -m 1PB: the unit is known (a size out of range, not 'not a size')" \
	sh -c "! grep -q 'not a size' $T/out"
within 10 $V watch --once -p nan >$T/out 2>&1
check "watch -p nan: refused, exit 2 (got $rc)" test $rc -eq 2
within 10 $V watch --once -i 4294967297 >$T/out 2>&1
check "watch -i 4294967297: refused, exit 2 (got $rc)" test $rc -eq 2
within 10 $V run --kernel $T/vmlinuz --image $T/initrd.img --dry-run \
	-s "kernelCommandLine=quiet
init=/bin/sh" >$T/out 2>&1
check "run -s with a newline: refused, exit 2 (got $rc)" test $rc -eq 2
check "says why" grep -q "control character (0x0a)" $T/out

within 10 $V run --kernel $T/vmlinuz --image $T/initrd.img --dry-run -s idleSeconds=5 \
	-s kernelCommandLine=vmreclaim.idleSeconds=9 >$T/out 2>$T/err
check "run: a key twice on the guest's command line is warned about (exit $rc)" sh -c \
	"[ $rc -eq 0 ] && grep -q \"guest kernel command line: warning: 'vmreclaim.idleSeconds' is set again\" $T/err"

check "no fake QEMU of these cases is left" test -z "$(pgrep -f -- "-pidfile $T/")"
pgrep -af -- "-pidfile $T/" | sed 's/^/# left: /'
