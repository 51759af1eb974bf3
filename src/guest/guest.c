/* SPDX-License-Identifier: MIT */
#include "guest/guest.h"
#include "common/channel.h"
#include "common/json.h"
#include "common/log.h"
#include "common/outfile.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#define VERSION_STRING "0.1.0"

/* Without free page reporting the gauges still say how fragmented free
 * memory is, against the x86_64 default order (pageblock_order). */
#define DEFAULT_REPORTING_ORDER 9

/* The idle threshold used for reclaim when idleThreshold = 0, which in
 * WSL 19013 only turned idle compaction off. */
#define FALLBACK_IDLE_THRESHOLD_PCT 1.0

static const struct {
	const char *name;
	const char *path;
	const char *consequence;
} ifaces[VR_IF_COUNT] = {
	[VR_IF_STAT] = { "stat", "/proc/stat", "idle tracking stopped: the VM never counts as idle" },
	[VR_IF_MEMINFO] = { "meminfo", "/proc/meminfo", "gradual reclaim cannot size its steps" },
	[VR_IF_BUDDYINFO] = { "buddyinfo", "/proc/buddyinfo",
			      "reportable and stranded free memory unknown" },
	[VR_IF_COMPACT] = { "compact_memory", "/proc/sys/vm/compact_memory", "no compaction" },
	[VR_IF_DROP_CACHES] = { "drop_caches", "/proc/sys/vm/drop_caches", "no cache drops" },
	[VR_IF_MEMORY_RECLAIM] = { "memory.reclaim", VR_MEMORY_RECLAIM_PATH,
				   "gradual reclaim falls back to dropcache" },
	[VR_IF_PSI] = { "psi", "/proc/pressure/memory", "no reaction to the guest's memory pressure" },
	[VR_IF_KMSG] = { "kmsg", "/dev/kmsg", "compaction is not noted in the kernel log" },
	[VR_IF_VMSTAT] = { "vmstat", "/proc/vmstat",
			   "refaults unknown: auto reclaim cannot see the working set, and holds off" },
	[VR_IF_REPORTING_ORDER] = { "page_reporting_order", VR_REPORTING_ORDER_PATH,
				    "stranded free memory is not handed back at a lower order" },
	[VR_IF_METRICS] = { "metrics", "metricsFile", "the metrics file is not updated" },
	[VR_IF_CHANNEL] = { "channel", VR_CHAN_GUEST_PATH, "the host cannot ask for memory back" },
};

const char *vr_iface_name(enum vr_iface iface)
{
	return ifaces[iface].name;
}

void vr_guest_iface(struct vr_guest *g, enum vr_iface iface, int r)
{
	struct vr_iface_state *st = &g->iface[iface];

	if (r < 0) {
		st->failures++;
		if (st->error != r)
			vr_warn("%s: %s; %s", ifaces[iface].path, vr_strerror(r),
				ifaces[iface].consequence);
		st->error = r;
	} else if (st->error < 0) {
		vr_notice("%s works again", ifaces[iface].path);
		st->error = 0;
	}
}

bool vr_guest_compaction_enabled(const struct vr_config *cfg)
{
	return cfg->compaction && cfg->idle_threshold_pct > 0;
}

static double idle_threshold(const struct vr_config *cfg)
{
	return cfg->idle_threshold_pct > 0 ? cfg->idle_threshold_pct : FALLBACK_IDLE_THRESHOLD_PCT;
}

static unsigned reporting_order(const struct vr_guest *g)
{
	return g->reporting.registered ? g->reporting.order : DEFAULT_REPORTING_ORDER;
}

/* Read the reporting state again (a balloon driver may load after us),
 * and say when it changed. */
static void refresh_reporting(struct vr_guest *g)
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
	vr_info("reporting order %u%s, balloon: %s, memory.reclaim: %s%s", reporting_order(g),
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

int vr_guest_init(struct vr_guest *g, const struct vr_config *cfg, const char *root,
		  const struct vr_sys_ops *ops, void *ops_user, uint64_t (*clock)(void))
{
	long ps = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK);
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
	vr_idle_init(&g->idle, idle_threshold(cfg), cfg->idle_usec);
	vr_reporting_probe(&g->sys, &g->reporting);
	if (g->reporting.registered) {
		g->base_order = g->reporting.order;
		g->base_order_known = true;
	}
	vr_auto_init(&g->autost);
	vr_cgroup_probe(&g->sys, &g->cgroup);
	log_probe(g);
	return 0;
}

void vr_guest_reconfigure(struct vr_guest *g, const struct vr_config *cfg)
{
	g->cfg = *cfg;
	vr_idle_configure(&g->idle, idle_threshold(cfg), cfg->idle_usec, g->clock());
}

static void snapshot(struct vr_guest *g, struct vr_memsnap *s, struct vr_meminfo *ret_mem)
{
	struct vr_meminfo m;
	struct vr_buddyinfo b;
	struct vr_free_split sp;
	int r;

	memset(s, 0, sizeof(*s));
	r = vr_meminfo_read(&g->sys, &m);
	vr_guest_iface(g, VR_IF_MEMINFO, r);
	if (r < 0)
		return;
	if (ret_mem)
		*ret_mem = m;
	s->free_bytes = m.free_bytes;
	s->file_cache_bytes = vr_meminfo_file_cache(&m);
	s->valid = true;
	r = vr_buddyinfo_read(&g->sys, &b);
	vr_guest_iface(g, VR_IF_BUDDYINFO, r);
	if (r < 0)
		return;
	vr_buddyinfo_split(&b, reporting_order(g), g->page_size, &sp);
	s->buddy_valid = true;
	s->reportable_bytes = sp.reportable_bytes;
	s->stranded_bytes = sp.stranded_bytes;
}

/* Why memory.reclaim cannot be used, or NULL when it can.  Without
 * swappiness=0 the kernel may swap anonymous memory out, which the
 * service must never cause on its own. */
static const char *reclaim_unusable(const struct vr_guest *g, const struct vr_meminfo *m)
{
	if (!g->cgroup.has_reclaim)
		return g->cgroup.v2 ? "no memory.reclaim" : "no cgroup v2";
	if (!g->cgroup.swappiness && (!m || m->swap_total_bytes > 0))
		return "swap on and the kernel has no swappiness=0";
	return NULL;
}

/* Where the kernel log is, or NULL when nothing may go there. */
static const char *kmsg_path(const struct vr_guest *g, char *buf, size_t size)
{
	if (g->sys.ops->dry_run || vr_sys_path(&g->sys, "/dev/kmsg", buf, size) < 0)
		return NULL;
	return buf;
}

