/* SPDX-License-Identifier: MIT */
/* The guest service's orchestration: set-up and the kernel's offer,
 * settings, and the tick (read the inputs once, ask the policy, run its
 * steps).  The parts live beside it: iface.c (interface health),
 * actions.c (actions and their history), report.c (status and metrics),
 * hostreq.c (host requests), policy*.c (the policies). */
#include "guest/guest.h"
#include "guest/orderstate.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Without free page reporting the gauges still say how fragmented free
 * memory is, against the x86_64 default order (pageblock_order). */
#define DEFAULT_REPORTING_ORDER 9

unsigned vr_guest_reporting_order(const struct vr_guest *g)
{
	return g->reporting.registered ? g->reporting.order : DEFAULT_REPORTING_ORDER;
}

/* Read the reporting state again (a balloon driver may load after us),
 * and say when it changed. */
void vr_guest_refresh_reporting(struct vr_guest *g)
{
	struct vr_reporting now;

	vr_reporting_probe(&g->sys, &now);
	if (now.registered != g->reporting.registered || now.balloon != g->reporting.balloon ||
	    now.order != g->reporting.order)
		vr_notice("free page reporting: %s, order %u; balloon: %s",
			  now.registered ? "registered" : "no driver registered", now.order,
			  vr_balloon_state_name(now.balloon));
	g->reporting = now;
	/* Someone else set the order (or a driver registered): that is the
	 * order to go back to. */
	if (now.registered && !g->order_lowered) {
		g->base_order = now.order;
		g->base_order_known = true;
	}
}

static void log_probe(const struct vr_guest *g)
{
	if (!g->reporting.order_known)
		vr_warn("%s missing: this kernel has no free page reporting; reclaimed memory stays "
			"with the VM unless the hypervisor balloons it",
			VR_REPORTING_ORDER_PATH);
	else if (!g->reporting.registered)
		vr_warn("page_reporting_order reads %u: no reporting driver has registered (yet); "
			"free memory is not handed back to the host", g->reporting.order);
	else if (g->reporting.balloon != VR_BALLOON_REPORTING)
		vr_warn("virtio balloon: %s; free memory is not handed back to the host",
			vr_balloon_state_name(g->reporting.balloon));
	if (!g->cgroup.v2)
		vr_notice("cgroup v2 not mounted at /sys/fs/cgroup: gradual reclaim falls back to "
			  "dropcache");
	else if (!g->cgroup.has_reclaim)
		vr_notice("%s missing (Linux < 5.19): gradual reclaim falls back to dropcache",
			  VR_MEMORY_RECLAIM_PATH);
	vr_info("reporting order %u%s, balloon: %s, memory.reclaim: %s%s", vr_guest_reporting_order(g),
		g->reporting.registered ? "" : " (assumed)", vr_balloon_state_name(g->reporting.balloon),
		g->cgroup.has_reclaim ? "yes" : "no",
		g->cgroup.has_reclaim ? (g->cgroup.swappiness ? ", swappiness=0 accepted"
							      : ", swappiness= not accepted by this kernel")
				      : "");
}

static uint64_t rusage_cpu_usec(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)ru.ru_utime.tv_sec * VR_USEC_PER_SEC + (uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_sec * VR_USEC_PER_SEC + (uint64_t)ru.ru_stime.tv_usec;
}

/* At start: a daemon killed while auto held the order lowered left the
 * order to go back to on disk (orderstate.h); put it back, and take it as
 * the kernel's own. */
static void restore_order(struct vr_guest *g)
{
	unsigned saved;
	char v[16];
	int r;

	if (g->sys.ops->dry_run)
		return;
	r = vr_order_state_load(&g->sys, &saved);
	if (r == 0)
		return;
	if (r < 0 && r != -EINVAL) {
		vr_guest_iface(g, VR_IF_ORDER_STATE, r);
		return;
	}
	if (r == -EINVAL) {
		vr_warn("%s: not a reporting order: removed", VR_ORDER_STATE_PATH);
	} else if (!g->reporting.registered) {
		return; /* no driver yet: the order means nothing; the file stays */
	} else if (g->reporting.order < saved) {
		/* Whatever happens next, the order to go back to is the saved
		 * one, not the lowered one read at start. */
		g->base_order = saved;
		g->base_order_known = true;
		snprintf(v, sizeof(v), "%u", saved);
		r = vr_sys_write(&g->sys, VR_REPORTING_ORDER_PATH, v);
		vr_guest_iface(g, VR_IF_REPORTING_ORDER, r);
		if (r < 0) {
			/* Held lowered as far as the service knows: the way
			 * back up is tried as after any hold, and the file
			 * stays for a daemon killed before that. */
			g->order_lowered = true;
			return;
		}
		vr_notice("page_reporting_order %u -> %u: left lowered by a daemon stopped during a hold",
			  g->reporting.order, saved);
		g->reporting.order = saved;
	}
	vr_guest_iface(g, VR_IF_ORDER_STATE, vr_order_state_clear(&g->sys));
}

