/* SPDX-License-Identifier: MIT */
/* The fault-injection matrix (docs/faults.md): every kernel file the guest
 * service writes, under every error; every file it reads, missing, a
 * directory, truncated, garbage and empty; old kernels and no free page
 * reporting; clock jumps and /proc/stat counters that go backwards.  Over
 * the fake /proc + /sys tree with the fake clock.  Each cell checks that
 * the service goes on for 200 ticks, warns at most once for the
 * interface, says what degraded in status, and keeps doing what still
 * works -- and never does what the missing information was needed for.
 *
 * Writes to the kernel knobs go through the ops table (rec_fail_on()).
 * /dev/kmsg and the metrics file are opened directly, so open() itself is
 * interposed below for those two paths: the library is linked statically
 * into this test, and its calls to open() bind to this definition. */
#include "helpers.h"
#include "common/util.h"
#include "guest/guest.h"
#include "procfs/psi.h"
#include "guest/psi_trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEC VR_USEC_PER_SEC
#define MIB VR_MIB
#define TICKS 200

/* --- open() faults ------------------------------------------------------ */

static struct {
	const char *part; /* fail an open of a path holding this; NULL: none */
	int error;          /* errno */
	unsigned hits;
} open_fault;

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (open_fault.part && strstr(path, open_fault.part)) {
		open_fault.hits++;
		errno = open_fault.error;
		return -1;
	}
	return openat(AT_FDCWD, path, flags, mode);
}

static void open_fail_on(const char *part, int error)
{
	open_fault.part = part;
	open_fault.error = error;
	open_fault.hits = 0;
}

/* --- the fixture -------------------------------------------------------- */

struct fx {
	char *root;
	struct rec rec;
	struct vr_config cfg;
	struct vr_guest g;
	struct log_catch log;
	uint64_t busy, idle; /* fake /proc/stat counters */
	bool stat_fixed;     /* leave /proc/stat as the cell made it */
	char metrics[PATH_MAX]; /* written after every tick when set */
	unsigned periods;    /* idle periods the run went through */
	unsigned notice0; /* notices when the service started */
	/* the page cache as the fake kernel keeps it (put_lru()) */
	bool have_lru;
	uint64_t active_mib, inactive_mib, swap_mib;
};

static void put_lru(struct fx *f, uint64_t active_mib, uint64_t inactive_mib, uint64_t swap_mib);

/* The fake kernel: every write is recorded (and failed on demand) by
 * rec_ops; one that works takes the cache it asked for, so that the
 * cache comes down as in a VM. */
static int kernel_write(void *user, const char *path, const char *data, size_t len)
{
	struct fx *f = user;
	int r = rec_ops.write(&f->rec, path, data, len);
	size_t pl = strlen(path);
	uint64_t bytes;

	if (r < 0 || !f->have_lru)
		return r;
	if (pl >= 15 && strcmp(path + pl - 15, "/memory.reclaim") == 0) {
		bytes = strtoull(data, NULL, 10) / MIB;
		put_lru(f, f->active_mib, f->inactive_mib > bytes ? f->inactive_mib - bytes : 0,
			f->swap_mib);
	} else if (pl >= 12 && strcmp(path + pl - 12, "/drop_caches") == 0) {
		put_lru(f, 0, 0, f->swap_mib);
	}
	return r;
}

static int kernel_wake(void *user, uint64_t bytes)
{
	struct fx *f = user;

	return rec_ops.wake_reporting(&f->rec, bytes);
}

static const struct vr_sys_ops kernel_ops = { .write = kernel_write, .wake_reporting = kernel_wake };

/* The cell being run, said with VR_TEST_VERBOSE=1 (cmocka names only the
 * failing line). */
static void cell(const char *row, const char *fault)
{
	if (getenv("VR_TEST_VERBOSE"))
		print_message("cell: %s x %s\n", row, fault);
}

static struct fx *fx_new(enum vr_mode mode)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->root = fake_tree_new();
	rec_init(&f->rec, f->root);
	f->rec.passthrough = true; /* a missing file fails as in a VM */
	vr_config_defaults(&f->cfg);
	f->cfg.mode = mode;
	f->cfg.idle_usec = 20 * SEC;
	f->cfg.sample_usec = 5 * SEC;
	f->busy = 1000;
	f->idle = 100000;
	fake_now_usec = 1000 * SEC;
	open_fail_on(NULL, 0);
	log_catch_start(&f->log);
	return f;
}

static void fx_free(struct fx *f)
{
	log_catch_stop();
	open_fail_on(NULL, 0);
	fake_tree_free(f->root);
	free(f);
}

static void start(struct fx *f)
{
	assert_int_equal(vr_guest_init(&f->g, &f->cfg, f->root, &kernel_ops, f, fake_clock), 0);
	f->notice0 = f->log.by_level[VR_LOG_NOTICE];
}

static void tick(struct fx *f, unsigned busy_pct)
{
	fake_now_usec += f->cfg.sample_usec;
	f->busy += 5 * busy_pct;
	f->idle += 5 * (100 - busy_pct);
	if (!f->stat_fixed)
		fake_cpu(f->root, f->busy, f->idle);
	vr_guest_tick(&f->g);
	if (f->metrics[0])
		vr_guest_metrics_file(&f->g, f->metrics);
}

