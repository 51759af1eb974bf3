#!/bin/sh
# The benchmark's smoke subset: one scenario (anon), three configurations
# (none, reporting, vmreclaim), one run each, short, on the default guest
# kernel; checks that the runner measures and reports (medians, the VM's
# floor and excess), and that the figures tell the configurations apart.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/vmreclaim-bench-smoke-XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/tap.sh

if sh scripts/bench.sh --quick --out $T/out >$T/log 2>&1; then ok "bench --quick runs"; else nok "bench --quick runs"; sed 's/^/#   /' $T/log; fi
K=$(cat build/image/kernel-version)
S=$T/out/$K/summary.csv
rows=$(tail -n +2 $S 2>/dev/null | wc -l)
if [ "$rows" -eq 3 ]; then ok "a summary row per configuration"; else nok "a summary row per configuration ($rows)"; fi
# A column by its header name: the summary's columns grow at the end.
failed=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "runs_failed") j = i; next } j { n += $j } END { print j ? n + 0 : "" }' $S 2>/dev/null)
if [ "${failed:-1}" -eq 0 ]; then ok "no run failed"; else nok "no run failed"; grep -v ',ok$' $T/out/$K/runs.csv | sed 's/^/#   /'; fi
col() { awk -F, -v c="$1" -v j="$2" '$2 == c { print $j }' $S; }
named() { awk -F, -v c="$1" -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) j = i; next } $2 == c && j { print $j }' $S; }
# vmreclaimd's own cost, as the guest sampler read it from one status
# request a sample: its CPU, the kernel's part and the drains' part, and
# its RSS at the samples, no more than its peak.
for n in service_cpu_s service_kernel_cpu_s service_drain_cpu_s service_rss_kib; do
	v=$(named vmreclaim $n)
	if [ -n "$v" ] && [ "$v" != - ]; then ok "vmreclaim's $n measured ($v)"; else nok "vmreclaim's $n measured (${v:-?})"; fi
done
rss=$(named vmreclaim service_rss_kib) hwm=$(named vmreclaim service_hwm_kib)
if awk -v a="${rss:--}" -v b="${hwm:--}" 'BEGIN { exit !(a != "-" && b != "-" && a + 0 > 0 && a + 0 <= b + 0) }'; then
	ok "its RSS at the samples ($rss KiB) is within its peak ($hwm KiB)"
else nok "its RSS at the samples (${rss:-?} KiB) is within its peak (${hwm:-?} KiB)"; fi
sed -n '/^| configuration/,$p' $T/out/$K/report.md | sed 's/^/# /'
r=$(col none 6)
if [ -n "$r" ] && [ "$r" -lt 20 ]; then ok "none returns little ($r%)"; else nok "none returns little (${r:-?}%)"; fi
for c in reporting vmreclaim; do
	r=$(col $c 6)
	if [ -n "$r" ] && [ "$r" -ge 85 ]; then ok "$c returns the freed memory ($r%)"; else nok "$c returns the freed memory (${r:-?}%)"; fi
done
# The floor is QEMU's own memory and the booted guest's: tens to a few
# hundred MiB; excess, above it, is what none keeps and the others return.
fl=$(col vmreclaim 24)
if [ -n "$fl" ] && [ "$fl" -ge 20 ] && [ "$fl" -le 400 ]; then ok "the VM's floor measured (${fl} MiB)"; else nok "the VM's floor measured (${fl:-?} MiB)"; fi
en=$(col none 23) ev=$(col vmreclaim 23)
if awk -v a="${en:--}" -v b="${ev:--}" 'BEGIN { exit !(a != "-" && b != "-" && a > 4 * b) }'; then
	ok "excess GiB*s tells none ($en) from vmreclaim ($ev)"
else nok "excess GiB*s tells none (${en:-?}) from vmreclaim (${ev:-?})"; fi
if grep -q '^| vmreclaim |' $T/out/$K/report.md && grep -q '<svg' $T/out/$K/anon.svg && grep -q '^## Guest kernel' $T/out/report.md
then ok "reports and plot written"
else nok "reports and plot written"; fi
