/* SPDX-License-Identifier: MIT */
/* The guest service over a fake /proc + /sys tree with a fake clock: what
 * each mode writes, in which order, and how it degrades when the kernel
 * says no. */
#include "helpers.h"
#include "common/util.h"
#include "guest/guest.h"
#include "guest/orderstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>

#define SEC VR_USEC_PER_SEC
#define MIB VR_MIB

struct fx {
	char *root;
	struct rec rec;
	struct vr_config cfg;
	struct vr_guest g;
	struct log_catch log;
	uint64_t busy, idle; /* fake /proc/stat counters */
};

static void put_meminfo(struct fx *f, uint64_t file_mib, uint64_t swap_mib)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "MemTotal:        2030000 kB\nMemFree:          %llu kB\nMemAvailable:    1800000 kB\n"
		 "Cached:           %llu kB\nSwapCached:            0 kB\nActive(file):     %llu kB\n"
		 "Inactive(file):   %llu kB\nSwapTotal:        %llu kB\nSwapFree:         %llu kB\n"
		 "Dirty:                 0 kB\nSReclaimable:     %llu kB\n",
		 (unsigned long long)(2030000 - file_mib * 1024 - 50000), (unsigned long long)(file_mib * 1024),
		 (unsigned long long)(file_mib * 1024 / 2), (unsigned long long)(file_mib * 1024 / 2 - 8 * 1024),
		 (unsigned long long)(swap_mib * 1024), (unsigned long long)(swap_mib * 1024),
		 (unsigned long long)(8 * 1024));
	fake_put(f->root, "/proc/meminfo", buf);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fake_tree_new();
	rec_init(&f->rec, f->root);
	vr_config_defaults(&f->cfg);
	f->cfg.idle_usec = 20 * SEC;
	f->cfg.sample_usec = 5 * SEC;
	f->busy = 1000;
	f->idle = 100000;
	fake_now_usec = 1000 * SEC;
	log_catch_start(&f->log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	log_catch_stop();
	fake_tree_free(f->root);
	free(f);
	return 0;
}

static void start(struct fx *f)
{
	assert_int_equal(vr_guest_init(&f->g, &f->cfg, f->root, &rec_ops, &f->rec, fake_clock), 0);
}

/* Advance the clock by one sample interval with @busy_pct CPU, and tick. */
static void tick(struct fx *f, unsigned busy_pct)
{
	fake_now_usec += f->cfg.sample_usec;
	f->busy += 5 * busy_pct;
	f->idle += 5 * (100 - busy_pct);
	fake_cpu(f->root, f->busy, f->idle);
	vr_guest_tick(&f->g);
}

static const char *writes(struct fx *f)
{
	static char buf[4096];

	return rec_summary(&f->rec, buf, sizeof(buf));
}

static void test_probe(void **state)
{
	struct fx *f = *state;

	start(f);
	assert_true(f->g.reporting.order_known);
	assert_int_equal(f->g.reporting.order, 9);
	assert_int_equal(f->g.reporting.balloon, VR_BALLOON_REPORTING);
	assert_true(f->g.cgroup.v2);
	assert_true(f->g.cgroup.has_reclaim);
	assert_true(f->g.cgroup.swappiness);
	/* The probe asks for 0 bytes: it reclaims nothing anywhere. */
	assert_string_equal(writes(f), "memory.reclaim=0 swappiness=0");
}

static void test_probe_old_kernel(void **state)
{
	struct fx *f = *state;

	rec_fail_on(&f->rec, "/memory.reclaim", "0 swappiness", -EINVAL, -1);
	start(f);
	assert_true(f->g.cgroup.has_reclaim);
	assert_false(f->g.cgroup.swappiness);
}

/* Nothing is written while the CPU is busy, in the WSL modes (auto
 * reclaims cold cache while busy: see test_auto_busy). */
static void test_busy_writes_nothing(void **state)
{
	struct fx *f = *state;
	static const enum vr_mode modes[] = { VR_MODE_DISABLED, VR_MODE_DROPCACHE, VR_MODE_GRADUAL };
	size_t m;
	int i;

	put_meminfo(f, 1024, 0);
	for (m = 0; m < VR_ARRAY_SIZE(modes); m++) {
		f->cfg.mode = modes[m];
		start(f);
		rec_clear(&f->rec);
		for (i = 0; i < 100; i++)
			tick(f, i % 10 == 0 ? 1 : 30); /* 1% is not below 1% */
		assert_int_equal(f->rec.n, 0);
		assert_false(f->g.idle.idle);
	}
}

static void test_disabled_mode(void **state)
{
	struct fx *f = *state;
	char *kmsg;
	int i;

	f->cfg.mode = VR_MODE_DISABLED;
	start(f);
	rec_clear(&f->rec);
	tick(f, 0); /* baseline */
	for (i = 0; i < 3; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 0);
	tick(f, 0); /* 20 s quiet: idle */
	assert_true(f->g.idle.idle);
	assert_string_equal(writes(f), "compact_memory=1");
	for (i = 0; i < 10; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 1);
	kmsg = fake_get(f->root, "/dev/kmsg");
	assert_non_null(strstr(kmsg, "<6>vmreclaimd: Performing memory compaction"));
	assert_non_null(strstr(kmsg, "vmreclaimd: compaction done in "));
	assert_non_null(strstr(kmsg, "reportable "));
	free(kmsg);
	assert_int_equal(f->g.totals[VR_ACTION_COMPACT].runs, 1);
	/* Busy, then 20 s quiet again: one more compaction. */
	tick(f, 50);
	for (i = 0; i < 3; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 1);
	tick(f, 0);
	assert_int_equal(f->rec.n, 2);
}

static void test_dropcache_mode(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_DROPCACHE;
	f->cfg.drop_cache_value = 3;
	put_meminfo(f, 1024, 0);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "drop_caches=3;compact_memory=1");
	for (i = 0; i < 20; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 2); /* once per idle period */
	tick(f, 80);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "drop_caches=3;compact_memory=1;drop_caches=3;compact_memory=1");
	assert_int_equal(f->g.totals[VR_ACTION_DROPCACHE].runs, 2);
}

static void test_gradual_mode(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1024, 0);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	/* MemTotal ~1.9 GiB: step = 256 MiB (the RAM/32 clamp). */
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0;compact_memory=1");
	tick(f, 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0;compact_memory=1;"
				       "memory.reclaim=268435456 swappiness=0;compact_memory=1");
	/* The cache came down to just above the floor: the last step is what
	 * is left above it. */
	put_meminfo(f, 150, 0);
	rec_clear(&f->rec);
	tick(f, 0);
	assert_string_equal(writes(f), "memory.reclaim=23068672 swappiness=0;compact_memory=1");
	/* At the floor: nothing more in this period. */
	put_meminfo(f, 128, 0);
	rec_clear(&f->rec);
	for (i = 0; i < 10; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 0);
	assert_true(f->g.period.exhausted);
}

static void test_gradual_eagain_stops_period(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1024, 0);
	rec_fail_on(&f->rec, "/memory.reclaim", "268435456", -EAGAIN, 1);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0;compact_memory=1");
	assert_true(f->g.history[0].partial);
	assert_int_equal(f->g.history[0].error, 0);
	assert_int_equal(f->g.totals[VR_ACTION_RECLAIM].failures, 0);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 2);
	/* No warning for EAGAIN: it is not an error. */
	assert_int_equal(f->log.by_level[VR_LOG_WARNING], 0);
	/* The next idle period tries again. */
	tick(f, 90);
	for (i = 0; i < 4; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 4);
}

/* Linux < 6.11 with swap: memory.reclaim could swap, so gradual falls back
 * to dropcache, and says so. */
static void test_gradual_old_kernel_with_swap(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1024, 512);
	rec_fail_on(&f->rec, "/memory.reclaim", "0 swappiness", -EINVAL, -1);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 8; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "drop_caches=1;compact_memory=1");
	assert_non_null(strstr(f->g.last_plan.why, "swap on"));
	assert_int_equal(f->g.history[0].kind, VR_ACTION_DROPCACHE);
}

/* Linux < 6.11 without swap: plain memory.reclaim is safe. */
static void test_gradual_old_kernel_no_swap(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1024, 0);
	rec_fail_on(&f->rec, "/memory.reclaim", "0 swappiness", -EINVAL, -1);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456;compact_memory=1");
}

