#!/bin/sh
# make bench: every scenario under every configuration, side by side, with
# host RSS of each VM's QEMU process as the truth.  Writes
# bench/results/DATE/ (or --out DIR): raw/ (one CSV and console per run),
# summary.csv, SCENARIO.svg (one line per configuration), report.md.
#
#   scripts/bench.sh [--quick] [--scenarios "a b"] [--configs "x y"]
#                    [--parallel N] [--size F] [--scale S] [--watch SEC] [--out DIR]
#                    [--report-only]
#
# --report-only computes summary.csv, the plots and report.md again from an
# earlier run's raw/ in --out DIR, without running anything.
# --scale S divides every time window of every configuration alike (WSL's
# 10 s sample and 2 min window, the cron period, vmreclaimd's idleSeconds).
set -eu
cd "$(dirname "$0")/.."

V=build/vmreclaim
SCENARIOS="anon cold-cache fragmented hot-set busy build"
CONFIGS="none reporting wsl-19013 wsl-dropcache-o9 wsl-dropcache-o5 wsl-gradual cron vmreclaim"
# All configurations of a scenario run at the same time, so that each
# meets the same host load (the busy scenario's speed is only comparable
# that way); --parallel caps how many VMs run at once.
PARALLEL=8
SIZE=1
SCALE=5
WATCH=150  # seconds recorded after the workload ends
BURN=60    # the busy scenario's CPU job, seconds
OUT=
REPORT_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) SCENARIOS=anon CONFIGS="none reporting vmreclaim" WATCH=45 ;;
	--scenarios) SCENARIOS=$2; shift ;;
	--configs) CONFIGS=$2; shift ;;
	--parallel) PARALLEL=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--scale) SCALE=$2; shift ;;
	--watch) WATCH=$2; shift ;;
	--out) OUT=$2; shift ;;
	--report-only) REPORT_ONLY=1 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
OUT=${OUT:-bench/results/$(date -u +%Y-%m-%d)}
mkdir -p "$OUT/raw"
DATA=build/image/bench-$SIZE.img
[ "$REPORT_ONLY" = 1 ] || scripts/mkbenchdata.sh "$SIZE" "$DATA" >/dev/null
export VMRECLAIM_RUNTIME_DIR=${VMRECLAIM_RUNTIME_DIR:-/tmp/vmreclaim-bench-$$}
# However the run ends, no VM is left behind.
cleanup() {
	$V stop --all >/dev/null 2>&1 || true
	rmdir "$VMRECLAIM_RUNTIME_DIR" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The guest's kernel command line words and vmreclaim run flags of a
# configuration.
config() {
	k="vrinit.size=$SIZE vrinit.burn=$BURN"
	peer() { k="$k vrinit.daemon=0 vrinit.peer=$1 vrinit.peer_order=$2 vrinit.peer_scale=$SCALE"; }
	flags=""
	case $1 in
	none) k="$k vrinit.daemon=0"; flags="--page-reporting off" ;;
	reporting) k="$k vrinit.daemon=0" ;;
	wsl-19013) peer wsl-19013 9 ;;
	wsl-dropcache-o9) peer wsl-dropcache 9 ;;
	wsl-dropcache-o5) peer wsl-dropcache 5 ;;
	wsl-gradual) peer wsl-gradual 5 ;;
	cron) peer cron 9 ;;
	vmreclaim) flags="--set idleSeconds=$((120 / SCALE)) --set sampleInterval=1" ;;
	*) echo "bench: unknown configuration $1" >&2; exit 2 ;;
	esac
}

# Host CPU seconds (user + system, all threads) used so far by process $1.
host_cpu() {
	[ -r "/proc/$1/stat" ] || return 0
	# Fields 14 and 15 (utime, stime), counted after the ")" of the name.
	sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($12 + $13) / hz }'
}

run_one() { # run_one SCENARIO CONFIG
	name=b-$1-$2
	config "$2"
	# shellcheck disable=SC2086
	if ! $V run -d --name "$name" -m 2GB -p 2 --data "$DATA" -w "bench-$1" $flags \
		--set "kernelCommandLine=$k" >"$OUT/raw/$1.$2.run" 2>&1; then
		echo "bench: $1 / $2 did not start" >&2
		return
	fi
	pid=$(cat "$VMRECLAIM_RUNTIME_DIR/$name/qemu.pid" 2>/dev/null || true)
	cpu0=$(host_cpu "$pid")
	$V top -n "$name" -q --record "$OUT/raw/$1.$2.csv" --until-event idle --after "$WATCH" \
		--duration $((WATCH + 600)) >/dev/null 2>"$OUT/raw/$1.$2.top" || true
	# Host CPU of the QEMU process over the recording: the guest's
	# vCPUs (every guest task and the guest kernel, emulated) and QEMU's
	# own work (I/O, returning reported pages).
	cpu1=$(host_cpu "$pid")
	echo "host_cpu_s_start=${cpu0:--} host_cpu_s_end=${cpu1:--}" >"$OUT/raw/$1.$2.hostcpu"
	cp "$VMRECLAIM_RUNTIME_DIR/$name/console.log" "$OUT/raw/$1.$2.console" 2>/dev/null || true
	$V stop "$name" >/dev/null 2>&1 || true
	echo "bench: $1 / $2 done"
}