/* The @i-th most recent history record. */
static const struct vr_action_record *history_at(const struct vr_guest *g, unsigned i)
{
	return &g->history[(g->history_next + VR_HISTORY_MAX - 1 - i) % VR_HISTORY_MAX];
}

/* The kernel interface an action writes to. */
static enum vr_iface action_iface(enum vr_action_kind kind)
{
	return kind == VR_ACTION_COMPACT     ? VR_IF_COMPACT
	       : kind == VR_ACTION_DROPCACHE ? VR_IF_DROP_CACHES
					     : VR_IF_MEMORY_RECLAIM;
}

static void record(struct vr_guest *g, const struct vr_action_record *a)
{
	struct vr_action_totals *t = &g->totals[a->kind];

	t->runs++;
	if (a->error < 0)
		t->failures++;
	else if (a->before.valid && a->after.valid) {
		if (a->kind == VR_ACTION_COMPACT && a->before.buddy_valid && a->after.buddy_valid)
			t->bytes += vr_sat_sub(a->after.reportable_bytes, a->before.reportable_bytes);
		else if (a->kind != VR_ACTION_COMPACT)
			t->bytes += vr_sat_sub(a->before.file_cache_bytes, a->after.file_cache_bytes);
	}
	g->history[g->history_next] = *a;
	g->history_next = (g->history_next + 1) % VR_HISTORY_MAX;
	if (g->history_count < VR_HISTORY_MAX)
		g->history_count++;
}

static const char *trigger_name(enum vr_trigger t)
{
	return t == VR_TRIGGER_IDLE   ? "idle"
	       : t == VR_TRIGGER_AUTO ? "auto"
	       : t == VR_TRIGGER_HOST ? "host"
				      : "manual";
}

void vr_action_record_format(const struct vr_action_record *a, char *buf, size_t size)
{
	char s[6][VR_SIZE_STR_MAX];
	int n;

	n = snprintf(buf, size, "%s (%s)", vr_action_name(a->kind), trigger_name(a->trigger));
	if (n < 0 || (size_t)n >= size)
		return;
	if (a->kind == VR_ACTION_RECLAIM)
		n += snprintf(buf + n, size - (size_t)n, " of %s",
			      vr_format_size(a->requested_bytes, s[0], sizeof(s[0])));
	if ((size_t)n >= size)
		return;
	if (a->error < 0)
		n += snprintf(buf + n, size - (size_t)n, " failed: %s", strerror(-a->error));
	else if (a->before.buddy_valid && a->after.buddy_valid)
		n += snprintf(buf + n, size - (size_t)n,
			      " in %llu ms: file cache %s -> %s, reportable %s -> %s, stranded %s -> %s",
			      (unsigned long long)(a->duration_usec / 1000),
			      vr_format_size(a->before.file_cache_bytes, s[0], sizeof(s[0])),
			      vr_format_size(a->after.file_cache_bytes, s[1], sizeof(s[1])),
			      vr_format_size(a->before.reportable_bytes, s[2], sizeof(s[2])),
			      vr_format_size(a->after.reportable_bytes, s[3], sizeof(s[3])),
			      vr_format_size(a->before.stranded_bytes, s[4], sizeof(s[4])),
			      vr_format_size(a->after.stranded_bytes, s[5], sizeof(s[5])));
	else
		n += snprintf(buf + n, size - (size_t)n, " in %llu ms",
			      (unsigned long long)(a->duration_usec / 1000));
	if ((size_t)n < size && a->note[0])
		snprintf(buf + n, size - (size_t)n, " (%s)", a->note);
}

static int do_compact(struct vr_guest *g)
{
	char buf[PATH_MAX];
	const char *kmsg = kmsg_path(g, buf, sizeof(buf));
	int r;

	/* The counterpart of WSL's "WSL2: Performing memory compaction", so
	 * that dmesg tells the same story; not while compaction is known to
	 * fail, or every retry would say it again. */
	if (kmsg && g->iface[VR_IF_COMPACT].error == 0 && g->iface[VR_IF_KMSG].error == 0)
		vr_guest_iface(g, VR_IF_KMSG,
			       vr_kmsg(kmsg, VR_LOG_INFO, "vmreclaimd: Performing memory compaction"));
	/* Synchronous: returns when every node has been compacted. */
	r = vr_sys_write(&g->sys, "/proc/sys/vm/compact_memory", "1");
	vr_guest_iface(g, VR_IF_COMPACT, r);
	return r;
}

static int do_dropcache(struct vr_guest *g)
{
	char v[4];
	int r;

	snprintf(v, sizeof(v), "%u", g->cfg.drop_cache_value);
	r = vr_sys_write(&g->sys, "/proc/sys/vm/drop_caches", v);
	vr_guest_iface(g, VR_IF_DROP_CACHES, r);
	return r;
}

/* memory.reclaim in chunks: one long write would hold the event loop (and
 * SIGTERM) for as long as the kernel takes over gigabytes. */
static int do_reclaim(struct vr_guest *g, struct vr_action_record *a, uint64_t bytes)
{
	uint64_t done = 0;
	int r = 0;

	a->requested_bytes = bytes;
	while (done < bytes) {
		uint64_t chunk = bytes - done < VR_RECLAIM_CHUNK_BYTES ? bytes - done : VR_RECLAIM_CHUNK_BYTES;

		if (done && g->interrupted && g->interrupted()) {
			snprintf(a->note, sizeof(a->note), "stopped after %llu MiB: the service is stopping",
				 (unsigned long long)(done / VR_MIB));
			break;
		}
		r = vr_cgroup_reclaim(&g->sys, chunk, g->cgroup.swappiness);
		vr_guest_iface(g, VR_IF_MEMORY_RECLAIM, r == -EAGAIN ? 0 : r);
		if (r == -EAGAIN) {
			a->partial = true;
			snprintf(a->note, sizeof(a->note), "the kernel reclaimed less than asked");
			return 0;
		}
		if (r < 0)
			return r;
		done += chunk;
	}
	return 0;
}

int vr_guest_act(struct vr_guest *g, enum vr_action_kind kind, uint64_t bytes,
		 enum vr_trigger trigger, struct vr_action_record *ret)
{
	struct vr_action_record a = { .kind = kind, .trigger = trigger };
	int prev_error = g->iface[action_iface(kind)].error;
	struct vr_meminfo m;
	const char *why_not;
	enum vr_log_level level;
	char line[512], kbuf[PATH_MAX];
	const char *kmsg;
	uint64_t t0;
	int r;

