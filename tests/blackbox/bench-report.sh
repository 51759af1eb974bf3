#!/bin/sh
# Black-box test of the benchmark's tables, without a VM: runs recorded by
# hand (the CSV "vmreclaim top --record" writes, a status file per run) go
# through "scripts/bench.sh --report-only", and the medians, the min-max
# ranges, a failed run, a time never reached and the verdicts are checked
# against figures worked out here.
#   anon        reporting returns 80, 79, 77%; vmreclaim 93, 91% and one
#               run that failed: ranges apart, "returns more"
#   cold-cache  reporting 80, 93, 87%; vmreclaim 91, 89, 88%: ranges
#               overlap, "within noise"
# Prints "ok - ..." / "not ok - ...".
set -u
cd "$(dirname "$0")/../.."

V=$PWD/build/vmreclaim
T=$(mktemp -d /tmp/vmreclaim-benchreport-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

. tests/tap.sh

if [ ! -x "$V" ]; then
	nok "build/vmreclaim is built (make all)"
	exit 0
fi

K=test-kernel
RAW=$T/out/$K/raw
mkdir -p "$RAW"

# run SCENARIO CONFIG REPEAT END_MIB DROP_S: a run that boots (the lowest
# RSS before the work, 250 MiB with 50 MiB used, sets the floor at 200),
# peaks at 1000 MiB, ends its workload at t=4 and falls to END_MIB DROP_S
# seconds later, then stays there for the 150 s recorded.
run() {
	awk -v e="$4" -v d="$5" 'BEGIN {
		m = 1048576
		print "time_s,vm,pid,rss_bytes,guest_total_bytes,guest_free_bytes,guest_available_bytes,guest_cache_bytes,guest_used_bytes,stranded_bytes,event"
		row(0, 300, 100, "boot-done"); row(1, 250, 50, ""); row(2, 260, 60, "work-start")
		row(3, 1000, 900, ""); row(4, 1000, 100, "idle")
		for (t = 5; t <= 154; t++) row(t, t - 4 < d ? 1000 : e, 100, "")
	}
	function row(t, rss, used, ev) {
		printf "%d,vm,1,%d,%d,0,0,0,%d,%d,%s\n", t, rss * m, 2048 * m, used * m, (rss - used) * m, ev
	}' >"$RAW/$1.$2.r$3.csv"
	echo ok >"$RAW/$1.$2.r$3.status"
}
run anon reporting 1 400 10
run anon reporting 2 410 10
run anon reporting 3 420 10
run anon vmreclaim 1 300 5
run anon vmreclaim 2 320 5
echo "failed: the guest never finished booting (no boot-done)" >"$RAW/anon.vmreclaim.r3.status"
run cold-cache reporting 1 400 10
run cold-cache reporting 2 300 10
run cold-cache reporting 3 350 10
run cold-cache vmreclaim 1 320 5
run cold-cache vmreclaim 2 330 5
run cold-cache vmreclaim 3 340 5
# The slab scenario: the guest's SReclaimable from the sampler, 20000 KiB
# before the walk, 300000 at its end, 30000 at the last sample: 273 MiB
# grown, 96% of it returned.
run slab vmreclaim 1 300 5
printf 'vmreclaim-metric: sreclaimable_kib=%d\n' 20000 300000 30000 >"$RAW/slab.vmreclaim.r1.console"
# The guest sampler's lines: the service's CPU (1.5 and 2 s) and, of it,
# the kernel's work for its writes (1.2 and 1.4 s) and its drains (0.1
# and 0.3 s), its peak RSS (300 KiB) and its RSS at the samples (280 and
# 290 KiB) in the two anon runs of vmreclaim that did not fail.
for r in 1 2; do
	printf 'vmreclaim-metric: refault_file=0 disk_read_kib=0 service_cpu_ms=%d service_hwm_kib=300 service_rss_kib=%d service_kernel_cpu_ms=%d service_drain_cpu_ms=%d\n' \
		$((1000 + r * 500)) $((r * 10 + 270)) $((1000 + r * 200)) $((r * 200 - 100)) >"$RAW/anon.vmreclaim.r$r.console"
done

# Made in two calls, a scenario each: their times add up.
printf '100 6.1 anon reporting,vmreclaim\n250 6.1 cold-cache reporting,vmreclaim\n' >"$T/out/elapsed"
VMRECLAIM_RUNTIME_DIR=$T/run scripts/bench.sh --report-only --out "$T/out" --kernels $K \
	--scenarios anon,cold-cache,slab --configs reporting,vmreclaim --repeats 3 >"$T/log" 2>&1
check "bench.sh --report-only exits 0" test $? = 0
D=$T/out/$K
for f in runs.csv summary.csv ranges.csv report.md anon.svg; do
	check "it writes $f" test -s "$D/$f"
done
check "a run made in two calls: 350 s in all, 2 calls" grep -q '350 s in all (2 calls of bench.sh)' "$T/out/report.md"
check "the whole run's report holds the kernel's tables" grep -q "^## Guest kernel $K" "$T/out/report.md"

# field FILE SCENARIO CONFIG COLUMN-NAME: one figure of a table.
field() {
	awk -F, -v s="$2" -v c="$3" -v name="$4" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i; next }
	$1 == s && $2 == c && col { print $col }' "$1"
}
check "runs.csv: a row per run, the failed one included (13)" test "$(($(wc -l <"$D/runs.csv") - 1))" = 13
check "summary: the slab the walk grew (273 MiB) and the share of it returned (96%)" \
	test "$(field "$D/summary.csv" slab vmreclaim slab_grown_mib),$(field "$D/summary.csv" slab vmreclaim slab_returned_pct)" = 273,96
