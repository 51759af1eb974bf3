/* SPDX-License-Identifier: MIT */
/* autoMemoryReclaim = gradual (WSL's): memory.reclaim of the file cache a
 * step per sample while idle, down to reclaimFloor; dropcache in its place
 * when memory.reclaim cannot be used. */
#include "guest/guest.h"
#include "common/size.h"
#include "common/util.h"

#include <stdio.h>

void vr_plan_gradual(const struct vr_policy_input *in, struct vr_plan *p)
{
	char c[VR_SIZE_STR_MAX], f[VR_SIZE_STR_MAX], s[VR_SIZE_STR_MAX];
	uint64_t excess, bytes;

	if (!in->reclaim_usable) {
		vr_plan_dropcache(in, p,
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
	vr_plan_add(p, VR_STEP_RECLAIM, VR_TRIGGER_IDLE, bytes, 0, NULL);
	if (in->compaction)
		vr_plan_add(p, VR_STEP_COMPACT, VR_TRIGGER_IDLE, 0, 0, NULL);
	snprintf(p->why, sizeof(p->why), "reclaiming %s of file cache %s (floor %s)",
		 vr_format_size(bytes, s, sizeof(s)), c, f);
	return;

compact_on_entry:
	if (in->idle_entered && in->compaction)
		vr_plan_add(p, VR_STEP_COMPACT, VR_TRIGGER_IDLE, 0, 0, NULL);
}

const struct vr_policy_ops vr_policy_gradual = {
	.mode = VR_MODE_GRADUAL,
	.plan = vr_plan_gradual,
	.needs = vr_wsl_needs,
	.decide = vr_wsl_decide,
	.result = vr_wsl_result,
	.host_cache = vr_wsl_host_cache,
	.host_compact = vr_host_compact,
};