	a.wall_sec = vr_wall_sec();
	snapshot(g, &a.before, &m);
	t0 = g->clock();
	switch (kind) {
	case VR_ACTION_COMPACT:
		r = do_compact(g);
		break;
	case VR_ACTION_DROPCACHE:
		r = do_dropcache(g);
		break;
	case VR_ACTION_RECLAIM:
	default:
		why_not = reclaim_unusable(g, a.before.valid ? &m : NULL);
		if (why_not) {
			/* Never a silent cache drop in place of what was asked:
			 * the idle policy falls back on its own, a request
			 * is refused with the reason. */
			snprintf(a.note, sizeof(a.note), "memory.reclaim not used: %s", why_not);
			r = -EOPNOTSUPP;
			break;
		}
		if (bytes == VR_RECLAIM_ALL) {
			/* All of the file cache; the kernel stops where it
			 * runs out (EAGAIN). */
			bytes = a.before.valid ? a.before.file_cache_bytes : 0;
			if (bytes == 0)
				bytes = VR_GIB;
		} else if (a.before.valid && bytes > a.before.file_cache_bytes + m.sreclaimable_bytes +
								VR_RECLAIM_CHUNK_BYTES) {
			/* Swap is refused above, so nothing beyond the caches
			 * can come back: a request for more (2^64 - 2 bytes,
			 * say) is cut to what they hold plus one chunk, and
			 * holds the event loop no longer than they take. */
			uint64_t cap = a.before.file_cache_bytes + m.sreclaimable_bytes +
				       VR_RECLAIM_CHUNK_BYTES;
			char s[2][VR_SIZE_STR_MAX];

			snprintf(a.note, sizeof(a.note), "asked %s, cut to %s: what the caches hold",
				 vr_format_size(bytes, s[0], sizeof(s[0])),
				 vr_format_size(cap, s[1], sizeof(s[1])));
			bytes = cap;
		}
		r = do_reclaim(g, &a, bytes);
		break;
	}
	a.duration_usec = g->clock() - t0;
	a.error = r;
	snapshot(g, &a.after, NULL);
	record(g, &a);
	vr_action_record_format(&a, line, sizeof(line));
	/* The interface's own line is the warning; this one says which
	 * action it cost, once, and nothing more on every retry. */
	level = r >= 0 ? VR_LOG_INFO : r == prev_error ? VR_LOG_DEBUG : VR_LOG_NOTICE;
	vr_log(level, "%s", line);
	kmsg = kmsg_path(g, kbuf, sizeof(kbuf));
	if (kind == VR_ACTION_COMPACT && r == 0 && kmsg && g->iface[VR_IF_KMSG].error == 0) {
		char s[4][VR_SIZE_STR_MAX];

		if (a.before.buddy_valid && a.after.buddy_valid)
			vr_guest_iface(g, VR_IF_KMSG,
				       vr_kmsg(kmsg, VR_LOG_INFO,
					       "vmreclaimd: compaction done in %llu ms: reportable %s -> %s, stranded %s -> %s",
					       (unsigned long long)(a.duration_usec / 1000),
					       vr_format_size(a.before.reportable_bytes, s[0], sizeof(s[0])),
					       vr_format_size(a.after.reportable_bytes, s[1], sizeof(s[1])),
					       vr_format_size(a.before.stranded_bytes, s[2], sizeof(s[2])),
					       vr_format_size(a.after.stranded_bytes, s[3], sizeof(s[3]))));
	}
	if (ret)
		*ret = a;
	return r;
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

/* Memory touched and freed to wake the reporting worker: 16 huge pages,
 * more than the per-CPU free lists keep (so the frees reach the buddy
 * allocator), and little against the free memory that makes lowering the
 * order worth while (vr_auto_stranded_min()). */
#define WAKE_BYTES (32 * VR_MIB)

/* Write page_reporting_order; after lowering it, wake the worker. */
static void set_order(struct vr_guest *g, unsigned order)
{
	unsigned from = g->reporting.order;
	char v[16];
	int r;

	snprintf(v, sizeof(v), "%u", order);
	r = vr_sys_write(&g->sys, VR_REPORTING_ORDER_PATH, v);
	vr_guest_iface(g, VR_IF_REPORTING_ORDER, r);
	if (r < 0) {
		/* Nothing changed: the order is what it was.  A failed
		 * lowering holds nothing; a failed way back up leaves the
		 * order low, to be tried again after another hold. */
		if (order < from) {
			g->autost.lowered = false;
		} else if (g->order_lowered) {
			g->autost.lowered = true;
			g->autost.lowered_usec = g->clock();
		}
		return;
	}
	g->reporting.order = order;
	g->order_lowered = g->base_order_known && order < g->base_order;
	vr_info("page_reporting_order %u -> %u: %s", from, order, g->autost.frag_why);
	if (order < from && g->sys.ops->wake_reporting) {
		r = g->sys.ops->wake_reporting(g->sys.ops_user, WAKE_BYTES);
		if (r < 0)
			vr_notice("could not wake free page reporting (%s): it runs at the next large free",
				  strerror(-r));
	}
}

/* The WSL modes' input that does not depend on meminfo: @mode, the idle
 * state after event @ev, pressure, the floor and this period's record. */
static void policy_input(const struct vr_guest *g, enum vr_mode mode, enum vr_idle_event ev,
			 uint64_t now, struct vr_policy_input *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	/* A failing compact_memory is tried again once per idle period, not
	 * after every step. */
	in->compaction = vr_guest_compaction_enabled(&g->cfg) &&
			 (g->iface[VR_IF_COMPACT].error == 0 || ev == VR_IDLE_ENTER);
	in->idle = g->idle.idle;
	in->idle_entered = ev == VR_IDLE_ENTER;
	in->pressure = now < g->pressure_until_usec;
	in->floor_bytes = g->cfg.reclaim_floor_bytes;
	in->period = g->period;
}

/* Run g->last_plan and record in g->period what it did. */
static void run_policy_plan(struct vr_guest *g)
{
	unsigned i;

	if (g->last_plan.exhausted)
		g->period.exhausted = true;
	for (i = 0; i < g->last_plan.n; i++) {
		struct vr_action_record a;
		int r = vr_guest_act(g, g->last_plan.step[i].kind, g->last_plan.step[i].bytes,
				     VR_TRIGGER_IDLE, &a);

		if (a.kind == VR_ACTION_DROPCACHE)
			g->period.dropped = true;
		if (a.kind == VR_ACTION_RECLAIM && a.partial)
			/* The kernel found no more to take; try again in
			 * the next idle period, not on every tick. */
			g->period.exhausted = true;
		if (a.kind == VR_ACTION_RECLAIM && r < 0)
			/* Dropcache for the rest of this period; the next
			 * one tries memory.reclaim again. */
			g->period.reclaim_failed = true;
	}
}

/* autoMemoryReclaim = auto (see auto.h). */
static void auto_tick(struct vr_guest *g, enum vr_idle_event ev, uint64_t now)
{
	struct vr_auto_settings st = {
		.settle_usec = g->cfg.idle_usec,
		.order_min = g->cfg.reporting_order_min,
		/* A failing compact_memory is tried again once per idle
		 * period, as in the WSL modes, not never again. */
		/* A failing compact_memory is tried again once per idle
		 * period, or once per settle time (fragments are also handed
		 * back outside idle periods). */
		.compaction = vr_guest_compaction_enabled(&g->cfg) &&
			      (g->iface[VR_IF_COMPACT].error == 0 || ev == VR_IDLE_ENTER ||
			       now - g->compact_failed_usec >= g->cfg.idle_usec),
	};
	struct vr_auto_input in = { .now_usec = now, .idle = g->idle.idle, .page_size = g->page_size };
	struct vr_buddyinfo b;
	struct vr_meminfo m;
	struct vr_vmstat vs;
	struct vr_auto_plan plan;
	unsigned i;
	int r;

	in.pressure = now < g->pressure_until_usec;
	r = vr_meminfo_read(&g->sys, &m);
	vr_guest_iface(g, VR_IF_MEMINFO, r);
	if (r == 0) {
		in.have_meminfo = true;
		in.total_bytes = m.total_bytes;
		in.free_bytes = m.free_bytes;
		in.active_file_bytes = m.active_file_bytes;
		in.inactive_file_bytes = m.inactive_file_bytes;
		st.step_bytes = vr_policy_step_bytes(g->cfg.reclaim_step_bytes, m.total_bytes);
	}
	r = vr_vmstat_read(&g->sys, &vs);
	/* Readable but without the refault counter (empty, cut short):
	 * auto is as blind as without the file, and status says so. */
	if (r == 0 && !vs.have_refault)
		r = -ENODATA;
	vr_guest_iface(g, VR_IF_VMSTAT, r);
	if (r == 0) {
		in.have_refault = true;
		in.refault_bytes = vs.refault_file_pages * g->page_size;
	}
	in.reclaim_unusable_why = g->period.reclaim_failed
					  ? "memory.reclaim failed in this idle period"
				  : !in.have_refault ? "no refault counter in /proc/vmstat"
						     : reclaim_unusable(g, in.have_meminfo ? &m : NULL);
	in.reclaim_usable = in.reclaim_unusable_why == NULL;
	/* The buddy lists only matter to an idle VM or one whose free memory
	 * has settled, or to put the order back. */
	if (g->idle.idle || g->order_lowered ||
	    now - g->autost.free_changed_usec >= g->cfg.idle_usec) {
		r = vr_buddyinfo_read(&g->sys, &b);
		vr_guest_iface(g, VR_IF_BUDDYINFO, r);
		if (r == 0)
			in.buddy = &b;
	}
	in.reporting = g->reporting.registered && g->base_order_known;
	/* A failing page_reporting_order is tried again once per idle
	 * period, not on every tick. */
	in.order_writable = g->reporting.order_writable &&
			    (g->iface[VR_IF_REPORTING_ORDER].error == 0 || ev == VR_IDLE_ENTER);
	in.base_order = g->base_order;
	in.order = g->reporting.order;

	vr_auto_decide(&g->autost, &st, &in, &plan);
	if (!in.reclaim_usable && g->cfg.mode == VR_MODE_AUTO) {
		/* Without a usable memory.reclaim the cache is handled as
		 * gradual handles it: dropcache once per idle period. */
		struct vr_policy_input pin;

		policy_input(g, VR_MODE_GRADUAL, ev, now, &pin);
		/* auto's own retry rule, which includes the idle period's */
		pin.compaction = st.compaction;
		pin.have_meminfo = in.have_meminfo;
		pin.file_cache_bytes = in.have_meminfo ? vr_meminfo_file_cache(&m) : 0;
		pin.step_bytes = st.step_bytes;
		pin.reclaim_unusable_why = in.reclaim_unusable_why;
		vr_policy_decide(&pin, &g->last_plan);
		run_policy_plan(g);
	} else {
		memset(&g->last_plan, 0, sizeof(g->last_plan));
		snprintf(g->last_plan.why, sizeof(g->last_plan.why), "%s", g->autost.cache_why);
	}
	for (i = 0; i < plan.n; i++) {
		struct vr_action_record a;

		switch (plan.step[i].kind) {
		case VR_AUTO_RECLAIM:
			r = vr_guest_act(g, VR_ACTION_RECLAIM, plan.step[i].bytes, VR_TRIGGER_AUTO, &a);
			if (r < 0)
				g->period.reclaim_failed = true;
			else if (a.partial)
				/* EAGAIN: what is left is not reclaimable now;
				 * ask again after a settle time, not on every
				 * tick. */
				g->autost.partial_until_usec = now + g->cfg.idle_usec;
			break;
		case VR_AUTO_COMPACT:
			r = vr_guest_act(g, VR_ACTION_COMPACT, 0, VR_TRIGGER_AUTO, &a);
			if (r == 0 && a.before.buddy_valid && a.after.buddy_valid)
				vr_auto_compacted(&g->autost,
						  vr_sat_sub(a.after.reportable_bytes,
							     a.before.reportable_bytes),
						  a.before.stranded_bytes);
			else
				vr_auto_compacted(&g->autost, 0, a.before.stranded_bytes);
			if (r < 0)
				g->compact_failed_usec = now;
			break;
		case VR_AUTO_SET_ORDER:
			set_order(g, plan.step[i].order);
			break;
		}
	}
}

void vr_guest_shutdown(struct vr_guest *g)
{
	if (g->order_lowered) {
		snprintf(g->autost.frag_why, sizeof(g->autost.frag_why), "the service is stopping");
		set_order(g, g->base_order);
	}
}

void vr_guest_tick(struct vr_guest *g)
{
	struct vr_policy_input in = { 0 };
	struct vr_cpustat cs;
	struct vr_meminfo m;
	enum vr_idle_event ev;
	uint64_t now = g->clock();
	int r;

	uint64_t self = g->self_cpu_usec ? g->self_cpu_usec() : 0;
	uint64_t self_ticks = vr_sat_sub(self, g->self_cpu_prev_usec) * g->clk_tck / VR_USEC_PER_SEC;

	g->self_cpu_prev_usec = self;
	g->ticks++;
	r = vr_cpustat_read(&g->sys, &cs);
	vr_guest_iface(g, VR_IF_STAT, r);
	ev = r == 0 ? vr_idle_update(&g->idle, now, &cs, self_ticks) : vr_idle_reset(&g->idle);
	if (ev == VR_IDLE_ENTER) {
		memset(&g->period, 0, sizeof(g->period));
		refresh_reporting(g);
		vr_info("idle: CPU below %g%% for %llu s", g->idle.threshold_pct,
			(unsigned long long)(g->idle.window_usec / VR_USEC_PER_SEC));
	} else if (ev == VR_IDLE_LEAVE) {
		vr_info("busy again: CPU %.1f%%", g->idle.last_busy_pct);
	}

	if (g->cfg.mode == VR_MODE_AUTO) {
		auto_tick(g, ev, now);
		return;
	}
	if (g->order_lowered) {
		/* The mode changed (a reload) while auto had the order down. */
		snprintf(g->autost.frag_why, sizeof(g->autost.frag_why), "mode is no longer auto");
		set_order(g, g->base_order);
	}
	policy_input(g, g->cfg.mode, ev, now, &in);
	if (in.idle && !in.pressure && g->cfg.mode != VR_MODE_DISABLED) {
		/* Only an idle VM pays for reading meminfo. */
		r = vr_meminfo_read(&g->sys, &m);
		vr_guest_iface(g, VR_IF_MEMINFO, r);
		in.have_meminfo = r == 0;
		if (in.have_meminfo) {
			in.file_cache_bytes = vr_meminfo_file_cache(&m);
			in.step_bytes = vr_policy_step_bytes(g->cfg.reclaim_step_bytes, m.total_bytes);
		}
		in.reclaim_unusable_why = g->period.reclaim_failed
						  ? "memory.reclaim failed in this idle period"
						  : reclaim_unusable(g, in.have_meminfo ? &m : NULL);
		in.reclaim_usable = in.reclaim_unusable_why == NULL;
	}
	vr_policy_decide(&in, &g->last_plan);
	run_policy_plan(g);
}

/* The state in a word, and why, for status. */
static void describe_state(const struct vr_guest *g, uint64_t now, const char **ret_state,
			   char *why, size_t size)
{
	uint64_t quiet = vr_idle_quiet_usec(&g->idle, now);

	if (g->iface[VR_IF_STAT].error < 0) {
		*ret_state = "unknown";
		snprintf(why, size, "/proc/stat unreadable: idle tracking stopped");
	} else if (g->idle.idle) {
		*ret_state = "idle";
		snprintf(why, size, "%s", g->last_plan.why);
	} else if (!g->idle.have_busy) {
		*ret_state = "starting";
		snprintf(why, size, "waiting for the first CPU sample");
	} else if (g->idle.last_busy_pct >= g->idle.threshold_pct) {
		*ret_state = "busy";
		snprintf(why, size, "CPU %.2f%% >= idleThreshold %g%%", g->idle.last_busy_pct,
			 g->idle.threshold_pct);
	} else {
		*ret_state = "settling";
		snprintf(why, size, "CPU below %g%% for %llu s of the %llu s needed",
			 g->idle.threshold_pct, (unsigned long long)(quiet / VR_USEC_PER_SEC),
			 (unsigned long long)(g->idle.window_usec / VR_USEC_PER_SEC));
	}
}

static void status_text(struct vr_guest *g, FILE *f, const struct vr_memsnap *s,
			const struct vr_meminfo *m, uint64_t now, const char *state, const char *why)
{
	char a[VR_SIZE_STR_MAX], b[VR_SIZE_STR_MAX], c[VR_SIZE_STR_MAX], line[512];
	unsigned i;

	fprintf(f, "vmreclaimd %s, up %llu s\n", VERSION_STRING,
		(unsigned long long)((now - g->started_usec) / VR_USEC_PER_SEC));
	fprintf(f, "mode:        %s (compaction %s)\n", vr_mode_name(g->cfg.mode),
		vr_guest_compaction_enabled(&g->cfg) ? "on" : "off");
	fprintf(f, "state:       %s: %s\n", state, why);
	if (g->cfg.mode == VR_MODE_AUTO && g->ticks) {
		const struct vr_auto *au = &g->autost;

		fprintf(f, "cache:       %s\n", au->cache_why);
		fprintf(f, "fragments:   %s\n", au->frag_why);
		fprintf(f, "working set: reserve %s; %llu refault episodes after reclaim (%s read back)\n",
			vr_format_size(au->reserve_bytes, a, sizeof(a)),
			(unsigned long long)au->refault_events,
			vr_format_size(au->refaulted_bytes, b, sizeof(b)));
		fprintf(f, "order:       %u now, %u to go back to; lowered %llu times\n",
			g->reporting.order, g->base_order, (unsigned long long)au->order_lowerings);
	}
	if (now < g->pressure_until_usec)
		fprintf(f, "pressure:    guest memory pressure, idle reclaim holds off %llu s more\n",
			(unsigned long long)((g->pressure_until_usec - now) / VR_USEC_PER_SEC));
	if (s->valid) {
		fprintf(f, "memory:      total %s, free %s, available %s\n",
			vr_format_size(m->total_bytes, a, sizeof(a)),
			vr_format_size(m->free_bytes, b, sizeof(b)),
			vr_format_size(m->available_bytes, c, sizeof(c)));
		fprintf(f, "file cache:  %s (Active+Inactive(file) + SReclaimable), dirty %s\n",
			vr_format_size(s->file_cache_bytes, a, sizeof(a)),
			vr_format_size(m->dirty_bytes, b, sizeof(b)));
		if (s->buddy_valid)
			fprintf(f, "free blocks: reportable %s, stranded %s (below order %u)\n",
				vr_format_size(s->reportable_bytes, a, sizeof(a)),
				vr_format_size(s->stranded_bytes, b, sizeof(b)), reporting_order(g));
		else
			fprintf(f, "free blocks: unknown (/proc/buddyinfo unreadable)\n");
	}
	if (g->reporting.registered)
		fprintf(f, "reporting:   order %u%s, balloon: %s\n", g->reporting.order,
			g->reporting.order_writable ? "" : " (read-only)",
			vr_balloon_state_name(g->reporting.balloon));
	else if (g->reporting.order_known)
		fprintf(f, "reporting:   no driver registered (order reads %u), balloon: %s\n",
			g->reporting.order, vr_balloon_state_name(g->reporting.balloon));
	else
		fprintf(f, "reporting:   not in this kernel, balloon: %s\n",
			vr_balloon_state_name(g->reporting.balloon));
	fprintf(f, "reclaim via: %s\n",
		g->cgroup.has_reclaim ? (g->cgroup.swappiness ? "memory.reclaim swappiness=0"
							      : "memory.reclaim (no swappiness=)")
				      : "drop_caches only");
	for (i = 0; i < VR_IF_COUNT; i++)
		if (g->iface[i].error < 0)
			fprintf(f, "degraded:    %s: %s (failed %llu times); %s\n", ifaces[i].path,
				vr_strerror(g->iface[i].error), (unsigned long long)g->iface[i].failures,
				ifaces[i].consequence);
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		const struct vr_action_totals *t = &g->totals[i];

		fprintf(f, "%-12s %llu runs, %llu failed, %s %s\n", vr_action_name((enum vr_action_kind)i),
			(unsigned long long)t->runs, (unsigned long long)t->failures,
			i == VR_ACTION_COMPACT ? "reportable gained" : "released",
			vr_format_size(t->bytes, a, sizeof(a)));
	}
	fprintf(f, "host:        %s; %llu requests, %llu refused\n",
		g->channel_open ? "guest channel open" : "no guest channel",
		(unsigned long long)g->host_requests, (unsigned long long)g->host_refused);
	fprintf(f, "idle periods: %llu, samples: %llu\n", (unsigned long long)g->idle.periods,
		(unsigned long long)g->ticks);
	if (g->history_count)
		fprintf(f, "last actions:\n");
	for (i = 0; i < g->history_count; i++) {
		const struct vr_action_record *r = history_at(g, i);
		time_t t = (time_t)r->wall_sec;
		struct tm tm;
		char when[32];

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
		else
			snprintf(when, sizeof(when), "?");
		vr_action_record_format(r, line, sizeof(line));
		fprintf(f, "  %s %s\n", when, line);
	}
}

