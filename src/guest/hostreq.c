/* SPDX-License-Identifier: MIT */
/* Requests from the host over the guest channel (common/channel.h):
 * status, and "give" answered with the policy's own steps. */
#include "guest/guest.h"
#include "common/channel.h"
#include "common/log.h"
#include "common/size.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

/* What the host may know of the guest: its memory, its cache, its free
 * blocks. */
static void chan_status(struct vr_guest *g, char *reply, size_t size)
{
	struct vr_meminfo m = { 0 };
	struct vr_memsnap s;

	vr_guest_snapshot(g, &s, &m);
	if (!s.valid) {
		snprintf(reply, size, "error: /proc/meminfo unreadable\n");
		return;
	}
	snprintf(reply, size,
		 "ok total=%llu available=%llu cache=%llu reportable=%llu stranded=%llu order=%u "
		 "version=" VERSION_STRING " mode=%s\n",
		 (unsigned long long)m.total_bytes, (unsigned long long)m.available_bytes,
		 (unsigned long long)s.file_cache_bytes, (unsigned long long)s.reportable_bytes,
		 (unsigned long long)s.stranded_bytes, vr_guest_reporting_order(g),
		 vr_mode_name(g->cfg.mode));
}

_Static_assert(VR_CC_COMPACT_RUNS + VR_ACTION_RECLAIM == VR_CC_RECLAIM_RUNS &&
		       VR_CC_COMPACT_FAILURES + VR_ACTION_RECLAIM == VR_CC_RECLAIM_FAILURES &&
		       VR_CC_COMPACT_BYTES + VR_ACTION_RECLAIM == VR_CC_RECLAIM_BYTES &&
		       VR_CC_COMPACT_CPU_USEC + VR_ACTION_RECLAIM == VR_CC_RECLAIM_CPU_USEC &&
		       VR_ACTION_RECLAIM + 1 == VR_ACTION_KINDS,
	       "the channel's per-action counters follow enum vr_action_kind");

/* The have-mask bits of counters @first to @last. */
static uint32_t cc_bits(enum vr_chan_counter first, enum vr_chan_counter last)
{
	return (uint32_t)(((2ull << last) - 1) & ~((1ull << first) - 1));
}

/* What vmreclaimd has done since it started: the counters of its own
 * metrics (report.c), the auto policy's only in mode auto, as there. */
static void chan_counters(const struct vr_guest *g, char *reply, size_t size)
{
	struct vr_chan_counters c = { .have = 0 };
	const struct vr_auto *au = &g->autost;
	unsigned i;

	for (i = 0; i < VR_ACTION_KINDS; i++) {
		/* enum vr_chan_counter lists them in the actions' order. */
		c.value[VR_CC_COMPACT_RUNS + i] = g->totals[i].runs;
		c.value[VR_CC_COMPACT_FAILURES + i] = g->totals[i].failures;
		c.value[VR_CC_COMPACT_BYTES + i] = g->totals[i].bytes;
		c.value[VR_CC_COMPACT_CPU_USEC + i] = g->totals[i].cpu_usec;
	}
	c.value[VR_CC_IDLE_PERIODS] = g->idle.periods;
	c.value[VR_CC_PRESSURE_EVENTS] = g->pressure_events;
	c.value[VR_CC_PCP_DRAINS] = g->pcp.drains;
	c.value[VR_CC_PCP_CPU_USEC] = g->pcp.cpu_usec;
	c.have = cc_bits(VR_CC_COMPACT_RUNS, VR_CC_PCP_DRAINS) | cc_bits(VR_CC_PCP_CPU_USEC, VR_CC_PCP_CPU_USEC);
	if (g->set.policy == &vr_policy_auto) {
		c.value[VR_CC_AUTO_REFAULT_EVENTS] = au->refault_events;
		c.value[VR_CC_AUTO_REFAULTED_BYTES] = au->refaulted_bytes;
		c.value[VR_CC_AUTO_SLAB_RETURNED_BYTES] = au->slab_returned_bytes;
		c.value[VR_CC_AUTO_SLAB_DROPS] = au->slab_drops;
		c.value[VR_CC_AUTO_SLAB_REUSE_EVENTS] = au->slab_reuse_events;
		c.value[VR_CC_AUTO_ORDER_LOWERINGS] = au->order_lowerings;
		c.have |= cc_bits(VR_CC_AUTO_REFAULT_EVENTS, VR_CC_AUTO_ORDER_LOWERINGS);
	}
	/* VR_CHAN_REPLY_MAX has room for every key at 20 digits. */
	if (vr_chan_counters_format(&c, reply, size) < 0)
		snprintf(reply, size, "error: reply buffer too small\n");
}

