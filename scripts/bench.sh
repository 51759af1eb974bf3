#!/bin/sh
# make bench: every scenario under every configuration, REPEATS times, on
# every guest kernel asked for, with host RSS of each VM's QEMU process as
# the truth.  Writes, under bench/results/DATE/ (or --out DIR), a directory
# per kernel: raw/ (one CSV, console and status per run), runs.csv (a row
# per run, failed ones with their reason), summary.csv (medians per
# scenario and configuration), ranges.csv (min-max), SCENARIO.svg (the
# first repeat, a line per configuration) and report.md; and report.md
# for all kernels.
#
#   scripts/bench.sh [--quick] [--defaults] [--scenarios "a b"] [--configs "x y"]
#                    [--kernels "6.1 6.12"] [--repeats N] [--repeat-from M]
#                    [--parallel N]
#                    [--size F] [--scale S] [--watch SEC] [--out DIR]
#                    [--report-only]
# Environment: SCENARIOS, CONFIGS, KERNELS, REPEATS, PARALLEL, BENCH_DEFAULTS=1.
#
# --defaults: the shipped settings in real time (no scaling): vmreclaimd's
# idleSeconds 120 and sampleInterval 5, WSL dropcache and WSL gradual at
# their periods and page_reporting_order 5 (WSL's on new hosts), on a
# build-like and a cold-cache workload, recorded 600 s after the workload.
# --scale S divides every time window of every configuration alike (WSL's
# 10 s sample and 2 min window, the cron period, vmreclaimd's idleSeconds).
# --kernels: versions or prefixes of kernels in /boot; "default" is
# build/image/ (the kernel linux-image-amd64 installs).
# --repeat-from M runs only repeats M..N (a long run split into calls, one
# repeat each, into the same --out).
# --report-only computes the tables, plots and reports again from an
# earlier run's raw/ directories in --out DIR, without running anything.
set -eu
cd "$(dirname "$0")/.."

V=build/vmreclaim
DEFAULTS=${BENCH_DEFAULTS:-0}
REPORT_ONLY=0
OPT_SCENARIOS= OPT_CONFIGS= OPT_WATCH= OPT_SCALE= QUICK=0
KERNELS=${KERNELS:-default}
REPEATS=${REPEATS:-3}
REPEAT_FROM=1
# At most this many VMs at once: each is a 2-CPU TCG guest, and the host
# has 2 cores shared with other work.
PARALLEL=${PARALLEL:-4}
SIZE=1
BURN=60 # the busy scenario's CPU job, seconds
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--defaults) DEFAULTS=1 ;;
	--scenarios) OPT_SCENARIOS=$2; shift ;;
	--configs) OPT_CONFIGS=$2; shift ;;
	--kernels) KERNELS=$2; shift ;;
	--repeats) REPEATS=$2; shift ;;
	--repeat-from) REPEAT_FROM=$2; shift ;;
	--parallel) PARALLEL=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--scale) OPT_SCALE=$2; shift ;;
	--watch) OPT_WATCH=$2; shift ;;
	--out) OUT=$2; shift ;;
	--report-only) REPORT_ONLY=1 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$DEFAULTS" = 1 ]; then
	SCENARIOS=${SCENARIOS:-"build cold-cache hot-set"}
	CONFIGS=${CONFIGS:-"vmreclaim wsl-dropcache wsl-gradual"}
	SCALE=1
	# Ten minutes after the workload: the window of "excess GiB*s", and
	# room for t90 at a 120 s idle time.
	WATCH=600
else
	SCENARIOS=${SCENARIOS:-"anon cold-cache fragmented hot-set busy build slab"}
	CONFIGS=${CONFIGS:-"none reporting wsl-19013 wsl-dropcache-o9 wsl-dropcache-o5 wsl-gradual cron vmreclaim"}
	SCALE=5
	WATCH=150 # seconds recorded after the workload ends
fi
for n in "$REPEATS" "$REPEAT_FROM" "$PARALLEL"; do
	case $n in '' | *[!0-9]* | 0*) echo "bench: --repeats, --repeat-from and --parallel take a whole number from 1 up, not \"$n\"" >&2; exit 2 ;; esac
done
if [ "$QUICK" = 1 ]; then
	SCENARIOS=anon CONFIGS="none reporting vmreclaim" WATCH=45 REPEATS=1