int vr_guest_init(struct vr_guest *g, const struct vr_config *cfg, const char *root,
		  const struct vr_sys_ops *ops, void *ops_user, uint64_t (*clock)(void))
{
	long ps = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK);
	unsigned back;
	int r;

	memset(g, 0, sizeof(*g));
	r = vr_sys_init(&g->sys, root, ops, ops_user);
	if (r < 0)
		return r;
	g->cfg = *cfg;
	g->page_size = ps > 0 ? (uint64_t)ps : 4096;
	g->clock = clock ? clock : vr_now_usec;
	g->self_cpu_usec = rusage_cpu_usec;
	g->clk_tck = hz > 0 ? (uint64_t)hz : 100;
	g->started_usec = g->clock();
	vr_settings_resolve(cfg, &g->set);
	vr_idle_init(&g->idle, g->set.idle_threshold_pct, g->set.idle_usec);
	vr_reporting_probe(&g->sys, &g->reporting);
	if (g->reporting.registered) {
		g->base_order = g->reporting.order;
		g->base_order_known = true;
	}
	restore_order(g);
	vr_policies_init(g);
	vr_cgroup_probe(&g->sys, &g->cgroup);
	log_probe(g);
	/* Linux 5.14 added the fraction; without it the lists are left as
	 * they are (a missing feature, not a fault). */
	g->pcp_available = vr_sys_exists(&g->sys, VR_PCP_FRACTION_PATH) &&
			   vr_sys_exists(&g->sys, VR_STAT_REFRESH_PATH);
	if (!g->pcp_available)
		vr_info("per-CPU free lists: %s or %s missing: not drained", VR_PCP_FRACTION_PATH,
			VR_STAT_REFRESH_PATH);
	r = g->pcp_available ? vr_pcp_recover(&g->sys, &back) : 0;
	if (r > 0)
		vr_notice("%s was left at %u by a drain cut short: set back to %u", VR_PCP_FRACTION_PATH,
			  VR_PCP_DRAIN_FRACTION, back);
	else if (r < 0)
		vr_guest_iface(g, VR_IF_PCP, r);
	vr_guest_lru_gen_start(g);
	return 0;
}

void vr_guest_reconfigure(struct vr_guest *g, const struct vr_config *cfg)
{
	g->cfg = *cfg;
	vr_settings_resolve(cfg, &g->set);
	vr_idle_configure(&g->idle, g->set.idle_threshold_pct, g->set.idle_usec, g->clock());
	vr_guest_lru_gen_apply(g);
}

void vr_guest_pressure(struct vr_guest *g)
{
	uint64_t now = g->clock();

	if (g->pressure_until_usec <= now)
		vr_info("guest memory pressure: idle reclaim holds off for %llu s",
			(unsigned long long)(VR_PRESSURE_HOLDOFF_USEC / VR_USEC_PER_SEC));
	g->pressure_events++;
	g->pressure_until_usec = now + VR_PRESSURE_HOLDOFF_USEC;
}

void vr_guest_shutdown(struct vr_guest *g)
{
	if (g->order_lowered)
		vr_guest_set_order(g, g->base_order, "the service is stopping");
	vr_guest_lru_gen_restore(g, "the service is stopping");
}

/* Read what the policy needs for this tick, each file once. */
static void read_inputs(struct vr_guest *g, unsigned need, struct vr_tick *t)
{
	struct vr_vmstat vs;
	int r;

	if (need & VR_NEED_MEMINFO) {
		r = vr_meminfo_read(&g->sys.fs, &t->mem);
		vr_guest_iface(g, VR_IF_MEMINFO, r);
		t->read_meminfo = true;
		t->have_meminfo = r == 0;
		t->reclaim_unusable_why = vr_guest_reclaim_unusable(g, t->have_meminfo ? &t->mem : NULL);
	}
	if (need & VR_NEED_VMSTAT) {
		r = vr_vmstat_read(&g->sys.fs, &vs);
		/* Readable but without the refault counter (empty, cut
		 * short): auto is as blind as without the file, and status
		 * says so. */
		if (r == 0 && !vs.have_refault)
			r = -ENODATA;
		vr_guest_iface(g, VR_IF_VMSTAT, r);
		if (r == 0) {
			t->have_refault = true;
			t->refault_bytes = vs.refault_file_pages * g->page_size;
		}
	}
	if (need & VR_NEED_BUDDYINFO) {
		r = vr_buddyinfo_read(&g->sys.fs, &t->buddy);
		vr_guest_iface(g, VR_IF_BUDDYINFO, r);
		t->read_buddy = true;
		t->have_buddy = r == 0;
	}
}

