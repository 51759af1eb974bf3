/* SPDX-License-Identifier: MIT */
/* autoMemoryReclaim = dropcache (WSL's): drop the page cache once per idle
 * period, then compact. */
#include "guest/guest.h"

#include <stdio.h>

void vr_plan_dropcache(const struct vr_policy_input *in, struct vr_plan *p,
		       const char *instead_of_gradual)
{
	char note[128] = "";

	if (instead_of_gradual)
		snprintf(note, sizeof(note), " (in place of gradual reclaim: %s)", instead_of_gradual);
	if (in->period.dropped) {
		snprintf(p->why, sizeof(p->why), "page cache dropped once in this idle period%s", note);
		if (in->idle_entered && in->compaction)
			vr_plan_add(p, VR_STEP_COMPACT, VR_TRIGGER_IDLE, 0, 0, NULL);
		return;
	}
	vr_plan_add(p, VR_STEP_DROPCACHE, VR_TRIGGER_IDLE, 0, 0, NULL);
	if (in->compaction)
		vr_plan_add(p, VR_STEP_COMPACT, VR_TRIGGER_IDLE, 0, 0, NULL);
	snprintf(p->why, sizeof(p->why), "dropping the page cache%s", note);
}

static void dropcache_plan(const struct vr_policy_input *in, struct vr_plan *p)
{
	vr_plan_dropcache(in, p, NULL);
}

const struct vr_policy_ops vr_policy_dropcache = {
	.mode = VR_MODE_DROPCACHE,
	.plan = dropcache_plan,
	.needs = vr_wsl_needs,
	.decide = vr_wsl_decide,
	.result = vr_wsl_result,
	.host_cache = vr_wsl_host_cache,
	.host_compact = vr_host_compact,
};
