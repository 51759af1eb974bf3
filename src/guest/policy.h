/* SPDX-License-Identifier: MIT */
/* What the service does on a tick: a pure function of the settings, the
 * idle state and a memory snapshot, so that every mode's decisions can be
 * tested with scripted input. */
#ifndef VR_POLICY_H
#define VR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

enum vr_action_kind {
	VR_ACTION_COMPACT,
	VR_ACTION_DROPCACHE,
	VR_ACTION_RECLAIM,
	VR_ACTION_KINDS
};

const char *vr_action_name(enum vr_action_kind k);

/* What has been done in the current idle period. */
struct vr_period {
	bool dropped;        /* dropcache ran */
	bool exhausted;      /* gradual reached the floor, or the kernel gave nothing */
	bool reclaim_failed; /* memory.reclaim failed: dropcache for the rest of it */
};

struct vr_policy_input {
	enum vr_mode mode;
	bool compaction; /* compaction = true and idleThreshold > 0 */
	bool idle;
	bool idle_entered; /* on this tick */
	bool pressure;     /* the guest itself is short of memory */
	/* memory.reclaim can be used; otherwise gradual falls back to
	 * dropcache for the reason given */
	bool reclaim_usable;
	const char *reclaim_unusable_why;
	bool have_meminfo;
	uint64_t file_cache_bytes;
	uint64_t floor_bytes;
	uint64_t step_bytes;
	struct vr_period period;
};

#define VR_PLAN_MAX 2

struct vr_plan {
	unsigned n;
	struct {
		enum vr_action_kind kind;
		uint64_t bytes; /* VR_ACTION_RECLAIM */
	} step[VR_PLAN_MAX];
	bool exhausted; /* gradual has nothing more to do this period */
	char why[192];  /* the reason for this plan, or for doing nothing */
};

/* Gradual steps smaller than this are not worth a reclaim pass. */
#define VR_RECLAIM_MIN_BYTES (1024 * 1024)

void vr_policy_decide(const struct vr_policy_input *in, struct vr_plan *out);

/* The reclaim step: @configured, or when 0 (auto) MemTotal/32 clamped to
 * [256 MiB, 1 GiB], as WSL computes it. */
uint64_t vr_policy_step_bytes(uint64_t configured, uint64_t mem_total_bytes);

#endif