/* TICKS samples: idle, with one busy sample every @every (0: never), as
 * a VM that wakes now and then. */
static void run(struct fx *f, unsigned every)
{
	uint64_t p0 = f->g.idle.periods;
	unsigned i;

	for (i = 0; i < TICKS; i++)
		tick(f, every && i % every == every / 2 ? 80 : 0);
	f->periods = (unsigned)(f->g.idle.periods - p0);
}

static char *status(struct fx *f, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	vr_guest_status(&f->g, out, json);
	fclose(out);
	return buf;
}

/* Page cache with the given LRU lists; @swap_mib of swap. */
static void put_lru(struct fx *f, uint64_t active_mib, uint64_t inactive_mib, uint64_t swap_mib)
{
	char buf[1024];

	f->have_lru = true;
	f->active_mib = active_mib;
	f->inactive_mib = inactive_mib;
	f->swap_mib = swap_mib;
	snprintf(buf, sizeof(buf),
		 "MemTotal:        2030000 kB\nMemFree:         %llu kB\nMemAvailable:    1800000 kB\n"
		 "Active(file):    %llu kB\nInactive(file):  %llu kB\nSwapTotal:       %llu kB\n"
		 "SwapFree:        %llu kB\nDirty:                 0 kB\nSReclaimable:      8192 kB\n",
		 (unsigned long long)(2030000 - (active_mib + inactive_mib) * 1024 - 50000),
		 (unsigned long long)(active_mib * 1024), (unsigned long long)(inactive_mib * 1024),
		 (unsigned long long)(swap_mib * 1024), (unsigned long long)(swap_mib * 1024));
	fake_put(f->root, "/proc/meminfo", buf);
}


/* Cold cache to reclaim, and fragments: everything auto does. */
static void busy_guest(struct fx *f)
{
	put_lru(f, 64, 600, 0);
	fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED);
}

/* What every cell asks: the service ran all its ticks, said what failed
 * at most once (@needle: the warning, NULL when none is expected), and
 * added no other warnings, and few notices. */
static void assert_quiet(struct fx *f, const char *needle)
{
	/* from the start: the probe's warnings count too */
	unsigned warns = f->log.by_level[VR_LOG_WARNING] + f->log.by_level[VR_LOG_ERR];

	assert_true(f->g.ticks >= TICKS);
	if (needle) {
		if (log_catch_count(&f->log, needle) != 1)
			fail_msg("\"%s\" logged %u times", needle, log_catch_count(&f->log, needle));
		assert_int_equal(warns, 1);
	} else {
		assert_int_equal(warns, 0);
	}
	/* Notices: an action's first failure, a fallback, a recovery; never
	 * one per tick. */
	if (f->log.by_level[VR_LOG_NOTICE] - f->notice0 > 4)
		fail_msg("%u notices", f->log.by_level[VR_LOG_NOTICE] - f->notice0);
}

/* Status says @path failed with @err, under "degraded:". */
static void assert_degraded(struct fx *f, const char *path, int err)
{
	char *s = status(f, false), want[512];

	snprintf(want, sizeof(want), "degraded:    %s: %s (failed ", path, strerror(err));
	if (!strstr(s, want))
		fail_msg("status lacks \"%s\":\n%s", want, s);
	free(s);
}

static void assert_not_degraded(struct fx *f)
{
	char *s = status(f, false);

	if (strstr(s, "degraded:"))
		fail_msg("status says degraded:\n%s", s);
	free(s);
}

static void assert_status_has(struct fx *f, const char *needle)
{
	char *s = status(f, false);

	if (!strstr(s, needle))
		fail_msg("status lacks \"%s\":\n%s", needle, s);
	free(s);
}

/* Writes to @suffix that carried data (not the memory.reclaim probe). */
static unsigned reclaims(const struct fx *f)
{
	unsigned i, n = 0;

	for (i = 0; i < f->rec.n; i++)
		if (strstr(f->rec.w[i].path, "/memory.reclaim") && strncmp(f->rec.w[i].data, "0 ", 2) != 0 &&
		    strcmp(f->rec.w[i].data, "0") != 0)
			n++;
	return n;
}

/* Writes of page_reporting_order below 9. */
static unsigned lowerings(const struct fx *f)
{
	unsigned i, n = 0;

	for (i = 0; i < f->rec.n; i++)
		if (strstr(f->rec.w[i].path, "/page_reporting_order") && strcmp(f->rec.w[i].data, "9") != 0)
			n++;
	return n;
}

/* --- writes ------------------------------------------------------------- */

/* The write faults: each with an error the kernel can give, and the file
 * missing (ENOENT, from a real open in the fake tree). */
static const int write_errors[] = { EACCES, EROFS, EAGAIN, EINVAL, EBUSY, ENOENT };

static void fail_write(struct fx *f, const char *rel, const char *suffix, int err)
{
	if (err == ENOENT)
		fake_rm(f->root, rel);
	else
		rec_fail_on(&f->rec, suffix, NULL, -err, -1);
}