/* Drain the per-CPU free lists when an action (of this tick, or a
 * request since the last one) freed memory, or when free memory rose a lot
 * (pcp.h).  Only with free page reporting: without it nobody takes the
 * pages. */
static void pcp_tick(struct vr_guest *g, const struct vr_tick *t)
{
	bool acted = g->acted_runs != g->pcp_seen_runs;
	uint64_t now = t->now_usec, cpu0;
	struct vr_meminfo m;
	int r = 0;

	g->pcp_seen_runs = g->acted_runs;
	if (!g->set.drain_pcp || !g->reporting.registered || !g->pcp_available)
		return;
	/* The policy's reading of this tick when it took one (an action's
	 * own release shows at the next; the action drains anyway). */
	if (t->have_meminfo) {
		m = t->mem;
	} else {
		r = vr_meminfo_read(&g->sys.fs, &m);
		vr_guest_iface(g, VR_IF_MEMINFO, r);
	}
	if (!vr_pcp_due(&g->pcp, now, acted, r == 0, r == 0 ? m.free_bytes : 0))
		return;
	cpu0 = vr_sys_cpu_usec(&g->sys);
	r = vr_pcp_drain(&g->sys);
	g->pcp.cpu_usec += vr_sat_sub(vr_sys_cpu_usec(&g->sys), cpu0);
	vr_guest_iface(g, VR_IF_PCP, r);
	vr_pcp_record(&g->pcp, now, r);
}

/* One sample: idle tracking, then the policy: read what it needs, ask
 * it, run its steps. */
static void policy_tick(struct vr_guest *g, uint64_t now, struct vr_tick *ret)
{
	const struct vr_policy_ops *p = g->set.policy;
	struct vr_tick t;
	struct vr_cpustat cs;
	int r;

	uint64_t self = g->self_cpu_usec ? g->self_cpu_usec() : 0;
	uint64_t self_ticks = vr_sat_sub(self, g->self_cpu_prev_usec) * g->clk_tck / VR_USEC_PER_SEC;

	g->now_usec = now;
	g->self_cpu_prev_usec = self;
	g->ticks++;
	r = vr_cpustat_read(&g->sys.fs, &cs);
	vr_guest_iface(g, VR_IF_STAT, r);
	memset(&t, 0, sizeof(t));
	t.set = &g->set;
	t.now_usec = now;
	t.ev = r == 0 ? vr_idle_update(&g->idle, now, &cs, self_ticks) : vr_idle_reset(&g->idle);
	if (t.ev == VR_IDLE_ENTER) {
		memset(&g->period, 0, sizeof(g->period));
		vr_guest_refresh_reporting(g);
		vr_info("idle: CPU below %g%% for %llu s", g->idle.threshold_pct,
			(unsigned long long)(g->idle.window_usec / VR_USEC_PER_SEC));
	} else if (t.ev == VR_IDLE_LEAVE) {
		vr_info("busy again: CPU %.1f%%", g->idle.last_busy_pct);
	}
	if (g->order_lowered && !p->lowers_order)
		/* The mode changed (a reload) while auto had the order down. */
		vr_guest_set_order(g, g->base_order, "mode is no longer auto");

	t.idle = g->idle.idle;
	t.pressure = now < g->pressure_until_usec;
	t.compact_failing = g->iface[VR_IF_COMPACT].error != 0;
	/* A failing page_reporting_order is tried again once per idle
	 * period, not on every tick. */
	t.order_writable = g->reporting.order_writable &&
			   (g->iface[VR_IF_REPORTING_ORDER].error == 0 || t.ev == VR_IDLE_ENTER);
	read_inputs(g, p->needs ? p->needs(g, &t) : 0, &t);
	p->decide(g, &t, &g->last_plan);
	vr_guest_run(g, &g->last_plan);
	*ret = t;
}

void vr_guest_tick(struct vr_guest *g)
{
	struct vr_tick t;

	policy_tick(g, g->clock(), &t);
	pcp_tick(g, &t);
}
