/* SPDX-License-Identifier: MIT */
/* top --metrics-file's text (vr_hostmetrics_write): Prometheus's format,
 * one family per figure, the guest figures only where there are some,
 * label values escaped. */
#include "helpers.h"
#include "host/hostmetrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const struct vr_sample *s, const char *const *backend,
		    const struct vr_chan_counters *counters, size_t n)
{
	struct vr_hostmetrics_row rows[4];
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_true(n <= 4);
	memset(rows, 0, sizeof(rows));
	for (i = 0; i < n; i++) {
		rows[i].s = s[i];
		rows[i].backend = backend[i];
		if (counters)
			rows[i].counters = counters[i];
	}
	assert_int_equal(vr_hostmetrics_write(f, rows, n), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;
	const char *p = text;

	while ((p = strstr(p, what))) {
		n++;
		p += strlen(what);
	}
	return n;
}

static void test_two_vms(void **state)
{
	struct vr_sample s[2];
	const char *backend[] = { "libvirt", "vmreclaim" };
	char *t;

	(void)state;
	memset(s, 0, sizeof(s));
	strcpy(s[0].vm, "web");
	s[0].rss_bytes = 233ULL << 20;
	s[0].have_guest = true;
	s[0].guest_total_bytes = 961ULL << 20;
	s[0].guest_available_bytes = 850ULL << 20;
	s[0].guest_free_bytes = 800ULL << 20;
	s[0].guest_cache_bytes = 5ULL << 20;
	vr_sample_derive(&s[0]);
	strcpy(s[1].vm, "pid42");
	s[1].rss_bytes = 1000;
	t = render(s, backend, NULL, 2);
	assert_non_null(strstr(t, "vmreclaim_vms 2\n"));
	assert_non_null(strstr(t, "vmreclaim_host_rss_bytes{vm=\"web\",backend=\"libvirt\"} 244318208\n"));
	assert_non_null(strstr(t, "vmreclaim_host_rss_bytes{vm=\"pid42\",backend=\"vmreclaim\"} 1000\n"));
	/* used = 961 - 850 MiB; stranded = 233 - 111 MiB */
	assert_non_null(strstr(t, "vmreclaim_guest_used_bytes{vm=\"web\",backend=\"libvirt\"} 116391936\n"));
	assert_non_null(strstr(t, "vmreclaim_stranded_bytes{vm=\"web\",backend=\"libvirt\"} 127926272\n"));
	/* no guest figures for the VM without them */
	assert_int_equal(count(t, "vm=\"pid42\""), 1);
	/* every family once, its samples after its TYPE line */
	assert_int_equal(count(t, "# TYPE vmreclaim_stranded_bytes gauge\n"), 1);
	assert_int_equal(count(t, "# HELP "), count(t, "# TYPE "));
	assert_true(strstr(t, "# TYPE vmreclaim_stranded_bytes") < strstr(t, "vmreclaim_stranded_bytes{"));
	/* every line ends in a newline, the text too */
	assert_true(t[strlen(t) - 1] == '\n');
	/* no counters from either guest: their families, no samples */
	assert_int_equal(count(t, "# TYPE vmreclaim_guest_actions_total counter\n"), 1);
	assert_null(strstr(t, "vmreclaim_guest_actions_total{"));
	free(t);
}

/* vmreclaimd's counters: as counters, per action where they are, only
 * those the guest sent, each family's samples together. */
static void test_counters(void **state)
{
	struct vr_sample s[3];
	struct vr_chan_counters c[3];
	const char *backend[] = { "vmreclaim", "libvirt", "vmreclaim" };
	const char *a, *b, *next;
	char *t;

	(void)state;
	memset(s, 0, sizeof(s));
	memset(c, 0, sizeof(c));
	strcpy(s[0].vm, "full");
	strcpy(s[1].vm, "web");
	strcpy(s[2].vm, "old");
	/* "full": a gradual guest, no auto counters */
	c[0].value[VR_CC_RECLAIM_RUNS] = 4;
	c[0].value[VR_CC_RECLAIM_BYTES] = 536870912;
	c[0].value[VR_CC_DROPCACHE_FAILURES] = 1;
	c[0].value[VR_CC_DROPCACHE_RUNS] = 1;
	c[0].value[VR_CC_PCP_DRAINS] = 12;
	c[0].value[VR_CC_RECLAIM_CPU_USEC] = 1500042; /* 1.500042 s */
	c[0].value[VR_CC_PCP_CPU_USEC] = 250000;
	c[0].have = ((1u << (VR_CC_PCP_DRAINS + 1)) - 1) | (1u << VR_CC_PCP_CPU_USEC);
	/* "web": auto, every counter, the largest values */
	for (unsigned i = 0; i < VR_CC_COUNT; i++)
		c[1].value[i] = UINT64_MAX;
	c[1].have = (1u << VR_CC_COUNT) - 1;
	/* "old": none (an older vmreclaimd) */
	t = render(s, backend, c, 3);
	assert_int_equal(count(t, "# TYPE vmreclaim_guest_actions_total counter\n"), 1);
	assert_int_equal(count(t, "# TYPE vmreclaim_guest_action_bytes_total counter\n"), 1);
	assert_int_equal(count(t, "# TYPE vmreclaim_guest_auto_slab_returned_bytes_total counter\n"), 1);
	assert_non_null(strstr(t, "vmreclaim_guest_actions_total{vm=\"full\",backend=\"vmreclaim\",action=\"reclaim\"} 4\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_actions_total{vm=\"full\",backend=\"vmreclaim\",action=\"compact\"} 0\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_action_bytes_total{vm=\"full\",backend=\"vmreclaim\",action=\"reclaim\"} 536870912\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_action_failures_total{vm=\"full\",backend=\"vmreclaim\",action=\"dropcache\"} 1\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_pcp_drains_total{vm=\"full\",backend=\"vmreclaim\"} 12\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_pcp_drain_cpu_seconds_total{vm=\"full\",backend=\"vmreclaim\"} 0.250000\n"));
	/* microseconds as seconds, exactly; the largest too */
	assert_non_null(strstr(t, "vmreclaim_guest_action_cpu_seconds_total{vm=\"full\",backend=\"vmreclaim\",action=\"reclaim\"} 1.500042\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_action_cpu_seconds_total{vm=\"full\",backend=\"vmreclaim\",action=\"compact\"} 0.000000\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_action_cpu_seconds_total{vm=\"web\",backend=\"libvirt\",action=\"dropcache\"} 18446744073709.551615\n"));
	assert_non_null(strstr(t, "vmreclaim_guest_auto_order_lowerings_total{vm=\"web\",backend=\"libvirt\"} 18446744073709551615\n"));
	/* what a guest did not send is not there */
	assert_null(strstr(t, "vmreclaim_guest_auto_order_lowerings_total{vm=\"full\""));
	assert_int_equal(count(t, "vm=\"old\""), 1); /* its RSS alone */
	/* 3 actions x 4 families + 4 for each of two guests, 6 auto for one */
	assert_int_equal(count(t, "_total{"), 12 * 2 + 4 * 2 + 6);
	/* a family's samples together: none of another family between */
	a = strstr(t, "vmreclaim_guest_actions_total{vm=\"full\"");
	b = strstr(t, "vmreclaim_guest_actions_total{vm=\"web\"");
	next = strstr(t, "# HELP vmreclaim_guest_action_failures_total");
	assert_true(a && b && next && a < b && b < next);
	assert_int_equal(count(t, "# HELP "), count(t, "# TYPE "));
	free(t);
}

static void test_escaped_labels(void **state)
{
	struct vr_sample s;
	const char *backend[] = { "libvirt" };
	char *t;

	(void)state;
	memset(&s, 0, sizeof(s));
	/* libvirt's domain names may hold these */
	strcpy(s.vm, "a\"b\\c\nd");
	s.rss_bytes = 1;
	t = render(&s, backend, NULL, 1);
	assert_non_null(strstr(t, "vmreclaim_host_rss_bytes{vm=\"a\\\"b\\\\c\\nd\",backend=\"libvirt\"} 1\n"));
	free(t);
}

static void test_none(void **state)
{
	char *t;

	(void)state;
	t = render(NULL, NULL, NULL, 0);
	assert_non_null(strstr(t, "vmreclaim_vms 0\n"));
	assert_null(strstr(t, "{"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_vms),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_escaped_labels),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests_name("hostmetrics", tests, NULL, NULL);
}