static void test_cgroup_v1_falls_back(void **state)
{
	struct fx *f = *state;
	int i;

	fake_rm(f->root, "/sys/fs/cgroup/cgroup.controllers");
	fake_rm(f->root, "/sys/fs/cgroup/memory.reclaim");
	f->cfg.mode = VR_MODE_AUTO;
	put_meminfo(f, 1024, 0);
	start(f);
	assert_false(f->g.cgroup.v2);
	assert_int_equal(f->rec.n, 0); /* no probe without the file */
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "drop_caches=1;compact_memory=1");
	assert_true(log_catch_count(&f->log, "cgroup v2 not mounted") == 1);
}

/* idleThreshold = 0 turns idle compaction off (WSL 19013); reclaim still
 * runs, with the 1% default for idleness. */
static void test_idle_threshold_zero(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	f->cfg.idle_threshold_pct = 0;
	put_meminfo(f, 1024, 0);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0");
	f->cfg.mode = VR_MODE_DISABLED;
	vr_guest_reconfigure(&f->g, &f->cfg);
	rec_clear(&f->rec);
	for (i = 0; i < 10; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 0);
}

static void test_compaction_false(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_DROPCACHE;
	f->cfg.compaction = false;
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 10; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "drop_caches=1");
}

/* A knob that fails is logged once, not on every idle period; status says
 * what degraded; the service goes on, and notices the recovery. */
static void test_failing_knob_logged_once(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int i, period;

	f->cfg.mode = VR_MODE_DROPCACHE;
	rec_fail_on(&f->rec, "/compact_memory", NULL, -EACCES, 3);
	start(f);
	for (period = 0; period < 3; period++) {
		tick(f, 70);
		for (i = 0; i < 5; i++)
			tick(f, 0);
	}
	assert_int_equal(f->g.totals[VR_ACTION_COMPACT].failures, 3);
	assert_int_equal(f->g.totals[VR_ACTION_DROPCACHE].runs, 3);
	assert_int_equal(log_catch_count(&f->log, "compact_memory: Permission denied"), 1);
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, false);
	fclose(out);
	assert_non_null(strstr(buf, "degraded:    /proc/sys/vm/compact_memory: Permission denied (failed 3 times); no compaction"));
	free(buf);
	/* Works again on the fourth. */
	tick(f, 70);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_int_equal(log_catch_count(&f->log, "compact_memory works again"), 1);
	assert_int_equal(f->g.iface[VR_IF_COMPACT].error, 0);
}

static void test_missing_files(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	fake_rm(f->root, "/sys/module/page_reporting/parameters/page_reporting_order");
	fake_rm(f->root, "/proc/stat");
	start(f);
	assert_false(f->g.reporting.order_known);
	assert_int_equal(log_catch_count(&f->log, "no free page reporting"), 1);
	for (i = 0; i < 20; i++) {
		fake_now_usec += 5 * SEC;
		vr_guest_tick(&f->g);
	}
	/* Never idle without /proc/stat, one warning for twenty failures. */
	assert_int_equal(f->rec.n, 1); /* the probe only */
	assert_int_equal(log_catch_count(&f->log, "/proc/stat: No such file"), 1);
	assert_int_equal(f->g.iface[VR_IF_STAT].failures, 20);
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, true);
	fclose(out);
	assert_non_null(strstr(buf, "\"state\":\"unknown\""));
	assert_non_null(strstr(buf, "\"interface\":\"/proc/stat\""));
	assert_non_null(strstr(buf, "\"order\":null"));
	free(buf);
}

/* Page cache with the given LRU lists, @slab_mib of reclaimable slab,
 * and little else. */
static void put_lru_slab(struct fx *f, uint64_t active_mib, uint64_t inactive_mib,
			 uint64_t slab_mib)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "MemTotal:        2030000 kB\nMemFree:         %llu kB\nMemAvailable:    1800000 kB\n"
		 "Active(file):    %llu kB\nInactive(file):  %llu kB\nSwapTotal:             0 kB\n"
		 "SwapFree:              0 kB\nDirty:                 0 kB\nSReclaimable:     %llu kB\n",
		 (unsigned long long)(2030000 - (active_mib + inactive_mib + slab_mib) * 1024 - 50000),
		 (unsigned long long)(active_mib * 1024), (unsigned long long)(inactive_mib * 1024),
		 (unsigned long long)(slab_mib * 1024));
	fake_put(f->root, "/proc/meminfo", buf);
}

static void put_lru(struct fx *f, uint64_t active_mib, uint64_t inactive_mib)
{
	put_lru_slab(f, active_mib, inactive_mib, 8);
}

static void put_refaults(struct fx *f, uint64_t pages)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "nr_free_pages 1000\nworkingset_refault_anon 0\n"
		 "workingset_refault_file %llu\nworkingset_activate_file 0\n",
		 (unsigned long long)pages);
	fake_put(f->root, "/proc/vmstat", buf);
}

/* auto reclaims cold cache while the CPU is busy, once the cache has
 * stopped growing, and never compacts or touches the order then. */
static void test_auto_busy(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	put_lru(f, 64, 600);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 4; i++)
		tick(f, 80);
	assert_int_equal(f->rec.n, 0); /* 20 s steady is needed */
	tick(f, 80);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0");
	assert_int_equal(f->g.history[0].trigger, VR_TRIGGER_AUTO);
	assert_false(f->g.idle.idle);
	/* reclaimed pages read back: a back-off, said in status */
	tick(f, 80);
	put_refaults(f, 5120); /* 20 MiB */
	tick(f, 80);
	assert_int_equal(f->g.autost.refault_events, 1);
	rec_clear(&f->rec);
	for (i = 0; i < 10; i++)
		tick(f, 80);
	assert_int_equal(f->rec.n, 0);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&buf, &len);

		vr_guest_status(&f->g, mf, false);
		fclose(mf);
		assert_non_null(strstr(buf, "cache:       backing off"));
		assert_non_null(strstr(buf, "1 refault episodes after reclaim (20 MiB read back)"));
		free(buf);
	}
}

/* Free memory in blocks too small to report: compact, then lower the
 * order and wake the worker, raise it again after the hold; and on the
 * way out the kernel's order is put back. */
static void test_auto_fragmented(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	f->rec.passthrough = true;
	/* a file cache auto leaves alone even once quiet (16 MiB): only
	 * the fragments are acted on */
	put_lru(f, 8, 8);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 4; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "");
	tick(f, 0); /* idle */
	assert_string_equal(writes(f), "compact_memory=1");
	tick(f, 0); /* compaction gained nothing */
	assert_string_equal(writes(f), "compact_memory=1;page_reporting_order=2;wake=33554432");
	assert_true(f->g.order_lowered);
	for (i = 0; i < 11; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 3);
	tick(f, 0); /* 60 s */
	assert_string_equal(writes(f),
			    "compact_memory=1;page_reporting_order=2;wake=33554432;page_reporting_order=9");
	assert_false(f->g.order_lowered);
	for (i = 0; i < 20; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 4);
	/* more fragments later: lowered again, and put back on the way out */
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED_MORE);
	tick(f, 0);
	tick(f, 0);
	assert_true(f->g.order_lowered);
	vr_guest_shutdown(&f->g);
	assert_false(f->g.order_lowered);
	assert_string_equal(f->rec.w[f->rec.n - 1].data, "9");
	assert_int_equal(log_catch_count(&f->log, "page_reporting_order 2 -> 9"), 2);
}

/* The way back up fails once: the order stays low, is tried again after
 * another hold, and then put back; one warning, one recovery notice. */
static void test_auto_order_raise_fails(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	f->rec.passthrough = true;
	put_lru(f, 32, 8);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
	rec_fail_on(&f->rec, "/page_reporting_order", "9", -EBUSY, 1);
	start(f);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_true(f->g.order_lowered);
	for (i = 0; i < 12; i++)
		tick(f, 0);
	/* the raise failed */
	assert_true(f->g.order_lowered);
	assert_int_equal(f->g.reporting.order, 2);
	assert_int_equal(log_catch_count(&f->log, "page_reporting_order: Device or resource busy"), 1);
	for (i = 0; i < 12; i++)
		tick(f, 0);
	assert_false(f->g.order_lowered);
	assert_int_equal(f->g.reporting.order, 9);
	assert_int_equal(log_catch_count(&f->log, "page_reporting_order works again"), 1);
}

