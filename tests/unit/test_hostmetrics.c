/* SPDX-License-Identifier: MIT */
/* top --metrics-file's text (vr_hostmetrics_write): Prometheus's format,
 * one family per figure, the guest figures only where there are some,
 * label values escaped. */
#include "helpers.h"
#include "host/hostmetrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const struct vr_sample *s, const char *const *backend, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(vr_hostmetrics_write(f, s, backend, n), 0);
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
	t = render(s, backend, 2);
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
	t = render(&s, backend, 1);
	assert_non_null(strstr(t, "vmreclaim_host_rss_bytes{vm=\"a\\\"b\\\\c\\nd\",backend=\"libvirt\"} 1\n"));
	free(t);
}

static void test_none(void **state)
{
	char *t;

	(void)state;
	t = render(NULL, NULL, 0);
	assert_non_null(strstr(t, "vmreclaim_vms 0\n"));
	assert_null(strstr(t, "{"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_vms),
		cmocka_unit_test(test_escaped_labels),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests_name("hostmetrics", tests, NULL, NULL);
}
