#!/bin/sh
# One kernel's benchmark report, in Markdown, from DIR/summary.csv,
# DIR/ranges.csv and DIR/runs.csv (scripts/bench.sh writes them and calls
# this with MODE, SCALE, WATCH, REPEATS, SIZE, PARALLEL, ELAPSED, CALLS, DATE,
# KVER and SCENARIOS in the environment).  Generated, never edited by hand.
#   scripts/bench-report.sh DIR
set -eu
D=$1
cd "$(dirname "$0")/.."

echo "# vmreclaim benchmark ($MODE), $DATE, guest kernel $KVER"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -qE 'vmx|svm' /proc/cpuinfo && echo KVM || echo TCG); guest: 2 GiB, 2 CPUs."
if [ "$MODE" = defaults ]; then
	echo "The shipped settings in real time: vmreclaimd's defaults (idleSeconds 120, sampleInterval 5), WSL dropcache and"
	echo "WSL gradual at their own periods with page_reporting_order 5; sizes x$SIZE; each run recorded for $WATCH s after"
	echo "its workload ended."
else
	echo "Time windows of every configuration divided by $SCALE; sizes x$SIZE; each run recorded for $WATCH s after its workload ended."
fi
echo "Each scenario x configuration ran $REPEATS time(s), the runs of a repeat interleaved across configurations (the"
echo "order rotated each repeat), at most $PARALLEL VMs at a time; ${ELAPSED} s in all (every kernel of the run$([ "${CALLS:-1}" -gt 1 ] && echo "; $CALLS calls of bench.sh"))."
echo "Figures are medians over the runs that did not fail, with (min-max) where there was more than one; a run that"
echo "failed is counted in \"runs\" and listed with its reason under its table, never in the figures."
echo
echo "Host RSS of the QEMU process (MiB): after boot, peak, at the workload's end, at the end of the recording;"
echo "returned = (peak - end) / (peak - boot); t50/t90 = seconds from the workload's end until half / 90% of the RSS"
echo "above the post-boot figure at that moment was back (\"-\": not within the recording);"
echo "stranded = integral of max(0, RSS - guest used) after the workload (GiB*s), which includes what no guest policy"
echo "can return; floor = the VM's own floor, host RSS minus guest used at the post-boot point (QEMU's own memory and"
echo "what the freshly booted guest holds outside \"used\"); excess = integral of max(0, RSS - guest used - floor) after"
echo "the workload (GiB*s): what the policy left stranded above the floor;"
echo "refaults = workingset_refault_file during the run (0 whenever the cache was dropped rather than reclaimed:"
echo "dropped pages leave no shadow entries, so reading them again is not a refault; disk reads are then the cost);"
echo "disk = MiB read from the data disk during the run; read back = MiB read from it after the workload's end;"
echo "hot re-read = the 128 MiB hot set read again every 20 s after the workload: mean ms and mean MiB read from the"
echo "disk per re-read (0 MiB: it was all still cached);"
echo "service = CPU seconds and peak RSS (KiB: the larger of VmHWM and the RSS seen every 10 s; every 10 s = the"
echo "largest RSS seen at those samples alone, without what the service holds for a moment) of the guest's"
echo "reclaim service (vmreclaimd or the peer); of it kernel = the CPU seconds its writes to the kernel took"
echo "(compaction, reclaim, cache drops and the sync before them run in the writer's context): the kernel's work for it;"
echo "of it drains = the CPU seconds of vmreclaimd's per-CPU list drains and reporting wake-ups (the faults, frees"
echo "and vmstat passes they cause, mostly kernel work; \"-\" for the peers, which do neither); the rest is the"
echo "service's own (its samples, reads of /proc and /sys, its decisions);"
echo "CPU seconds are the guest's accounting: a task is charged for the time its vCPU thread waited for a host core"
echo "while it ran, so the more VMs at once, the larger every service's figure;"
echo "host CPU = user + system seconds of the QEMU process over the recording, boot included (the emulated vCPUs: every"
echo "guest task and the guest kernel; and QEMU's own threads); comparable where the work is fixed, not in busy."
if [ "$MODE" = defaults ]; then
	echo
	echo "Anchor: WSL's own figure for its current loop (microsoft/WSL PR #41096, measured in #41095): the host working set"
	echo "cut by half 177 s after a kernel build (591 s with the loop before it). Their host, their kernel build, their"
	echo "guest size: it is set beside t50 here as the number users will compare, not as a run of this benchmark."
