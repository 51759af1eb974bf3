/* SPDX-License-Identifier: MIT */
/* autoMemoryReclaim = auto: the service's side of the policy in auto.c
 * (its input from a tick, what its steps did, the host's share, and its
 * lines of the report).  Without a usable memory.reclaim the cache is
 * handled as gradual handles it. */
#include "guest/guest.h"
#include "common/json.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool plan_has(const struct vr_plan *p, enum vr_step_kind kind)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->step[i].kind == kind)
			return true;
	return false;
}

static void auto_init(struct vr_guest *g)
{
	vr_auto_init(&g->autost);
}

static unsigned auto_needs(const struct vr_guest *g, const struct vr_tick *t)
{
	unsigned need = VR_NEED_MEMINFO | VR_NEED_VMSTAT;

	/* The buddy lists only matter to an idle VM or one whose free memory
	 * has settled, or to put the order back. */
	if (t->idle || g->order_lowered ||
	    t->now_usec - g->autost.free_changed_usec >= vr_auto_settle_usec(t->set->idle_usec))
		need |= VR_NEED_BUDDYINFO;
	return need;
}

static void auto_decide(struct vr_guest *g, const struct vr_tick *t, struct vr_plan *out)
{
	struct vr_auto *au = &g->autost;
	uint64_t now = t->now_usec;
	struct vr_auto_settings st = {
		.settle_usec = t->set->idle_usec,
		.order_min = t->set->reporting_order_min,
		/* A failing compact_memory is tried again once per idle
		 * period, or once per settle time (fragments are also handed
		 * back outside idle periods). */
		.compaction = t->set->compaction && (!t->compact_failing || t->ev == VR_IDLE_ENTER ||
						now - au->compact_failed_usec >= t->set->idle_usec),
	};
	struct vr_auto_input in = { .now_usec = now,
				    .idle = t->idle,
				    .quiet_usec = vr_idle_quiet_usec(&g->idle, now),
				    .page_size = g->page_size };
	struct vr_plan own;
	unsigned i;

	in.pressure = t->pressure;
	if (t->have_meminfo) {
		in.have_meminfo = true;
		in.total_bytes = t->mem.total_bytes;
		in.free_bytes = t->mem.free_bytes;
		in.active_file_bytes = t->mem.active_file_bytes;
		in.inactive_file_bytes = t->mem.inactive_file_bytes;
		in.have_slab = true;
		in.slab_bytes = t->mem.sreclaimable_bytes;
		st.step_bytes = vr_policy_step_bytes(t->set->reclaim_step_bytes, t->mem.total_bytes);
	}
	in.have_refault = t->have_refault;
	in.refault_bytes = t->refault_bytes;
	in.reclaim_unusable_why = g->period.reclaim_failed
					  ? "memory.reclaim failed in this idle period"
				  : !in.have_refault ? "no refault counter in /proc/vmstat"
						     : t->reclaim_unusable_why;
	in.reclaim_usable = in.reclaim_unusable_why == NULL;
	in.buddy = t->have_buddy ? &t->buddy : NULL;
	in.buddy_not_read = !t->read_buddy;
	in.reporting = g->reporting.registered && g->base_order_known;
	in.order_writable = t->order_writable;
	in.base_order = g->base_order;
	in.order = g->reporting.order;

	vr_auto_decide(au, &st, &in, &own);
	if (!in.reclaim_usable) {
		/* Without a usable memory.reclaim the cache is handled as
		 * gradual handles it: dropcache once per idle period. */
		struct vr_policy_input pin;

		vr_wsl_input(g, t, VR_MODE_GRADUAL, &pin);
		/* auto's own retry rule, which includes the idle period's */
		pin.compaction = st.compaction;
		pin.reclaim_usable = false;
		pin.reclaim_unusable_why = in.reclaim_unusable_why;
		vr_policy_decide(&pin, out);
		if (out->exhausted)
			g->period.exhausted = true;
	} else {
		memset(out, 0, sizeof(*out));
		snprintf(out->why, sizeof(out->why), "%s", au->cache_why);
	}
	for (i = 0; i < own.n; i++) {
		/* One cache drop a tick: the fallback's drop came first, and
		 * the slab's is measured against what it leaves. */
		if (own.step[i].kind == VR_STEP_DROPCACHE && au->slab_dropping &&
		    plan_has(out, VR_STEP_DROPCACHE)) {
			vr_auto_slab_cancel(au);
			continue;
		}
		vr_plan_add(out, own.step[i].kind, own.step[i].trigger, own.step[i].bytes,
			    own.step[i].order, own.step[i].why);
	}
}