t0=$(date +%s)
[ "$REPORT_ONLY" = 1 ] && SCENARIOS_RUN= || SCENARIOS_RUN=$SCENARIOS
for s in $SCENARIOS_RUN; do
	jobs=0
	for c in $CONFIGS; do
		run_one "$s" "$c" &
		jobs=$((jobs + 1))
		if [ $jobs -ge "$PARALLEL" ]; then
			wait
			jobs=0
		fi
	done
	wait
done
t1=$(date +%s)
if [ "$REPORT_ONLY" = 1 ]; then
	t1=$((t0 + $(cat "$OUT/raw/elapsed" 2>/dev/null || echo 0)))
else
	echo $((t1 - t0)) >"$OUT/raw/elapsed"
fi

# Metrics of one run, from its recording, its console and its host CPU.
metrics() { # metrics SCENARIO CONFIG
	awk -F, -v scen="$1" -v cfg="$2" -v console="$OUT/raw/$1.$2.console" -v hostcpu="$OUT/raw/$1.$2.hostcpu" '
	function mib(b) { return sprintf("%d", b / 1048576) }
	BEGIN {
		while ((getline line < console) > 0) {
			if (line !~ /vmreclaim-metric:/) continue
			n = split(line, w, /[ =\r]+/)
			for (i = 1; i < n; i++) {
				if (w[i] == "refault_file") { if (rf0 == "") rf0 = w[i+1]; rf1 = w[i+1] }
				if (w[i] == "disk_read_kib") { if (dr0 == "") dr0 = w[i+1]; dr1 = w[i+1] }
				if (w[i] == "hot_reread_ms") { hot_n++; hot_ms += w[i+1] }
				if (w[i] == "hot_reread_disk_kib") hot_kib += w[i+1]
				if (w[i] == "burn_rounds") burn = w[i+1]
				if (w[i] == "burn_wall_ms") burn_wall = w[i+1]
				if (w[i] == "burn_cpu_ms") burn_cpu = w[i+1]
				if (w[i] == "service_cpu_ms") svc_ms = w[i+1]
				if (w[i] == "service_hwm_kib" && w[i+1] + 0 > svc_kib + 0) svc_kib = w[i+1]
			}
		}
		host = "-"
		if ((getline line < hostcpu) > 0) {
			n = split(line, w, /[ =]+/)
			for (i = 1; i < n; i++) {
				if (w[i] == "host_cpu_s_start") h0 = w[i+1]
				if (w[i] == "host_cpu_s_end") h1 = w[i+1]
			}
			if (h0 != "" && h0 != "-" && h1 != "" && h1 != "-") host = sprintf("%.1f", h1 - h0)
		}
	}
	NR > 1 {
		t = $1; rss = $4
		if ($11 ~ /(^|\+)boot-done($|\+)/) phase = 1
		if ($11 ~ /(^|\+)work-start($|\+)/) {
			# No sample between boot and work: the one that saw the
			# work start is the baseline.
			if (base == 0) base = rss
			phase = 2
		}
		if ($11 ~ /(^|\+)idle($|\+)/ && phase < 3) { phase = 3; t_idle = t }
		if (phase == 1 && (base == 0 || rss < base)) base = rss
		if (phase >= 2 && rss > peak) peak = rss
		if (phase == 3) {
			if (have_prev) strand += $10 * (t - tp)
			ts[++k] = t; rs[k] = rss
		}
		tp = t; have_prev = (phase == 3); last = rss; tlast = t
	}
	END {
		if (peak <= base) { ret = 0 } else { ret = (peak - last) / (peak - base) }
		t50 = "-"; t90 = "-"
		for (i = 1; i <= k; i++) {
			if (t50 == "-" && peak > base && rs[i] <= peak - 0.5 * (peak - base)) t50 = sprintf("%.0f", ts[i] - t_idle)
			if (t90 == "-" && peak > base && rs[i] <= peak - 0.9 * (peak - base)) t90 = sprintf("%.0f", ts[i] - t_idle)
		}
		# Without the idle event the after-work figures do not exist:
		# say so rather than print 0.
		strand_s = (k ? sprintf("%.2f", strand / 1073741824) : "-")
		bw = bc = rate = share = "-"
		if (burn_wall + 0 > 0 && burn_cpu + 0 > 0) {
			bw = sprintf("%.1f", burn_wall / 1000); bc = sprintf("%.1f", burn_cpu / 1000)
			rate = sprintf("%.0f", burn / (burn_cpu / 1000)); share = sprintf("%.3f", burn_cpu / burn_wall)
		}
		printf "%s,%s,%s,%s,%s,%.0f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", scen, cfg, mib(base), mib(peak), mib(last),
			100 * ret, t50, t90, strand_s,
			(rf0 == "" ? "-" : rf1 - rf0), (dr0 == "" ? "-" : sprintf("%d", (dr1 - dr0) / 1024)),
			(hot_n ? sprintf("%.0f", hot_ms / hot_n) : "-"), (hot_n ? sprintf("%.1f", hot_kib / 1024 / hot_n) : "-"),
			(burn == "" ? "-" : burn), (svc_ms == "" ? "-" : sprintf("%.2f", svc_ms / 1000)),
			(svc_kib == "" ? "-" : svc_kib), host, (hot_n ? hot_n : "-"), bw, bc, rate, share
	}' "$OUT/raw/$1.$2.csv"
}