/* compact_memory, in auto with fragmented free memory: compaction is
 * tried once per idle period, and the order is lowered instead. */
static void test_write_compact_memory(void **state)
{
	size_t e;

	(void)state;
	for (e = 0; e < VR_ARRAY_SIZE(write_errors); e++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_write_compact_memory", strerror(write_errors[e]));
		int err = write_errors[e];
		char needle[128];
		char *kmsg;

		unsigned periods;

		busy_guest(f);
		fail_write(f, "/proc/sys/vm/compact_memory", "/compact_memory", err);
		start(f);
		run(f, 50);
		periods = f->periods;
		/* more fragments while busy: the next idle period tries
		 * compaction again */
		fake_put(f->root, "/proc/buddyinfo", BUDDYINFO_FRAGMENTED_MORE);
		tick(f, 80);
		run(f, 50);
		periods += f->periods;
		snprintf(needle, sizeof(needle), "/proc/sys/vm/compact_memory: %s", strerror(err));
		assert_quiet(f, needle);
		assert_degraded(f, "/proc/sys/vm/compact_memory", err);
		assert_true(rec_count(&f->rec, "/compact_memory") >= 2);
		assert_true(rec_count(&f->rec, "/compact_memory") <= periods);
		assert_int_equal(f->g.totals[VR_ACTION_COMPACT].runs,
				 f->g.totals[VR_ACTION_COMPACT].failures);
		/* what still works: the order, and the cache */
		assert_true(lowerings(f) >= 1);
		assert_true(reclaims(f) >= 1);
		/* dmesg hears of the first try only */
		kmsg = fake_get(f->root, "/dev/kmsg");
		assert_string_equal(kmsg, "<6>vmreclaimd: Performing memory compaction");
		free(kmsg);
		fx_free(f);
	}
}

/* drop_caches in dropcache mode, and in gradual mode without
 * memory.reclaim (where it is the fallback): tried once per idle period,
 * compaction goes on. */
static void test_write_drop_caches(void **state)
{
	static const enum vr_mode modes[] = { VR_MODE_DROPCACHE, VR_MODE_GRADUAL };
	size_t e, m;

	(void)state;
	for (m = 0; m < VR_ARRAY_SIZE(modes); m++) {
		for (e = 0; e < VR_ARRAY_SIZE(write_errors); e++) {
			struct fx *f = fx_new(modes[m]);
			cell("test_write_drop_caches", strerror(write_errors[e]));
			int err = write_errors[e];
			char needle[128];

			put_lru(f, 512, 512, 0);
			if (modes[m] == VR_MODE_GRADUAL)
				fake_rm(f->root, "/sys/fs/cgroup/memory.reclaim");
			fail_write(f, "/proc/sys/vm/drop_caches", "/drop_caches", err);
			start(f);
			run(f, 20);
			snprintf(needle, sizeof(needle), "/proc/sys/vm/drop_caches: %s", strerror(err));
			assert_quiet(f, needle);
			assert_degraded(f, "/proc/sys/vm/drop_caches", err);
			assert_true(f->periods >= 9);
			assert_int_equal(rec_count(&f->rec, "/drop_caches"), f->periods);
			assert_int_equal(rec_count(&f->rec, "/compact_memory"), f->periods);
			assert_int_equal(f->g.totals[VR_ACTION_COMPACT].failures, 0);
			assert_int_equal(reclaims(f), 0);
			fx_free(f);
		}
	}
}

/* memory.reclaim in auto, after a probe that worked.  An error costs the
 * idle period: auto drops the cache once instead, and tries memory.reclaim
 * again in the next one.  EAGAIN is not an error: the kernel reclaimed
 * less than asked; auto waits a settle time before asking again. */
static void test_write_memory_reclaim(void **state)
{
	size_t e;

	(void)state;
	for (e = 0; e < VR_ARRAY_SIZE(write_errors); e++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_write_memory_reclaim", strerror(write_errors[e]));
		int err = write_errors[e];
		char needle[128];

		put_lru(f, 64, 600, 0);
		start(f);
		fail_write(f, "/sys/fs/cgroup/memory.reclaim", "/memory.reclaim", err);
		run(f, 25);
		snprintf(needle, sizeof(needle), VR_MEMORY_RECLAIM_PATH ": %s", strerror(err));
		assert_true(f->periods >= 7);
		if (err == EAGAIN) {
			assert_quiet(f, NULL);
			assert_not_degraded(f);
			assert_int_equal(f->g.totals[VR_ACTION_RECLAIM].failures, 0);
			assert_true(f->g.history[(f->g.history_next + VR_HISTORY_MAX - 1) % VR_HISTORY_MAX].partial);
			assert_status_has(f, "cache:       the kernel reclaimed less than asked: asking again in ");
			/* once per settle time (20 s = 4 ticks), not every tick */
			assert_true(reclaims(f) >= 10);
			assert_true(reclaims(f) <= TICKS / 4 + 1);
			assert_int_equal(rec_count(&f->rec, "/drop_caches"), 0);
		} else {
			assert_quiet(f, needle);
			assert_degraded(f, VR_MEMORY_RECLAIM_PATH, err);
			/* at most one try per idle period, and before the first */
			assert_true(reclaims(f) >= 1);
			assert_true(reclaims(f) <= f->periods + 1);
			/* the cache is dropped instead, once per idle period */
			assert_true(rec_count(&f->rec, "/drop_caches") >= 1);
			assert_true(rec_count(&f->rec, "/drop_caches") <= f->periods);
		}
		fx_free(f);
	}
}