/* A read-only page_reporting_order: logged once, nothing else breaks. */
static void test_auto_order_readonly(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	f->cfg.compaction = false;
	put_lru(f, 32, 8);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
	rec_fail_on(&f->rec, "/page_reporting_order", NULL, -EACCES, -1);
	start(f);
	for (i = 0; i < 40; i++)
		tick(f, 0);
	assert_false(f->g.order_lowered);
	assert_int_equal(log_catch_count(&f->log, "page_reporting_order: Permission denied"), 1);
	assert_int_equal(f->g.reporting.order, 9);
}

/* The Prometheus text: every sample line is NAME[{labels}] VALUE, each
 * family has HELP and TYPE once; the file is replaced whole; a file that
 * cannot be written is said once and the service goes on. */
static void test_metrics(void **state)
{
	struct fx *f = *state;
	char *buf = NULL, *line, *save = NULL, path[PATH_MAX], *got;
	size_t len = 0;
	FILE *mf;
	int i, samples = 0;

	f->cfg.mode = VR_MODE_AUTO;
	start(f);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	mf = open_memstream(&buf, &len);
	vr_guest_metrics(&f->g, mf);
	fclose(mf);
	assert_non_null(strstr(buf, "# TYPE vmreclaim_stranded_bytes gauge\n"));
	assert_non_null(strstr(buf, "vmreclaim_idle 1\n"));
	assert_non_null(strstr(buf, "vmreclaim_reporting_order 9\n"));
	assert_non_null(strstr(buf, "vmreclaim_actions_total{action=\"compact\"} "));
	assert_non_null(strstr(buf, "vmreclaim_interface_degraded{interface=\"metrics\"} 0\n"));
	assert_null(strstr(buf, "nan"));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sp = strrchr(line, ' ');

		if (line[0] == '#')
			continue;
		assert_non_null(sp);
		assert_true(strncmp(line, "vmreclaim_", 10) == 0);
		assert_true(sp[1] == '-' || (sp[1] >= '0' && sp[1] <= '9'));
		samples++;
	}
	assert_true(samples > 20);
	free(buf);

	snprintf(path, sizeof(path), "%s/vmreclaim.prom", f->root);
	assert_int_equal(vr_guest_metrics_file(&f->g, path), 0);
	got = fake_get(f->root, "/vmreclaim.prom");
	assert_non_null(strstr(got, "vmreclaim_memory_total_bytes "));
	free(got);
	snprintf(path, sizeof(path), "%s/vmreclaim.prom.tmp", f->root);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", f->root);
	for (i = 0; i < 3; i++)
		assert_int_equal(vr_guest_metrics_file(&f->g, path), -ENOENT);
	assert_int_equal(log_catch_count(&f->log, "metricsFile: No such file"), 1);
	assert_int_equal(f->g.iface[VR_IF_METRICS].failures, 3);
}

/* metricsFile in a directory others can write: a FIFO planted at the old
 * fixed temporary name once blocked the daemon in open(), and a FIFO (or
 * any file that is not a regular one) at the path itself is never
 * replaced. */
static void test_metrics_file_planted(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	char *got;

	start(f);
	snprintf(path, sizeof(path), "%s/vmreclaim.prom", f->root);
	snprintf(tmp, sizeof(tmp), "%s/vmreclaim.prom.tmp", f->root);
	assert_int_equal(mkfifo(tmp, 0666), 0);
	assert_int_equal(vr_guest_metrics_file(&f->g, path), 0);
	got = fake_get(f->root, "/vmreclaim.prom");
	assert_non_null(strstr(got, "vmreclaim_memory_total_bytes "));
	free(got);
	assert_int_equal(lstat(tmp, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(tmp);
	unlink(path);
	assert_int_equal(mkfifo(path, 0666), 0);
	assert_int_equal(vr_guest_metrics_file(&f->g, path), -VR_ENOTREG);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(log_catch_count(&f->log, "not a regular file"), 1);
	unlink(path);
}

static void test_manual_actions_any_mode(void **state)
{
	struct fx *f = *state;
	struct vr_action_record a;

	f->cfg.mode = VR_MODE_DISABLED;
	put_meminfo(f, 1024, 0);
	start(f);
	rec_clear(&f->rec);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_COMPACT, 0, VR_TRIGGER_MANUAL, &a), 0);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_DROPCACHE, 0, VR_TRIGGER_MANUAL, &a), 0);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_RECLAIM, 64 * MIB, VR_TRIGGER_MANUAL, &a), 0);
	assert_int_equal(a.requested_bytes, 64 * MIB);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_RECLAIM, VR_RECLAIM_ALL, VR_TRIGGER_MANUAL, &a), 0);
	/* all = Active(file) + Inactive(file) + SReclaimable */
	assert_int_equal(a.requested_bytes, 1024 * MIB);
	/* 1 GiB goes in 256 MiB chunks. */
	assert_string_equal(writes(f), "compact_memory=1;drop_caches=1;memory.reclaim=67108864 swappiness=0;"
				       "memory.reclaim=268435456 swappiness=0;memory.reclaim=268435456 swappiness=0;"
				       "memory.reclaim=268435456 swappiness=0;memory.reclaim=268435456 swappiness=0");
	assert_true(a.before.valid && a.after.valid);
	assert_int_equal(f->g.history_count, 4);
	/* A failing manual action reports its error. */
	rec_fail_on(&f->rec, "/drop_caches", NULL, -EROFS, 1);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_DROPCACHE, 0, VR_TRIGGER_MANUAL, &a), -EROFS);
	assert_int_equal(a.error, -EROFS);
}

static void test_pressure_holds_off_idle_reclaim(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1024, 0);
	start(f);
	rec_clear(&f->rec);
	tick(f, 0);
	vr_guest_pressure(&f->g);
	for (i = 0; i < 10; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 0);
	assert_non_null(strstr(f->g.last_plan.why, "pressure"));
	/* 60 s later it resumes. */
	for (i = 0; i < 3; i++)
		tick(f, 0);
	assert_true(f->rec.n > 0);
}

/* A request for reclaim that memory.reclaim cannot serve is refused with
 * the reason; it never turns into a cache drop. */
static void test_manual_reclaim_refused_not_dropped(void **state)
{
	struct fx *f = *state;
	struct vr_action_record a;

	put_meminfo(f, 1024, 512);
	rec_fail_on(&f->rec, "/memory.reclaim", "0 swappiness", -EINVAL, -1);
	start(f);
	rec_clear(&f->rec);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_RECLAIM, 64 * MIB, VR_TRIGGER_MANUAL, &a), -EOPNOTSUPP);
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(a.kind, VR_ACTION_RECLAIM);
	assert_non_null(strstr(a.note, "swap on and the kernel has no swappiness=0"));
}

/* One memory.reclaim failure costs one idle period, not the rest of the
 * service's life. */
static void test_reclaim_failure_retried_next_period(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1024, 0);
	rec_fail_on(&f->rec, "/memory.reclaim", "268435456", -ENOMEM, 1);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	tick(f, 0);
	/* Failed, compacted, then dropcache for the rest of the period. */
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0;compact_memory=1;"
				       "drop_caches=1;compact_memory=1");
	tick(f, 0);
	assert_int_equal(f->rec.n, 4);
	rec_clear(&f->rec);
	tick(f, 90);
	for (i = 0; i < 4; i++)
		tick(f, 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0;compact_memory=1");
	assert_int_equal(f->g.iface[VR_IF_MEMORY_RECLAIM].error, 0);
}

/* Without compact_memory (CONFIG_COMPACTION=n, or a read-only mount), a
 * gradual period tries it once, warns once, and dmesg hears of the first
 * try only. */
