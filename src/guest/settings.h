/* SPDX-License-Identifier: MIT */
/* The settings the service reads, resolved from the configuration once,
 * at start and at each reload: every special meaning of a value (such as
 * idleThreshold = 0) is decided here and nowhere else, and the code that
 * acts reads them through a const pointer. */
#ifndef VR_SETTINGS_H
#define VR_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

struct vr_policy_ops;

struct vr_settings {
	enum vr_mode mode;                  /* autoMemoryReclaim */
	const struct vr_policy_ops *policy; /* the mode's (policy.c) */
	/* compaction = true and idleThreshold > 0: WSL 19013's
	 * idleThreshold = 0 turns idle compaction off. */
	bool compaction;
	/* Idle below this busy percent: idleThreshold, or when that is 0
	 * (compaction off) 1%, so that reclaim still has idle periods. */
	double idle_threshold_pct;
	uint64_t idle_usec;          /* idleSeconds; also auto's settle time */
	unsigned drop_cache_value;   /* dropCacheValue */
	/* reclaimStep; 0 (auto): MemTotal/32 in [256 MiB, 1 GiB], which
	 * needs MemTotal (vr_policy_step_bytes()) */
	uint64_t reclaim_step_bytes;
	uint64_t reclaim_floor_bytes; /* reclaimFloor */
	unsigned reporting_order_min; /* reportingOrderMin */
	/* Drain the per-CPU free lists after actions and large frees: not
	 * under autoMemoryReclaim = disabled, which leaves memory alone. */
	bool drain_pcp;
	/* Switch the multi-gen LRU off while running: multiGenLru = off
	 * under autoMemoryReclaim = auto (the other modes do not read the
	 * active list). */
	bool multi_gen_lru_off;
};

/* Resolve @c into @ret. */
void vr_settings_resolve(const struct vr_config *c, struct vr_settings *ret);

#endif
