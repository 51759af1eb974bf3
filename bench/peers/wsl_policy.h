/* SPDX-License-Identifier: MIT */
/* Benchmark peers: re-implementations of what people run today to get a
 * VM's memory back, as decision functions over /proc samples so that a
 * test can check each against the behaviour it follows.  Benchmark
 * fixtures, not product code.
 *
 *   wsl-dropcache, wsl-gradual   WSL's current guest policy (2026):
 *     /proc/stat sampled every 10 s; idle when busy (user + nice + system +
 *     irq + softirq + steal) is at most 0.5% of all CPU time both over the
 *     last 10 s and over the last 2 minutes (12 samples); compact_memory on
 *     entering idle and after each reclaim; dropcache writes 3 to
 *     drop_caches once per idle period; gradual writes
 *     min(cache - 128 MiB, step) with " swappiness=0" (plain where the
 *     kernel rejects it) to the root memory.reclaim on every idle tick,
 *     cache = Active(file) + Inactive(file) + SReclaimable, step = RAM/32
 *     clamped to [256 MiB, 1 GiB]; page_reporting_order 5 (new hosts) or
 *     9 (older ones).
 *   wsl-19013   Windows build 19013's first version: compaction only, when
 *     idle.  Its release notes say only "idleThreshold = <integer> # Set
 *     the idle threshold for memory compaction, 0 disables the feature
 *     (default 1)"; we sample every 10 s like the current WSL and compact
 *     once on entering a period whose last sample was below 1%.
 *   cron        the folk remedy: every 60 s, "sync; echo 3 > drop_caches;
 *     echo 1 > compact_memory", busy or not. */
#ifndef VR_WSL_POLICY_H
#define VR_WSL_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "procfs/cpustat.h"

enum peer_kind {
	PEER_WSL_DROPCACHE,
	PEER_WSL_GRADUAL,
	PEER_WSL_19013,
	PEER_CRON,
};

#define PEER_WSL_WINDOW 12 /* samples: 2 minutes of 10 s */

struct peer {
	enum peer_kind kind;
	/* cumulative /proc/stat samples, newest last */
	struct vr_cpustat hist[PEER_WSL_WINDOW + 1];
	unsigned n;
	bool idle;
	bool dropped; /* dropcache: done in this idle period */
	unsigned ticks;
};

struct peer_input {
	struct vr_cpustat cpu;
	bool have_mem;
	uint64_t mem_total_bytes;
	uint64_t file_cache_bytes; /* Active(file) + Inactive(file) + SReclaimable */
};

struct peer_output {
	bool sync;
	unsigned drop_value;   /* 0: no drop */
	uint64_t reclaim_bytes; /* 0: no reclaim */
	bool compact;          /* after whatever came before */
};

int peer_kind_parse(const char *s, enum peer_kind *ret);
void peer_init(struct peer *p, enum peer_kind kind);

/* One sample (every 10 s for the WSL peers, every 60 s for cron): what to
 * write, in the order sync, drop, reclaim, compact. */
void peer_step(struct peer *p, const struct peer_input *in, struct peer_output *out);

#endif