static void test_missing_compaction_quiet(void **state)
{
	struct fx *f = *state;
	char *kmsg;
	int i;

	f->cfg.mode = VR_MODE_GRADUAL;
	put_meminfo(f, 1500, 0);
	rec_fail_on(&f->rec, "/compact_memory", NULL, -ENOENT, -1);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 16; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/compact_memory"), 1);
	assert_true(rec_count(&f->rec, "/memory.reclaim") >= 10);
	assert_int_equal(f->log.by_level[VR_LOG_WARNING], 1);
	kmsg = fake_get(f->root, "/dev/kmsg");
	assert_string_equal(kmsg, "<6>vmreclaimd: Performing memory compaction");
	free(kmsg);
	/* The next idle period tries once more. */
	tick(f, 90);
	for (i = 0; i < 4; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/compact_memory"), 2);
	assert_int_equal(f->log.by_level[VR_LOG_WARNING], 1);
}

/* 6.1 shows page_reporting_order = 11 until a driver registers; the
 * service notices when one does. */
static void test_reporting_registers_later(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	fake_put(f->root, "/sys/module/page_reporting/parameters/page_reporting_order", "11\n");
	start(f);
	assert_true(f->g.reporting.order_known);
	assert_false(f->g.reporting.registered);
	assert_int_equal(log_catch_count(&f->log, "no reporting driver has registered"), 1);
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, false);
	fclose(out);
	assert_non_null(strstr(buf, "reporting:   no driver registered (order reads 11)"));
	/* The gauges use the usual order meanwhile, not 11. */
	assert_non_null(strstr(buf, "(below order 9)"));
	free(buf);
	fake_put(f->root, "/sys/module/page_reporting/parameters/page_reporting_order", "9\n");
	buf = NULL;
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, false);
	fclose(out);
	assert_non_null(strstr(buf, "reporting:   order 9, balloon: free page reporting"));
	assert_int_equal(log_catch_count(&f->log, "free page reporting: registered, order 9"), 1);
	free(buf);
}

static bool always_interrupted(void)
{
	return true;
}

/* A large reclaim goes in chunks and stops between them when the service
 * is told to exit. */
static void test_reclaim_chunks_stop_early(void **state)
{
	struct fx *f = *state;
	struct vr_action_record a;

	put_meminfo(f, 1024, 0);
	start(f);
	rec_clear(&f->rec);
	f->g.interrupted = always_interrupted;
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_RECLAIM, VR_GIB, VR_TRIGGER_MANUAL, &a), 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0");
	assert_non_null(strstr(a.note, "stopped after 256 MiB"));
}

/* Nothing past the caches can come back (swap is refused), so a request
 * for far more is cut to what they hold plus one chunk: 2^64 - 2 bytes
 * once held the event loop for good. */
/* The per-CPU free lists (pcp.c): drained once after a large free while
 * busy, not again within the gap, and after the idle actions; the
 * fraction goes back to what it was every time. */
/* A daemon killed while auto holds the order lowered: the order to go
 * back to is on disk (orderstate.h), and the next start puts it back and
 * takes it as the kernel's own (it used to take the lowered 2). */
/* A fresh start: the buddy lists have not been read yet, which the status
 * must not show as an error (it read "free blocks unknown" while the next
 * line showed them). */
static void test_fresh_start_fragments(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	f->cfg.mode = VR_MODE_AUTO;
	put_lru(f, 32, 8);
	/* started at boot: the monotonic clock is a few seconds in */
	fake_now_usec = 3 * SEC;
	start(f);
	tick(f, 50);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	vr_guest_status(&f->g, m, false);
	fclose(m);
	if (!strstr(buf, "fragments:   not looked at while free memory changes"))
		fail_msg("%s", buf);
	assert_null(strstr(buf, "unknown"));
	free(buf);
}

static void test_order_state_kill(void **state)
{
	struct fx *f = *state;
	char *text, path[PATH_MAX];
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	f->rec.passthrough = true;
	put_lru(f, 32, 8);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
	start(f);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_true(f->g.order_lowered);
	text = fake_get(f->root, VR_ORDER_STATE_PATH);
	assert_string_equal(text, "9\n");
	free(text);
	text = fake_get(f->root, "/sys/module/page_reporting/parameters/page_reporting_order");
	assert_int_equal(atoi(text), 2);
	free(text);

	/* SIGKILL: no shutdown.  The next daemon starts. */
	rec_clear(&f->rec);
	start(f);
	assert_string_equal(writes(f), "page_reporting_order=9;memory.reclaim=0 swappiness=0");
	assert_int_equal(f->g.base_order, 9);
	assert_int_equal(f->g.reporting.order, 9);
	assert_int_equal(log_catch_count(&f->log, "left lowered by a daemon stopped during a hold"), 1);
	snprintf(path, sizeof(path), "%s%s", f->root, VR_ORDER_STATE_PATH);
	assert_int_equal(access(path, F_OK), -1);

	/* A hold that ends as it should leaves no file. */
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_true(f->g.order_lowered);
	assert_int_equal(access(path, F_OK), 0);
	vr_guest_shutdown(&f->g);
	assert_int_equal(access(path, F_OK), -1);

	/* Someone set the order to 10 since: left as it is, file removed. */
	fake_put(f->root, VR_ORDER_STATE_PATH, "9\n");
	fake_put(f->root, "/sys/module/page_reporting/parameters/page_reporting_order", "10\n");
	rec_clear(&f->rec);
	start(f);
	assert_int_equal(rec_count(&f->rec, "/page_reporting_order"), 0);
	assert_int_equal(access(path, F_OK), -1);

	/* Text that is not an order: one warning, removed, nothing written. */
	fake_put(f->root, VR_ORDER_STATE_PATH, "2; rm -rf /\n");
	fake_put(f->root, "/sys/module/page_reporting/parameters/page_reporting_order", "2\n");
	rec_clear(&f->rec);
	start(f);
	assert_int_equal(rec_count(&f->rec, "/page_reporting_order"), 0);
	assert_int_equal(log_catch_count(&f->log, "not a reporting order: removed"), 1);
	assert_int_equal(access(path, F_OK), -1);

	/* A FIFO planted there: refused at once, not waited on. */
	assert_int_equal(mkfifo(path, 0600), 0);
	start(f);
	assert_int_equal(f->g.iface[VR_IF_ORDER_STATE].error, -VR_ENOTREG);
	unlink(path);
}

/* The order state file's faults: a way back up that fails at start keeps
 * the saved order as the one to go back to (not the lowered one read), and
 * the order is not lowered when the file cannot be written. */
static void test_order_state_faults(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), "%s%s", f->root, VR_ORDER_STATE_PATH);
	fake_put(f->root, VR_ORDER_STATE_PATH, "9\n");
	fake_put(f->root, "/sys/module/page_reporting/parameters/page_reporting_order", "2\n");
	rec_fail_on(&f->rec, "/page_reporting_order", NULL, -EACCES, 1);
	start(f);
	assert_int_equal(f->g.base_order, 9);
	assert_true(f->g.order_lowered);
	assert_int_equal(access(path, F_OK), 0);
	/* the next way up works, and takes the file away */
	rec_clear(&f->rec);
	vr_guest_shutdown(&f->g);
	assert_string_equal(writes(f), "page_reporting_order=9");
	assert_false(f->g.order_lowered);
	assert_int_equal(access(path, F_OK), -1);

	/* no /run to write the file in: the order stays where it is */
	fake_put(f->root, "/sys/module/page_reporting/parameters/page_reporting_order", "9\n");
	snprintf(path, sizeof(path), "%s/run/.keep", f->root);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/run", f->root);
	assert_int_equal(rmdir(path), 0);
	f->cfg.mode = VR_MODE_AUTO;
	put_lru(f, 32, 8);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 12; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/page_reporting_order"), 0);
	assert_false(f->g.order_lowered);
	assert_int_equal(log_catch_count(&f->log, "vmreclaimd.order"), 1);
}