fi

# rows SCENARIO COLS: a table row per configuration, a cell per column of
# summary.csv in COLS: the median, and (min-max) after more than one run
# for the columns marked r (the figures the verdicts read, and their
# costs); % marks a percentage.
rows() {
	awk -F, -v s="$1" -v cols="$2" -v rng="$D/ranges.csv" '
	BEGIN { while ((getline l < rng) > 0) { split(l, f, ","); r[f[1], f[2]] = l } }
	NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "runs_ok") cok = i; if ($i == "runs_failed") cfail = i } }
	$1 == s {
		split(r[$1, $2], g, ",")
		nok = $cok; nfail = $cfail
		total = nok + nfail
		line = "| " $2 " | " (nfail > 0 ? nok "/" total " (" nfail " failed)" : nok "/" total)
		n = split(cols, c, " ")
		for (i = 1; i <= n; i++) {
			pct = (c[i] ~ /%/) ? "%" : ""
			j = c[i] + 0
			cell = $j
			if (cell != "-" && pct) cell = cell "%"
			if (c[i] ~ /r$/ && g[j] ~ /[0-9]-([0-9]|never)/) cell = cell " (" g[j] pct ")"
			line = line " | " cell
		}
		print line " |"
	}' "$D/summary.csv"
}

for s in $SCENARIOS; do
	echo
	echo "## $s"
	echo
	echo "![$s]($s.svg)"
	echo
	if [ "$MODE" = defaults ]; then
		echo "| configuration | runs | boot | at workload end | end | returned | t50 s | t90 s | excess GiB*s ($WATCH s) | stranded GiB*s | floor MiB | read back MiB | service CPU s | of it kernel s | of it drains s | service KiB | every 10 s KiB |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		cols="3 25 5 6%r 7r 8r 23r 9r 24 26r 15r 27r 30r 16 31"
	else
		echo "| configuration | runs | boot | peak | end | returned | t50 | t90 | stranded GiB*s | excess GiB*s | floor MiB | refaults | disk MiB | hot re-read ms | hot re-read disk MiB | service CPU s | of it kernel s | of it drains s | service KiB | every 10 s KiB | host CPU s |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		cols="3 4 5 6%r 7r 8r 9r 23r 24 10r 11 12r 13r 15r 27r 30r 16 31 17"
	fi
	rows "$s" "$cols"
	if [ "$MODE" = defaults ] && [ "$s" = hot-set ]; then
		# What the scenario is about: whether the hot set, re-read every
		# 20 s, was still cached (issue 14's target: at most 5% of its
		# 128 MiB from the disk per re-read).
		echo
		echo "| configuration | runs | hot re-read ms | hot re-read disk MiB |"
		echo "|---|---|---|---|"
		rows "$s" "12r 13r"
	fi
	if [ "$s" = slab ]; then
		# What the scenario is about: the reclaimable slab the walk grew
		# (from the guest's SReclaimable, first sample to peak) and the
		# share of it gone by the end.
		echo
		echo "| configuration | runs | slab grown MiB | slab growth returned |"
		echo "|---|---|---|---|"
		rows "$s" "28 29%r"
	fi
	awk -F, -v s="$s" 'NR > 1 && $1 == s && $NF != "ok" { printf "%s- failed: %s, repeat %s: %s\n", (n++ ? "" : "\n"), $2, $(NF - 1), substr($NF, 9) }' "$D/runs.csv"
done
echo
MODE=$MODE scripts/bench-verdict.sh "$D"
