#!/bin/sh
# The benchmark's smoke subset: one scenario (anon), three configurations
# (none, reporting, vmreclaim), short; checks that the runner measures and
# reports, and that the figures tell the configurations apart.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/vmreclaim-bench-smoke-XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/tap.sh

if sh scripts/bench.sh --quick --out $T/out >$T/log 2>&1; then ok "bench --quick runs"; else nok "bench --quick runs"; sed 's/^/#   /' $T/log; fi
rows=$(tail -n +2 $T/out/summary.csv 2>/dev/null | wc -l)
if [ "$rows" -eq 3 ]; then ok "a summary row per configuration"; else nok "a summary row per configuration ($rows)"; fi
ret() { awk -F, -v c="$1" '$2 == c { print $6 }' $T/out/summary.csv; }
sed -n '/^| configuration/,$p' $T/out/report.md | sed 's/^/# /'
r=$(ret none)
if [ -n "$r" ] && [ "$r" -lt 20 ]; then ok "none returns little ($r%)"; else nok "none returns little (${r:-?}%)"; fi
for c in reporting vmreclaim; do
	r=$(ret $c)
	if [ -n "$r" ] && [ "$r" -ge 85 ]; then ok "$c returns the freed memory ($r%)"; else nok "$c returns the freed memory (${r:-?}%)"; fi
done
if grep -q '^| vmreclaim |' $T/out/report.md && grep -q '<svg' $T/out/anon.svg; then ok "report and plot written"
else nok "report and plot written"; fi