static void test_pcp_drain(void **state)
{
	struct fx *f = *state;
	char buf[4096];
	const char *w;
	int i;

	fake_put(f->root, VR_PCP_FRACTION_PATH, "100\n");
	fake_put(f->root, VR_STAT_REFRESH_PATH, "");
	f->cfg.mode = VR_MODE_DROPCACHE;
	put_meminfo(f, 600, 0);
	start(f);
	assert_true(f->g.pcp_available);
	rec_clear(&f->rec);
	for (i = 0; i < 3; i++)
		tick(f, 50);
	assert_int_equal(f->rec.n, 0);
	/* A process gives back 100 MiB while the VM is busy, over two
	 * samples: drained once it has stopped. */
	put_meminfo(f, 550, 0);
	tick(f, 50);
	put_meminfo(f, 450, 0);
	tick(f, 50);
	assert_int_equal(f->rec.n, 0);
	tick(f, 50);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 2);
	assert_int_equal(rec_count(&f->rec, "/stat_refresh"), VR_PCP_DRAIN_PASSES);
	w = rec_summary(&f->rec, buf, sizeof(buf));
	assert_true(strncmp(w, "percpu_pagelist_high_fraction=1073741824;stat_refresh=1;", 56) == 0);
	/* pages cycled on every CPU while the mark is low (before 6.7 the
	 * refresh leaves the lists as they are), then the fraction back */
	assert_non_null(strstr(w, "stat_refresh=1;cycle=1048576;percpu_pagelist_high_fraction=100"));
	assert_int_equal(rec_count(&f->rec, "/cycle"), 1);
	assert_int_equal(f->g.pcp.drains, 1);
	/* Another 100 MiB 5 s later, settled 10 s later: drained again. */
	put_meminfo(f, 350, 0);
	tick(f, 50);
	tick(f, 50);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 4);
	/* Idle: the cache is dropped, compacted, and the lists drained. */
	rec_clear(&f->rec);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/drop_caches"), 1);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 2);
	assert_int_equal(f->g.pcp.drains, 3);
	assert_int_equal(f->log.by_level[VR_LOG_WARNING], 0);
}

/* Reach the lowered order in a fragmented guest; returns the writes so
 * far. */
static const char *lower_order(struct fx *f, char *buf, size_t size)
{
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	/* no cache above auto's reserve: no reclaim, whose own drain would
	 * hide the wake-up's */
	put_lru(f, 0, 0);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 12 && !f->g.order_lowered; i++)
		tick(f, 0);
	assert_true(f->g.order_lowered);
	return rec_summary(&f->rec, buf, size);
}

/* The reporting worker is woken inside a drain of the per-CPU lists: the
 * lists are cycled down to their floor, one huge page is freed (it then
 * goes on to the buddy allocator), the lists cycled again and the fraction
 * put back; no drain is left to do after it. */
static void test_pcp_drain_wake(void **state)
{
	struct fx *f = *state;
	char buf[8192];
	const char *w, *order;
	uint64_t drains;
	int i;

	fake_put(f->root, VR_PCP_FRACTION_PATH, "0\n");
	fake_put(f->root, VR_STAT_REFRESH_PATH, "");
	fake_put(f->root, "/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	f->rec.cpu_per_write = 1000;
	w = lower_order(f, buf, sizeof(buf));
	/* the drains' CPU counted apart from the actions': each of their
	 * writes costs 1 ms on the fake clock */
	assert_int_equal(f->g.pcp.cpu_usec, 1000 * (rec_count(&f->rec, "/stat_refresh") +
						    rec_count(&f->rec, "/percpu_pagelist_high_fraction")));
	assert_true(f->g.pcp.cpu_usec >= 34 * 1000);
	order = strstr(w, "page_reporting_order=2;");
	assert_non_null(order);
	assert_non_null(strstr(order, "percpu_pagelist_high_fraction=1073741824;"));
	assert_non_null(strstr(order, "cycle=1048576;wake=2097152;cycle=1048576;percpu_pagelist_high_fraction=0"));
	assert_null(strstr(w, "wake=33554432"));
	/* nothing freed since: no more drains */
	drains = f->g.pcp.drains;
	rec_clear(&f->rec);
	for (i = 0; i < 4; i++)
		tick(f, 0);
	assert_int_equal(f->g.pcp.drains, drains);
	assert_int_equal(f->log.by_level[VR_LOG_WARNING], 0);
}

/* With THP "never" (or a kernel without it: no such file) the wake-up
 * inside the drain is 32 MiB of base pages, not one huge page's worth,
 * which could merge only below the order. */
static void test_pcp_drain_wake_base_pages(void **state)
{
	struct fx *f = *state;
	char buf[8192];
	const char *w;

	fake_put(f->root, VR_PCP_FRACTION_PATH, "0\n");
	fake_put(f->root, VR_STAT_REFRESH_PATH, "");
	fake_put(f->root, "/sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
	w = lower_order(f, buf, sizeof(buf));
	w = strstr(w, "page_reporting_order=2;");
	assert_non_null(w);
	assert_non_null(strstr(w, "cycle=1048576;wake=33554432;cycle=1048576;percpu_pagelist_high_fraction=0"));
	assert_null(strstr(w, "wake=2097152"));
	assert_true(f->g.pcp.drains > 0);
}

/* Where the fraction cannot be written, the worker is woken the other way:
 * 32 MiB of huge pages, more than a CPU's list keeps, and no drain. */
static void test_pcp_wake_without_drain(void **state)
{
	struct fx *f = *state;
	char buf[8192];
	const char *w;

	fake_put(f->root, VR_PCP_FRACTION_PATH, "0\n");
	fake_put(f->root, VR_STAT_REFRESH_PATH, "");
	rec_fail_on(&f->rec, "percpu_pagelist_high_fraction", "1073741824", -EACCES, -1);
	w = lower_order(f, buf, sizeof(buf));
	w = strstr(w, "page_reporting_order=2;");
	assert_non_null(w);
	assert_non_null(strstr(w, "wake=33554432"));
	assert_null(strstr(w, "wake=2097152"));
	assert_null(strstr(w, "cycle="));
	assert_int_equal(f->g.pcp.drains, 0);
	assert_true(f->g.pcp.failures > 0);
	/* nothing was drained: the drain asked for is tried at the next
	 * tick, not a gap later */
	assert_true(f->g.pcp.pending);
	assert_true(f->g.pcp.last_usec != f->g.now_usec);
}

/* A refresh that fails still puts the fraction back, and warns once; a
 * fraction left at the drain value by a killed daemon is set back to 0 at
 * start; disabled mode and kernels without the files never drain. */
static void test_pcp_faults(void **state)
{
	struct fx *f = *state;
	int i;

	fake_put(f->root, VR_PCP_FRACTION_PATH, "1073741824\n");
	fake_put(f->root, VR_STAT_REFRESH_PATH, "");
	f->cfg.mode = VR_MODE_DROPCACHE;
	put_meminfo(f, 600, 0);
	start(f);
	assert_string_equal(writes(f), "memory.reclaim=0 swappiness=0;percpu_pagelist_high_fraction=0");
	assert_int_equal(log_catch_count(&f->log, "drain cut short"), 1);
	rec_clear(&f->rec);
	rec_fail_on(&f->rec, "/stat_refresh", NULL, -EINVAL, -1);
	for (i = 0; i < 12; i++)
		tick(f, 0);
	/* the fraction is still the drain value in the tree (writes are only
	 * recorded): it is taken as 0 */
	assert_int_equal(rec_count(&f->rec, "/stat_refresh"), 1);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 2);
	assert_string_equal(f->rec.w[f->rec.n - 1].data, "0");
	assert_int_equal(log_catch_count(&f->log, "per-CPU lists is not handed back"), 1);
	assert_int_equal(f->g.pcp.failures, 1);

	/* disabled: nothing at all */
	f->cfg.mode = VR_MODE_DISABLED;
	vr_guest_reconfigure(&f->g, &f->cfg);
	rec_clear(&f->rec);
	put_meminfo(f, 100, 0);
	for (i = 0; i < 12; i++)
		tick(f, 0);
	assert_int_equal(f->rec.n, 0);

	/* no such files (Linux < 5.14): nothing, and no warning */
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s%s", f->root, VR_PCP_FRACTION_PATH);
		assert_int_equal(unlink(p), 0);
	}
	f->cfg.mode = VR_MODE_DROPCACHE;
	start(f);
	assert_false(f->g.pcp_available);
	rec_clear(&f->rec);
	for (i = 0; i < 12; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 0);
}

/* A fraction set by the administrator survives a daemon killed during a
 * drain: it is kept in VR_PCP_STATE_PATH while the drain runs (never for the
 * default 0) and put back at the next start; a bad or stale file is
 * removed; without the file, a fraction other than 0 is not drained. */
