#!/bin/sh
# End to end: a real kernel in a real QEMU, host RSS of the real process.
# Three VMs run the demo workload at once (allocate and free 512 MiB, read
# 400 MiB of files, go idle):
#   full        free page reporting on, vmreclaimd in dropcache mode
#   no-report   the same with pageReporting = false        (control)
#   no-daemon   reporting on, vmreclaimd not started        (control)
# The full VM must fall back to within 15% of its post-boot RSS after each
# phase; the controls must not, which shows the checks can fail.
# Prints "ok - ..." / "not ok - ..." and "# ..." figures.
#   sh tests/e2e/reclaim.sh [KERNEL...]
# once per guest kernel (a version or prefix in /boot, or "default", the
# image in build/image/), one after the other; without arguments
# RECLAIM_KERNELS, else "default" and, when installed, 6.12 (its image is
# built in build/image/6.12.../ if missing).
set -u
cd "$(dirname "$0")/../.."

. tests/e2e-setup.sh
e2e_setup reclaim

if [ $# -eq 0 ]; then
	set -- ${RECLAIM_KERNELS:-default $(ls /boot/vmlinuz-6.12* >/dev/null 2>&1 && echo 6.12)}
fi
T0=$T
for karg in "$@"; do
	if [ "$karg" = default ]; then
		IMAGE=build/image/initrd.img
		KV=$(cat build/image/kernel-version)
	else
		KV=$(for d in /lib/modules/*; do
			v=$(basename "$d")
			[ -f "/boot/vmlinuz-$v" ] && echo "$v"
		done | sort -V | grep -E "^$karg([.-]|$)" | tail -n 1)
		[ -n "$KV" ] || { nok "kernel $karg installed"; continue; }
		IMAGE=build/image/$KV/initrd.img
		# Built here when missing or older than what goes into it.
		if [ ! -s "$IMAGE" ] || [ -n "$(find build/vmreclaimd build/vmreclaimctl build/vrload build/wslpeer \
			image/init image/workloads scripts/mkimage.sh -newer "$IMAGE" 2>/dev/null)" ]; then
			scripts/mkimage.sh --kernel "$KV" >/dev/null || { nok "$KV: image built"; continue; }
		fi
	fi
	T=$T0/$KV
	mkdir -p "$T"
	# Every line says which kernel it is about.
	ok() { echo "ok - $KV: $*"; }
	nok() { echo "not ok - $KV: $*"; }
	DATA=build/image/data-400.img
	# Samples of 2 s: at USER_HZ 100 one tick of a 1 s sample is already 1%.
	common="--data $DATA -w demo -m 1GB -p 1 --set idleSeconds=6 --set sampleInterval=2 --image $IMAGE"
	started=0
	for vm in full no-report no-daemon; do
		case $vm in
		full) extra="--set autoMemoryReclaim=dropcache" ;;
		no-report) extra="--set autoMemoryReclaim=dropcache --page-reporting off" ;;
		no-daemon) extra="--set kernelCommandLine=vrinit.daemon=0" ;;
		esac
		# Recorded until 45 s after the workload goes idle: the idle window
		# (6 s), a sample, the drop, and free page reporting's passes (2 s
		# apart), with room for three TCG guests on two host cores.
		# shellcheck disable=SC2086
		e2e_start $vm 45 $common $extra
	done
	if [ $started -eq 3 ]; then ok "three VMs started"; else nok "three VMs started ($started)"; fi
	wait
	# One sample of every running VM, with the guest's own figures.
	$V top --once >$T/once 2>&1
	rows=$(awk '$2 ~ /^(full|no-report|no-daemon)$/ && $5 ~ /M$/ && $9 ~ /M$/' $T/once | wc -l)
	if [ "$rows" -eq 3 ]; then ok "top --once shows host RSS, guest and stranded memory of the three VMs"
	else nok "top --once shows host RSS, guest and stranded memory of the three VMs"; sed 's/^/#   /' $T/once; fi
	for vm in full no-report no-daemon; do
		cp "$VMRECLAIM_RUNTIME_DIR/$vm/console.log" $T/$vm.console 2>/dev/null
	done
	$V stop --all >/dev/null 2>&1
	left=""
	for vm in full no-report no-daemon; do
		# run -d ends with "NAME PID CONSOLE"
		pid=$(awk -v n="$vm" '$1 == n && $2 ~ /^[0-9]+$/ { print $2 }' $T/$vm.run 2>/dev/null)
		[ -n "$pid" ] && [ -d /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status && left="$left $pid"
	done
	if [ -z "$left" ]; then ok "stop leaves no QEMU running"; else nok "stop leaves no QEMU running:$left"; fi

	# From a recording (scripts/phases.awk): the post-boot RSS, the peak, the
	# lowest between anon-freed and read-start (how far the freed memory came
	# back before the next phase), and the last.
	mib() { awk -v b="$1" 'BEGIN { printf "%d", b / 1048576 }'; }
	figures() { # figures CSV -> "boot peak after_anon final"
		awk -f scripts/phases.awk "$1" | awk '{ print $1, ($2 > $4 ? $2 : $4), $3, $5 }'
	}

	check_vm() { # check_vm NAME EXPECT(fall|stay-anon|stay-cache)
		csv=$T/$1.csv
		if [ ! -s "$csv" ] || ! grep -q idle "$csv"; then
			nok "$1: recorded the whole workload"
			sed 's/^/#   /' $T/$1.top
			return
		fi
		set -- "$1" "$2" $(figures "$csv")
		name=$1 expect=$2 boot=$3 peak=$4 anon=$5 final=$6

		echo "# $KV $name: post-boot $(mib $boot) MiB, peak $(mib $peak) MiB, after freeing 512 MiB $(mib $anon) MiB, at the end $(mib $final) MiB"
		limit=$((boot + boot * 15 / 100))
		case $expect in
		fall)
			if [ "$anon" -le "$limit" ]; then ok "$name: back within 15% of post-boot after freeing anonymous memory"
			else nok "$name: back within 15% of post-boot after freeing anonymous memory ($(mib $anon) > $(mib $limit) MiB)"; fi
			if [ "$final" -le "$limit" ]; then ok "$name: back within 15% of post-boot after reading files and going idle"
			else nok "$name: back within 15% of post-boot after reading files and going idle ($(mib $final) > $(mib $limit) MiB)"; fi
			;;
		stay-anon)
			# Without reporting, the freed 512 MiB stays with QEMU.
			if [ "$anon" -gt $((boot + 400 * 1048576)) ]; then ok "$name (control): freed memory stays on the host"
			else nok "$name (control): freed memory stays on the host ($(mib $anon) MiB)"; fi
			;;
		stay-cache)
			# Without the daemon, reporting returns most of the freed
			# anonymous memory (not what Linux 6.7+ keeps in its per-CPU
			# lists: about 55 MiB a CPU here, which only the daemon
			# drains), but the 400 MiB of page cache stays.
			if [ $((peak - anon)) -ge $((400 * 1048576)) ]; then ok "$name (control): reporting alone returns 400 of the 512 MiB freed"
			else nok "$name (control): reporting alone returns 400 of the 512 MiB freed ($(mib $((peak - anon))) MiB)"; fi
			if [ "$final" -gt $((boot + 300 * 1048576)) ]; then ok "$name (control): page cache stays on the host without vmreclaimd"
			else nok "$name (control): page cache stays on the host without vmreclaimd ($(mib $final) MiB)"; fi
			;;
		esac
	}
	for pair in full:fall no-report:stay-anon no-daemon:stay-cache; do
		out=$(check_vm ${pair%%:*} ${pair#*:})
		echo "$out"
		# On a failure, what the guest said.
		case $out in *"not ok"*)
			echo "#   console of ${pair%%:*}, last lines:"
			tr -d '\r' <$T/${pair%%:*}.console 2>/dev/null | grep -v '^$' | tail -n 15 | sed 's/^/#   /' ;;
		esac
	done
	if grep -q 'dropcache' $T/full.csv; then ok "full: the recording shows vmreclaimd's dropcache"
	else nok "full: the recording shows vmreclaimd's dropcache"; fi
	# What vmreclaimd's probe found in this kernel (its first line): the
	# balloon's free page reporting on every kernel, and memory.reclaim's
	# swappiness= argument exactly where the kernel has it (Linux 6.9 on:
	# Debian's 6.12 takes it, 6.1 refuses it).
	probe=$(tr -d '\r' <$T/full.console 2>/dev/null | grep -m 1 '^vmreclaimd: reporting order')
	echo "# $KV probe: ${probe#vmreclaimd: }"
	case $probe in *"balloon: free page reporting"*) ok "full: the probe finds the balloon's free page reporting" ;;
	*) nok "full: the probe finds the balloon's free page reporting" ;; esac
	case $(printf '%s\n' "$KV" 6.9 | sort -V | head -n 1) in
	6.9) want="swappiness=0 accepted" ;;
	*) want="swappiness= not accepted" ;;
	esac
	case $probe in *"$want"*) ok "full: the probe says \"$want\"" ;;
	*) nok "full: the probe says \"$want\"" ;; esac
	if $V plot $T/full.csv -o $T/full.svg >/dev/null 2>&1 && grep -q '<svg' $T/full.svg; then ok "plot draws the recording"
	else nok "plot draws the recording"; fi
	if [ -z "$(ls -A "$VMRECLAIM_RUNTIME_DIR" 2>/dev/null)" ]; then ok "no runtime directory left behind"
	else nok "no runtime directory left behind ($(ls "$VMRECLAIM_RUNTIME_DIR"))"; fi
done
