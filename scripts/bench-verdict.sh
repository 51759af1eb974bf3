#!/bin/sh
# From a benchmark's summary.csv, where vmreclaim stands against the best
# peer on each scenario (returned share, stranded GiB*s, refaults), said
# plainly, wins and losses alike.  Prints Markdown.
#   scripts/bench-verdict.sh RESULTS_DIR
set -eu
awk -F, '
NR == 1 { next }
{
	s = $1; c = $2
	if (!(s in seen)) { order[++n] = s; seen[s] = 1 }
	ret[s, c] = $6; str[s, c] = $9; rf[s, c] = $10
	if (c != "vmreclaim" && c != "none") {
		if (!((s, "best_ret") in best) || $6 + 0 > best[s, "best_ret"] + 0) { best[s, "best_ret"] = $6; best[s, "best_ret_c"] = c }
		if (!((s, "best_str") in best) || $9 + 0 < best[s, "best_str"] + 0) { best[s, "best_str"] = $9; best[s, "best_str_c"] = c }
	}
}
END {
	print "## Where vmreclaim stands"
	print ""
	print "Against the best of the peers on each line (reporting alone, WSL 19013, WSL dropcache at order 9 and 5, WSL gradual, cron); generated from summary.csv."
	print ""
	print "| scenario | returned: vmreclaim | best peer | stranded GiB*s: vmreclaim | best peer | verdict |"
	print "|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = order[i]
		if (!((s, "vmreclaim") in ret)) continue
		r = ret[s, "vmreclaim"]; st = str[s, "vmreclaim"]
		br = best[s, "best_ret"]; bs = best[s, "best_str"]
		v = ""
		if (r + 0 < br - 5) v = v "returns less (" r "% vs " br "%); "
		else if (r + 0 > br + 5) v = v "returns more; "
		else v = v "returns as much; "
		if (st + 0 > bs * 1.1) v = v "more stranded memory over time (" st " vs " bs ")"
		else if (st + 0 < bs * 0.9) v = v "less stranded memory over time"
		else v = v "as much stranded memory over time"
		printf "| %s | %s%% | %s%% (%s) | %s | %s (%s) | %s |\n", s, r, br, best[s, "best_ret_c"], st, bs, best[s, "best_str_c"], v
	}
}' "$1/summary.csv"
# The busy job's speed against the same job under "none" (no service, no
# reporting), run side by side.
awk -F, '
NR > 1 && $14 != "-" && $14 != "" { burn[$2] = $14; cfgs[++n] = $2 }
END {
	if (!("none" in burn) || burn["none"] == 0) exit
	print ""
	print "Busy scenario, the CPU job'"'"'s work done against `none` (same host load, run side by side):"
	print ""
	print "| configuration | rounds | vs none |"
	print "|---|---|---|"
	for (i = 1; i <= n; i++)
		printf "| %s | %s | %+.1f%% |\n", cfgs[i], burn[cfgs[i]], 100 * (burn[cfgs[i]] / burn["none"] - 1)
}' "$1/summary.csv"