static void test_pcp_state(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], run[PATH_MAX], *text;
	int i;

	snprintf(path, sizeof(path), "%s%s", f->root, VR_PCP_STATE_PATH);
	fake_put(f->root, VR_PCP_FRACTION_PATH, "8\n");
	fake_put(f->root, VR_STAT_REFRESH_PATH, "");
	f->cfg.mode = VR_MODE_DROPCACHE;
	put_meminfo(f, 600, 0);
	start(f);
	/* A drain that works leaves no file. */
	rec_clear(&f->rec);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_int_equal(f->g.pcp.drains, 1);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 2);
	assert_string_equal(f->rec.w[f->rec.n - 1].data, "8");
	assert_int_equal(access(path, F_OK), -1);

	/* The way back fails once: written again at once, no file left. */
	start(f);
	rec_clear(&f->rec);
	rec_fail_on(&f->rec, "/percpu_pagelist_high_fraction", "8", -EIO, 1);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_int_equal(f->g.pcp.failures, 0);
	assert_string_equal(f->rec.w[f->rec.n - 1].data, "8");
	assert_int_equal(access(path, F_OK), -1);

	/* It fails again (as if killed there): the file keeps 8. */
	start(f);
	rec_clear(&f->rec);
	rec_fail_on(&f->rec, "/percpu_pagelist_high_fraction", "8", -EIO, 2);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_int_equal(f->g.pcp.failures, 1);
	text = fake_get(f->root, VR_PCP_STATE_PATH);
	assert_string_equal(text, "8\n");
	free(text);
	/* The next start finds the drain's fraction: 8 back, the file gone. */
	fake_put(f->root, VR_PCP_FRACTION_PATH, "1073741824\n");
	rec_clear(&f->rec);
	start(f);
	assert_non_null(strstr(writes(f), "percpu_pagelist_high_fraction=8"));
	assert_int_equal(log_catch_count(&f->log, "set back to 8"), 1);
	assert_int_equal(access(path, F_OK), -1);

	/* Text that is not a fraction: the default 0, the file removed. */
	fake_put(f->root, VR_PCP_STATE_PATH, "8; reboot\n");
	rec_clear(&f->rec);
	start(f);
	assert_non_null(strstr(writes(f), "percpu_pagelist_high_fraction=0"));
	assert_int_equal(access(path, F_OK), -1);

	/* A file left after the fraction was back: removed, nothing written. */
	fake_put(f->root, VR_PCP_FRACTION_PATH, "8\n");
	fake_put(f->root, VR_PCP_STATE_PATH, "8\n");
	rec_clear(&f->rec);
	start(f);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 0);
	assert_int_equal(access(path, F_OK), -1);

	/* No /run to keep the file in: 8 is not drained (it could be lost),
	 * the default 0 is (it needs no file). */
	snprintf(run, sizeof(run), "%s/run/.keep", f->root);
	assert_int_equal(unlink(run), 0);
	snprintf(run, sizeof(run), "%s/run", f->root);
	assert_int_equal(rmdir(run), 0);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 0);
	assert_int_equal(f->g.pcp.failures, 1);
	fake_put(f->root, VR_PCP_FRACTION_PATH, "0\n");
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 6; i++)
		tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/percpu_pagelist_high_fraction"), 2);
	assert_int_equal(f->g.pcp.drains, 1);
}

static void test_pcp_parse_due(void **state)
{
	struct vr_pcp p = { 0 };
	unsigned v;

	(void)state;
	assert_int_equal(vr_pcp_fraction_parse("0\n", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vr_pcp_fraction_parse("2147483647", &v), 0);
	assert_int_equal(v, 2147483647u);
	assert_int_equal(vr_pcp_fraction_parse("2147483648\n", &v), -EINVAL);
	assert_int_equal(vr_pcp_fraction_parse("8\n9\n", &v), -EINVAL);
	assert_int_equal(vr_pcp_fraction_parse("", &v), -EINVAL);
	assert_int_equal(vr_pcp_fraction_parse("-1", &v), -EINVAL);
	/* the first reading is only remembered; a rise under 64 MiB is none */
	assert_false(vr_pcp_due(&p, 10 * SEC, false, true, 100 * MIB));
	assert_false(vr_pcp_due(&p, 15 * SEC, false, true, 163 * MIB));
	assert_false(vr_pcp_due(&p, 16 * SEC, false, true, 163 * MIB));
	/* a rise, then a sample that shows it has stopped */
	assert_false(vr_pcp_due(&p, 20 * SEC, false, true, 228 * MIB));
	assert_false(vr_pcp_due(&p, 21 * SEC, false, true, 400 * MIB));
	assert_true(vr_pcp_due(&p, 22 * SEC, false, true, 410 * MIB));
	p.last_usec = 22 * SEC;
	/* within the gap: held, and done once it has passed */
	assert_false(vr_pcp_due(&p, 25 * SEC, false, true, 500 * MIB));
	assert_false(vr_pcp_due(&p, 26 * SEC, false, true, 500 * MIB));
	assert_true(vr_pcp_due(&p, 32 * SEC, false, true, 500 * MIB));
	/* an action: once the gap has passed; one within the gap waits */
	assert_true(vr_pcp_due(&p, 33 * SEC, true, false, 0));
	p.last_usec = 33 * SEC;
	assert_false(vr_pcp_due(&p, 38 * SEC, true, false, 0));
	assert_true(vr_pcp_due(&p, 43 * SEC, false, false, 0));
	p.last_usec = 43 * SEC;
	/* an unreadable sample breaks the chain: no rise is made up of two */
	assert_false(vr_pcp_due(&p, 60 * SEC, false, true, 900 * MIB));
	assert_false(vr_pcp_due(&p, 65 * SEC, false, false, 0));
	assert_false(vr_pcp_due(&p, 70 * SEC, false, true, 1000 * MIB));
}

static void test_reclaim_cut_to_caches(void **state)
{
	struct fx *f = *state;
	struct vr_action_record a;

	put_meminfo(f, 100, 0); /* 100 MiB of file cache, 8 MiB of slab */
	start(f);
	rec_clear(&f->rec);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_RECLAIM, UINT64_MAX - 1, VR_TRIGGER_MANUAL, &a),
			 0);
	assert_string_equal(writes(f), "memory.reclaim=268435456 swappiness=0;"
				       "memory.reclaim=113246208 swappiness=0");
	assert_non_null(strstr(a.note, "cut to 364 MiB"));
	/* Within the caches, a request is taken as it is. */
	rec_clear(&f->rec);
	assert_int_equal(vr_guest_act(&f->g, VR_ACTION_RECLAIM, 64 * VR_MIB, VR_TRIGGER_MANUAL, &a), 0);
	assert_string_equal(writes(f), "memory.reclaim=67108864 swappiness=0");
	assert_string_equal(a.note, "");
}

static uint64_t self_cpu_fake;

static uint64_t fake_self_cpu(void)
{
	return self_cpu_fake;
}

/* The service's own compaction time does not end the idle period it
 * started in. */
static void test_own_cpu_keeps_idle(void **state)
{
	struct fx *f = *state;
	int i;

	f->cfg.mode = VR_MODE_DROPCACHE;
	start(f);
	f->g.self_cpu_usec = fake_self_cpu;
	self_cpu_fake = 0;
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_true(f->g.idle.idle);
	/* 20% busy, all of it ours (5 s at 100 ticks/s: 100 ticks = 1 s). */
	self_cpu_fake += VR_USEC_PER_SEC * 100 / f->g.clk_tck;
	tick(f, 20);
	assert_true(f->g.idle.idle);
	assert_int_equal(f->g.idle.periods, 1);
	tick(f, 20);
	assert_false(f->g.idle.idle);
}