/* The host is short of memory and asks for up to @bytes now: the
 * policy's cache step (cold cache without waiting for it to settle),
 * its compaction step, and its order step (auto: a lower reporting order
 * for stranded blocks).  Never while the guest itself is short of
 * memory. */
static void chan_give(struct vr_guest *g, uint64_t bytes, char *reply, size_t size)
{
	const struct vr_policy_ops *p = g->set.policy;
	uint64_t now = g->clock(), released = 0, gained = 0;
	struct vr_memsnap before, after;
	struct vr_meminfo m = { 0 };
	struct vr_host_give h;
	struct vr_plan plan;
	bool compacted = false;
	unsigned i;

	g->now_usec = now;
	if (now < g->pressure_until_usec) {
		g->host_refused++;
		snprintf(reply, size, "refused the guest is under memory pressure\n");
		return;
	}
	if (g->host_last_give_usec && now - g->host_last_give_usec < VR_HOST_GIVE_INTERVAL_USEC) {
		g->host_refused++;
		snprintf(reply, size, "refused too soon after the last request\n");
		return;
	}
	g->host_last_give_usec = now;
	vr_guest_snapshot(g, &before, &m);
	if (!before.valid) {
		snprintf(reply, size, "error: /proc/meminfo unreadable\n");
		return;
	}
	vr_info("host asks for %llu MiB back", (unsigned long long)(bytes / VR_MIB));
	memset(&h, 0, sizeof(h));
	h.set = &g->set;
	h.now_usec = now;
	h.bytes = bytes;
	h.mem = &m;
	h.file_cache_bytes = before.file_cache_bytes;
	h.reclaim_usable = vr_guest_reclaim_unusable(g, &m) == NULL;
	memset(&plan, 0, sizeof(plan));
	if (p->host_cache)
		p->host_cache(g, &h, &plan);
	vr_guest_run(g, &plan);
	vr_guest_snapshot(g, &after, NULL);
	released = vr_sat_sub(before.file_cache_bytes, after.file_cache_bytes);
	h.buddy_valid = after.buddy_valid;
	h.stranded_bytes = after.stranded_bytes;
	memset(&plan, 0, sizeof(plan));
	if (p->host_compact)
		p->host_compact(g, &h, &plan);
	for (i = 0; i < plan.n; i++) {
		struct vr_action_record a;

		if (vr_guest_step(g, &plan.step[i], &a) == 0 && plan.step[i].kind == VR_STEP_COMPACT) {
			compacted = true;
			if (a.after.buddy_valid)
				after = a.after;
		}
	}
	h.buddy_valid = after.buddy_valid;
	h.stranded_bytes = after.stranded_bytes;
	memset(&plan, 0, sizeof(plan));
	if (p->host_order)
		p->host_order(g, &h, &plan);
	if (plan.n) {
		vr_guest_run(g, &plan);
		vr_guest_snapshot(g, &after, NULL);
	}
	gained = vr_sat_sub(after.reportable_bytes, before.reportable_bytes);
	snprintf(reply, size,
		 "ok released=%llu reportable_gained=%llu stranded=%llu order=%u compacted=%d\n",
		 (unsigned long long)released, (unsigned long long)gained,
		 (unsigned long long)after.stranded_bytes, vr_guest_reporting_order(g), compacted ? 1 : 0);
}

void vr_guest_channel(struct vr_guest *g, const char *line, size_t len, char *reply, size_t size)
{
	struct vr_chan_request req;
	char err[128];

	g->host_requests++;
	if (vr_chan_parse(line, len, &req, err, sizeof(err)) < 0) {
		snprintf(reply, size, "error: %s\n", err);
		return;
	}
	if (req.verb == VR_CHAN_STATUS)
		chan_status(g, reply, size);
	else if (req.verb == VR_CHAN_COUNTERS)
		chan_counters(g, reply, size);
	else
		chan_give(g, req.bytes, reply, size);
}
