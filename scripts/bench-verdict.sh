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
		if ($9 != "-" && (!((s, "best_str") in best) || $9 + 0 < best[s, "best_str"] + 0)) { best[s, "best_str"] = $9; best[s, "best_str_c"] = c }
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
		if (!((s, "best_ret") in best)) {
			printf "| %s | %s%% | - | %s | - | no peer in this run |\n", s, ret[s, "vmreclaim"], str[s, "vmreclaim"]
			continue
		}
		r = ret[s, "vmreclaim"]; st = str[s, "vmreclaim"]
		br = best[s, "best_ret"]; bs = best[s, "best_str"]
		v = ""
		if (r + 0 < br - 5) v = v "returns less (" r "% vs " br "%); "
		else if (r + 0 > br + 5) v = v "returns more; "
		else v = v "returns as much; "
		if (st == "-" || !((s, "best_str") in best)) { v = v "stranded memory not measured (no end of workload seen)"; bs = "-" }
		else if (st + 0 > bs * 1.1) v = v "more stranded memory over time (" st " vs " bs ")"
		else if (st + 0 < bs * 0.9) v = v "less stranded memory over time"
		else v = v "as much stranded memory over time"
		printf "| %s | %s%% | %s%% (%s) | %s | %s (%s) | %s |\n", s, r, br, best[s, "best_ret_c"], st, bs, best[s, "best_str_c"], v
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
