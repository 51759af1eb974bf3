/* SPDX-License-Identifier: MIT */
/* The table of policies, the plan they share, and the WSL modes' common
 * part: their input from a tick and what their steps did. */
#include "guest/policy.h"
#include "guest/guest.h"
#include "common/size.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

/* autoMemoryReclaim's values: a new policy is one file and one row
 * (and its name in common/config.c). */
static const struct vr_policy_ops *const policies[] = {
	[VR_MODE_DISABLED] = &vr_policy_disabled,
	[VR_MODE_DROPCACHE] = &vr_policy_dropcache,
	[VR_MODE_GRADUAL] = &vr_policy_gradual,
	[VR_MODE_AUTO] = &vr_policy_auto,
};

const struct vr_policy_ops *vr_policy_for(enum vr_mode mode)
{
	if ((size_t)mode < VR_ARRAY_SIZE(policies) && policies[mode])
		return policies[mode];
	return &vr_policy_disabled;
}

void vr_policies_init(struct vr_guest *g)
{
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(policies); i++)
		if (policies[i] && policies[i]->init)
			policies[i]->init(g);
}

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

void vr_plan_add(struct vr_plan *p, enum vr_step_kind kind, enum vr_trigger trigger,
		 uint64_t bytes, unsigned order, const char *why)
{
	struct vr_step *s;

	if (p->n >= VR_PLAN_MAX)
		return;
	s = &p->step[p->n++];
	s->kind = kind;
	s->trigger = trigger;
	s->bytes = bytes;
	s->order = order;
	s->why = why;
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
	vr_policy_for(in->mode)->plan(in, p);
}

unsigned vr_wsl_needs(const struct vr_guest *g, const struct vr_tick *t)
{
	(void)g;
	/* Only an idle VM pays for reading meminfo. */
	return t->idle && !t->pressure ? VR_NEED_MEMINFO : 0;
}

void vr_wsl_input(const struct vr_guest *g, const struct vr_tick *t, enum vr_mode mode,
		  struct vr_policy_input *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	/* A failing compact_memory is tried again once per idle period, not
	 * after every step. */
	in->compaction = t->set->compaction && (!t->compact_failing || t->ev == VR_IDLE_ENTER);
	in->idle = t->idle;
	in->idle_entered = t->ev == VR_IDLE_ENTER;
	in->pressure = t->pressure;
	in->floor_bytes = t->set->reclaim_floor_bytes;
	in->period = g->period;
	if (!t->read_meminfo)
		return;
	in->have_meminfo = t->have_meminfo;
	if (t->have_meminfo) {
		in->file_cache_bytes = vr_meminfo_file_cache(&t->mem);
		in->step_bytes = vr_policy_step_bytes(t->set->reclaim_step_bytes, t->mem.total_bytes);
	}
	in->reclaim_unusable_why = g->period.reclaim_failed ? "memory.reclaim failed in this idle period"
							    : t->reclaim_unusable_why;
	in->reclaim_usable = in->reclaim_unusable_why == NULL;
}

void vr_wsl_decide(struct vr_guest *g, const struct vr_tick *t, struct vr_plan *out)
{
	struct vr_policy_input in;

	vr_wsl_input(g, t, t->set->mode, &in);
	vr_policy_decide(&in, out);
	if (out->exhausted)
		g->period.exhausted = true;
}

void vr_wsl_result(struct vr_guest *g, const struct vr_step *s, const struct vr_action_record *a,
		   int r)
{
	/* Host requests do not count against the idle period. */
	if (s->trigger != VR_TRIGGER_IDLE || !a)
		return;
	if (a->kind == VR_ACTION_DROPCACHE)
		g->period.dropped = true;
	if (a->kind == VR_ACTION_RECLAIM && a->partial)
		/* The kernel found no more to take; try again in the next
		 * idle period, not on every tick. */
		g->period.exhausted = true;
	if (a->kind == VR_ACTION_RECLAIM && r < 0)
		/* Dropcache for the rest of this period; the next one tries
		 * memory.reclaim again. */
		g->period.reclaim_failed = true;
}

void vr_host_reclaim_to(const struct vr_host_give *h, uint64_t have, uint64_t keep,
			struct vr_plan *out)
{
	uint64_t take = vr_sat_sub(have, keep);

	if (take > h->bytes)
		take = h->bytes;
	if (take >= VR_MIB)
		vr_plan_add(out, VR_STEP_RECLAIM, VR_TRIGGER_HOST, take, 0, NULL);
}

void vr_wsl_host_cache(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out)
{
	(void)g;
	if (h->reclaim_usable)
		vr_host_reclaim_to(h, h->file_cache_bytes, h->set->reclaim_floor_bytes, out);
	else if (h->file_cache_bytes > VR_MIB)
		vr_plan_add(out, VR_STEP_DROPCACHE, VR_TRIGGER_HOST, 0, 0, NULL);
}


void vr_host_compact(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out)
{
	(void)g;
	if (h->buddy_valid && h->set->compaction &&
	    h->stranded_bytes >= vr_auto_stranded_min(h->mem->total_bytes))
		vr_plan_add(out, VR_STEP_COMPACT, VR_TRIGGER_HOST, 0, 0, NULL);
}