/* The two gauges from buddyinfo, or nulls when it could not be read. */
static void json_gauges(struct vr_json *j, const struct vr_memsnap *s)
{
	if (s->buddy_valid) {
		vr_json_u64(j, "reportable_bytes", s->reportable_bytes);
		vr_json_u64(j, "stranded_bytes", s->stranded_bytes);
	} else {
		vr_json_null(j, "reportable_bytes");
		vr_json_null(j, "stranded_bytes");
	}
}

static void json_snap(struct vr_json *j, const char *key, const struct vr_memsnap *s)
{
	if (!s->valid) {
		vr_json_null(j, key);
		return;
	}
	vr_json_open(j, key);
	vr_json_u64(j, "free_bytes", s->free_bytes);
	vr_json_u64(j, "file_cache_bytes", s->file_cache_bytes);
	json_gauges(j, s);
	vr_json_close(j);
}

static void status_json(struct vr_guest *g, FILE *f, const struct vr_memsnap *s,
			const struct vr_meminfo *m, uint64_t now, const char *state, const char *why)
{
	struct vr_json j;
	unsigned i;

	vr_json_init(&j, f);
	vr_json_open(&j, NULL);
	vr_json_str(&j, "version", VERSION_STRING);
	vr_json_u64(&j, "uptime_sec", (now - g->started_usec) / VR_USEC_PER_SEC);
	vr_json_str(&j, "mode", vr_mode_name(g->cfg.mode));
	vr_json_bool(&j, "compaction", vr_guest_compaction_enabled(&g->cfg));
	vr_json_str(&j, "state", state);
	vr_json_str(&j, "why", why);
	vr_json_double(&j, "busy_pct", g->idle.have_busy ? g->idle.last_busy_pct : 0.0);
	vr_json_double(&j, "idle_threshold_pct", g->idle.threshold_pct);
	vr_json_u64(&j, "quiet_sec", vr_idle_quiet_usec(&g->idle, now) / VR_USEC_PER_SEC);
	vr_json_u64(&j, "idle_sec_needed", g->idle.window_usec / VR_USEC_PER_SEC);
	vr_json_u64(&j, "idle_periods", g->idle.periods);
	vr_json_u64(&j, "samples", g->ticks);
	vr_json_bool(&j, "pressure", now < g->pressure_until_usec);
	vr_json_u64(&j, "pressure_events", g->pressure_events);
	if (s->valid) {
		vr_json_open(&j, "memory");
		vr_json_u64(&j, "total_bytes", m->total_bytes);
		vr_json_u64(&j, "free_bytes", m->free_bytes);
		vr_json_u64(&j, "available_bytes", m->available_bytes);
		vr_json_u64(&j, "file_cache_bytes", s->file_cache_bytes);
		vr_json_u64(&j, "dirty_bytes", m->dirty_bytes);
		vr_json_u64(&j, "swap_total_bytes", m->swap_total_bytes);
		json_gauges(&j, s);
		vr_json_close(&j);
	} else {
		vr_json_null(&j, "memory");
	}
	if (g->cfg.mode == VR_MODE_AUTO) {
		vr_json_open(&j, "auto");
		vr_json_str(&j, "cache", g->autost.cache_why);
		vr_json_str(&j, "fragments", g->autost.frag_why);
		vr_json_u64(&j, "reserve_bytes", g->autost.reserve_bytes);
		vr_json_u64(&j, "refault_events", g->autost.refault_events);
		vr_json_u64(&j, "refaulted_bytes", g->autost.refaulted_bytes);
		vr_json_u64(&j, "order_lowerings", g->autost.order_lowerings);
		vr_json_bool(&j, "order_lowered", g->order_lowered);
		vr_json_u64(&j, "base_order", g->base_order);
		vr_json_close(&j);
	} else {
		vr_json_null(&j, "auto");
	}
	vr_json_open(&j, "host_channel");
	vr_json_bool(&j, "open", g->channel_open);
	vr_json_u64(&j, "requests", g->host_requests);
	vr_json_u64(&j, "refused", g->host_refused);
	vr_json_close(&j);
	vr_json_open(&j, "reporting");
	vr_json_bool(&j, "available", g->reporting.order_known);
	vr_json_bool(&j, "registered", g->reporting.registered);
	if (g->reporting.order_known)
		vr_json_u64(&j, "order", g->reporting.order);
	else
		vr_json_null(&j, "order");
	vr_json_bool(&j, "order_writable", g->reporting.order_writable);
	vr_json_str(&j, "balloon", vr_balloon_state_name(g->reporting.balloon));
	vr_json_close(&j);
	vr_json_open(&j, "reclaim_interface");
	vr_json_bool(&j, "cgroup2", g->cgroup.v2);
	vr_json_bool(&j, "memory_reclaim", g->cgroup.has_reclaim);
	vr_json_bool(&j, "swappiness", g->cgroup.swappiness);
	vr_json_bool(&j, "psi_trigger", g->psi_available);
	vr_json_close(&j);
	vr_json_array(&j, "degraded");
	for (i = 0; i < VR_IF_COUNT; i++) {
		if (g->iface[i].error >= 0)
			continue;
		vr_json_open(&j, NULL);
		vr_json_str(&j, "interface", ifaces[i].path);
		vr_json_str(&j, "error", vr_strerror(g->iface[i].error));
		vr_json_u64(&j, "failures", g->iface[i].failures);
		vr_json_str(&j, "consequence", ifaces[i].consequence);
		vr_json_close(&j);
	}
	vr_json_end_array(&j);
	vr_json_open(&j, "totals");
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		vr_json_open(&j, vr_action_name((enum vr_action_kind)i));
		vr_json_u64(&j, "runs", g->totals[i].runs);
		vr_json_u64(&j, "failures", g->totals[i].failures);
		vr_json_u64(&j, "bytes", g->totals[i].bytes);
		vr_json_close(&j);
	}
	vr_json_close(&j);
	vr_json_array(&j, "history");
	for (i = 0; i < g->history_count; i++) {
		const struct vr_action_record *r = history_at(g, i);

		vr_json_open(&j, NULL);
		vr_json_str(&j, "action", vr_action_name(r->kind));
		vr_json_str(&j, "trigger", trigger_name(r->trigger));
		vr_json_i64(&j, "time", r->wall_sec);
		vr_json_u64(&j, "duration_usec", r->duration_usec);
		vr_json_i64(&j, "error", r->error);
		vr_json_bool(&j, "partial", r->partial);
		vr_json_u64(&j, "requested_bytes", r->requested_bytes);
		json_snap(&j, "before", &r->before);
		json_snap(&j, "after", &r->after);
		vr_json_str(&j, "note", r->note);
		vr_json_close(&j);
	}
	vr_json_end_array(&j);
	vr_json_close(&j);
}