echo "scenario,config,baseline_mib,peak_mib,final_mib,returned_pct,t50_s,t90_s,stranded_gib_s,refaults,disk_read_mib,hot_reread_ms,hot_reread_disk_mib,burn_rounds,service_cpu_s,service_hwm_kib,host_cpu_s,hot_rereads,burn_wall_s,burn_cpu_s,burn_rounds_per_cpu_s,burn_cpu_share" >"$OUT/summary.csv"
for s in $SCENARIOS; do
	for c in $CONFIGS; do
		[ -s "$OUT/raw/$s.$c.csv" ] && metrics "$s" "$c" >>"$OUT/summary.csv"
	done
	# One plot per scenario, a line per configuration.
	{
		echo "time_s,vm,pid,rss_bytes,guest_total_bytes,guest_free_bytes,guest_available_bytes,guest_cache_bytes,guest_used_bytes,stranded_bytes,event"
		for c in $CONFIGS; do
			[ -s "$OUT/raw/$s.$c.csv" ] && awk -F, -v OFS=, -v c="$c" 'NR > 1 { $2 = c; print }' "$OUT/raw/$s.$c.csv"
		done
	} >"$OUT/$s.csv"
	$V plot "$OUT/$s.csv" -o "$OUT/$s.svg" --title "$s: host RSS per configuration" >/dev/null 2>&1 ||
		echo "bench: no plot for $s" >&2
done

# The report: generated, never edited by hand.
{
	echo "# vmreclaim benchmark, $(date -u +%Y-%m-%d)"
	echo
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -qE 'vmx|svm' /proc/cpuinfo && echo KVM || echo TCG); guest: 2 GiB, 2 CPUs, kernel $(cat build/image/kernel-version)."
	echo "Time windows of every configuration divided by $SCALE; sizes x$SIZE; each run recorded for $WATCH s after its workload ended; the configurations of a scenario side by side, at most $PARALLEL VMs at a time; $((t1 - t0)) s in all."
	echo
	echo "Host RSS of the QEMU process (MiB): after boot, peak, at the end; returned = (peak - end) / (peak - boot);"
	echo "t50/t90 = seconds from the workload's end until half / 90% of that was back; stranded = integral of"
	echo "max(0, RSS - guest used) after the workload (GiB*s, includes QEMU's own ~100 MiB under TCG);"
	echo "refaults = workingset_refault_file during the run (0 whenever the cache was dropped rather than reclaimed:"
	echo "dropped pages leave no shadow entries, so reading them again is not a refault; disk reads are then the cost);"
	echo "disk = MiB read from the data disk during the run; hot re-read = the 128 MiB hot set read again every 20 s"
	echo "after the workload: mean ms and mean MiB read from the disk per re-read (0 MiB: it was all still cached);"
	echo "service = CPU seconds and peak RSS (KiB: the larger of VmHWM and the RSS seen every 10 s) of the guest's"
	echo "reclaim service (vmreclaimd or the peer);"
	echo "host CPU = user + system seconds of the QEMU process over the recording, boot included (the emulated vCPUs: every"
	echo "guest task and the guest kernel; and QEMU's own threads); comparable where the work is fixed, not in busy."
	for s in $SCENARIOS; do
		echo
		echo "## $s"
		echo
		echo "![$s]($s.svg)"
		echo
		echo "| configuration | boot | peak | end | returned | t50 | t90 | stranded GiB*s | refaults | disk MiB | hot re-read ms | hot re-read disk MiB | service CPU s | service KiB | host CPU s |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		awk -F, -v s="$s" '$1 == s { printf "| %s | %s | %s | %s | %s%% | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $15, $16, $17 }' "$OUT/summary.csv"
	done
	echo
	scripts/bench-verdict.sh "$OUT"
} >"$OUT/report.md"
echo "bench: $OUT/report.md ($((t1 - t0)) s)"