/* memory.reclaim missing from the start (cgroup v2 on Linux < 5.19), or
 * cgroup v1 only: never written, not even the probe; auto drops the cache
 * once per idle period instead. */
static void test_no_memory_reclaim(void **state)
{
	int v1;

	(void)state;
	for (v1 = 0; v1 <= 1; v1++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_no_memory_reclaim", "-");

		put_lru(f, 64, 600, 0);
		fake_rm(f->root, "/sys/fs/cgroup/memory.reclaim");
		if (v1)
			fake_rm(f->root, "/sys/fs/cgroup/cgroup.controllers");
		start(f);
		assert_false(f->g.cgroup.has_reclaim);
		assert_int_equal(f->rec.n, 0);
		run(f, 25);
		assert_quiet(f, NULL);
		assert_int_equal(log_catch_count(&f->log, v1 ? "cgroup v2 not mounted" : "(Linux < 5.19)"), 1);
		assert_int_equal(rec_count(&f->rec, "/memory.reclaim"), 0);
		assert_int_equal(rec_count(&f->rec, "/drop_caches"), f->periods);
		assert_true(rec_count(&f->rec, "/compact_memory") >= f->periods);
		assert_status_has(f, "reclaim via: drop_caches only");
		assert_status_has(f, v1 ? "memory.reclaim unusable: no cgroup v2"
					: "memory.reclaim unusable: no memory.reclaim");
		assert_not_degraded(f);
		fx_free(f);
	}
}

/* page_reporting_order in auto with fragments: the lowering fails, the
 * order stays where it was, and compaction and cache reclaim go on.  The
 * missing case: the file goes away once the service is idle. */
static void test_write_reporting_order(void **state)
{
	size_t e;

	(void)state;
	for (e = 0; e < VR_ARRAY_SIZE(write_errors); e++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_write_reporting_order", strerror(write_errors[e]));
		int err = write_errors[e];
		char needle[128];
		unsigned i;

		busy_guest(f);
		if (err != ENOENT)
			fail_write(f, VR_REPORTING_ORDER_PATH, "/page_reporting_order", err);
		start(f);
		for (i = 0; i < 5; i++)
			tick(f, 0);
		assert_true(f->g.idle.idle);
		if (err == ENOENT)
			fake_rm(f->root, VR_REPORTING_ORDER_PATH);
		run(f, 50);
		snprintf(needle, sizeof(needle), VR_REPORTING_ORDER_PATH ": %s", strerror(err));
		assert_quiet(f, needle);
		assert_degraded(f, VR_REPORTING_ORDER_PATH, err);
		assert_false(f->g.order_lowered);
		if (err != ENOENT)
			assert_int_equal(f->g.reporting.order, 9);
		/* tried once per idle period (until the file is gone), not
		 * every tick; nothing is held or raised after a lowering that
		 * failed */
		assert_true(rec_count(&f->rec, "/page_reporting_order") >= (err == ENOENT ? 1 : 2));
		assert_true(rec_count(&f->rec, "/page_reporting_order") <= f->periods + 1);
		assert_int_equal(lowerings(f), rec_count(&f->rec, "/page_reporting_order"));
		assert_status_has(f, err == ENOENT ? "reporting:   not in this kernel"
						   : "page_reporting_order is read-only");
		assert_int_equal(rec_count(&f->rec, "/wake"), 0);
		assert_true(rec_count(&f->rec, "/compact_memory") >= 1);
		assert_true(reclaims(f) >= 1);
		fx_free(f);
	}
}

/* /dev/kmsg, written before and after each compaction (dropcache mode):
 * tried once, then left alone; the actions go on. */
static void test_write_kmsg(void **state)
{
	size_t e;

	(void)state;
	for (e = 0; e < VR_ARRAY_SIZE(write_errors); e++) {
		struct fx *f = fx_new(VR_MODE_DROPCACHE);
		cell("test_write_kmsg", strerror(write_errors[e]));
		int err = write_errors[e];
		char needle[128];

		put_lru(f, 512, 512, 0);
		if (err == ENOENT)
			fake_rm(f->root, "/dev/kmsg");
		else
			open_fail_on("/dev/kmsg", err);
		start(f);
		run(f, 20);
		snprintf(needle, sizeof(needle), "/dev/kmsg: %s", strerror(err));
		assert_quiet(f, needle);
		assert_degraded(f, "/dev/kmsg", err);
		if (err != ENOENT)
			assert_int_equal(open_fault.hits, 1);
		assert_true(f->periods >= 9);
		assert_int_equal(rec_count(&f->rec, "/drop_caches"), f->periods);
		assert_int_equal(rec_count(&f->rec, "/compact_memory"), f->periods);
		assert_int_equal(f->g.iface[VR_IF_KMSG].failures, 1);
		fx_free(f);
	}
}

