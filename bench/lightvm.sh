#!/bin/sh
# The lightweight VM, measured: {stock, minimal} kernel x {q35, microvm}
# machine, REPEATS times each, one VM at a time (so that boot times are
# not shared out with another guest), under TCG on a 1 GiB, 2-CPU guest
# running the demo workload (allocate and free 512 MiB, read 400 MiB of
# files, go idle) with vmreclaimd in dropcache mode, as tests/e2e/reclaim.sh's
# "full" VM.  Per run:
#   boot_s       wall time from "vmreclaim run" to the guest init's
#                boot-done line on the console (QEMU, firmware, kernel,
#                modules, init's mounts)
#   floor_mib    post-boot host RSS of QEMU (lowest between boot-done and
#                the workload's start): what no reclaim gives back
#   anon_pct     of the 512 MiB taken and freed, how much QEMU's RSS fell
#                back before the file read started (free page reporting)
#   cache_pct    of what the read added, how much was gone at the end
#                (vmreclaimd's drop, then reporting)
#   host_load1   the host's 1-minute load average as the run started
# Writes OUT (default bench/results/DATE/lightvm): raw/ (recording,
# console, run output per run), runs.csv (every run, failed ones with
# their reason), summary.csv and summary.md (median and range).
#   bench/lightvm.sh [--repeats N] [--kernels "stock minimal"]
#                    [--machines "q35 microvm"] [--out DIR]
# Needs make all image data kernel.
set -eu
cd "$(dirname "$0")/.."

REPEATS=${REPEATS:-3}
KERNELS="stock minimal"
MACHINES="q35 microvm"
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--repeats) REPEATS=$2; shift ;;
	--kernels) KERNELS=$2; shift ;;
	--machines) MACHINES=$2; shift ;;
	--out) OUT=$2; shift ;;
	*) echo "lightvm: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case $REPEATS in '' | *[!0-9]*) echo "lightvm: --repeats $REPEATS: a number" >&2; exit 2 ;; esac
OUT=${OUT:-bench/results/$(date -u +%Y-%m-%d)/lightvm}
V=build/vmreclaim
DATA=build/image/data-400.img
image_of() {
	case $1 in
	stock) echo build/image/initrd.img ;;
	minimal) echo build/image/minimal/initrd.img ;;
	*) echo "lightvm: unknown kernel $1 (stock or minimal)" >&2; exit 2 ;;
	esac
}
for k in $KERNELS; do
	[ -s "$(image_of "$k")" ] || { echo "lightvm: $(image_of "$k") missing (make image kernel)" >&2; exit 2; }
done
for m in $MACHINES; do
	case $m in q35 | microvm) ;; *) echo "lightvm: unknown machine $m (q35 or microvm)" >&2; exit 2 ;; esac
done
for f in $V $DATA; do
	[ -e "$f" ] || { echo "lightvm: $f missing (make all data)" >&2; exit 2; }
done

mkdir -p "$OUT/raw"
export VMRECLAIM_RUNTIME_DIR=${VMRECLAIM_RUNTIME_DIR:-/tmp/vmreclaim-lightvm-$$}
trap '$V stop --all >/dev/null 2>&1 || true; rmdir "$VMRECLAIM_RUNTIME_DIR" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# How long a guest may take to reach its init: the stock kernel takes about
# 8 s under TCG here; a guest that hangs in its boot is a failed run.
BOOT_MAX_S=90
now() { date +%s.%N; }

