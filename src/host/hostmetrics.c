/* SPDX-License-Identifier: MIT */
/* Host metrics in Prometheus's text exposition format (hostmetrics.h). */
#include "host/hostmetrics.h"

#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct family {
	const char *name;
	const char *help;
	bool guest; /* needs the guest's figures */
	size_t offset; /* of the uint64_t in struct vr_sample */
};

static const struct family families[] = {
	{ "vmreclaim_host_rss_bytes", "Resident memory of the VM process on the host.", false,
	  offsetof(struct vr_sample, rss_bytes) },
	{ "vmreclaim_guest_total_bytes", "Memory the guest sees (MemTotal).", true,
	  offsetof(struct vr_sample, guest_total_bytes) },
	{ "vmreclaim_guest_available_bytes", "Memory the guest could use without paging (MemAvailable).",
	  true, offsetof(struct vr_sample, guest_available_bytes) },
	{ "vmreclaim_guest_free_bytes", "Memory the guest does not use at all (MemFree).", true,
	  offsetof(struct vr_sample, guest_free_bytes) },
	{ "vmreclaim_guest_cache_bytes", "The guest's page cache.", true,
	  offsetof(struct vr_sample, guest_cache_bytes) },
	{ "vmreclaim_guest_used_bytes", "Guest used: total - available.", true,
	  offsetof(struct vr_sample, guest_used_bytes) },
	{ "vmreclaim_stranded_bytes",
	  "Host memory the VM process holds beyond what its guest uses: max(0, host RSS - guest used).",
	  true, offsetof(struct vr_sample, stranded_bytes) },
};

/* vmreclaimd's counters, from its answer on the guest channel: the names
 * of its own metrics file (guest/report.c) under vmreclaim_guest_. */
struct counter_family {
	const char *name;
	const char *help;
	enum vr_chan_counter first;
	bool per_action; /* first and the next two, labelled action="..." */
	bool usec;       /* microseconds, written as seconds */
};

static const struct counter_family counter_families[] = {
	{ "vmreclaim_guest_actions_total", "Actions vmreclaimd ran in the guest.", VR_CC_COMPACT_RUNS,
	  true, false },
	{ "vmreclaim_guest_action_failures_total", "Actions of vmreclaimd that failed.",
	  VR_CC_COMPACT_FAILURES, true, false },
	{ "vmreclaim_guest_action_bytes_total",
	  "Compaction: reportable memory gained; dropcache and reclaim: file cache released.",
	  VR_CC_COMPACT_BYTES, true, false },
	{ "vmreclaim_guest_action_cpu_seconds_total",
	  "CPU the actions took in vmreclaimd's context: the kernel's compaction and reclaim.",
	  VR_CC_COMPACT_CPU_USEC, true, true },
	{ "vmreclaim_guest_idle_periods_total", "Idle periods vmreclaimd entered.", VR_CC_IDLE_PERIODS,
	  false, false },
	{ "vmreclaim_guest_pressure_events_total", "Guest memory pressure triggers.",
	  VR_CC_PRESSURE_EVENTS, false, false },
	{ "vmreclaim_guest_pcp_drains_total",
	  "Drains of the guest's per-CPU free lists into the buddy allocator.", VR_CC_PCP_DRAINS,
	  false, false },
	{ "vmreclaim_guest_auto_refault_events_total",
	  "Times pages were read back after an auto reclaim.", VR_CC_AUTO_REFAULT_EVENTS, false, false },
	{ "vmreclaim_guest_auto_refaulted_bytes_total", "Bytes read back after auto reclaims.",
	  VR_CC_AUTO_REFAULTED_BYTES, false, false },
	{ "vmreclaim_guest_auto_slab_returned_bytes_total",
	  "Reclaimable slab returned by auto's slab drops.", VR_CC_AUTO_SLAB_RETURNED_BYTES, false, false },
	{ "vmreclaim_guest_auto_slab_drops_total", "Times auto dropped the reclaimable slab.",
	  VR_CC_AUTO_SLAB_DROPS, false, false },
	{ "vmreclaim_guest_auto_slab_reuse_events_total",
	  "Times the slab came back soon after an auto drop (auto backed off).",
	  VR_CC_AUTO_SLAB_REUSE_EVENTS, false, false },
	{ "vmreclaim_guest_auto_order_lowerings_total", "Times auto lowered page_reporting_order.",
	  VR_CC_AUTO_ORDER_LOWERINGS, false, false },
	{ "vmreclaim_guest_pcp_drain_cpu_seconds_total",
	  "CPU the per-CPU list drains and the reporting wake-ups took in vmreclaimd's context, mostly the kernel's.",
	  VR_CC_PCP_CPU_USEC, false, true },
};