/* The metrics file, written after every tick as the daemon does: one
 * warning, and auto goes on.  Missing: its directory does not exist. */
static void test_write_metrics(void **state)
{
	size_t e;

	(void)state;
	for (e = 0; e < VR_ARRAY_SIZE(write_errors); e++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_write_metrics", strerror(write_errors[e]));
		int err = write_errors[e];
		char needle[128];

		busy_guest(f);
		if (err == ENOENT) {
			snprintf(f->metrics, sizeof(f->metrics), "%s/no/such/dir/vmreclaim.prom", f->root);
		} else {
			snprintf(f->metrics, sizeof(f->metrics), "%s/vmreclaim.prom", f->root);
			open_fail_on("/.vmreclaim.prom.", err); /* its temporary file */
		}
		start(f);
		run(f, 50);
		snprintf(needle, sizeof(needle), "metricsFile: %s", strerror(err));
		assert_quiet(f, needle);
		assert_degraded(f, "metricsFile", err);
		assert_int_equal(f->g.iface[VR_IF_METRICS].failures, TICKS);
		assert_true(reclaims(f) >= 1);
		assert_true(lowerings(f) >= 1);
		/* and it comes back */
		open_fail_on(NULL, 0);
		snprintf(f->metrics, sizeof(f->metrics), "%s/vmreclaim.prom", f->root);
		tick(f, 0);
		assert_int_equal(log_catch_count(&f->log, "metricsFile works again"), 1);
		assert_true(vr_sys_exists(&f->g.sys, "/vmreclaim.prom"));
		fx_free(f);
	}
}

/* --- reads -------------------------------------------------------------- */

enum read_fault { R_MISSING, R_DIR, R_TRUNCATED, R_GARBAGE, R_EMPTY, R_FAULTS };

static const char *const read_fault_names[R_FAULTS] = { "missing", "directory", "truncated",
							 "garbage", "empty" };

static void put_fault(struct fx *f, const char *rel, enum read_fault k, const char *truncated,
		      const char *garbage)
{
	char path[PATH_MAX];

	switch (k) {
	case R_MISSING:
		fake_rm(f->root, rel);
		break;
	case R_DIR:
		fake_rm(f->root, rel);
		snprintf(path, sizeof(path), "%s%s", f->root, rel);
		assert_int_equal(mkdir(path, 0755), 0);
		break;
	case R_TRUNCATED:
		fake_put(f->root, rel, truncated);
		break;
	case R_GARBAGE:
		fake_put(f->root, rel, garbage);
		break;
	case R_EMPTY:
	case R_FAULTS:
		fake_put(f->root, rel, "");
		break;
	}
}

/* The error a reader gives for each fault of a file the service parses
 * itself. */
static int parse_error(enum read_fault k)
{
	return k == R_MISSING ? ENOENT : k == R_DIR ? EISDIR : k == R_GARBAGE ? ERANGE : EINVAL;
}

/* /proc/stat: idle tracking stops (never idle: no cache drop); auto's
 * cache reclaim goes on, and so does handing back fragments once free
 * memory is steady (one compaction, then the order). */
static void test_read_stat(void **state)
{
	enum read_fault k;

	(void)state;
	for (k = 0; k < R_FAULTS; k++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_read_stat", read_fault_names[k]);
		char needle[128];

		busy_guest(f);
		f->stat_fixed = true;
		put_fault(f, "/proc/stat", k, "cpu  1000 0",
			  "cpu  184467440737095516150 0 0 100000 0 0 0 0 0 0\n");
		start(f);
		run(f, 50);
		snprintf(needle, sizeof(needle), "/proc/stat: %s", strerror(parse_error(k)));
		assert_quiet(f, needle);
		assert_degraded(f, "/proc/stat", parse_error(k));
		assert_status_has(f, "state:       unknown: /proc/stat unreadable");
		assert_int_equal(f->g.idle.periods, 0);
		assert_int_equal(rec_count(&f->rec, "/compact_memory"), 1);
		assert_int_equal(rec_count(&f->rec, "/drop_caches"), 0);
		assert_true(lowerings(f) >= 1);
		assert_true(reclaims(f) >= 1);
		fx_free(f);
	}
}

/* /proc/meminfo: no step can be sized, and the swap check cannot be made:
 * no memory.reclaim and no cache drop, in auto or gradual; compaction on
 * idle goes on in gradual. */
static void test_read_meminfo(void **state)
{
	static const enum vr_mode modes[] = { VR_MODE_AUTO, VR_MODE_GRADUAL };
	enum read_fault k;
	size_t m;

	(void)state;
	for (m = 0; m < VR_ARRAY_SIZE(modes); m++) {
		for (k = 0; k < R_FAULTS; k++) {
			struct fx *f = fx_new(modes[m]);
			cell("test_read_meminfo", read_fault_names[k]);
			char needle[128];

			put_fault(f, "/proc/meminfo", k, "MemTotal:        2030000 kB\nMemFr",
				  "MemTotal:        2030000 kB\nMemFree:  99999999999999999999 kB\n");
			start(f);
			run(f, 25);
			snprintf(needle, sizeof(needle), "/proc/meminfo: %s", strerror(parse_error(k)));
			assert_quiet(f, needle);
			assert_degraded(f, "/proc/meminfo", parse_error(k));
			assert_int_equal(reclaims(f), 0);
			assert_int_equal(rec_count(&f->rec, "/drop_caches"), 0);
			if (modes[m] == VR_MODE_GRADUAL)
				assert_int_equal(rec_count(&f->rec, "/compact_memory"), f->periods);
			fx_free(f);
		}
	}
}