static void auto_result(struct vr_guest *g, const struct vr_step *s, const struct vr_action_record *a,
			int r)
{
	struct vr_auto *au = &g->autost;
	uint64_t now = g->now_usec;

	if (s->trigger == VR_TRIGGER_IDLE) {
		/* the gradual fallback's steps */
		vr_wsl_result(g, s, a, r);
		return;
	}
	switch (s->kind) {
	case VR_STEP_RECLAIM:
		if (s->trigger == VR_TRIGGER_HOST) {
			/* refaults after it count against the working set */
			au->last_reclaim_usec = now ? now : 1;
		} else if (r < 0) {
			g->period.reclaim_failed = true;
		} else if (a && a->partial) {
			/* EAGAIN: what is left is not reclaimable now; ask
			 * again after the cache's settle time, not on every
			 * tick. */
			au->partial_until_usec = now + vr_auto_settle_usec(g->set.idle_usec);
		}
		break;
	case VR_STEP_COMPACT:
		if (s->trigger != VR_TRIGGER_AUTO || !a)
			break;
		if (r == 0 && a->before.buddy_valid && a->after.buddy_valid)
			vr_auto_compacted(au, vr_sat_sub(a->after.reportable_bytes,
							 a->before.reportable_bytes),
					  a->before.stranded_bytes);
		else
			vr_auto_compacted(au, 0, a->before.stranded_bytes);
		if (r < 0)
			au->compact_failed_usec = now;
		break;
	case VR_STEP_SET_ORDER:
		/* Nothing changed: the order is what it was.  A failed
		 * lowering holds nothing; a failed way back up leaves the
		 * order low, to be tried again after another hold. */
		if (r >= 0)
			break;
		if (s->order < g->reporting.order) {
			au->lowered = false;
		} else if (g->order_lowered) {
			au->lowered = true;
			au->lowered_usec = g->clock();
		}
		break;
	case VR_STEP_DROPCACHE:
		/* auto's slab drop: a failure leaves the slab to the kernel
		 * (the interface's own line is the one warning) */
		if (s->trigger == VR_TRIGGER_AUTO && r < 0)
			vr_auto_slab_failed(au);
		break;
	}
}

/* Cold cache as auto would take it, without waiting for it to settle. */
static void auto_host_cache(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out)
{
	struct vr_auto_input in = { .active_file_bytes = h->mem->active_file_bytes,
				    .inactive_file_bytes = h->mem->inactive_file_bytes };

	if (h->reclaim_usable)
		vr_host_reclaim_to(h, h->mem->inactive_file_bytes, vr_auto_cache_keep(&g->autost, &in),
				   out);
	else if (h->file_cache_bytes > VR_MIB)
		vr_plan_add(out, VR_STEP_DROPCACHE, VR_TRIGGER_HOST, 0, 0, NULL);
}

/* A lower reporting order for the stranded blocks compaction left. */
static void auto_host_order(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out)
{
	uint64_t min = vr_auto_stranded_min(h->mem->total_bytes), left;
	struct vr_auto_input in = { .page_size = g->page_size, .base_order = g->base_order };
	struct vr_buddyinfo b;
	char why[160];
	unsigned o;

	if (!h->buddy_valid || g->order_lowered || !g->reporting.registered || !g->base_order_known ||
	    !g->reporting.order_writable || h->set->reporting_order_min >= g->base_order ||
	    h->stranded_bytes < min)
		return;
	if (vr_buddyinfo_read(&g->sys.fs, &b) < 0)
		return;
	in.buddy = &b;
	o = vr_auto_order_for(&in, h->set->reporting_order_min,
			      vr_auto_stranded_leave(h->mem->total_bytes), &left);
	snprintf(why, sizeof(why), "the host asked: page_reporting_order lowered to %u", o);
	vr_auto_lowered(&g->autost, h->now_usec, why);
	vr_plan_add(out, VR_STEP_SET_ORDER, VR_TRIGGER_HOST, 0, o, g->autost.frag_why);
}