fi
SCENARIOS=$(echo "${OPT_SCENARIOS:-$SCENARIOS}" | tr ',' ' ')
CONFIGS=$(echo "${OPT_CONFIGS:-$CONFIGS}" | tr ',' ' ')
KERNELS=$(echo "$KERNELS" | tr ',' ' ')
SCALE=${OPT_SCALE:-$SCALE}
WATCH=${OPT_WATCH:-$WATCH}
MODE=scaled
[ "$DEFAULTS" = 1 ] && MODE=defaults
OUT=${OUT:-bench/results/$(date -u +%Y-%m-%d)/$MODE}

# The full version of a kernel named by a prefix ("6.12"), or "default".
kver_of() {
	if [ "$1" = default ]; then
		cat build/image/kernel-version
		return
	fi
	for d in /lib/modules/*; do
		v=$(basename "$d")
		[ -f "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V | grep -E "^$1([.-]|$)" | tail -n 1
}
KVERS=
for k in $KERNELS; do
	if [ "$REPORT_ONLY" = 1 ] && [ -d "$OUT/$k/raw" ]; then
		v=$k
	else
		v=$(kver_of "$k")
	fi
	[ -n "$v" ] || { echo "bench: no kernel $k in /boot" >&2; exit 2; }
	KVERS="$KVERS $v"
	mkdir -p "$OUT/$v/raw"
	if [ "$REPORT_ONLY" = 0 ]; then
		if [ "$k" = default ]; then
			[ -s build/image/initrd.img ] || { echo "bench: no build/image (make image)" >&2; exit 2; }
		else
			scripts/mkimage.sh --kernel "$v" >/dev/null
		fi
	fi
done
# Tables again without --scenarios: the scenarios the run's calls recorded.
if [ "$REPORT_ONLY" = 1 ] && [ -z "$OPT_SCENARIOS" ]; then
	had=
	for s in $SCENARIOS; do
		for v in $KVERS; do
			if ls "$OUT/$v/raw/$s".*.status >/dev/null 2>&1; then had="$had $s"; break; fi
		done
	done
	SCENARIOS=${had# }
fi
image_of() { # image_of KVER
	if [ -s "build/image/$1/initrd.img" ]; then echo "build/image/$1/initrd.img"; else echo build/image/initrd.img; fi
}
DATA=build/image/bench-$SIZE.img
[ "$REPORT_ONLY" = 1 ] || scripts/mkbenchdata.sh "$SIZE" "$DATA" >/dev/null
export VMRECLAIM_RUNTIME_DIR=${VMRECLAIM_RUNTIME_DIR:-/tmp/vmreclaim-bench-$$}
SLOTS=$(mktemp -d /tmp/vmreclaim-bench-slots-XXXXXX)
# However the run ends, no VM is left behind.
cleanup() {
	$V stop --all >/dev/null 2>&1 || true
	rmdir "$VMRECLAIM_RUNTIME_DIR" 2>/dev/null || true
	rm -rf "$SLOTS"
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
	# WSL sets order 5 on the hosts that allow it (its current default).
	wsl-dropcache | wsl-dropcache-o5) peer wsl-dropcache 5 ;;
	wsl-gradual) peer wsl-gradual 5 ;;
	cron) peer cron 9 ;;
	vmreclaim)
		# Unscaled: the shipped defaults, nothing else set.
		[ "$SCALE" = 1 ] || flags="--set idleSeconds=$((120 / SCALE)) --set sampleInterval=1" ;;
	*) echo "bench: unknown configuration $1" >&2; exit 2 ;;
	esac
}

# Host CPU seconds (user + system, all threads) used so far by process $1.
host_cpu() {
	[ -r "/proc/$1/stat" ] || return 0
	# Fields 14 and 15 (utime, stime), counted after the ")" of the name.
	sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($12 + $13) / hz }'
}

# Why a run's recording cannot be used, or nothing: every run that dies is
# reported with this, never dropped or averaged in.
why_failed() { # why_failed RAWBASE
	if [ ! -s "$1.csv" ] || [ "$(wc -l <"$1.csv")" -lt 2 ]; then echo "nothing recorded"; return; fi
	grep -q 'boot-done' "$1.csv" || { echo "the guest never finished booting (no boot-done)"; return; }
	grep -q 'work-start' "$1.csv" || { echo "the guest never reached the workload (no work-start)"; return; }
	grep -q 'idle' "$1.csv" || { echo "the workload never ended (no idle marker)"; return; }
	return 0
}

run_one() { # run_one KVER SCENARIO CONFIG REPEAT NAME
	raw=$OUT/$1/raw/$2.$3.r$4
	name=$5
	config "$3"
	# shellcheck disable=SC2086
	if ! $V run -d --name "$name" -m 2GB -p 2 --data "$DATA" --image "$(image_of "$1")" \
		-w "bench-$2" $flags --set "kernelCommandLine=$k" >"$raw.run" 2>&1; then
		echo "failed: QEMU did not start ($(grep -v '^$' "$raw.run" | tail -n 1 | tr ',' ';'))" >"$raw.status"
		echo "bench: $1 $2 / $3 #$4 did not start" >&2
		return
	fi
	pid=$(cat "$VMRECLAIM_RUNTIME_DIR/$name/qemu.pid" 2>/dev/null || true)
	cpu0=$(host_cpu "$pid")
	$V top -n "$name" -q --record "$raw.csv" --until-event idle --after "$WATCH" \
		--duration $((WATCH + 900)) >/dev/null 2>"$raw.top" || true
	# Host CPU of the QEMU process over the recording: the guest's
	# vCPUs (every guest task and the guest kernel, emulated) and QEMU's
	# own work (I/O, returning reported pages).
	cpu1=$(host_cpu "$pid")
	alive=0
	[ -n "$pid" ] && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && alive=1
	echo "host_cpu_s_start=${cpu0:--} host_cpu_s_end=${cpu1:--}" >"$raw.hostcpu"
	cp "$VMRECLAIM_RUNTIME_DIR/$name/console.log" "$raw.console" 2>/dev/null || true
	$V stop "$name" >/dev/null 2>&1 || true
	why=$(why_failed "$raw")
	if [ "$alive" = 0 ]; then
		why="QEMU exited during the run${why:+ ($why)}"
	fi
	if [ -n "$why" ]; then
		echo "failed: $why" | tr ',' ';' >"$raw.status"
		echo "bench: $1 $2 / $3 #$4 failed: $why" >&2
	else
		echo ok >"$raw.status"
		echo "bench: $1 $2 / $3 #$4 done"
	fi
}

# Every run, in order: repeat by repeat, and within a repeat the kernels,
# the scenarios and the configurations, the configurations' order rotated
# by one each repeat, so that a slow minute of the host does not fall on
# one configuration; at most PARALLEL at once, the next starting when one
# ends.
t0=$(date +%s)
if [ "$REPORT_ONLY" = 0 ]; then
	r=$REPEAT_FROM
	while [ "$r" -le "$REPEATS" ]; do
		ki=0
		for v in $KVERS; do
			ki=$((ki + 1))
			si=0
			for s in $SCENARIOS; do
				si=$((si + 1))
				set -- $CONFIGS
				rot=$(((r - 1) % $#))
				i=0
				while [ $i -lt "$rot" ]; do c=$1; shift; set -- "$@" "$c"; i=$((i + 1)); done
				for c in "$@"; do
					while [ "$(ls "$SLOTS" | wc -l)" -ge "$PARALLEL" ]; do sleep 2; done
					name=b$ki-$r-$si-$c
					touch "$SLOTS/$name"
					(run_one "$v" "$s" "$c" "$r" "$name"; rm -f "$SLOTS/$name") &
					# One boot at a time: QEMU's start-up and the
					# guest's boot are the heaviest seconds.
					sleep 5
				done
			done
		done
		r=$((r + 1))
	done
	wait
	# A line per call: a run may be made of several calls into the same
	# --out (SCENARIOS split up), then one --report-only over them all.
	echo "$(($(date +%s) - t0)) $(echo $KERNELS | tr ' ' ,) $(echo $SCENARIOS | tr ' ' ,) $(echo $CONFIGS | tr ' ' ,)" >>"$OUT/elapsed"
	date -u -d "@$t0" +%Y-%m-%d >"$OUT/date"
	echo "$PARALLEL" >"$OUT/parallel"
	# The most repeats any call asked for.
	prev=$(cat "$OUT/repeats" 2>/dev/null || echo 0)
	[ "$prev" -gt "$REPEATS" ] 2>/dev/null || echo "$REPEATS" >"$OUT/repeats"
fi
ELAPSED=$(awk '{ s += $1 } END { print NR ? s : "?" }' "$OUT/elapsed" 2>/dev/null || echo "?")
CALLS=$(wc -l <"$OUT/elapsed" 2>/dev/null || echo 0)
DATE=$(cat "$OUT/date" 2>/dev/null || date -u +%Y-%m-%d)
REPEATS=$(cat "$OUT/repeats" 2>/dev/null || echo "$REPEATS")
# What the run used, not this call's default.
PARALLEL=$(cat "$OUT/parallel" 2>/dev/null || echo "$PARALLEL")

# Metrics of one run, from its recording, its console and its host CPU.
metrics() { # metrics RAWBASE SCENARIO CONFIG
	awk -F, -v scen="$2" -v cfg="$3" -v console="$1.console" -v hostcpu="$1.hostcpu" -v watch="$WATCH" '
	function mib(b) { return sprintf("%d", b / 1048576) }
	BEGIN {
		while ((getline line < console) > 0) {
			if (line ~ /vmreclaim-event: idle/) ended = 1
			if (line !~ /vmreclaim-metric:/) continue
			n = split(line, w, /[ =\r]+/)
			for (i = 1; i < n; i++) {
				if (w[i] == "refault_file") { if (rf0 == "") rf0 = w[i+1]; rf1 = w[i+1] }
				if (w[i] == "disk_read_kib") {
					if (dr0 == "") dr0 = w[i+1]
					dr1 = w[i+1]
					# The last figure printed before the workload ended.
					if (!ended) dre = w[i+1]
				}
				if (w[i] == "hot_reread_ms") { hot_n++; hot_ms += w[i+1] }
				if (w[i] == "hot_reread_disk_kib") hot_kib += w[i+1]
				if (w[i] == "burn_rounds") burn = w[i+1]
				if (w[i] == "burn_wall_ms") burn_wall = w[i+1]
				if (w[i] == "burn_cpu_ms") burn_cpu = w[i+1]
				if (w[i] == "service_cpu_ms") svc_ms = w[i+1]
				if (w[i] == "service_kernel_cpu_ms") svc_kms = w[i+1]
				if (w[i] == "service_drain_cpu_ms") svc_dms = w[i+1]
				if (w[i] == "sreclaimable_kib") {
					if (sr0 == "") sr0 = w[i+1]
					if (w[i+1] + 0 > srpk + 0) srpk = w[i+1]
					sr1 = w[i+1]
				}
				if (w[i] == "service_hwm_kib" && w[i+1] + 0 > svc_kib + 0) svc_kib = w[i+1]
				if (w[i] == "service_rss_kib" && w[i+1] + 0 > svc_rss + 0) svc_rss = w[i+1]
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
		t = $1; rss = $4; used = $9
		if ($11 ~ /(^|\+)boot-done($|\+)/) phase = 1
		if ($11 ~ /(^|\+)work-start($|\+)/) {
			# No sample between boot and work: the one that saw the
			# work start is the baseline.
			if (base == 0) { base = rss; floor = rss - used }
			phase = 2
		}
		if ($11 ~ /(^|\+)idle($|\+)/ && phase < 3) { phase = 3; t_idle = t; rend = rss }
		# The post-boot point: the lowest RSS before the work; what the
		# VM holds there beyond what the guest uses is its own floor.
		if (phase == 1 && (base == 0 || rss < base)) { base = rss; floor = rss - used }
		if (phase >= 2 && rss > peak) peak = rss
		if (phase == 3 && t - t_idle <= watch + 1) {
			if (have_prev) {
				strand += $10 * (t - tp)
				x = rss - used - floor
				if (x > 0) excess += x * (t - tp)
			}
			ts[++k] = t; rs[k] = rss
			last = rss
		}
		tp = t; have_prev = (phase == 3)
	}
	END {
		if (peak <= base) { ret = 0 } else { ret = (peak - last) / (peak - base) }
		# From the RSS at the workload end down to the post-boot figure.
		t50 = "-"; t90 = "-"
		for (i = 1; i <= k; i++) {
			if (t50 == "-" && rend > base && rs[i] <= rend - 0.5 * (rend - base)) t50 = sprintf("%.0f", ts[i] - t_idle)
			if (t90 == "-" && rend > base && rs[i] <= rend - 0.9 * (rend - base)) t90 = sprintf("%.0f", ts[i] - t_idle)
		}
		if (rend <= base && k) { t50 = 0; t90 = 0 }
		# Without the idle event the after-work figures do not exist:
		# say so rather than print 0.
		strand_s = (k ? sprintf("%.2f", strand / 1073741824) : "-")
		excess_s = (k ? sprintf("%.2f", excess / 1073741824) : "-")
		bw = bc = rate = share = "-"
		if (burn_wall + 0 > 0 && burn_cpu + 0 > 0) {
			bw = sprintf("%.1f", burn_wall / 1000); bc = sprintf("%.1f", burn_cpu / 1000)
			rate = sprintf("%.0f", burn / (burn_cpu / 1000)); share = sprintf("%.3f", burn_cpu / burn_wall)
		}
		# The reclaimable slab: grown from the first sample to its
		# peak, and the share of that growth gone by the last.
		slab_g = slab_b = "-"
		if (sr0 != "" && srpk - sr0 > 0) {
			slab_g = sprintf("%d", (srpk - sr0) / 1024)
			slab_b = sprintf("%.0f", 100 * (srpk - sr1) / (srpk - sr0))
		}
		printf "%s,%s,%s,%s,%s,%.0f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", scen, cfg, mib(base), mib(peak), mib(last),
			100 * ret, t50, t90, strand_s,
			(rf0 == "" ? "-" : rf1 - rf0), (dr0 == "" ? "-" : sprintf("%d", (dr1 - dr0) / 1024)),
			(hot_n ? sprintf("%.0f", hot_ms / hot_n) : "-"), (hot_n ? sprintf("%.1f", hot_kib / 1024 / hot_n) : "-"),
			(burn == "" ? "-" : burn), (svc_ms == "" ? "-" : sprintf("%.2f", svc_ms / 1000)),
			(svc_kib == "" ? "-" : svc_kib), host, (hot_n ? hot_n : "-"), bw, bc, rate, share,
			excess_s, mib(floor), mib(rend), (dre == "" ? "-" : sprintf("%d", (dr1 - dre) / 1024)),
			(svc_kms == "" ? "-" : sprintf("%.2f", svc_kms / 1000)), slab_g, slab_b,
			(svc_dms == "" ? "-" : sprintf("%.2f", svc_dms / 1000)), (svc_rss == "" ? "-" : svc_rss)
	}' "$1.csv"
}

HEADER="scenario,config,baseline_mib,peak_mib,final_mib,returned_pct,t50_s,t90_s,stranded_gib_s,refaults,disk_read_mib,hot_reread_ms,hot_reread_disk_mib,burn_rounds,service_cpu_s,service_hwm_kib,host_cpu_s,hot_rereads,burn_wall_s,burn_cpu_s,burn_rounds_per_cpu_s,burn_cpu_share,excess_gib_s,floor_mib,end_mib,readback_mib,service_kernel_cpu_s,slab_grown_mib,slab_returned_pct,service_drain_cpu_s,service_rss_kib"
NCOL=31

# runs.csv: a row per run (repeat and status last; a failed run has its
# reason and no figures).  summary.csv: the median of the runs that did
# not fail, per column, then runs_ok, runs_failed and the failures;
# ranges.csv: min-max.  t50/t90 never reached count as longer than any;
# any other "-" is a figure the run did not have (a sampler without it),
# left out of that column's median.
aggregate() { # aggregate DIR
	awk -F, -v OFS=, -v ncol=$NCOL -v sum="$1/summary.csv" -v rng="$1/ranges.csv" -v header="$HEADER" '
	function val(x) { return x == "-" ? 1e18 : x + 0 }
	function show(x) { return x >= 1e18 ? "-" : (x == int(x) ? sprintf("%d", x) : sprintf("%.2f", x)) }
	function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
	NR == 1 { next }
	{
		key = $1 SUBSEP $2
		if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
		if ($(ncol + 2) != "ok") {
			nfail[key]++
			fails[key] = fails[key] (fails[key] == "" ? "" : "; ") "#" $(ncol + 1) " " $(ncol + 2)
			next
		}
		n = ++nok[key]
		for (j = 3; j <= ncol; j++) {
			# t50_s and t90_s: "-" is "never within the recording"
			if ($j == "-" && j != 7 && j != 8) continue
			v[key, j, ++cnt[key, j]] = val($j)
		}
	}
	END {
		print header ",runs_ok,runs_failed,failures" > sum
		print header > rng
		for (i = 1; i <= nk; i++) {
			key = order[i]; split(key, sc, SUBSEP)
			line = sc[1] OFS sc[2]; rl = line
			for (j = 3; j <= ncol; j++) {
				n = cnt[key, j] + 0
				if (!n) { line = line OFS "-"; rl = rl OFS "-"; continue }
				for (m = 1; m <= n; m++) a[m] = v[key, j, m]
				sort(a, n)
				med = (n % 2) ? a[(n + 1) / 2] : ((a[n/2] >= 1e18 || a[n/2+1] >= 1e18) ? 1e18 : (a[n/2] + a[n/2+1]) / 2)
				line = line OFS show(med)
				# A range that reaches "not within the recording" says so.
				# Never reached in any run: "-", as the median says.
				rl = rl OFS (n > 1 && a[1] < 1e18 ? show(a[1]) "-" (a[n] >= 1e18 ? "never" : show(a[n])) : show(a[1]))
			}
			print line, nok[key] + 0, nfail[key] + 0, fails[key] > sum
			print rl > rng
		}
	}' "$1/runs.csv"
}

for v in $KVERS; do
	D=$OUT/$v
	echo "$HEADER,repeat,status" >"$D/runs.csv"
	for s in $SCENARIOS; do
		for c in $CONFIGS; do
			for st in "$D/raw/$s.$c".r*.status; do
				[ -e "$st" ] || continue
				base=${st%.status}
				r=${base##*.r}
				status=$(cat "$st")
				if [ "$status" = ok ]; then
					echo "$(metrics "$base" "$s" "$c"),$r,ok" >>"$D/runs.csv"
				else
					row="$s,$c"
					i=3
					while [ $i -le $NCOL ]; do row="$row,-"; i=$((i + 1)); done
					echo "$row,$r,$status" >>"$D/runs.csv"
				fi
			done
		done
	done
	aggregate "$D"
	for s in $SCENARIOS; do
		# One plot per scenario: the first repeat, a line per configuration.
		{
			echo "time_s,vm,pid,rss_bytes,guest_total_bytes,guest_free_bytes,guest_available_bytes,guest_cache_bytes,guest_used_bytes,stranded_bytes,event"
			for c in $CONFIGS; do
				f=$(ls "$D/raw/$s.$c".r*.csv 2>/dev/null | head -n 1)
				[ -n "$f" ] && [ -s "$f" ] && awk -F, -v OFS=, -v c="$c" 'NR > 1 { $2 = c; print }' "$f"
			done
		} >"$D/$s.csv"
		$V plot "$D/$s.csv" -o "$D/$s.svg" --title "$s: host RSS per configuration ($v)" >/dev/null 2>&1 ||
			echo "bench: no plot for $v $s" >&2
	done
	MODE=$MODE SCALE=$SCALE WATCH=$WATCH REPEATS=$REPEATS SIZE=$SIZE PARALLEL=$PARALLEL ELAPSED=$ELAPSED CALLS=$CALLS \
		KVER=$v DATE=$DATE SCENARIOS=$SCENARIOS scripts/bench-report.sh "$D" >"$D/report.md"
done
# The whole run's report: every kernel's, one after the other.
{
	echo "# vmreclaim benchmark ($MODE), $DATE"
	echo
	echo "Guest kernels:$KVERS; $REPEATS repeat(s); $ELAPSED s in all$([ "$CALLS" -gt 1 ] && echo " ($CALLS calls of bench.sh)")."
	# The definitions once, from the first kernel's report; then each
	# kernel's tables.
	first=1
	for v in $KVERS; do
		echo
		[ $first = 1 ] && sed -n '3,/^## /{/^## /!p}' "$OUT/$v/report.md"
		first=0
		echo "## Guest kernel $v"
		sed -n '/^## /,$p' "$OUT/$v/report.md" |
			sed -e 's/^## /### /' -e "s|^!\[\([^]]*\)\](\(.*\))|![\1]($v/\2)|"
	done
} >"$OUT/report.md"
echo "bench: $OUT/report.md ($ELAPSED s)"