run_one() { # run_one KERNEL MACHINE REPEAT
	raw=$OUT/raw/$1.$2.r$3
	name=lv-$1-$2
	rm -f "$raw".*
	# The host's load when the run starts: other work on the machine
	# slows a TCG boot, and the figures should say so.
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(now)
	if ! $V run -d --name "$name" -M "$2" -m 1GB -p 2 --data "$DATA" --image "$(image_of "$1")" \
		-w demo --set idleSeconds=6 --set sampleInterval=2 --set autoMemoryReclaim=dropcache \
		>"$raw.run" 2>&1; then
		echo "$1,$2,$3,failed: QEMU did not start,,,,,,,,,$load" >>"$OUT/runs.csv"
		return
	fi
	con=$VMRECLAIM_RUNTIME_DIR/$name/console.log
	# Recorded from now until 45 s after the workload's idle event (the
	# drop comes 6-8 s after it, vmreclaimctl status at 35 s).
	$V top --name "$name" --quiet --record "$raw.csv" --until-event idle --after 45 \
		--duration 300 >/dev/null 2>"$raw.top" &
	rec=$!
	boot=
	while :; do
		if grep -q 'vmreclaim-event: boot-done' "$con" 2>/dev/null; then
			boot=$(echo "$(now) $t0" | awk '{ printf "%.2f", $1 - $2 }')
			break
		fi
		if [ "$(echo "$(now) $t0" | awk '{ print ($1 - $2 > '$BOOT_MAX_S') }')" = 1 ]; then
			break
		fi
		sleep 0.05
	done
	if [ -z "$boot" ]; then
		cp "$con" "$raw.console" 2>/dev/null || true
		$V stop "$name" >/dev/null 2>&1 || true
		wait "$rec" || true
		echo "$1,$2,$3,failed: no boot-done within $BOOT_MAX_S s,,,,,,,,,$load" >>"$OUT/runs.csv"
		echo "lightvm: $1 $2 #$3: no boot-done within $BOOT_MAX_S s" >&2
		return
	fi
	wait "$rec" || true
	cp "$con" "$raw.console" 2>/dev/null || true
	$V stop "$name" >/dev/null 2>&1 || true
	if [ ! -s "$raw.csv" ] || ! grep -q 'idle' "$raw.csv"; then
		echo "$1,$2,$3,failed: the workload never reached idle,$boot,,,,,,,,$load" >>"$OUT/runs.csv"
		echo "lightvm: $1 $2 #$3: the workload never reached idle" >&2
		return
	fi
	# boot anon_peak anon_low read_peak last, in bytes (scripts/phases.awk).
	awk -f scripts/phases.awk "$raw.csv" | awk -v k="$1" -v m="$2" -v r="$3" -v b="$boot" -v l="$load" '
		function mib(x) { return x / 1048576 }
		{
			floor = $1; ap = $2; al = $3; rp = $4; last = $5
			anon = ap > floor ? 100 * (ap - al) / (ap - floor) : 0
			cache = rp > floor ? 100 * (rp - last) / (rp - floor) : 0
			printf "%s,%s,%s,ok,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%s\n", k, m, r, b,
				mib(floor), mib(ap), mib(al), anon, mib(rp), mib(last), cache, l
		}' >>"$OUT/runs.csv"
	tail -n 1 "$OUT/runs.csv" | sed 's/^/lightvm: /'
}

echo "kernel,machine,repeat,status,boot_s,floor_mib,anon_peak_mib,anon_low_mib,anon_pct,read_peak_mib,final_mib,cache_pct,host_load1" >"$OUT/runs.csv"
t_start=$(date +%s)
r=1
while [ "$r" -le "$REPEATS" ]; do
	# The combinations' order rotated each repeat, so that a slow minute
	# of the host does not always fall on the same one.
	set --
	for k in $KERNELS; do for m in $MACHINES; do set -- "$@" "$k:$m"; done; done
	i=1
	while [ $i -lt "$r" ]; do c=$1; shift; set -- "$@" "$c"; i=$((i + 1)); done
	for c in "$@"; do
		run_one "${c%%:*}" "${c#*:}" "$r"
	done
	r=$((r + 1))
done
echo $(($(date +%s) - t_start)) >"$OUT/elapsed"
{
	echo "QEMU: $(qemu-system-x86_64 --version | head -n 1)"
	echo "stock kernel: $(cat build/image/kernel-version 2>/dev/null)"
	echo "minimal kernel: $(cat build/image/minimal/kernel-version 2>/dev/null), bzImage $(wc -c <build/kernel/bzImage 2>/dev/null) bytes"
	echo "host: $(nproc) CPUs, $(uname -r)"
} >"$OUT/environment"
sh bench/lightvm-report.sh "$OUT"