static void test_status_outputs(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int i;

	f->cfg.mode = VR_MODE_DROPCACHE;
	start(f);
	tick(f, 0);
	tick(f, 0);
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, false);
	fclose(out);
	assert_non_null(strstr(buf, "mode:        dropcache (compaction on)"));
	assert_non_null(strstr(buf, "state:       settling: CPU below 1% for 5 s of the 20 s needed"));
	/* From the 6.1 guest's buddyinfo: 920 MiB in blocks of order >= 9. */
	assert_non_null(strstr(buf, "free blocks: reportable 920 MiB, stranded 3.1 MiB (below order 9)"));
	assert_non_null(strstr(buf, "reporting:   order 9, balloon: free page reporting"));
	free(buf);
	/* Every kernel write takes 2.5 ms of the fake thread CPU clock: the
	 * cache drop's one write is its kernel CPU. */
	f->rec.cpu_per_write = 2500;
	for (i = 0; i < 5; i++)
		tick(f, 0);
	tick(f, 40);
	buf = NULL;
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, false);
	fclose(out);
	assert_non_null(strstr(buf, "state:       busy: CPU 40.00% >= idleThreshold 1%"));
	assert_non_null(strstr(buf, "dropcache    1 runs, 0 failed, released 0 B, kernel CPU 2 ms\n"));
	assert_non_null(strstr(buf, "last actions:\n"));
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	vr_guest_status(&f->g, out, true);
	fclose(out);
	assert_non_null(strstr(buf, "\"mode\":\"dropcache\""));
	assert_non_null(strstr(buf, "\"reportable_bytes\":964689920"));
	assert_non_null(strstr(buf, "\"history\":[{\"action\":\"compact\",\"trigger\":\"idle\""));
	assert_non_null(strstr(buf, "\"dropcache\":{\"runs\":1,\"failures\":0,\"bytes\":0,\"cpu_usec\":2500}"));
	assert_int_equal(buf[len - 1], '\n');
	free(buf);
}

static char *status_of(struct fx *f, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	vr_guest_status(&f->g, out, json);
	fclose(out);
	return buf;
}

/* auto drops a settled reclaimable slab with drop_caches = 2 (not the
 * dropCacheValue of the WSL modes), says so in status, JSON and metrics,
 * and does not drop it again while it stays where the drop left it. */
static void test_auto_slab(void **state)
{
	struct fx *f = *state;
	char *buf, *m = NULL;
	size_t len = 0;
	FILE *mf;
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	put_lru_slab(f, 0, 10, 300);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 4; i++)
		tick(f, 80);
	assert_int_equal(f->rec.n, 0); /* 20 s steady is needed */
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "slab:        SReclaimable 300 MiB grew 15 s ago"));
	free(buf);
	tick(f, 80);
	assert_string_equal(writes(f), "drop_caches=2");
	assert_int_equal(f->g.history[0].trigger, VR_TRIGGER_AUTO);
	assert_string_equal(f->g.history[0].note, "drop_caches=2");
	assert_int_equal(f->g.totals[VR_ACTION_DROPCACHE].runs, 1);
	put_lru_slab(f, 0, 10, 12);
	rec_clear(&f->rec);
	for (i = 0; i < 20; i++)
		tick(f, 80);
	assert_int_equal(f->rec.n, 0);
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "slab totals: 12 MiB now, 0 B cold, 288 MiB returned in 1 drops"));
	free(buf);
	buf = status_of(f, true);
	assert_non_null(strstr(buf, "\"slab_returned_bytes\":301989888"));
	assert_non_null(strstr(buf, "\"slab_drops\":1"));
	free(buf);
	mf = open_memstream(&m, &len);
	vr_guest_metrics(&f->g, mf);
	fclose(mf);
	assert_non_null(strstr(m, "vmreclaim_auto_slab_returned_bytes_total 301989888"));
	free(m);
}

/* drop_caches that cannot be written: one warning, the slab is left to
 * the kernel, and nothing else auto does is held up. */
/* Without memory.reclaim, auto's cache falls back to gradual's drop; its
 * slab drop never runs in the same tick (one drop a tick), and still runs
 * in a later one. */
static void test_auto_slab_one_drop_a_tick(void **state)
{
	struct fx *f = *state;
	unsigned i, n, total = 0, most = 0;

	f->cfg.mode = VR_MODE_AUTO;
	fake_rm(f->root, "/sys/fs/cgroup/memory.reclaim");
	put_lru_slab(f, 0, 10, 300);
	start(f);
	for (i = 0; i < 16; i++) {
		rec_clear(&f->rec);
		tick(f, 0);
		n = rec_count(&f->rec, "/drop_caches");
		total += n;
		most = n > most ? n : most;
	}
	assert_int_equal(most, 1);
	assert_true(total >= 2);
	assert_int_equal(f->g.autost.slab_drops, 1);
}

static void test_auto_slab_drop_fails(void **state)
{
	struct fx *f = *state;
	char *buf;
	int i;

	f->cfg.mode = VR_MODE_AUTO;
	rec_fail_on(&f->rec, "/drop_caches", NULL, -EACCES, -1);
	put_lru_slab(f, 0, 10, 300);
	start(f);
	rec_clear(&f->rec);
	for (i = 0; i < 5; i++)
		tick(f, 80);
	assert_int_equal(f->g.totals[VR_ACTION_DROPCACHE].failures, 1);
	assert_true(f->g.autost.slab_failed);
	/* a drop that failed is not counted as one, nor as a reclaim */
	assert_int_equal(f->g.autost.slab_drops, 0);
	assert_int_equal(f->g.autost.slab_dropped_usec, 0);
	assert_int_equal(f->g.autost.last_reclaim_usec, 0);
	/* the slab grows and settles again: still nothing */
	put_lru_slab(f, 0, 10, 500);
	for (i = 0; i < 20; i++)
		tick(f, 80);
	assert_int_equal(f->g.totals[VR_ACTION_DROPCACHE].runs, 1);
	assert_int_equal(log_catch_count(&f->log, "drop_caches: Permission denied"), 1);
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "slab:        SReclaimable 500 MiB, left to the kernel: drop_caches failed"));
	free(buf);
	/* the cache loop still works */
	put_lru_slab(f, 0, 600, 500);
	rec_clear(&f->rec);
	for (i = 0; i < 6; i++)
		tick(f, 80);
	assert_non_null(strstr(writes(f), "memory.reclaim=268435456"));
}

/* multiGenLru = off (lrugen.c): under auto, a kernel with the multi-gen
 * LRU on has it switched off at start, the value to go back to kept in
 * VR_LRU_GEN_STATE_PATH, and put back at exit and on a reload away from
 * auto or to keep; status, JSON and metrics say so. */
static void test_lru_gen_switch(void **state)
{
	struct fx *f = *state;
	char *buf, *m;
	size_t len;
	FILE *mf;

	fake_put(f->root, VR_LRU_GEN_PATH, "0x0007\n");
	f->cfg.mode = VR_MODE_AUTO;
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_OFF;
	start(f);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 1);
	assert_string_equal(f->rec.w[f->rec.n - 1].data, "n");
	assert_true(f->g.lru_gen.switched);
	buf = fake_get(f->root, VR_LRU_GEN_STATE_PATH);
	assert_string_equal(buf, "7\n");
	free(buf);
	assert_int_equal(log_catch_count(&f->log, "multi-gen LRU 0x0007 switched off"), 1);
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "lru:         classic (multi-gen LRU 0x0007 switched off by the service)"));
	free(buf);
	buf = status_of(f, true);
	assert_non_null(strstr(buf, "\"switched_off\":true"));
	assert_non_null(strstr(buf, "\"restore_value\":7"));
	free(buf);
	mf = open_memstream(&m, &len);
	vr_guest_metrics(&f->g, mf);
	fclose(mf);
	assert_non_null(strstr(m, "vmreclaim_lru_gen_switched_off 1\n"));
	assert_non_null(strstr(m, "vmreclaim_lru_gen_enabled 0\n"));
	free(m);
	/* samples write nothing more to it */
	tick(f, 0);
	tick(f, 0);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 1);

	/* a reload away from auto puts it back; back into auto, off again
	 * (the fake file still reads 0x0007: writes are only recorded) */
	f->cfg.mode = VR_MODE_GRADUAL;
	rec_clear(&f->rec);
	vr_guest_reconfigure(&f->g, &f->cfg);
	assert_string_equal(writes(f), "enabled=0x0007");
	assert_false(f->g.lru_gen.switched);
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "lru:         multi-gen 0x0007 (kept: mode is not auto)"));
	free(buf);
	f->cfg.mode = VR_MODE_AUTO;
	vr_guest_reconfigure(&f->g, &f->cfg);
	assert_string_equal(writes(f), "enabled=0x0007;enabled=n");
	assert_true(f->g.lru_gen.switched);
	/* to keep: back */
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_KEEP;
	rec_clear(&f->rec);
	vr_guest_reconfigure(&f->g, &f->cfg);
	assert_string_equal(writes(f), "enabled=0x0007");
	/* off again, then the exit puts it back and removes the file */
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_OFF;
	vr_guest_reconfigure(&f->g, &f->cfg);
	rec_clear(&f->rec);
	vr_guest_shutdown(&f->g);
	assert_string_equal(writes(f), "enabled=0x0007");
	assert_false(f->g.lru_gen.switched);
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));
	assert_int_equal(log_catch_count(&f->log, "back to 0x0007: the service is stopping"), 1);
}

