/* SPDX-License-Identifier: MIT */
#include "guest/settings.h"
#include "guest/policy.h"

#include <string.h>

/* The idle threshold used for reclaim when idleThreshold = 0, which in
 * WSL 19013 only turned idle compaction off. */
#define FALLBACK_IDLE_THRESHOLD_PCT 1.0

void vr_settings_resolve(const struct vr_config *c, struct vr_settings *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->mode = c->mode;
	ret->policy = vr_policy_for(c->mode);
	ret->compaction = c->compaction && c->idle_threshold_pct > 0;
	ret->idle_threshold_pct = c->idle_threshold_pct > 0 ? c->idle_threshold_pct
							     : FALLBACK_IDLE_THRESHOLD_PCT;
	ret->idle_usec = c->idle_usec;
	ret->drop_cache_value = c->drop_cache_value;
	ret->reclaim_step_bytes = c->reclaim_step_bytes;
	ret->reclaim_floor_bytes = c->reclaim_floor_bytes;
	ret->reporting_order_min = c->reporting_order_min;
	ret->drain_pcp = c->mode != VR_MODE_DISABLED;
	ret->multi_gen_lru_off = c->multi_gen_lru == VR_MULTI_GEN_LRU_OFF && c->mode == VR_MODE_AUTO;
}
