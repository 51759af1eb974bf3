/* SPDX-License-Identifier: MIT */
/* The actions (compaction, cache drop, memory.reclaim) and the reporting
 * order write: running a policy's steps, the memory each saw, the record
 * and history of what they did, and the lines they leave in the logs. */
#include "guest/guest.h"
#include "guest/orderstate.h"
#include "common/log.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

void vr_guest_snapshot(struct vr_guest *g, struct vr_memsnap *s, struct vr_meminfo *ret_mem)
{
	struct vr_meminfo m;
	struct vr_buddyinfo b;
	struct vr_free_split sp;
	int r;

	memset(s, 0, sizeof(*s));
	r = vr_meminfo_read(&g->sys.fs, &m);
	vr_guest_iface(g, VR_IF_MEMINFO, r);
	if (r < 0)
		return;
	if (ret_mem)
		*ret_mem = m;
	s->free_bytes = m.free_bytes;
	s->file_cache_bytes = vr_meminfo_file_cache(&m);
	s->valid = true;
	r = vr_buddyinfo_read(&g->sys.fs, &b);
	vr_guest_iface(g, VR_IF_BUDDYINFO, r);
	if (r < 0)
		return;
	vr_buddyinfo_split(&b, vr_guest_reporting_order(g), g->page_size, &sp);
	s->buddy_valid = true;
	s->reportable_bytes = sp.reportable_bytes;
	s->stranded_bytes = sp.stranded_bytes;
}

/* Why memory.reclaim cannot be used, or NULL when it can.  Without
 * swappiness=0 the kernel may swap anonymous memory out, which the
 * service must never cause on its own. */
const char *vr_guest_reclaim_unusable(const struct vr_guest *g, const struct vr_meminfo *m)
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
const struct vr_action_record *vr_guest_history_at(const struct vr_guest *g, unsigned i)
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
	t->cpu_usec += a->cpu_usec;
	if (a->error >= 0)
		g->acted_runs++;
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

const char *vr_trigger_name(enum vr_trigger t)
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

	n = snprintf(buf, size, "%s (%s)", vr_action_name(a->kind), vr_trigger_name(a->trigger));
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