/* /proc/buddyinfo: free blocks unknown: no compaction and no order change
 * in auto; cache reclaim goes on. */
static void test_read_buddyinfo(void **state)
{
	enum read_fault k;

	(void)state;
	for (k = 0; k < R_FAULTS; k++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_read_buddyinfo", read_fault_names[k]);
		char needle[128];

		put_lru(f, 64, 600, 0);
		put_fault(f, "/proc/buddyinfo", k, "Node 0, zone    DMA32",
			  "Node 0, zone    DMA32   99999999999999999999999   3000   3000   3000   3000   3000      0      0      0      0    283 \n");
		start(f);
		assert_true(f->g.reporting.registered);
		run(f, 50);
		snprintf(needle, sizeof(needle), "/proc/buddyinfo: %s", strerror(parse_error(k)));
		assert_quiet(f, needle);
		assert_degraded(f, "/proc/buddyinfo", parse_error(k));
		assert_status_has(f, "free blocks: unknown (/proc/buddyinfo unreadable)");
		assert_status_has(f, "fragments:   free blocks unknown (/proc/buddyinfo)");
		assert_int_equal(rec_count(&f->rec, "/compact_memory"), 0);
		assert_int_equal(rec_count(&f->rec, "/page_reporting_order"), 0);
		assert_true(reclaims(f) >= 1);
		fx_free(f);
	}
}

/* /proc/vmstat: no refault counter, so auto cannot see the working set:
 * no memory.reclaim; the cache is dropped once per idle period instead. */
static void test_read_vmstat(void **state)
{
	enum read_fault k;

	(void)state;
	for (k = 0; k < R_FAULTS; k++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_read_vmstat", read_fault_names[k]);
		char needle[128];
		int err = k == R_TRUNCATED || k == R_EMPTY ? ENODATA : parse_error(k);

		put_lru(f, 64, 600, 0);
		put_fault(f, "/proc/vmstat", k, "nr_free_pages 1000\nworkingset_refault_fi",
			  "nr_free_pages 1000\nworkingset_refault_file 99999999999999999999999\n");
		start(f);
		run(f, 25);
		snprintf(needle, sizeof(needle), "/proc/vmstat: %s", strerror(err));
		assert_quiet(f, needle);
		assert_degraded(f, "/proc/vmstat", err);
		assert_status_has(f, "memory.reclaim unusable: no refault counter in /proc/vmstat");
		assert_int_equal(reclaims(f), 0);
		assert_true(f->periods >= 7);
		assert_int_equal(rec_count(&f->rec, "/drop_caches"), f->periods);
		fx_free(f);
	}
}

/* /proc/pressure/memory: the service opens a trigger on it (the daemon's
 * open_psi()) and never parses its text.  Missing or a directory: no
 * trigger, said once; bad contents: the trigger opens all the same (the
 * text is the kernel's, and vr_psi_parse() would refuse it).  Reclaim
 * goes on either way. */
static void test_read_psi(void **state)
{
	enum read_fault k;

	(void)state;
	for (k = 0; k < R_FAULTS; k++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_read_psi", read_fault_names[k]);
		struct vr_psi psi;
		char *text;
		int fd;

		put_lru(f, 64, 600, 0);
		put_fault(f, "/proc/pressure/memory", k,
			  "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.0",
			  "some avg10=1000.00 avg60=0.00 avg300=0.00 total=99999999999999999999999\n");
		start(f);
		fd = vr_psi_trigger_open(&f->g.sys, 150000, 1000000);
		vr_guest_iface(&f->g, VR_IF_PSI, fd < 0 ? fd : 0);
		f->g.psi_available = fd >= 0;
		run(f, 25);
		if (k == R_MISSING || k == R_DIR) {
			char needle[128];

			assert_int_equal(fd, -parse_error(k));
			snprintf(needle, sizeof(needle), "/proc/pressure/memory: %s", strerror(-fd));
			assert_quiet(f, needle);
			assert_degraded(f, "/proc/pressure/memory", -fd);
		} else {
			assert_true(fd >= 0);
			close(fd);
			assert_quiet(f, NULL);
			assert_not_degraded(f);
			text = fake_get(f->root, "/proc/pressure/memory");
			assert_non_null(text);
			assert_true(vr_psi_parse(text, &psi) < 0);
			free(text);
		}
		assert_true(reclaims(f) >= 1);
		fx_free(f);
	}
}

/* page_reporting_order unreadable or nonsense: taken as no free page
 * reporting (said once at start; status says so): auto never writes the
 * order nor compacts for it; cache reclaim goes on.  Truncated (no
 * newline) still reads as 9. */