void vr_guest_status(struct vr_guest *g, FILE *f, bool json)
{
	struct vr_meminfo m = { 0 };
	struct vr_memsnap s;
	const char *state;
	char why[256];
	uint64_t now = g->clock();

	refresh_reporting(g);
	snapshot(g, &s, &m);
	describe_state(g, now, &state, why, sizeof(why));
	if (json)
		status_json(g, f, &s, &m, now, state, why);
	else
		status_text(g, f, &s, &m, now, state, why);
}

static void metric(FILE *f, const char *name, const char *type, const char *help, const char *labels,
		   double value)
{
	if (help)
		fprintf(f, "# HELP vmreclaim_%s %s\n# TYPE vmreclaim_%s %s\n", name, help, name, type);
	fprintf(f, "vmreclaim_%s%s %.17g\n", name, labels ? labels : "", value);
}

void vr_guest_metrics(struct vr_guest *g, FILE *f)
{
	struct vr_meminfo m = { 0 };
	struct vr_memsnap s;
	uint64_t now = g->clock();
	char labels[96];
	unsigned i;

	snapshot(g, &s, &m);
	metric(f, "up_seconds", "gauge", "Seconds since vmreclaimd started.", NULL,
	       (double)((now - g->started_usec) / VR_USEC_PER_SEC));
	metric(f, "idle", "gauge", "1 while the VM counts as idle.", NULL, g->idle.idle ? 1 : 0);
	metric(f, "busy_percent", "gauge", "Busy CPU in the last sample, percent of all CPUs.", NULL,
	       g->idle.have_busy ? g->idle.last_busy_pct : 0);
	metric(f, "pressure", "gauge", "1 while the guest's own memory pressure holds reclaim off.",
	       NULL, now < g->pressure_until_usec ? 1 : 0);
	if (s.valid) {
		metric(f, "memory_total_bytes", "gauge", "MemTotal.", NULL, (double)m.total_bytes);
		metric(f, "memory_free_bytes", "gauge", "MemFree.", NULL, (double)m.free_bytes);
		metric(f, "memory_available_bytes", "gauge", "MemAvailable.", NULL,
		       (double)m.available_bytes);
		metric(f, "file_cache_bytes", "gauge",
		       "Active(file) + Inactive(file) + SReclaimable.", NULL,
		       (double)s.file_cache_bytes);
	}
	if (s.buddy_valid) {
		metric(f, "reportable_bytes", "gauge",
		       "Free memory in blocks of the reporting order or larger.", NULL,
		       (double)s.reportable_bytes);
		metric(f, "stranded_bytes", "gauge",
		       "Free memory in blocks below the reporting order: never reported.", NULL,
		       (double)s.stranded_bytes);
	}
	if (g->reporting.registered) {
		metric(f, "reporting_order", "gauge", "page_reporting_order now.", NULL,
		       g->reporting.order);
		metric(f, "reporting_order_base", "gauge", "The kernel's own page_reporting_order.",
		       NULL, g->base_order);
	}
	metric(f, "idle_periods_total", "counter", "Idle periods entered.", NULL,
	       (double)g->idle.periods);
	metric(f, "pressure_events_total", "counter", "Guest memory pressure triggers.", NULL,
	       (double)g->pressure_events);
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		metric(f, "actions_total", "counter", i ? NULL : "Actions run.", labels,
		       (double)g->totals[i].runs);
	}
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		metric(f, "action_failures_total", "counter", i ? NULL : "Actions that failed.", labels,
		       (double)g->totals[i].failures);
	}
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		metric(f, "action_bytes_total", "counter",
		       i ? NULL
			 : "Compaction: reportable memory gained; dropcache and reclaim: cache released.",
		       labels, (double)g->totals[i].bytes);
	}
	if (g->cfg.mode == VR_MODE_AUTO) {
		metric(f, "auto_reserve_bytes", "gauge",
		       "Inactive file cache auto keeps because reclaimed pages were read back.", NULL,
		       (double)g->autost.reserve_bytes);
		metric(f, "auto_refault_events_total", "counter",
		       "Times pages were read back after an auto reclaim.", NULL,
		       (double)g->autost.refault_events);
		metric(f, "auto_refaulted_bytes_total", "counter",
		       "Bytes read back after auto reclaims.", NULL,
		       (double)g->autost.refaulted_bytes);
		metric(f, "auto_order_lowerings_total", "counter",
		       "Times auto lowered page_reporting_order.", NULL,
		       (double)g->autost.order_lowerings);
	}
	for (i = 0; i < VR_IF_COUNT; i++) {
		snprintf(labels, sizeof(labels), "{interface=\"%s\"}", ifaces[i].name);
		metric(f, "interface_degraded", "gauge",
		       i ? NULL : "1 while a kernel interface fails.", labels,
		       g->iface[i].error < 0 ? 1 : 0);
	}
}

