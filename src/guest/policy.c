/* SPDX-License-Identifier: MIT */
#include "guest/policy.h"
#include "common/size.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

const char *vr_action_name(enum vr_action_kind k)
{
	switch (k) {
	case VR_ACTION_COMPACT:
		return "compact";
	case VR_ACTION_DROPCACHE:
		return "dropcache";
	case VR_ACTION_RECLAIM:
		return "reclaim";
	case VR_ACTION_KINDS:
		break;
	}
	return "?";
}

uint64_t vr_policy_step_bytes(uint64_t configured, uint64_t mem_total_bytes)
{
	uint64_t step = mem_total_bytes / 32;

	if (configured)
		return configured;
	if (step < 256 * VR_MIB)
		step = 256 * VR_MIB;
	if (step > VR_GIB)
		step = VR_GIB;
	return step;
}

static void add(struct vr_plan *p, enum vr_action_kind kind, uint64_t bytes)
{
	if (p->n < VR_PLAN_MAX) {
		p->step[p->n].kind = kind;
		p->step[p->n].bytes = bytes;
		p->n++;
	}
}

/* Drop the cache once per idle period, then compact.  @instead_of_gradual
 * says why gradual reclaim could not be used, when that is the case. */
static void plan_dropcache(const struct vr_policy_input *in, struct vr_plan *p,
			   const char *instead_of_gradual)
{
	char note[128] = "";

	if (instead_of_gradual)
		snprintf(note, sizeof(note), " (in place of gradual reclaim: %s)", instead_of_gradual);
	if (in->period.dropped) {
		snprintf(p->why, sizeof(p->why), "page cache dropped once in this idle period%s", note);
		if (in->idle_entered && in->compaction)
			add(p, VR_ACTION_COMPACT, 0);
		return;
	}
	add(p, VR_ACTION_DROPCACHE, 0);
	if (in->compaction)
		add(p, VR_ACTION_COMPACT, 0);
	snprintf(p->why, sizeof(p->why), "dropping the page cache%s", note);
}

static void plan_gradual(const struct vr_policy_input *in, struct vr_plan *p)
{
	char c[VR_SIZE_STR_MAX], f[VR_SIZE_STR_MAX], s[VR_SIZE_STR_MAX];
	uint64_t excess, bytes;

	if (!in->reclaim_usable) {
		plan_dropcache(in, p,
			       in->reclaim_unusable_why ? in->reclaim_unusable_why
							: "memory.reclaim unusable");
		return;
	}
	if (in->period.exhausted) {
		snprintf(p->why, sizeof(p->why),
			 "gradual reclaim has done what it can in this idle period");
		goto compact_on_entry;
	}
	if (!in->have_meminfo) {
		snprintf(p->why, sizeof(p->why), "/proc/meminfo unreadable, cannot size a step");
		goto compact_on_entry;
	}
	excess = vr_sat_sub(in->file_cache_bytes, in->floor_bytes);
	vr_format_size(in->file_cache_bytes, c, sizeof(c));
	vr_format_size(in->floor_bytes, f, sizeof(f));
	if (excess < VR_RECLAIM_MIN_BYTES) {
		p->exhausted = true;
		snprintf(p->why, sizeof(p->why), "file cache %s is at the floor (%s)", c, f);
		goto compact_on_entry;
	}
	bytes = excess < in->step_bytes ? excess : in->step_bytes;
	add(p, VR_ACTION_RECLAIM, bytes);
	if (in->compaction)
		add(p, VR_ACTION_COMPACT, 0);
	snprintf(p->why, sizeof(p->why), "reclaiming %s of file cache %s (floor %s)",
		 vr_format_size(bytes, s, sizeof(s)), c, f);
	return;

compact_on_entry:
	if (in->idle_entered && in->compaction)
		add(p, VR_ACTION_COMPACT, 0);
}

void vr_policy_decide(const struct vr_policy_input *in, struct vr_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (!in->idle) {
		snprintf(p->why, sizeof(p->why), "not idle");
		return;
	}
	if (in->pressure) {
		/* Reclaim or compaction now would compete with the guest's
		 * own need for memory. */
		snprintf(p->why, sizeof(p->why), "the guest is under memory pressure: holding off");
		return;
	}
	switch (in->mode) {
	case VR_MODE_DISABLED:
		snprintf(p->why, sizeof(p->why), "autoMemoryReclaim = disabled%s",
			 in->compaction ? ": compaction only" : " and compaction off");
		if (in->idle_entered && in->compaction)
			add(p, VR_ACTION_COMPACT, 0);
		return;
	case VR_MODE_DROPCACHE:
		plan_dropcache(in, p, NULL);
		return;
	case VR_MODE_GRADUAL:
	case VR_MODE_AUTO:
		plan_gradual(in, p);
		return;
	}
}