static void auto_status_text(const struct vr_guest *g, FILE *f)
{
	const struct vr_auto *au = &g->autost;
	char a[VR_SIZE_STR_MAX], b[VR_SIZE_STR_MAX], c[VR_SIZE_STR_MAX];

	if (!g->ticks)
		return;
	fprintf(f, "cache:       %s\n", au->cache_why);
	fprintf(f, "slab:        %s\n", au->slab_why);
	fprintf(f, "slab totals: %s now, %s cold, %s returned in %llu drops; came back %llu times\n",
		vr_format_size(au->slab_bytes, a, sizeof(a)),
		vr_format_size(au->slab_cold_bytes, b, sizeof(b)),
		vr_format_size(au->slab_returned_bytes, c, sizeof(c)),
		(unsigned long long)au->slab_drops, (unsigned long long)au->slab_reuse_events);
	fprintf(f, "fragments:   %s\n", au->frag_why);
	fprintf(f, "working set: reserve %s; %llu refault episodes after reclaim (%s read back)\n",
		vr_format_size(au->reserve_bytes, a, sizeof(a)), (unsigned long long)au->refault_events,
		vr_format_size(au->refaulted_bytes, b, sizeof(b)));
	fprintf(f, "order:       %u now, %u to go back to; lowered %llu times\n", g->reporting.order,
		g->base_order, (unsigned long long)au->order_lowerings);
}

static void auto_status_json(const struct vr_guest *g, struct vr_json *j)
{
	const struct vr_auto *au = &g->autost;

	vr_json_open(j, "auto");
	vr_json_str(j, "cache", au->cache_why);
	vr_json_str(j, "slab", au->slab_why);
	vr_json_u64(j, "slab_bytes", au->slab_bytes);
	vr_json_u64(j, "slab_cold_bytes", au->slab_cold_bytes);
	vr_json_u64(j, "slab_returned_bytes", au->slab_returned_bytes);
	vr_json_u64(j, "slab_drops", au->slab_drops);
	vr_json_u64(j, "slab_reuse_events", au->slab_reuse_events);
	vr_json_bool(j, "slab_failed", au->slab_failed);
	vr_json_str(j, "fragments", au->frag_why);
	vr_json_u64(j, "reserve_bytes", au->reserve_bytes);
	vr_json_u64(j, "refault_events", au->refault_events);
	vr_json_u64(j, "refaulted_bytes", au->refaulted_bytes);
	vr_json_u64(j, "order_lowerings", au->order_lowerings);
	vr_json_bool(j, "order_lowered", g->order_lowered);
	vr_json_u64(j, "base_order", g->base_order);
	vr_json_close(j);
}

static void auto_metrics(const struct vr_guest *g, FILE *f)
{
	const struct vr_auto *au = &g->autost;

	vr_metric(f, "auto_reserve_bytes", "gauge",
		  "Inactive file cache auto keeps because reclaimed pages were read back.", NULL,
		  (double)au->reserve_bytes);
	vr_metric(f, "auto_refault_events_total", "counter",
		  "Times pages were read back after an auto reclaim.", NULL,
		  (double)au->refault_events);
	vr_metric(f, "auto_refaulted_bytes_total", "counter", "Bytes read back after auto reclaims.",
		  NULL, (double)au->refaulted_bytes);
	vr_metric(f, "auto_slab_bytes", "gauge", "Reclaimable slab (SReclaimable) at the last sample.",
		  NULL, (double)au->slab_bytes);
	vr_metric(f, "auto_slab_cold_bytes", "gauge",
		  "Reclaimable slab above auto's floor that has stopped growing.", NULL,
		  (double)au->slab_cold_bytes);
	vr_metric(f, "auto_slab_returned_bytes_total", "counter",
		  "Reclaimable slab returned by auto's slab drops.", NULL,
		  (double)au->slab_returned_bytes);
	vr_metric(f, "auto_slab_drops_total", "counter", "Times auto dropped the reclaimable slab.",
		  NULL, (double)au->slab_drops);
	vr_metric(f, "auto_slab_reuse_events_total", "counter",
		  "Times the slab came back soon after an auto drop (auto backed off).", NULL,
		  (double)au->slab_reuse_events);
	vr_metric(f, "auto_order_lowerings_total", "counter",
		  "Times auto lowered page_reporting_order.", NULL, (double)au->order_lowerings);
}

const struct vr_policy_ops vr_policy_auto = {
	.mode = VR_MODE_AUTO,
	.lowers_order = true,
	.init = auto_init,
	.plan = vr_plan_gradual,
	.needs = auto_needs,
	.decide = auto_decide,
	.result = auto_result,
	.host_cache = auto_host_cache,
	.host_compact = vr_host_compact,
	.host_order = auto_host_order,
	.status_text = auto_status_text,
	.status_json = auto_status_json,
	.metrics = auto_metrics,
};