int vr_guest_metrics_file(struct vr_guest *g, const char *path)
{
	struct vr_outfile o;
	char err[256];
	FILE *f;
	int fd, r;

	/* metricsFile may sit in a directory others can write: the temporary
	 * file has a random name and O_EXCL, nothing there is followed,
	 * truncated or waited on (a FIFO), and only a regular file is
	 * replaced. */
	r = vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, VR_OUTFILE_NOSYNC, NULL, err, sizeof(err));
	if (r < 0)
		goto out;
	fd = dup(o.fd);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		vr_outfile_abort(&o);
		goto out;
	}
	vr_guest_metrics(g, f);
	if (fflush(f) != 0 || ferror(f))
		r = -(errno ? errno : EIO);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0)
		vr_outfile_abort(&o);
	else
		r = vr_outfile_commit(&o, err, sizeof(err));
out:
	vr_guest_iface(g, VR_IF_METRICS, r);
	return r;
}

/* What the host may know of the guest: its memory, its cache, its free
 * blocks. */
static void chan_status(struct vr_guest *g, char *reply, size_t size)
{
	struct vr_meminfo m = { 0 };
	struct vr_memsnap s;

	snapshot(g, &s, &m);
	if (!s.valid) {
		snprintf(reply, size, "error: /proc/meminfo unreadable\n");
		return;
	}
	snprintf(reply, size,
		 "ok total=%llu available=%llu cache=%llu reportable=%llu stranded=%llu order=%u "
		 "version=" VERSION_STRING " mode=%s\n",
		 (unsigned long long)m.total_bytes, (unsigned long long)m.available_bytes,
		 (unsigned long long)s.file_cache_bytes, (unsigned long long)s.reportable_bytes,
		 (unsigned long long)s.stranded_bytes, reporting_order(g), vr_mode_name(g->cfg.mode));
}