static void test_read_reporting_order(void **state)
{
	enum read_fault k;

	(void)state;
	for (k = 0; k < R_FAULTS; k++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_read_reporting_order", read_fault_names[k]);

		busy_guest(f);
		put_fault(f, VR_REPORTING_ORDER_PATH, k, "9", "4294967296\n");
		start(f);
		run(f, 50);
		if (k == R_TRUNCATED) {
			assert_true(f->g.reporting.registered);
			assert_quiet(f, NULL);
			assert_true(lowerings(f) >= 1);
		} else {
			assert_false(f->g.reporting.order_known);
			assert_quiet(f, "this kernel has no free page reporting");
			assert_status_has(f, "reporting:   not in this kernel");
			assert_status_has(f, "fragments:   no free page reporting: nothing reaches the host");
			assert_int_equal(rec_count(&f->rec, "/page_reporting_order"), 0);
			assert_int_equal(rec_count(&f->rec, "/compact_memory"), 0);
		}
		assert_not_degraded(f);
		assert_true(reclaims(f) >= 1);
		fx_free(f);
	}
}

/* The balloon's virtio features: anything but a '1' at bit 5 is a balloon
 * without free page reporting, said once at start; the service trusts
 * page_reporting_order for what it does. */
static void test_read_virtio_features(void **state)
{
	char garbage[400];
	enum read_fault k;

	(void)state;
	memset(garbage, '1', sizeof(garbage) - 2);
	garbage[sizeof(garbage) - 2] = '\n';
	garbage[sizeof(garbage) - 1] = '\0';
	for (k = 0; k < R_FAULTS; k++) {
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_read_virtio_features", read_fault_names[k]);

		busy_guest(f);
		put_fault(f, "/sys/bus/virtio/devices/virtio0/features", k, "01100", garbage);
		start(f);
		assert_int_equal(f->g.reporting.balloon, VR_BALLOON_NO_REPORTING);
		run(f, 50);
		assert_quiet(f, "virtio balloon: no free page reporting");
		assert_status_has(f, "balloon: no free page reporting");
		assert_not_degraded(f);
		assert_true(reclaims(f) >= 1);
		assert_true(lowerings(f) >= 1);
		fx_free(f);
	}
}

/* --- kernels without a feature ------------------------------------------ */

/* No free page reporting at all: no page_reporting_order, no balloon.
 * Auto reclaims cache and leaves fragments alone; one warning. */
static void test_no_reporting(void **state)
{
	struct fx *f = fx_new(VR_MODE_AUTO);
	cell("test_no_reporting", "-");
	char path[PATH_MAX];

	(void)state;
	busy_guest(f);
	fake_rm(f->root, VR_REPORTING_ORDER_PATH);
	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/virtio0/device");
	fake_rm(f->root, path);
	start(f);
	assert_int_equal(f->g.reporting.balloon, VR_BALLOON_NONE);
	run(f, 50);
	assert_quiet(f, "this kernel has no free page reporting");
	assert_status_has(f, "reporting:   not in this kernel, balloon: none");
	assert_not_degraded(f);
	assert_int_equal(rec_count(&f->rec, "/page_reporting_order"), 0);
	assert_int_equal(rec_count(&f->rec, "/wake"), 0);
	assert_true(reclaims(f) >= 1);
	fx_free(f);
}

/* Swap on, and a kernel that rejects swappiness= (before 6.11): nothing
 * may reclaim in a way that could swap.  Auto, gradual, a host request,
 * meminfo gone (swap unknown), and swap turned on after a start without
 * it: no memory.reclaim but the probe. */
static void test_swap_without_swappiness(void **state)
{
	static const enum vr_mode modes[] = { VR_MODE_AUTO, VR_MODE_GRADUAL };
	char reply[256];
	size_t m;

	(void)state;
	for (m = 0; m < VR_ARRAY_SIZE(modes); m++) {
		struct fx *f = fx_new(modes[m]);
		cell("test_swap_without_swappiness", "-");

		put_lru(f, 64, 600, 512);
		rec_fail_on(&f->rec, "/memory.reclaim", "0 swappiness", -EINVAL, -1);
		start(f);
		assert_false(f->g.cgroup.swappiness);
		run(f, 25);
		vr_guest_channel(&f->g, "give 1073741824", 15, reply, sizeof(reply));
		assert_true(strncmp(reply, "ok ", 3) == 0);
		assert_int_equal(rec_count(&f->rec, "/memory.reclaim"), 1); /* the probe */
		assert_true(rec_count(&f->rec, "/drop_caches") >= f->periods);
		assert_quiet(f, NULL);
		assert_not_degraded(f);
		/* swap unknown */
		fake_rm(f->root, "/proc/meminfo");
		f->have_lru = false;
		run(f, 25);
		assert_int_equal(rec_count(&f->rec, "/memory.reclaim"), 1);
		fx_free(f);
	}
	/* swapon after start: plain memory.reclaim while there was no swap,
	 * none after */
	{
		struct fx *f = fx_new(VR_MODE_AUTO);
		cell("test_swap_without_swappiness", "-");
		unsigned before;

		put_lru(f, 64, 600, 0);
		rec_fail_on(&f->rec, "/memory.reclaim", "0 swappiness", -EINVAL, -1);
		start(f);
		run(f, 25);
		before = rec_count(&f->rec, "/memory.reclaim");
		assert_true(before > 1);
		assert_null(strstr(f->rec.w[1].data, "swappiness"));
		put_lru(f, 64, 600, 512);
		run(f, 25);
		assert_int_equal(rec_count(&f->rec, "/memory.reclaim"), before);
		fx_free(f);
	}
}

