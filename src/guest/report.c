/* SPDX-License-Identifier: MIT */
/* The report: status text, status JSON and Prometheus metrics, each
 * rendered from one view of the service's state. */
#include "guest/guest.h"
#include "common/json.h"
#include "common/log.h"
#include "common/outfile.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One view of the service's state, read once for a report. */
struct view {
	const struct vr_guest *g;
	const struct vr_policy_ops *policy;
	uint64_t now;
	struct vr_memsnap s;
	struct vr_meminfo m; /* when s.valid */
	const char *state;   /* in a word */
	char why[256];
};

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

static void status_text(const struct view *v, FILE *f)
{
	const struct vr_guest *g = v->g;
	const struct vr_memsnap *s = &v->s;
	const struct vr_meminfo *m = &v->m;
	uint64_t now = v->now;
	const struct vr_policy_ops *policy = v->policy;
	const char *state = v->state, *why = v->why;
	char a[VR_SIZE_STR_MAX], b[VR_SIZE_STR_MAX], c[VR_SIZE_STR_MAX], line[512];
	unsigned i;

	fprintf(f, "vmreclaimd %s, up %llu s\n", VERSION_STRING,
		(unsigned long long)((now - g->started_usec) / VR_USEC_PER_SEC));
	fprintf(f, "mode:        %s (compaction %s)\n", vr_mode_name(g->set.mode),
		g->set.compaction ? "on" : "off");
	fprintf(f, "state:       %s: %s\n", state, why);
	if (policy->status_text)
		policy->status_text(g, f);
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
				vr_format_size(s->stranded_bytes, b, sizeof(b)), vr_guest_reporting_order(g));
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
	vr_guest_lru_gen_describe(g, line, sizeof(line));
	fprintf(f, "lru:         %s\n", line);
	fprintf(f, "reclaim via: %s\n",
		g->cgroup.has_reclaim ? (g->cgroup.swappiness ? "memory.reclaim swappiness=0"
							      : "memory.reclaim (no swappiness=)")
				      : "drop_caches only");
	for (i = 0; i < VR_IF_COUNT; i++)
		if (g->iface[i].error < 0)
			fprintf(f, "degraded:    %s: %s (failed %llu times); %s\n", vr_iface_path((enum vr_iface)i),
				vr_strerror(g->iface[i].error), (unsigned long long)g->iface[i].failures,
				vr_iface_consequence((enum vr_iface)i));
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		const struct vr_action_totals *t = &g->totals[i];

		fprintf(f, "%-12s %llu runs, %llu failed, %s %s, kernel CPU %llu ms\n",
			vr_action_name((enum vr_action_kind)i), (unsigned long long)t->runs,
			(unsigned long long)t->failures, i == VR_ACTION_COMPACT ? "reportable gained" : "released",
			vr_format_size(t->bytes, a, sizeof(a)), (unsigned long long)(t->cpu_usec / 1000));
	}
	fprintf(f, "host:        %s; %llu requests, %llu refused\n",
		g->channel_open ? "guest channel open" : "no guest channel",
		(unsigned long long)g->host_requests, (unsigned long long)g->host_refused);
	fprintf(f, "idle periods: %llu, samples: %llu\n", (unsigned long long)g->idle.periods,
		(unsigned long long)g->ticks);
	if (g->pcp_available)
		fprintf(f, "per-CPU lists: drained %llu times, %llu failed; %llu ms CPU with the wake-ups\n",
			(unsigned long long)g->pcp.drains, (unsigned long long)g->pcp.failures,
			(unsigned long long)(g->pcp.cpu_usec / 1000));
	else
		fprintf(f, "per-CPU lists: not drained (no vm.percpu_pagelist_high_fraction: Linux < 5.14)\n");
	if (g->history_count)
		fprintf(f, "last actions:\n");
	for (i = 0; i < g->history_count; i++) {
		const struct vr_action_record *r = vr_guest_history_at(g, i);
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

static void status_json(const struct view *v, FILE *f)
{
	const struct vr_guest *g = v->g;
	const struct vr_memsnap *s = &v->s;
	const struct vr_meminfo *m = &v->m;
	uint64_t now = v->now;
	const struct vr_policy_ops *policy = v->policy;
	const char *state = v->state, *why = v->why;
	struct vr_json j;
	unsigned i;

	vr_json_init(&j, f);
	vr_json_open(&j, NULL);
	vr_json_str(&j, "version", VERSION_STRING);
	vr_json_u64(&j, "uptime_sec", (now - g->started_usec) / VR_USEC_PER_SEC);
	vr_json_str(&j, "mode", vr_mode_name(g->set.mode));
	vr_json_bool(&j, "compaction", g->set.compaction);
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
	vr_json_open(&j, "pcp");
	vr_json_bool(&j, "available", g->pcp_available);
	vr_json_u64(&j, "drains", g->pcp.drains);
	vr_json_u64(&j, "failures", g->pcp.failures);
	vr_json_u64(&j, "cpu_usec", g->pcp.cpu_usec);
	vr_json_close(&j);
	/* lru_gen_enabled: the kernel's caps as read or written (null: no
	 * multi-gen LRU, or unreadable); restore_value: what goes back at
	 * exit while switched_off */
	vr_json_open(&j, "lru");
	vr_json_str(&j, "setting", g->cfg.multi_gen_lru == VR_MULTI_GEN_LRU_OFF ? "off" : "keep");
	if (g->lru_gen.present)
		vr_json_u64(&j, "lru_gen_enabled", g->lru_gen.caps);
	else
		vr_json_null(&j, "lru_gen_enabled");
	vr_json_bool(&j, "multi_gen", g->lru_gen.present && (g->lru_gen.caps & VR_LRU_GEN_CORE));
	vr_json_bool(&j, "switched_off", g->lru_gen.switched);
	if (g->lru_gen.switched)
		vr_json_u64(&j, "restore_value", g->lru_gen.orig_caps);
	else
		vr_json_null(&j, "restore_value");
	vr_json_close(&j);
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
	/* One section of the schema belongs to the policy, "auto"; the
	 * others leave it null. */
	if (policy->status_json)
		policy->status_json(g, &j);
	else
		vr_json_null(&j, "auto");
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
		vr_json_str(&j, "interface", vr_iface_path((enum vr_iface)i));
		vr_json_str(&j, "error", vr_strerror(g->iface[i].error));
		vr_json_u64(&j, "failures", g->iface[i].failures);
		vr_json_str(&j, "consequence", vr_iface_consequence((enum vr_iface)i));
		vr_json_close(&j);
	}
	vr_json_end_array(&j);
	vr_json_open(&j, "totals");
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		vr_json_open(&j, vr_action_name((enum vr_action_kind)i));
		vr_json_u64(&j, "runs", g->totals[i].runs);
		vr_json_u64(&j, "failures", g->totals[i].failures);
		vr_json_u64(&j, "bytes", g->totals[i].bytes);
		vr_json_u64(&j, "cpu_usec", g->totals[i].cpu_usec);
		vr_json_close(&j);
	}
	vr_json_close(&j);
	vr_json_array(&j, "history");
	for (i = 0; i < g->history_count; i++) {
		const struct vr_action_record *r = vr_guest_history_at(g, i);

		vr_json_open(&j, NULL);
		vr_json_str(&j, "action", vr_action_name(r->kind));
		vr_json_str(&j, "trigger", vr_trigger_name(r->trigger));
		vr_json_i64(&j, "time", r->wall_sec);
		vr_json_u64(&j, "duration_usec", r->duration_usec);
		vr_json_u64(&j, "cpu_usec", r->cpu_usec);
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

static void view_build(struct vr_guest *g, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->g = g;
	v->policy = g->set.policy;
	v->now = g->clock();
	vr_guest_snapshot(g, &v->s, &v->m);
	describe_state(g, v->now, &v->state, v->why, sizeof(v->why));
}

void vr_guest_status(struct vr_guest *g, FILE *f, bool json)
{
	struct view v;

	vr_guest_refresh_reporting(g);
	view_build(g, &v);
	if (json)
		status_json(&v, f);
	else
		status_text(&v, f);
}

void vr_metric(FILE *f, const char *name, const char *type, const char *help, const char *labels,
		   double value)
{
	if (help)
		fprintf(f, "# HELP vmreclaim_%s %s\n# TYPE vmreclaim_%s %s\n", name, help, name, type);
	fprintf(f, "vmreclaim_%s%s %.17g\n", name, labels ? labels : "", value);
}

static void metrics(const struct view *v, FILE *f)
{
	const struct vr_guest *g = v->g;
	const struct vr_memsnap *s = &v->s;
	const struct vr_meminfo *m = &v->m;
	uint64_t now = v->now;
	const struct vr_policy_ops *policy = v->policy;
	char labels[96];
	unsigned i;

	vr_metric(f, "up_seconds", "gauge", "Seconds since vmreclaimd started.", NULL,
	       (double)((now - g->started_usec) / VR_USEC_PER_SEC));
	vr_metric(f, "idle", "gauge", "1 while the VM counts as idle.", NULL, g->idle.idle ? 1 : 0);
	vr_metric(f, "busy_percent", "gauge",
		  "Busy CPU at the last sample (over its last 4 s or more), percent of all CPUs.",
		  NULL, g->idle.have_busy ? g->idle.last_busy_pct : 0);
	vr_metric(f, "pressure", "gauge", "1 while the guest's own memory pressure holds reclaim off.",
	       NULL, now < g->pressure_until_usec ? 1 : 0);
	if (s->valid) {
		vr_metric(f, "memory_total_bytes", "gauge", "MemTotal.", NULL, (double)m->total_bytes);
		vr_metric(f, "memory_free_bytes", "gauge", "MemFree.", NULL, (double)m->free_bytes);
		vr_metric(f, "memory_available_bytes", "gauge", "MemAvailable.", NULL,
		       (double)m->available_bytes);
		vr_metric(f, "file_cache_bytes", "gauge",
		       "Active(file) + Inactive(file) + SReclaimable.", NULL,
		       (double)s->file_cache_bytes);
	}
	if (s->buddy_valid) {
		vr_metric(f, "reportable_bytes", "gauge",
		       "Free memory in blocks of the reporting order or larger.", NULL,
		       (double)s->reportable_bytes);
		vr_metric(f, "stranded_bytes", "gauge",
		       "Free memory in blocks below the reporting order: never reported.", NULL,
		       (double)s->stranded_bytes);
	}
	if (g->reporting.registered) {
		vr_metric(f, "reporting_order", "gauge", "page_reporting_order now.", NULL,
		       g->reporting.order);
		vr_metric(f, "reporting_order_base", "gauge", "The kernel's own page_reporting_order.",
		       NULL, g->base_order);
	}
	vr_metric(f, "idle_periods_total", "counter", "Idle periods entered.", NULL,
	       (double)g->idle.periods);
	vr_metric(f, "pressure_events_total", "counter", "Guest memory pressure triggers.", NULL,
	       (double)g->pressure_events);
	if (g->lru_gen.present)
		vr_metric(f, "lru_gen_enabled", "gauge",
			  "/sys/kernel/mm/lru_gen/enabled as a number: 0 = the classic LRU.", NULL,
			  g->lru_gen.caps);
	vr_metric(f, "lru_gen_switched_off", "gauge",
		  "1 while the service holds the multi-gen LRU off (multiGenLru = off).", NULL,
		  g->lru_gen.switched ? 1 : 0);
	vr_metric(f, "pcp_drains_total", "counter",
		  "Drains of the per-CPU free lists into the buddy allocator.", NULL,
		  (double)g->pcp.drains);
	vr_metric(f, "pcp_drain_cpu_seconds_total", "counter",
		  "CPU the drains and the reporting wake-ups took in the service's context, mostly the kernel's.",
		  NULL, (double)g->pcp.cpu_usec / 1e6);
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		vr_metric(f, "actions_total", "counter", i ? NULL : "Actions run.", labels,
		       (double)g->totals[i].runs);
	}
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		vr_metric(f, "action_failures_total", "counter", i ? NULL : "Actions that failed.", labels,
		       (double)g->totals[i].failures);
	}
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		vr_metric(f, "action_bytes_total", "counter",
		       i ? NULL
			 : "Compaction: reportable memory gained; dropcache and reclaim: cache released.",
		       labels, (double)g->totals[i].bytes);
	}
	for (i = 0; i < VR_ACTION_KINDS; i++) {
		snprintf(labels, sizeof(labels), "{action=\"%s\"}", vr_action_name((enum vr_action_kind)i));
		vr_metric(f, "action_cpu_seconds_total", "counter",
			  i ? NULL
			    : "CPU the actions took in the service's context: the kernel's compaction and reclaim, "
			      "apart from the service's own work.",
			  labels, (double)g->totals[i].cpu_usec / 1e6);
	}
	if (policy->metrics)
		policy->metrics(g, f);
	for (i = 0; i < VR_IF_COUNT; i++) {
		snprintf(labels, sizeof(labels), "{interface=\"%s\"}", vr_iface_name((enum vr_iface)i));
		vr_metric(f, "interface_degraded", "gauge",
		       i ? NULL : "1 while a kernel interface fails.", labels,
		       g->iface[i].error < 0 ? 1 : 0);
	}
}

void vr_guest_metrics(struct vr_guest *g, FILE *f)
{
	struct view v;

	view_build(g, &v);
	metrics(&v, f);
}

int vr_guest_metrics_file(struct vr_guest *g, const char *path)
{
	struct vr_outfile o;
	char err[256];
	FILE *f;
	int r;

	/* metricsFile may sit in a directory others can write: the temporary
	 * file has a random name and O_EXCL, nothing there is followed,
	 * truncated or waited on (a FIFO), and only a regular file is
	 * replaced. */
	r = vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, VR_OUTFILE_NOSYNC, NULL, err, sizeof(err));
	if (r < 0)
		goto out;
	f = vr_outfile_stream(&o);
	if (!f) {
		r = -errno;
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