/* The host is short of memory and asks for up to @bytes now: cold cache
 * (what auto would take, without waiting for it to settle), compaction,
 * and, in auto, a lower reporting order for stranded blocks.  Never
 * while the guest itself is short of memory. */
static void chan_give(struct vr_guest *g, uint64_t bytes, char *reply, size_t size)
{
	uint64_t now = g->clock(), released = 0, gained = 0;
	struct vr_memsnap before, after;
	struct vr_meminfo m = { 0 };
	bool compacted = false;

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
	snapshot(g, &before, &m);
	if (!before.valid) {
		snprintf(reply, size, "error: /proc/meminfo unreadable\n");
		return;
	}
	vr_info("host asks for %llu MiB back", (unsigned long long)(bytes / VR_MIB));
	if (!reclaim_unusable(g, &m)) {
		struct vr_auto_input in = { .active_file_bytes = m.active_file_bytes,
					    .inactive_file_bytes = m.inactive_file_bytes };
		uint64_t keep = g->cfg.mode == VR_MODE_AUTO ? vr_auto_cache_keep(&g->autost, &in)
							    : g->cfg.reclaim_floor_bytes;
		uint64_t have = g->cfg.mode == VR_MODE_AUTO ? m.inactive_file_bytes
							    : before.file_cache_bytes;
		uint64_t take = vr_sat_sub(have, keep);

		if (take > bytes)
			take = bytes;
		if (take >= VR_MIB) {
			vr_guest_act(g, VR_ACTION_RECLAIM, take, VR_TRIGGER_HOST, NULL);
			/* refaults after it count against the working set */
			g->autost.last_reclaim_usec = now ? now : 1;
		}
	} else if (g->cfg.mode != VR_MODE_DISABLED && before.file_cache_bytes > VR_MIB) {
		vr_guest_act(g, VR_ACTION_DROPCACHE, 0, VR_TRIGGER_HOST, NULL);
	}
	snapshot(g, &after, NULL);
	released = vr_sat_sub(before.file_cache_bytes, after.file_cache_bytes);
	if (after.buddy_valid && vr_guest_compaction_enabled(&g->cfg) &&
	    after.stranded_bytes >= vr_auto_stranded_min(m.total_bytes)) {
		struct vr_action_record a;

		if (vr_guest_act(g, VR_ACTION_COMPACT, 0, VR_TRIGGER_HOST, &a) == 0) {
			compacted = true;
			if (a.after.buddy_valid)
				after = a.after;
		}
	}
	if (g->cfg.mode == VR_MODE_AUTO && after.buddy_valid && !g->order_lowered &&
	    g->reporting.registered && g->base_order_known && g->reporting.order_writable &&
	    g->cfg.reporting_order_min < g->base_order &&
	    after.stranded_bytes >= vr_auto_stranded_min(m.total_bytes)) {
		struct vr_auto_input in = { .page_size = g->page_size, .base_order = g->base_order };
		struct vr_buddyinfo b;
		uint64_t left;
		unsigned o;

		if (vr_buddyinfo_read(&g->sys, &b) == 0) {
			char why[160];

			in.buddy = &b;
			o = vr_auto_order_for(&in, g->cfg.reporting_order_min,
					      vr_auto_stranded_min(m.total_bytes), &left);
			snprintf(why, sizeof(why), "the host asked: page_reporting_order lowered to %u", o);
			vr_auto_lowered(&g->autost, now, why);
			set_order(g, o);
			snapshot(g, &after, NULL);
		}
	}
	gained = vr_sat_sub(after.reportable_bytes, before.reportable_bytes);
	snprintf(reply, size,
		 "ok released=%llu reportable_gained=%llu stranded=%llu order=%u compacted=%d\n",
		 (unsigned long long)released, (unsigned long long)gained,
		 (unsigned long long)after.stranded_bytes, reporting_order(g), compacted ? 1 : 0);
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
	else
		chan_give(g, req.bytes, reply, size);
}