/* --- time --------------------------------------------------------------- */

/* The monotonic clock jumps forward by hours (a host that paused the VM):
 * no burst of actions, the order lowered before the jump goes back once,
 * and status still adds up. */
static void test_clock_jump(void **state)
{
	struct fx *f = fx_new(VR_MODE_AUTO);
	cell("test_clock_jump", "-");
	unsigned i, n, most = 0;
	char *s;

	(void)state;
	busy_guest(f);
	start(f);
	for (i = 0; i < 7; i++)
		tick(f, 0);
	assert_true(f->g.order_lowered);
	fake_now_usec += 5ull * 3600 * SEC;
	for (i = 0; i < TICKS; i++) {
		n = f->rec.n;
		tick(f, i % 50 == 49 ? 80 : 0);
		if (f->rec.n - n > most)
			most = f->rec.n - n;
		if (i == 0) {
			/* raised back at once: the hold is long past */
			assert_false(f->g.order_lowered);
			assert_string_equal(f->rec.w[f->rec.n - 1].data, "9");
		}
		if (i % 60 == 30)
			fake_now_usec += 3ull * 3600 * SEC;
	}
	/* one compaction, one order write, a wake and a reclaim at most */
	assert_true(most <= 4);
	assert_true(f->rec.n < 120);
	assert_quiet(f, NULL);
	s = status(f, true);
	assert_non_null(strstr(s, "\"uptime_sec\":"));
	assert_null(strstr(s, "nan"));
	free(s);
	fx_free(f);
}

/* /proc/stat counters going backwards (CPU hot-unplug, a restored
 * snapshot), standing still, and dropping to zero: idle tracking starts
 * again, nothing divides by zero, and actions stay once per idle period. */
static void test_stat_backwards(void **state)
{
	struct fx *f = fx_new(VR_MODE_DROPCACHE);
	cell("test_stat_backwards", "-");
	unsigned i;
	char *s;

	(void)state;
	put_lru(f, 512, 512, 0);
	start(f);
	for (i = 0; i < 5; i++)
		tick(f, 0);
	assert_true(f->g.idle.idle);
	assert_int_equal(rec_count(&f->rec, "/drop_caches"), 1);
	/* a reset: the window starts again */
	f->busy = 10;
	f->idle = 100;
	tick(f, 0);
	assert_false(f->g.idle.idle);
	assert_int_equal(f->g.idle.resets, 1);
	for (i = 0; i < 3; i++)
		tick(f, 0);
	assert_false(f->g.idle.idle);
	tick(f, 0);
	assert_true(f->g.idle.idle);
	assert_int_equal(rec_count(&f->rec, "/drop_caches"), 2);
	/* counters that stand still: no sample, no division */
	f->stat_fixed = true;
	for (i = 0; i < 20; i++)
		tick(f, 0);
	/* all zero */
	fake_cpu(f->root, 0, 0);
	tick(f, 0);
	tick(f, 0);
	s = status(f, true);
	assert_null(strstr(s, "nan"));
	assert_null(strstr(s, "inf"));
	free(s);
	/* backwards on every other sample: never idle, nothing done */
	f->stat_fixed = false;
	f->busy = 1000;
	f->idle = 100000;
	tick(f, 0);
	i = f->rec.n;
	{
		unsigned j;

		for (j = 0; j < TICKS; j++) {
			if (j % 2) {
				f->busy -= 20;
				f->idle -= 20;
			}
			tick(f, 0);
		}
	}
	assert_false(f->g.idle.idle);
	assert_int_equal(f->rec.n, i);
	assert_true(f->g.idle.resets >= TICKS / 2);
	assert_quiet(f, NULL);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_compact_memory),
		cmocka_unit_test(test_write_drop_caches),
		cmocka_unit_test(test_write_memory_reclaim),
		cmocka_unit_test(test_no_memory_reclaim),
		cmocka_unit_test(test_write_reporting_order),
		cmocka_unit_test(test_write_kmsg),
		cmocka_unit_test(test_write_metrics),
		cmocka_unit_test(test_read_stat),
		cmocka_unit_test(test_read_meminfo),
		cmocka_unit_test(test_read_buddyinfo),
		cmocka_unit_test(test_read_vmstat),
		cmocka_unit_test(test_read_psi),
		cmocka_unit_test(test_read_reporting_order),
		cmocka_unit_test(test_read_virtio_features),
		cmocka_unit_test(test_no_reporting),
		cmocka_unit_test(test_swap_without_swappiness),
		cmocka_unit_test(test_clock_jump),
		cmocka_unit_test(test_stat_backwards),
	};

	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
