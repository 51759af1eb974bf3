#!/bin/sh
# summary.csv and summary.md from bench/lightvm.sh's runs.csv: per kernel
# and machine, the median and the range (min-max) of every figure over the
# runs that succeeded, and how many did.
#   sh bench/lightvm-report.sh DIR
set -eu
DIR=$1
[ -s "$DIR/runs.csv" ] || { echo "lightvm-report: $DIR/runs.csv missing" >&2; exit 1; }
awk -F, '
function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
NR == 1 { next }
{
	key = $1 "," $2
	if (!(key in total)) { order[++nk] = key }
	total[key]++
	if ($4 != "ok") next
	n = ++ok[key]
	boot[key, n] = $5; floor[key, n] = $6; anon[key, n] = $9; cache[key, n] = $12
}
END {
	print "kernel,machine,runs,ok,boot_s_median,boot_s_min,boot_s_max,floor_mib_median,floor_mib_min,floor_mib_max,anon_pct_median,anon_pct_min,anon_pct_max,cache_pct_median,cache_pct_min,cache_pct_max"
	for (i = 1; i <= nk; i++) {
		key = order[i]; n = ok[key] + 0
		line = key "," total[key] "," n
		split("boot floor anon cache", names, " ")
		for (f = 1; f <= 4; f++) {
			delete v
			for (j = 1; j <= n; j++) {
				if (f == 1) v[j] = boot[key, j] + 0
				if (f == 2) v[j] = floor[key, j] + 0
				if (f == 3) v[j] = anon[key, j] + 0
				if (f == 4) v[j] = cache[key, j] + 0
			}
			if (n == 0) { line = line ",,,"; continue }
			sort(v, n)
			line = line sprintf(",%.1f,%.1f,%.1f", med(v, n), v[1], v[n])
		}
		print line
	}
}' "$DIR/runs.csv" >"$DIR/summary.csv"
awk -F, '
NR == 1 { next }
NR == 2 {
	print "| kernel | machine | boots ok | boot to init, s | post-boot host RSS, MiB | anon returned, % | cold cache returned, % |"
	print "|---|---|---|---|---|---|---|"
}
function cell(m, lo, hi) { return m == "" ? "-" : m " (" lo "-" hi ")" }
{ printf "| %s | %s | %s of %s | %s | %s | %s | %s |\n", $1, $2, $4, $3, cell($5, $6, $7), cell($8, $9, $10), cell($11, $12, $13), cell($14, $15, $16) }
' "$DIR/summary.csv" >"$DIR/summary.md"
echo "(median (min-max) over the runs that booted; bench/lightvm.sh, $(cat "$DIR/elapsed" 2>/dev/null || echo '?') s)" >>"$DIR/summary.md"
cat "$DIR/summary.md"