/* The per-action counters' labels, in enum vr_chan_counter's order. */
_Static_assert(VR_CC_DROPCACHE_RUNS == VR_CC_COMPACT_RUNS + 1 &&
		       VR_CC_RECLAIM_RUNS == VR_CC_COMPACT_RUNS + 2 &&
		       VR_CC_DROPCACHE_FAILURES == VR_CC_COMPACT_FAILURES + 1 &&
		       VR_CC_RECLAIM_FAILURES == VR_CC_COMPACT_FAILURES + 2 &&
		       VR_CC_DROPCACHE_BYTES == VR_CC_COMPACT_BYTES + 1 &&
		       VR_CC_RECLAIM_BYTES == VR_CC_COMPACT_BYTES + 2 &&
		       VR_CC_DROPCACHE_CPU_USEC == VR_CC_COMPACT_CPU_USEC + 1 &&
		       VR_CC_RECLAIM_CPU_USEC == VR_CC_COMPACT_CPU_USEC + 2,
	       "per-action counters: compact, dropcache, reclaim in a row");
static const char *const actions[] = { "compact", "dropcache", "reclaim" };

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* One sample: NAME{vm="...",backend="..."[,action="..."]} VALUE, a
 * whole number, or with @usec microseconds as seconds (exact: no
 * floating point between). */
static void sample(FILE *f, const char *name, const struct vr_hostmetrics_row *row,
		   const char *action, uint64_t v, bool usec)
{
	fprintf(f, "%s{vm=\"", name);
	label(f, row->s.vm);
	fputs("\",backend=\"", f);
	label(f, row->backend);
	if (action)
		fprintf(f, "\",action=\"%s", action);
	if (usec)
		fprintf(f, "\"} %llu.%06llu\n", (unsigned long long)(v / VR_USEC_PER_SEC),
			(unsigned long long)(v % VR_USEC_PER_SEC));
	else
		fprintf(f, "\"} %llu\n", (unsigned long long)v);
}

int vr_hostmetrics_write(FILE *f, const struct vr_hostmetrics_row *rows, size_t n)
{
	size_t i, j, k;

	fprintf(f, "# HELP vmreclaim_vms VMs seen by vmreclaim top.\n# TYPE vmreclaim_vms gauge\n"
		   "vmreclaim_vms %zu\n",
		n);
	for (k = 0; k < VR_ARRAY_SIZE(families); k++) {
		const struct family *m = &families[k];

		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", m->name, m->help, m->name);
		for (i = 0; i < n; i++) {
			const struct vr_sample *s = &rows[i].s;

			if (m->guest && !s->have_guest)
				continue;
			sample(f, m->name, &rows[i], NULL,
			       *(const uint64_t *)(const void *)((const char *)s + m->offset), false);
		}
	}
	/* A family's samples together, as the format asks: VM by VM
	 * within it. */
	for (k = 0; k < VR_ARRAY_SIZE(counter_families); k++) {
		const struct counter_family *m = &counter_families[k];
		size_t per = m->per_action ? VR_ARRAY_SIZE(actions) : 1;

		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", m->name, m->help, m->name);
		for (i = 0; i < n; i++) {
			const struct vr_chan_counters *c = &rows[i].counters;

			for (j = 0; j < per; j++) {
				unsigned id = (unsigned)m->first + (unsigned)j;

				if (c->have & (1u << id))
					sample(f, m->name, &rows[i], m->per_action ? actions[j] : NULL,
					       c->value[id], m->usec);
			}
		}
	}
	return ferror(f) ? -EIO : 0;
}