static int do_dropcache(struct vr_guest *g, unsigned value)
{
	char v[4];
	int r;

	snprintf(v, sizeof(v), "%u", value);
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
	uint64_t t0, cpu0;
	int r;

	a.wall_sec = vr_wall_sec();
	vr_guest_snapshot(g, &a.before, &m);
	t0 = g->clock();
	cpu0 = vr_sys_cpu_usec(&g->sys);
	switch (kind) {
	case VR_ACTION_COMPACT:
		r = do_compact(g);
		break;
	case VR_ACTION_DROPCACHE:
		/* 1-3: what the policy asked for (auto's slab drop); else
		 * dropCacheValue */
		if (bytes >= 1 && bytes <= 3)
			snprintf(a.note, sizeof(a.note), "drop_caches=%u", (unsigned)bytes);
		r = do_dropcache(g, bytes >= 1 && bytes <= 3 ? (unsigned)bytes
							      : g->set.drop_cache_value);
		break;
	case VR_ACTION_RECLAIM:
	default:
		why_not = vr_guest_reclaim_unusable(g, a.before.valid ? &m : NULL);
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
	a.cpu_usec = vr_sat_sub(vr_sys_cpu_usec(&g->sys), cpu0);
	a.error = r;
	vr_guest_snapshot(g, &a.after, NULL);
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

/* Memory touched and freed to wake the reporting worker when the per-CPU
 * lists cannot be drained around it: 16 huge pages, little against the
 * free memory that makes lowering the order worth while
 * (vr_auto_stranded_min()).  The per-CPU free lists keep what they can of
 * it (27 MiB a CPU on Debian's 6.1 in a 2 GiB guest): the rest reaches the
 * buddy allocator and wakes the worker. */
#define WAKE_BYTES (32 * VR_MIB)

/* The same inside a drain of the lists (vr_pcp_drain_wake()): one huge
 * page, a block of order 9, above any order the service lowers to.  It is
 * the service's peak RSS apart from its own 300 KiB; the 32 MiB above made
 * it 33 MiB. */
#define WAKE_IN_DRAIN_BYTES (2 * VR_MIB)

#define THP_ENABLED_PATH "/sys/kernel/mm/transparent_hugepage/enabled"

/* Whether the wake-up's memory comes as base pages: THP "never", or a
 * kernel built without it (no such file).  One huge page's worth of base
 * pages comes from the smallest free blocks and, freed, may merge only
 * into blocks below the order: then it wakes nothing, where WAKE_BYTES
 * takes more than the blocks below the order hold (what lowering it left
 * there, a few MiB) and so splits larger blocks, whose pieces merge back
 * at or above the order.  Read at each wake-up: an administrator may
 * switch it at any time; any other failure is taken as huge pages on. */
static bool wake_base_pages(const struct vr_guest *g)
{
	char buf[128];
	int r = vr_sys_read_head(&g->sys, THP_ENABLED_PATH, buf, sizeof(buf));

	if (r == -ENOENT)
		return true;
	return r == 0 && strstr(buf, "[never]") != NULL;
}

/* After the order went down: the worker runs only when a block at or above
 * the order is freed, and the free blocks below the old order are there
 * already.  Inside a drain where the lists can be drained, else the larger
 * wake-up and a drain at the next tick (its pages stay on a list, where
 * nothing reports them, until then). */
static void wake_reporting(struct vr_guest *g)
{
	uint64_t cpu0 = vr_sys_cpu_usec(&g->sys);
	int r, w = -ECANCELED;

	if (!g->sys.ops->wake_reporting)
		return;
	if (g->set.drain_pcp && g->reporting.registered && g->pcp_available) {
		r = vr_pcp_drain_wake(&g->sys, wake_base_pages(g) ? WAKE_BYTES : WAKE_IN_DRAIN_BYTES, &w);
		vr_guest_iface(g, VR_IF_PCP, r);
		if (w == -ECANCELED) {
			g->pcp.failures++; /* nothing drained: no gap either */
		} else {
			/* and a drain asked for before this one is done */
			vr_pcp_record(&g->pcp, g->now_usec, r);
			if (r >= 0)
				g->pcp.pending = false;
		}
	}
	if (w == -ECANCELED) {
		w = g->sys.ops->wake_reporting(g->sys.ops_user, WAKE_BYTES);
		if (w == 0)
			g->pcp.pending = true; /* the tick's pcp_tick() drains */
	}
	g->pcp.cpu_usec += vr_sat_sub(vr_sys_cpu_usec(&g->sys), cpu0);
	if (w < 0)
		vr_notice("could not wake free page reporting (%s): it runs at the next large free",
			  strerror(-w));
}

int vr_guest_set_order(struct vr_guest *g, unsigned order, const char *why)
{
	unsigned from = g->reporting.order;
	char v[16];
	int r;

	bool hold = g->base_order_known && order < g->base_order && !g->order_lowered;

	/* The order to go back to is on disk before the order goes down
	 * (orderstate.h). */
	if (hold && !g->sys.ops->dry_run) {
		/* Not lowered without it: a kill during the hold would leave
		 * the order low for good. */
		r = vr_order_state_save(&g->sys, g->base_order);
		vr_guest_iface(g, VR_IF_ORDER_STATE, r);
		if (r < 0)
			return r;
	}
	snprintf(v, sizeof(v), "%u", order);
	r = vr_sys_write(&g->sys, VR_REPORTING_ORDER_PATH, v);
	vr_guest_iface(g, VR_IF_REPORTING_ORDER, r);
	if (r < 0 && hold && !g->sys.ops->dry_run)
		vr_order_state_clear(&g->sys);
	if (r < 0)
		return r;
	g->reporting.order = order;
	if (g->order_lowered && !(g->base_order_known && order < g->base_order) && !g->sys.ops->dry_run)
		vr_guest_iface(g, VR_IF_ORDER_STATE, vr_order_state_clear(&g->sys));
	g->order_lowered = g->base_order_known && order < g->base_order;
	vr_info("page_reporting_order %u -> %u: %s", from, order, why ? why : "");
	if (order < from)
		wake_reporting(g);
	return 0;
}

int vr_guest_step(struct vr_guest *g, const struct vr_step *s, struct vr_action_record *ret)
{
	const struct vr_policy_ops *p = g->set.policy;
	struct vr_action_record a;
	int r;

	if (s->kind == VR_STEP_SET_ORDER) {
		r = vr_guest_set_order(g, s->order, s->why);
		if (p->result)
			p->result(g, s, NULL, r);
		return r;
	}
	r = vr_guest_act(g, (enum vr_action_kind)s->kind, s->bytes, s->trigger, &a);
	if (p->result)
		p->result(g, s, &a, r);
	if (ret)
		*ret = a;
	return r;
}

void vr_guest_run(struct vr_guest *g, const struct vr_plan *p)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		vr_guest_step(g, &p->step[i], NULL);
}