check "report: the slab scenario's own table" grep -q '^| vmreclaim | 1/1 | 273 | 96% |$' "$D/report.md"
check "verdict: a scenario vmreclaim ran alone has its figures in their columns and no verdict" \
	grep -q '^| slab | [0-9]*% | - | [0-9.]* | - | [0-9.]* | - | no peer in this run |$' "$D/report.md"
check "runs.csv: the failed run keeps its reason" \
	grep -q '^anon,vmreclaim,.*,3,failed: the guest never finished booting (no boot-done)$' "$D/runs.csv"
check "runs.csv: a run's returned share is (peak - end) / (peak - boot): 80%" \
	test "$(awk -F, '$1 == "anon" && $2 == "reporting" && $(NF - 1) == 1 { print $6 }' "$D/runs.csv")" = 80
check "runs.csv: the floor is RSS - used at the post-boot point (200 MiB)" \
	test "$(awk -F, '$1 == "anon" && $2 == "reporting" && $(NF - 1) == 1 { print $24 }' "$D/runs.csv")" = 200

check "summary: the median of three (79%)" test "$(field "$D/summary.csv" anon reporting returned_pct)" = 79
check "summary: the failed run is in no median (93 and 91: 92%)" \
	test "$(field "$D/summary.csv" anon vmreclaim returned_pct)" = 92
check "summary: 2 runs ok, 1 failed" \
	test "$(field "$D/summary.csv" anon vmreclaim runs_ok),$(field "$D/summary.csv" anon vmreclaim runs_failed)" = 2,1
check "summary: the failure is listed with its repeat" \
	grep -q '^anon,vmreclaim,.*,2,1,#3 failed: the guest never finished booting' "$D/summary.csv"
check "summary: the kernel's CPU for the service's writes, median of two (1.30 s)" \
	test "$(field "$D/summary.csv" anon vmreclaim service_kernel_cpu_s)" = 1.30
check "summary: a run without the figure has none (not 0)" \
	test "$(field "$D/summary.csv" anon reporting service_kernel_cpu_s)" = -
check "summary: the drains' CPU, median of two (0.20 s)" \
	test "$(field "$D/summary.csv" anon vmreclaim service_drain_cpu_s)" = 0.20
check "report: service CPU and, beside it, the kernel's part and the drains', each with its range" \
	grep -q '^| vmreclaim | 2/3 (1 failed) |.*| 1.75 (1.50-2) | 1.30 (1.20-1.40) | 0.20 (0.10-0.30) | 300 | 285 |' "$D/report.md"
check "summary: t50 from the workload's end (10 s)" test "$(field "$D/summary.csv" anon reporting t50_s)" = 10
check "summary: t90 never reached is \"-\", not 0" test "$(field "$D/summary.csv" anon reporting t90_s)" = -
check "ranges: a time never reached in any run is \"-\" (not \"---\", which the verdict read as 0 s)" \
	test "$(field "$D/ranges.csv" anon reporting t90_s)" = -
check "ranges: min-max (77-80)" test "$(field "$D/ranges.csv" anon reporting returned_pct)" = 77-80
check "ranges: a time reached in one run and not in two others reads 10-never" \
	test "$(field "$D/ranges.csv" cold-cache reporting t90_s)" = 10-never
# excess, the median run (410 MiB at the end): (410 - 100 - 200) MiB for
# the 141 s after the fall, (1000 - 100 - 200) MiB for the 9 s before it.
check "summary: excess GiB*s above the floor, median of three" \
	test "$(field "$D/summary.csv" anon reporting excess_gib_s)" = "$(awk 'BEGIN { printf "%.2f", ((410 - 300) * 141 + 700 * 9) / 1024 }')"

check "report: the failed run is listed under its table with its reason" \
	grep -q '^- failed: vmreclaim, repeat 3: the guest never finished booting (no boot-done)$' "$D/report.md"
check "report: the runs column counts it (2/3, 1 failed)" grep -q '^| vmreclaim | 2/3 (1 failed) |' "$D/report.md"
check "report: ranges apart: vmreclaim returns more" grep -q '^| anon |.*returns more' "$D/report.md"
check "report: ranges overlapping: within noise" grep -q '^| cold-cache |.*returns within noise' "$D/report.md"
check "report: no verdict says more or less where the ranges overlap" \
	sh -c "! grep -q '^| cold-cache |.*returns \\(more\\|less\\)' '$D/report.md'"

# Without --scenarios: the scenarios recorded, no empty table for others.
VMRECLAIM_RUNTIME_DIR=$T/run scripts/bench.sh --report-only --out "$T/out" --kernels $K \
	--configs reporting,vmreclaim >"$T/log2" 2>&1
check "--report-only without --scenarios: the two recorded, no empty table for the others" \
	test "$(grep '^## ' "$D/report.md" | tr '\n' /)" = "## anon/## cold-cache/## slab/## Where vmreclaim stands/"

# One repeat: nothing to overlap, and the verdict says so.
mkdir -p "$T/one/$K/raw"
cp "$RAW"/anon.*.r1.* "$T/one/$K/raw/"
VMRECLAIM_RUNTIME_DIR=$T/run scripts/bench.sh --report-only --out "$T/one" --kernels $K \
	--scenarios anon --configs reporting,vmreclaim --repeats 1 >"$T/log1" 2>&1
check "one repeat: the verdict says (one run)" grep -q '^| anon |.*(one run)' "$T/one/$K/report.md"
