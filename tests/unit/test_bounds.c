/* SPDX-License-Identifier: MIT */
/* Resource bounds: 100,000 samples of the service in auto mode, with a
 * fake clock over a fake tree that keeps changing (busy and idle, cache
 * growing and reclaimed, refaults, fragments, failing knobs), and status
 * and metrics asked for along the way: the process's RSS and open file
 * descriptors must stay flat. */
#include "helpers.h"
#include "common/util.h"
#include "guest/guest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC VR_USEC_PER_SEC
#define CYCLES 100000

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static uint64_t rss_kib(void)
{
	char buf[4096], *p;

	assert_int_equal(vr_read_file("/proc/self/status", buf, sizeof(buf), NULL), 0);
	p = strstr(buf, "VmRSS:");
	assert_non_null(p);
	return strtoull(p + 6, NULL, 10);
}

static void put_state(const char *root, unsigned i)
{
	char buf[1024];
	unsigned phase = (i / 500) % 4;
	uint64_t inactive_kib = phase == 1 ? 600000 - (i % 500) * 1000 : 40000;

	snprintf(buf, sizeof(buf),
		 "MemTotal:        2030000 kB\nMemFree:          900000 kB\nMemAvailable:    1800000 kB\n"
		 "Active(file):     131072 kB\nInactive(file):   %llu kB\nSwapTotal:             0 kB\n"
		 "SwapFree:              0 kB\nDirty:                 0 kB\nSReclaimable:      8192 kB\n",
		 (unsigned long long)inactive_kib);
	fake_put(root, "/proc/meminfo", buf);
	snprintf(buf, sizeof(buf), "workingset_refault_file %u\n", (i / 700) * 1000);
	fake_put(root, "/proc/vmstat", buf);
	if (i % 1000 == 0)
		fake_put(root, "/proc/buddyinfo",
			 phase == 2 ? BUDDYINFO_FRAGMENTED
				    : "Node 0, zone    DMA32      1      2      1      2      2      2      1      1      1      3    225 \n");
}

static void test_cycles(void **state)
{
	struct rec rec;
	struct vr_config cfg;
	struct vr_guest g;
	struct log_catch log;
	char *root = fake_tree_new(), path[4096];
	uint64_t busy = 1000, idle = 100000, rss0 = 0, rss1;
	unsigned fds0 = 0, fds1, i;
	FILE *sink = tmpfile(); /* a sink; no device node is written */

	(void)state;
	assert_non_null(sink);
	rec_init(&rec, root);
	rec.passthrough = true;
	vr_config_defaults(&cfg);
	cfg.idle_usec = 20 * SEC;
	cfg.sample_usec = 5 * SEC;
	snprintf(path, sizeof(path), "%s/metrics.prom", root);
	/* a knob that fails now and then, and the log kept quiet */
	rec_fail_on(&rec, "/compact_memory", NULL, -EBUSY, 3);
	log_catch_start(&log);
	fake_now_usec = 1000 * SEC;
	assert_int_equal(vr_guest_init(&g, &cfg, root, &rec_ops, &rec, fake_clock), 0);
	for (i = 0; i < CYCLES; i++) {
		unsigned pct = (i / 300) % 3 == 0 ? 40 : 0;

		if (i % 100 == 0)
			put_state(root, i);
		fake_now_usec += cfg.sample_usec;
		busy += 5 * pct;
		idle += 5 * (100 - pct);
		if (i % 10 == 0)
			fake_cpu(root, busy, idle);
		vr_guest_tick(&g);
		if (i % 1000 == 7)
			vr_guest_status(&g, sink, i % 2000 == 7);
		if (i % 1000 == 9)
			assert_int_equal(vr_guest_metrics_file(&g, path), 0);
		if (i % 997 == 0)
			vr_guest_pressure(&g);
		rec_clear(&rec);
		if (i == CYCLES / 10) {
			/* after warming up */
			rss0 = rss_kib();
			fds0 = open_fds();
		}
	}
	vr_guest_shutdown(&g);
	rss1 = rss_kib();
	fds1 = open_fds();
	print_message("# %u cycles: RSS %llu -> %llu KiB, fds %u -> %u, %llu actions\n", CYCLES,
		      (unsigned long long)rss0, (unsigned long long)rss1, fds0, fds1,
		      (unsigned long long)(g.totals[0].runs + g.totals[1].runs + g.totals[2].runs));
	assert_true(g.totals[VR_ACTION_RECLAIM].runs > 100);
	assert_true(g.autost.order_lowerings > 10);
	assert_int_equal(fds1, fds0);
	/* AddressSanitizer and valgrind hold freed memory back on purpose:
	 * there, leaks are theirs to find, and RSS says nothing. */
#ifndef __SANITIZE_ADDRESS__
	if (!getenv("VR_BOUNDS_NO_RSS"))
		assert_true(rss1 <= rss0 + 256);
#endif
	log_catch_stop();
	fclose(sink);
	fake_tree_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
