/* SPDX-License-Identifier: MIT */
/* autoMemoryReclaim = disabled: no reclaim on its own; compaction once
 * per idle period when it is on.  The host may still ask for cold cache
 * through memory.reclaim, never for a cache drop. */
#include "guest/guest.h"

#include <stdio.h>

void vr_plan_disabled(const struct vr_policy_input *in, struct vr_plan *p)
{
	snprintf(p->why, sizeof(p->why), "autoMemoryReclaim = disabled%s",
		 in->compaction ? ": compaction only" : " and compaction off");
	if (in->idle_entered && in->compaction)
		vr_plan_add(p, VR_STEP_COMPACT, VR_TRIGGER_IDLE, 0, 0, NULL);
}

static unsigned disabled_needs(const struct vr_guest *g, const struct vr_tick *t)
{
	(void)g;
	(void)t;
	return 0;
}

static void disabled_host_cache(struct vr_guest *g, const struct vr_host_give *h,
				struct vr_plan *out)
{
	(void)g;
	if (h->reclaim_usable)
		vr_host_reclaim_to(h, h->file_cache_bytes, h->set->reclaim_floor_bytes, out);
}

const struct vr_policy_ops vr_policy_disabled = {
	.mode = VR_MODE_DISABLED,
	.plan = vr_plan_disabled,
	.needs = disabled_needs,
	.decide = vr_wsl_decide,
	.result = vr_wsl_result,
	.host_cache = disabled_host_cache,
	.host_compact = vr_host_compact,
};
