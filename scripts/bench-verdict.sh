#!/bin/sh
# From a benchmark's summary.csv (medians) and ranges.csv (min-max), where
# vmreclaim stands against the best peer on each scenario, said plainly,
# wins and losses alike: "more"/"less" only where the two ranges of runs
# do not overlap, else "within noise".  Prints Markdown.
#   [MODE=defaults] scripts/bench-verdict.sh RESULTS_DIR
set -eu
awk -F, -v mode="${MODE:-scaled}" -v rng="$1/ranges.csv" '
BEGIN {
	while ((getline l < rng) > 0) {
		nf = split(l, f, ",")
		for (j = 3; j <= nf; j++) {
			lo[f[1], f[2], j] = f[j]; hi[f[1], f[2], j] = f[j]
			if (f[j] ~ /[0-9]-([0-9]|never)/) { split(f[j], p, "-"); lo[f[1], f[2], j] = p[1]; hi[f[1], f[2], j] = p[2] }
		}
	}
}
function num(x) { return (x == "-" || x == "never") ? 1e18 : x + 0 }
# Compare column j of vmreclaim and of peer c on scenario s; big: 1 if
# more is better.  Words for more / less.
function judge(s, c, j, big, more, less,   a, b, x, y, w) {
	a = num(lo[s, "vmreclaim", j]); b = num(hi[s, "vmreclaim", j])
	x = num(lo[s, c, j]); y = num(hi[s, c, j])
	if (a > y) w = big ? more : less
	else if (b < x) w = big ? less : more
	else if (a == b && x == y && a == x) w = "the same"
	else w = "within noise"
	if (ok[s, "vmreclaim"] < 2 || ok[s, c] < 2) w = w " (one run)"
	return w
}
NR == 1 { for (i = 1; i <= NF; i++) if ($i == "runs_ok") cok = i; next }
{
	s = $1; c = $2
	if (!(s in seen)) { order[++n] = s; seen[s] = 1 }
	for (j = 3; j < cok; j++) med[s, c, j] = $j
	ok[s, c] = $cok
	if (c == "vmreclaim" || c == "none" || $cok == 0) next
	# The best peer by median: the most returned, the least stranded
	# and excess, the shortest t50.
	if (!((s, 6) in best) || num($6) > num(med[s, best[s, 6], 6])) best[s, 6] = c
	split("7 8 9 23", low, " ")
	for (q = 1; q <= 4; q++) {
		j = low[q]
		if (!((s, j) in best) || num($j) < num(med[s, best[s, j], j])) best[s, j] = c
	}
}
function cell(s, c, j, pct) {
	if (c == "") return "-"
	return med[s, c, j] pct (lo[s, c, j] != hi[s, c, j] ? " (" lo[s, c, j] "-" hi[s, c, j] pct ")" : "") " " c
}
function mine(s, j, pct) { return med[s, "vmreclaim", j] pct (lo[s, "vmreclaim", j] != hi[s, "vmreclaim", j] ? " (" lo[s, "vmreclaim", j] "-" hi[s, "vmreclaim", j] pct ")" : "") }
END {
	print "## Where vmreclaim stands"
	print ""
	print "Against the best peer on each line (by median; generated from summary.csv and ranges.csv): \"more\"/\"less\""
	print "only where the ranges of the runs do not overlap, else \"within noise\"; \"(one run)\": a single run each, no range."
	print ""
	if (mode == "defaults") {
		print "| scenario | t50 s: vmreclaim | best peer | t90 s: vmreclaim | best peer | excess GiB*s: vmreclaim | best peer | t50 <= 60 s | t90 <= 120 s | verdict |"
		print "|---|---|---|---|---|---|---|---|---|---|"
	} else {
		print "| scenario | returned: vmreclaim | best peer | stranded GiB*s: vmreclaim | best peer | excess GiB*s: vmreclaim | best peer | verdict |"
		print "|---|---|---|---|---|---|---|---|"
	}
	for (i = 1; i <= n; i++) {
		s = order[i]
		if (!((s, "vmreclaim", 6) in med) || ok[s, "vmreclaim"] == 0) { printf "| %s | every vmreclaim run failed |\n", s; continue }
		if (!((s, 6) in best)) {
			# vmreclaim alone (a call with --configs vmreclaim): its
			# own figures in the columns they belong to, and no verdict
			if (mode == "defaults") {
				t50 = med[s, "vmreclaim", 7]; t90 = med[s, "vmreclaim", 8]
				printf "| %s | %s | - | %s | - | %s | - | %s | %s | no peer in this run |\n", s, mine(s, 7, ""), mine(s, 8, ""),
					mine(s, 23, ""), (t50 != "-" && t50 + 0 <= 60) ? "met" : "missed",
					(t90 != "-" && t90 + 0 <= 120) ? "met" : "missed"
			} else
				printf "| %s | %s | - | %s | - | %s | - | no peer in this run |\n", s, mine(s, 6, "%"), mine(s, 9, ""),
					mine(s, 23, "")
			continue
		}
		if (mode == "defaults") {
			v = "faster to half: " judge(s, best[s, 7], 7, 0, "yes", "no") "; to 90%: " judge(s, best[s, 8], 8, 0, "yes", "no") \
				"; excess: " judge(s, best[s, 23], 23, 0, "less", "more")
			t50 = med[s, "vmreclaim", 7]; t90 = med[s, "vmreclaim", 8]
			m50 = (t50 != "-" && t50 + 0 <= 60) ? "met" : "missed"
			m90 = (t90 != "-" && t90 + 0 <= 120) ? "met" : "missed"
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, mine(s, 7, ""), cell(s, best[s, 7], 7, ""),
				mine(s, 8, ""), cell(s, best[s, 8], 8, ""), mine(s, 23, ""), cell(s, best[s, 23], 23, ""), m50, m90, v
		} else {
			v = "returns " judge(s, best[s, 6], 6, 1, "more", "less") "; stranded " judge(s, best[s, 9], 9, 0, "less", "more") \
				"; excess " judge(s, best[s, 23], 23, 0, "less", "more")
			printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s, mine(s, 6, "%"), cell(s, best[s, 6], 6, "%"),
				mine(s, 9, ""), cell(s, best[s, 9], 9, ""), mine(s, 23, ""), cell(s, best[s, 23], 23, ""), v
		}
	}
}' "$1/summary.csv"
# The busy job against the same job under "none" (no service, no
# reporting), run side by side.  Slowdown comes from the job's CPU share
# inside the guest, which host contention does not move; rounds per CPU
# second are the host's speed and are shown, not compared.
awk -F, '
NR > 1 && $1 == "busy" && $22 != "-" && $22 != "" {
	cfgs[++n] = $2; rounds[$2] = $14; wall[$2] = $19; cpu[$2] = $20; rate[$2] = $21; share[$2] = $22
	svc[$2] = $15; host[$2] = $17
}
END {
	if (!n) exit
	print ""
	print "Busy scenario: the CPU job (one thread, " wall[cfgs[1]] " s of wall time, while a file read runs on the guest'"'"'s other CPU)."
	print "Under TCG the guest sees no steal time: when the host gives the vCPU'"'"'s thread to another VM or to QEMU'"'"'s own"
	print "threads, the guest still counts that time as the job'"'"'s. So rounds per CPU second measure how crowded the host"
	print "was (they swing with the other VMs) and are not compared; the job'"'"'s CPU share (its CPU time / wall time, both"
	print "inside the guest) falls only when something in the guest ran instead of it: the reclaim service, the kernel"
	print "work it causes (reclaim, compaction, page reporting), other tasks. Slowdown = 1 - share / share(none)."
	print "It misses work done on the guest'"'"'s other CPU without taking the job'"'"'s, and QEMU'"'"'s own work on the host;"
	print "host CPU s (the whole VM, over the recording) counts those, but in this scenario it is mostly the share of"
	print "the host'"'"'s cores the VM won against the others, so it is shown, not compared."
	print ""
	print "| configuration | rounds | job CPU s | rounds per CPU s | CPU share | slowdown vs none | service CPU s | host CPU s |"
	print "|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		c = cfgs[i]
		sl = ("none" in share && share["none"] > 0) ? sprintf("%+.1f%%", 100 * (1 - share[c] / share["none"])) : "-"
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c, rounds[c], cpu[c], rate[c], share[c], sl, svc[c], host[c]
	}
}' "$1/summary.csv"