/* Not touched when MGLRU is already off (0x0000), absent (Linux 6.1
 * without it, or older), under multiGenLru = keep, or outside auto. */
static void test_lru_gen_untouched(void **state)
{
	struct fx *f = *state;
	char *buf;

	f->cfg.mode = VR_MODE_AUTO;
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_OFF;
	fake_put(f->root, VR_LRU_GEN_PATH, "0x0000\n");
	start(f);
	vr_guest_shutdown(&f->g);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 0);
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "lru:         classic (multi-gen LRU off: 0x0000)"));
	free(buf);

	fake_rm(f->root, VR_LRU_GEN_PATH);
	start(f);
	vr_guest_shutdown(&f->g);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 0);
	assert_false(f->g.lru_gen.present);
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "lru:         classic (no multi-gen LRU in this kernel)"));
	free(buf);
	buf = status_of(f, true);
	assert_non_null(strstr(buf, "\"lru_gen_enabled\":null"));
	free(buf);

	fake_put(f->root, VR_LRU_GEN_PATH, "0x0007\n");
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_KEEP;
	start(f);
	tick(f, 0);
	vr_guest_shutdown(&f->g);
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "lru:         multi-gen 0x0007 (kept: multiGenLru = keep)"));
	free(buf);
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_OFF;
	f->cfg.mode = VR_MODE_GRADUAL;
	start(f);
	vr_guest_shutdown(&f->g);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 0);
	assert_int_equal(log_catch_count(&f->log, "lru_gen"), 0);
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));
}

/* A daemon killed while MGLRU was off: the next start puts the saved value
 * back, or, when it wants MGLRU off too, keeps it off with the saved value
 * to go back to; a stale or bad file is removed. */
static void test_lru_gen_recover(void **state)
{
	struct fx *f = *state;
	char *buf;

	f->cfg.mode = VR_MODE_AUTO;
	fake_put(f->root, VR_LRU_GEN_PATH, "0x0000\n");
	fake_put(f->root, VR_LRU_GEN_STATE_PATH, "7\n");
	start(f); /* multiGenLru = keep */
	assert_string_equal(writes(f), "memory.reclaim=0 swappiness=0;enabled=0x0007");
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));
	assert_int_equal(log_catch_count(&f->log, "left off by a daemon stopped"), 1);

	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_OFF;
	fake_put(f->root, VR_LRU_GEN_STATE_PATH, "7\n");
	rec_clear(&f->rec);
	start(f);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 0);
	assert_true(f->g.lru_gen.switched);
	buf = fake_get(f->root, VR_LRU_GEN_STATE_PATH);
	assert_string_equal(buf, "7\n");
	free(buf);
	assert_int_equal(log_catch_count(&f->log, "kept off, 0x0007 to go back to"), 1);
	rec_clear(&f->rec);
	vr_guest_shutdown(&f->g);
	assert_string_equal(writes(f), "enabled=0x0007");
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));

	/* back on already (the kill came before the switch): the file goes,
	 * and this daemon switches it off itself */
	fake_put(f->root, VR_LRU_GEN_PATH, "0x0007\n");
	fake_put(f->root, VR_LRU_GEN_STATE_PATH, "7\n");
	rec_clear(&f->rec);
	start(f);
	assert_string_equal(writes(f), "memory.reclaim=0 swappiness=0;enabled=n");
	buf = fake_get(f->root, VR_LRU_GEN_STATE_PATH);
	assert_string_equal(buf, "7\n");
	free(buf);

	/* text that is no value: removed with a warning, nothing written */
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_KEEP;
	fake_put(f->root, VR_LRU_GEN_PATH, "0x0000\n");
	fake_put(f->root, VR_LRU_GEN_STATE_PATH, "y\n");
	rec_clear(&f->rec);
	start(f);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 0);
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));
	assert_int_equal(log_catch_count(&f->log, "not a multi-gen LRU value: removed"), 1);
}

/* A write that fails is tried once and logged once: samples do not retry
 * it, the file is not left behind, status says so; a way back that fails
 * leaves the file for the next start. */
static void test_lru_gen_write_fails(void **state)
{
	struct fx *f = *state;
	char *buf;
	int i;

	fake_put(f->root, VR_LRU_GEN_PATH, "0x0007\n");
	f->cfg.mode = VR_MODE_AUTO;
	f->cfg.multi_gen_lru = VR_MULTI_GEN_LRU_OFF;
	rec_fail_on(&f->rec, "/lru_gen/enabled", NULL, -EACCES, -1);
	start(f);
	for (i = 0; i < 50; i++)
		tick(f, i % 2 ? 0 : 50);
	vr_guest_shutdown(&f->g);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 1);
	assert_int_equal(log_catch_count(&f->log, "lru_gen/enabled: Permission denied"), 1);
	assert_false(f->g.lru_gen.switched);
	assert_null(fake_get(f->root, VR_LRU_GEN_STATE_PATH));
	buf = status_of(f, false);
	assert_non_null(strstr(buf, "lru:         multi-gen 0x0007 (switching off failed: see degraded)"));
	assert_non_null(strstr(buf, "degraded:    /sys/kernel/mm/lru_gen/enabled: Permission denied"));
	free(buf);

	/* unparsable: the same, nothing written */
	f->rec.n_fail = 0;
	fake_put(f->root, VR_LRU_GEN_PATH, "garbage\n");
	rec_clear(&f->rec);
	start(f);
	assert_int_equal(rec_count(&f->rec, "/lru_gen/enabled"), 0);
	assert_int_equal(f->g.iface[VR_IF_LRU_GEN].error, -EINVAL);

	/* the way back fails: still off, the file stays */
	fake_put(f->root, VR_LRU_GEN_PATH, "0x0007\n");
	start(f);
	assert_true(f->g.lru_gen.switched);
	rec_fail_on(&f->rec, "/lru_gen/enabled", "0x", -EIO, 1);
	vr_guest_shutdown(&f->g);
	assert_true(f->g.lru_gen.switched);
	buf = fake_get(f->root, VR_LRU_GEN_STATE_PATH);
	assert_string_equal(buf, "7\n");
	free(buf);
}

static void test_lru_gen_parse(void **state)
{
	unsigned v;

	(void)state;
	assert_int_equal(vr_lru_gen_parse("0x0007\n", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(vr_lru_gen_parse("0x0000", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vr_lru_gen_parse("3\n", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(vr_lru_gen_parse("0x10000\n", &v), -EINVAL);
	assert_int_equal(vr_lru_gen_parse("", &v), -EINVAL);
	assert_int_equal(vr_lru_gen_parse(" 0x7", &v), -EINVAL);
	assert_int_equal(vr_lru_gen_parse("-1", &v), -EINVAL);
	assert_int_equal(vr_lru_gen_parse("0x7\n\n", &v), -EINVAL);
	assert_int_equal(vr_lru_gen_parse("0x7 y", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_old_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_slab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_slab_drop_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_slab_one_drop_a_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_file_planted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_fragmented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_order_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_order_raise_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropcache_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gradual_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gradual_eagain_stops_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gradual_old_kernel_with_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gradual_old_kernel_no_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_v1_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_threshold_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_false, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_knob_logged_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_actions_any_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pressure_holds_off_idle_reclaim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_reclaim_refused_not_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_failure_retried_next_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_compaction_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reporting_registers_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_chunks_stop_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_cut_to_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_start_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_state_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_state_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_drain_wake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_drain_wake_base_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_wake_without_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_state, setup, teardown),
		cmocka_unit_test(test_pcp_parse_due),
		cmocka_unit_test_setup_teardown(test_lru_gen_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_gen_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_gen_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_gen_write_fails, setup, teardown),
		cmocka_unit_test(test_lru_gen_parse),
		cmocka_unit_test_setup_teardown(test_own_cpu_keeps_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_outputs, setup, teardown),
	};

	return cmocka_run_group_tests_name("guest", tests, NULL, NULL);
}
