/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/plot.h"
#include "host/sample.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* --- helpers ------------------------------------------------------------ */

static struct vr_sample sample(double t, const char *vm, uint64_t rss_mib, bool guest,
			       uint64_t total_mib, uint64_t avail_mib, const char *event)
{
	struct vr_sample s = { 0 };

	s.t_sec = t;
	snprintf(s.vm, sizeof(s.vm), "%s", vm);
	s.pid = 4242;
	s.rss_bytes = rss_mib * VR_MIB;
	s.have_guest = guest;
	if (guest) {
		s.guest_total_bytes = total_mib * VR_MIB;
		s.guest_available_bytes = avail_mib * VR_MIB;
		s.guest_free_bytes = avail_mib * VR_MIB / 2;
		s.guest_cache_bytes = avail_mib * VR_MIB / 3;
	}
	snprintf(s.event, sizeof(s.event), "%s", event ? event : "");
	vr_sample_derive(&s);
	return s;
}

/* The CSV line of @s, malloc'd. */
static char *csv_line(const struct vr_sample *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	vr_sample_write_csv(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The SVG of @n samples, malloc'd. */
static char *svg_of(const struct vr_sample *s, size_t n, const char *title)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(vr_plot_svg(s, n, title, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* How many times @ch is in the d attribute of the first element of class
 * @cls. */
static unsigned path_count(const char *svg, const char *cls, char ch)
{
	char key[64];
	const char *p, *end;
	unsigned n = 0;

	snprintf(key, sizeof(key), "class=\"%s\"", cls);
	p = strstr(svg, key);
	assert_non_null(p);
	p = strstr(p, " d=\"");
	assert_non_null(p);
	p += 4;
	end = strchr(p, '"');
	assert_non_null(end);
	for (; p < end; p++)
		n += *p == ch;
	return n;
}

static void assert_same_sample(const struct vr_sample *a, const struct vr_sample *b)
{
	assert_true(a->t_sec == b->t_sec);
	assert_string_equal(a->vm, b->vm);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->rss_bytes, b->rss_bytes);
	assert_int_equal(a->have_guest, b->have_guest);
	assert_int_equal(a->guest_total_bytes, b->guest_total_bytes);
	assert_int_equal(a->guest_free_bytes, b->guest_free_bytes);
	assert_int_equal(a->guest_available_bytes, b->guest_available_bytes);
	assert_int_equal(a->guest_cache_bytes, b->guest_cache_bytes);
	assert_int_equal(a->guest_used_bytes, b->guest_used_bytes);
	assert_int_equal(a->stranded_bytes, b->stranded_bytes);
	assert_string_equal(a->event, b->event);
}

/* --- CSV ------------------------------------------------------------------ */

static void test_csv_header(void **state)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	vr_sample_write_header(f);
	fclose(f);
	assert_string_equal(buf, VR_CSV_HEADER "\n");
	free(buf);
}

static void test_csv_round_trip(void **state)
{
	struct vr_sample s = sample(12.3, "web-1", 900, true, 2048, 1500, "reclaim 512MB");
	struct vr_sample back;
	char *line;

	(void)state;
	s.guest_free_bytes = 123456789;
	s.guest_cache_bytes = UINT64_MAX; /* the largest number survives */
	line = csv_line(&s);
	assert_string_equal(line, "12.3,web-1,4242,943718400,2147483648,123456789,1572864000,"
				  "18446744073709551615,574619648,369098752,reclaim 512MB\n");
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(vr_sample_parse_csv(line, &back), 0);
	assert_same_sample(&s, &back);
	free(line);

	/* Time is written with one decimal. */
	s.t_sec = 7;
	line = csv_line(&s);
	assert_true(strncmp(line, "7.0,", 4) == 0);
	free(line);
}

static void test_csv_no_guest(void **state)
{
	struct vr_sample s = sample(0.5, "db", 300, false, 0, 0, NULL);
	struct vr_sample back;
	char *line;

	(void)state;
	/* Stale figures in a sample without guest figures are not written. */
	s.guest_total_bytes = 99;
	s.guest_available_bytes = 98;
	line = csv_line(&s);
	assert_string_equal(line, "0.5,db,4242,314572800,,,,,,,\n");
	assert_int_equal(vr_sample_parse_csv(line, &back), 0);
	assert_false(back.have_guest);
	assert_int_equal(back.guest_total_bytes, 0);
	assert_int_equal(back.guest_available_bytes, 0);
	assert_int_equal(back.rss_bytes, 300 * VR_MIB);
	assert_string_equal(back.event, "");
	free(line);
}

static void test_csv_event_cleaning(void **state)
{
	struct vr_sample s = sample(1, "a,b", 1, false, 0, 0, "x,y \"q\"\r\nz\tw\x01\x7f\xc3\xa9!");
	struct vr_sample back;
	char *line;

	(void)state;
	line = csv_line(&s);
	assert_string_equal(line, "1.0,a b,4242,1048576,,,,,,,x y  q   z w    !\n");
	assert_int_equal(vr_sample_parse_csv(line, &back), 0);
	assert_string_equal(back.vm, "a b");
	assert_string_equal(back.event, "x y  q   z w    !");
	free(line);

	/* An event that fills its array without a terminator is cut to fit,
	 * and still parses. */
	memset(s.event, 'e', sizeof(s.event));
	memset(s.vm, 'v', sizeof(s.vm));
	s.pid = -1; /* unknown: written as 0 */
	s.t_sec = -3;
	line = csv_line(&s);
	assert_int_equal(vr_sample_parse_csv(line, &back), 0);
	assert_int_equal(strlen(back.event), sizeof(back.event) - 1);
	assert_int_equal(strlen(back.vm), sizeof(back.vm) - 1);
	assert_int_equal(back.pid, 0);
	assert_true(back.t_sec == 0);
	free(line);

	/* NaN and absurd times are kept parseable too. */
	s.t_sec = NAN;
	line = csv_line(&s);
	assert_int_equal(vr_sample_parse_csv(line, &back), 0);
	free(line);
	s.t_sec = 1e300;
	line = csv_line(&s);
	assert_int_equal(vr_sample_parse_csv(line, &back), 0);
	assert_true(back.t_sec < 1e10);
	free(line);
}

static void test_csv_parse_good(void **state)
{
	struct vr_sample s;

	(void)state;
	assert_int_equal(vr_sample_parse_csv("0,vm,0,0,,,,,,,", &s), 0);
	assert_true(s.t_sec == 0);
	assert_int_equal(vr_sample_parse_csv("3.25,,1,2,3,4,5,6,7,8,ev\n", &s), 0);
	assert_true(s.t_sec == 3.25);
	assert_string_equal(s.vm, "");
	assert_true(s.have_guest);
	assert_int_equal(s.guest_total_bytes, 3);
	assert_int_equal(s.stranded_bytes, 8);
	assert_int_equal(vr_sample_parse_csv("1.0,vm,2147483647,0,,,,,,,", &s), 0);
	assert_int_equal(s.pid, 2147483647);
}

static void test_csv_parse_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"1.0,vm,1,2,,,,,,",		/* 10 fields */
		"1.0,vm,1,2,,,,,,,,",		/* 12 fields */
		"1.0,vm,1,2,,,,,,,a,b",		/* 12: a comma in the event */
		"-1.0,vm,1,2,,,,,,,",		/* negative time */
		"1.0,vm,-1,2,,,,,,,",		/* negative pid */
		"1.0,vm,1,-2,,,,,,,",		/* negative rss */
		"1.0,vm,1,+2,,,,,,,",
		"1.0,vm,1,2,-3,4,5,6,7,8,",
		"1.0,vm,1,18446744073709551616,,,,,,,", /* 2^64 */
		"1.0,vm,1,2,1,1,1,1,1,99999999999999999999,",
		"1.0,vm,2147483648,2,,,,,,,",	/* pid > INT_MAX */
		"1.0,vm,,2,,,,,,,",		/* no pid */
		"1.0,vm,1,,,,,,,,",		/* no rss */
		"1.0,vm,1,0x10,,,,,,,",
		"1.0,vm,1, 2,,,,,,,",
		"1.0,vm,1,2 ,,,,,,,",
		"abc,vm,1,2,,,,,,,",
		",vm,1,2,,,,,,,",
		"1e3,vm,1,2,,,,,,,",
		"1.,vm,1,2,,,,,,,",
		".5,vm,1,2,,,,,,,",
		"nan,vm,1,2,,,,,,,",
		"inf,vm,1,2,,,,,,,",
		" 1.0,vm,1,2,,,,,,,",
		"1.0.0,vm,1,2,,,,,,,",
		"12345678901.0,vm,1,2,,,,,,,",	/* 11 integer digits */
		"1.0123456789,vm,1,2,,,,,,,",	/* 10 decimals */
		"1.0,vm,1,2,3,,,,,,",		/* guest fields half there */
		"1.0,vm,1,2,,,,,,8,",
		"1.0,vm,1,2,3,4,5,6,7,,",
		"1.0,v\"m,1,2,,,,,,,",		/* quote */
		"1.0,vm,1,2,,,,,,,\"ev\"",
		"1.0,vm,1,2,,,,,,,e\tv",	/* control characters */
		"1.0,vm,1,2,,,,,,,ev\r\n",
		"1.0,vm,1,2,,,,,,,ev\n\n",
		"1.0,vm,1,2,,,,,,,\xc3\xa9",	/* not ASCII */
		"time_s,vm,pid,rss_bytes,guest_total_bytes,guest_free_bytes,"
		"guest_available_bytes,guest_cache_bytes,guest_used_bytes,stranded_bytes,event",
	};
	struct vr_sample s, sentinel;
	char long_line[8192];
	size_t i;

	(void)state;
	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (i = 0; i < VR_ARRAY_SIZE(bad); i++) {
		s = sentinel;
		if (vr_sample_parse_csv(bad[i], &s) != -EINVAL)
			fail_msg("accepted line %zu: '%s'", i, bad[i]);
		/* Nothing written on failure. */
		assert_memory_equal(&s, &sentinel, sizeof(s));
	}

	/* Too long: a name of 64 bytes, an event of 96, a line of 8 KiB. */
	snprintf(long_line, sizeof(long_line), "1.0,%064d,1,2,,,,,,,", 0);
	assert_int_equal(vr_sample_parse_csv(long_line, &s), -EINVAL);
	snprintf(long_line, sizeof(long_line), "1.0,vm,1,2,,,,,,,%096d", 0);
	assert_int_equal(vr_sample_parse_csv(long_line, &s), -EINVAL);
	snprintf(long_line, sizeof(long_line), "1.0,vm,1,2,,,,,,,%095d", 0);
	assert_int_equal(vr_sample_parse_csv(long_line, &s), 0);
	memset(long_line, '1', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	assert_int_equal(vr_sample_parse_csv(long_line, &s), -EINVAL);
	memcpy(long_line, "1.0,vm,1,", 9);
	assert_int_equal(vr_sample_parse_csv(long_line, &s), -EINVAL);
}

static void test_derive(void **state)
{
	struct vr_sample s = { 0 };

	(void)state;
	s.have_guest = true;
	s.guest_total_bytes = 1000;
	s.guest_available_bytes = 300;
	s.guest_free_bytes = 100;
	s.rss_bytes = 900;
	vr_sample_derive(&s);
	assert_int_equal(s.guest_used_bytes, 700);
	assert_int_equal(s.stranded_bytes, 200);

	/* RSS below what the guest uses (not yet faulted in): none stranded. */
	s.rss_bytes = 500;
	vr_sample_derive(&s);
	assert_int_equal(s.stranded_bytes, 0);

	/* No MemAvailable from the guest (0, or QEMU's -1): free instead. */
	s.rss_bytes = 950;
	s.guest_available_bytes = 0;
	vr_sample_derive(&s);
	assert_int_equal(s.guest_used_bytes, 900);
	assert_int_equal(s.stranded_bytes, 50);
	s.guest_available_bytes = UINT64_MAX;
	vr_sample_derive(&s);
	assert_int_equal(s.guest_used_bytes, 900);

	/* Inconsistent figures saturate rather than wrap. */
	s.guest_available_bytes = 5000;
	vr_sample_derive(&s);
	assert_int_equal(s.guest_used_bytes, 0);
	assert_int_equal(s.stranded_bytes, 950);

	/* Without guest figures, whatever the fields hold, nothing. */
	s.have_guest = false;
	s.guest_available_bytes = 300;
	vr_sample_derive(&s);
	assert_int_equal(s.guest_used_bytes, 0);
	assert_int_equal(s.stranded_bytes, 0);
}

/* --- drawing -------------------------------------------------------------- */

static void test_axis(void **state)
{
	struct vr_plot_axis a;

	(void)state;
	vr_plot_axis_nice(0, 200, 8, &a);
	assert_true(a.lo == 0 && a.hi == 200 && a.step == 50);
	assert_int_equal(a.intervals, 4);

	/* 20 GiB in MiB. */
	vr_plot_axis_nice(0, 20480, 8, &a);
	assert_true(a.lo == 0 && a.step == 5000 && a.hi == 25000);
	assert_int_equal(a.intervals, 5);

	vr_plot_axis_nice(0, 900, 8, &a);
	assert_true(a.step == 200 && a.hi == 1000);

	vr_plot_axis_nice(0, 130, 8, &a);
	assert_true(a.step == 20 && a.hi == 140);

	/* Time not starting at zero; a single instant; nonsense. */
	vr_plot_axis_nice(3, 118, 10, &a);
	assert_true(a.lo == 0 && a.hi == 120 && a.step == 20);
	vr_plot_axis_nice(5, 5, 10, &a);
	assert_true(a.hi > a.lo && a.lo <= 5 && a.hi >= 5);
	assert_true(a.intervals >= 1 && a.intervals <= 10);
	vr_plot_axis_nice(NAN, INFINITY, 0, &a);
	assert_true(a.hi > a.lo);
	assert_int_equal(a.intervals, 1);
}

static void test_svg_ticks(void **state)
{
	struct vr_sample s[2];
	char *svg;

	(void)state;
	s[0] = sample(0, "vm", 150, false, 0, 0, NULL);
	s[1] = sample(7, "vm", 200, false, 0, 0, NULL); /* x labels 0..7 */
	svg = svg_of(s, 2, NULL);
	assert_non_null(strstr(svg, ">0</text>"));
	assert_non_null(strstr(svg, ">50</text>"));
	assert_non_null(strstr(svg, ">200</text>"));
	assert_null(strstr(svg, ">250</text>"));
	free(svg);

	s[1].rss_bytes = 20 * VR_GIB;
	svg = svg_of(s, 2, NULL);
	assert_non_null(strstr(svg, ">5000</text>"));
	assert_non_null(strstr(svg, ">25000</text>"));
	assert_null(strstr(svg, ">30000</text>"));
	free(svg);
}

static void test_svg_one_vm(void **state)
{
	struct vr_sample s[4];
	char *svg;

	(void)state;
	s[0] = sample(0, "vm1", 200, true, 1024, 800, NULL);
	s[1] = sample(10, "vm1", 900, true, 1024, 100, "load");
	s[2] = sample(20, "vm1", 900, false, 0, 0, NULL); /* balloon silent */
	s[3] = sample(30, "vm1", 250, true, 1024, 800, NULL);
	svg = svg_of(s, 4, "one");
	assert_true(strncmp(svg, "<?xml", 5) == 0);
	assert_non_null(strstr(svg, "</svg>\n"));
	assert_int_equal(count(svg, "<polyline"), 1);
	assert_int_equal(count(svg, "class=\"rss\""), 1);
	assert_int_equal(count(svg, "class=\"used\""), 1);
	assert_int_equal(count(svg, "class=\"stranded\""), 1);
	/* The gap splits both guest paths in two. */
	assert_int_equal(path_count(svg, "used", 'M'), 2);
	assert_int_equal(path_count(svg, "stranded", 'M'), 2);
	assert_int_equal(path_count(svg, "stranded", 'Z'), 2);
	/* Before and after: first 200, peak 900, last 250. */
	assert_non_null(strstr(svg, "first 200 MiB, peak 900 MiB at 10.0 s, last 250 MiB "
				    "(650 MiB below the peak)"));
	assert_non_null(strstr(svg, ">load</text>"));
	free(svg);
}

static void test_svg_two_vms(void **state)
{
	struct vr_sample s[6];
	char *svg;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		s[2 * i] = sample((double)i, "a", 100 + 10 * i, true, 512, 200, NULL);
		s[2 * i + 1] = sample((double)i, "b", 300, true, 512, 100, i == 1 ? "b-ev" : NULL);
	}
	svg = svg_of(s, 6, NULL);
	assert_int_equal(count(svg, "<polyline"), 2);
	assert_int_equal(count(svg, "class=\"used\""), 2);
	assert_int_equal(count(svg, "class=\"stranded\""), 2);
	/* Two colours, one each. */
	assert_non_null(strstr(svg, "class=\"rss\" fill=\"none\" stroke=\"#0072b2\""));
	assert_non_null(strstr(svg, "class=\"rss\" fill=\"none\" stroke=\"#d55e00\""));
	free(svg);

	/* A VM without guest figures gets only its RSS line. */
	for (i = 0; i < 3; i++)
		s[2 * i + 1] = sample((double)i, "b", 300, false, 0, 0, NULL);
	svg = svg_of(s, 6, NULL);
	assert_int_equal(count(svg, "<polyline"), 2);
	assert_int_equal(count(svg, "class=\"used\""), 1);
	assert_int_equal(count(svg, "class=\"stranded\""), 1);
	free(svg);
}

static void test_svg_escaping(void **state)
{
	struct vr_sample s[2];
	char *svg;

	(void)state;
	s[0] = sample(0, "x<y", 100, false, 0, 0, "a<b & c>d");
	s[1] = sample(5, "x<y", 120, false, 0, 0, "it's \"quoted\"");
	svg = svg_of(s, 2, "T<&>\"\xff\xc3\xa9\x01");
	assert_non_null(strstr(svg, "a&lt;b &amp; c&gt;d"));
	assert_non_null(strstr(svg, "it&#39;s &quot;quoted&quot;"));
	assert_non_null(strstr(svg, "x&lt;y"));
	/* Invalid UTF-8 becomes '?', valid stays, control bytes are blanked. */
	assert_non_null(strstr(svg, "T&lt;&amp;&gt;&quot;?\xc3\xa9 "));
	assert_null(strstr(svg, "a<b"));
	assert_null(strstr(svg, "x<y"));
	assert_null(strstr(svg, "\xff"));
	free(svg);
}

static void test_svg_errors(void **state)
{
	struct vr_sample *s = calloc(VR_PLOT_MAX_VMS + 1, sizeof(*s));
	FILE *f = tmpfile(); /* a sink; no device node is written */
	size_t i;

	(void)state;
	assert_non_null(s);
	assert_non_null(f);
	assert_int_equal(vr_plot_svg(s, 0, NULL, f), -EINVAL);
	for (i = 0; i <= VR_PLOT_MAX_VMS; i++)
		snprintf(s[i].vm, sizeof(s[i].vm), "vm%zu", i);
	assert_int_equal(vr_plot_svg(s, VR_PLOT_MAX_VMS, NULL, f), 0);
	assert_int_equal(vr_plot_svg(s, VR_PLOT_MAX_VMS + 1, NULL, f), -E2BIG);
	s[0].t_sec = NAN;
	assert_int_equal(vr_plot_svg(s, 1, NULL, f), -EINVAL);
	fclose(f);
	free(s);
}

/* --- reading a recording ------------------------------------------------- */

static int read_str(const char *text, struct vr_recording *rec, unsigned long *line, char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = vr_recording_read(f, rec, line, err, 256);
	fclose(f);
	return r;
}

static void test_recording_read(void **state)
{
	static const struct {
		const char *text;
		unsigned long line;
		const char *err;
	} bad[] = {
		{ "", 1, "not a vmreclaim recording" },
		{ "time,vm\n1.0,vm,1,2,,,,,,,\n", 1, "not a vmreclaim recording" },
		{ VR_CSV_HEADER "\n", 0, "no samples" },
		{ VR_CSV_HEADER "\n1.0,vm,1,2,,,,,,\n", 2, "10 fields, expected 11" },
		{ VR_CSV_HEADER "\n1.0,vm,1,2,,,,,,,\n2.0,vm,-1,2,,,,,,,\n", 3, "bad pid '-1'" },
		{ VR_CSV_HEADER "\n1.0,vm,1,,,,,,,,\n", 2, "empty rss_bytes" },
		{ VR_CSV_HEADER "\nsoon,vm,1,2,,,,,,,\n", 2, "bad time_s 'soon'" },
		{ VR_CSV_HEADER "\n1.0,vm,1,2,3,,,,,,\n", 2, "guest fields must all be numbers" },
		{ VR_CSV_HEADER "\n1.0,vm,1,2,3,4,5,x,7,8,\n", 2, "bad guest_cache_bytes 'x'" },
		{ VR_CSV_HEADER "\n1.0,vm,1,2,,,,,,,\n\n", 3, "1 field, expected 11" },
		{ VR_CSV_HEADER "\n5.0,vm,1,2,,,,,,,\n4.0,vm,1,2,,,,,,,\n", 3, "before the last" },
	};
	struct vr_recording rec;
	unsigned long line;
	char err[256], big[2048];
	size_t i;

	(void)state;
	for (i = 0; i < VR_ARRAY_SIZE(bad); i++) {
		line = 99;
		err[0] = '\0';
		assert_int_equal(read_str(bad[i].text, &rec, &line, err), -EINVAL);
		if (line != bad[i].line || !strstr(err, bad[i].err))
			fail_msg("case %zu: line %lu '%s'", i, line, err);
	}

	/* A long line stops the reading. */
	snprintf(big, sizeof(big), VR_CSV_HEADER "\n1.0,vm,1,2,,,,,,,%01500d\n", 0);
	assert_int_equal(read_str(big, &rec, &line, err), -EINVAL);
	assert_int_equal(line, 2);
	assert_non_null(strstr(err, "longer than"));

	/* Good, with CRLF line ends, two VMs, one going back in time is
	 * fine while the other does not. */
	assert_int_equal(read_str(VR_CSV_HEADER "\r\n0.0,a,1,2,,,,,,,\r\n0.0,b,1,3,,,,,,,x\r\n"
						"1.0,a,1,4,,,,,,,\r\n",
				  &rec, &line, err),
			 0);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.cut_line, 0);
	assert_string_equal(rec.samples[1].vm, "b");
	assert_string_equal(rec.samples[1].event, "x");
	vr_recording_free(&rec);

	/* A recorder that died mid-line: the rest is kept. */
	assert_int_equal(read_str(VR_CSV_HEADER "\n0.0,a,1,2,,,,,,,\n1.0,a,1,4,,", &rec, &line, err),
			 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.cut_line, 3);
	vr_recording_free(&rec);
	/* ...but a last line without newline that is whole is a sample. */
	assert_int_equal(read_str(VR_CSV_HEADER "\n0.0,a,1,2,,,,,,,\n1.0,a,1,4,,,,,,,", &rec, &line,
				  err),
			 0);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.cut_line, 0);
	vr_recording_free(&rec);
}

static void test_recording_many(void **state)
{
	struct vr_recording rec;
	unsigned long line;
	char err[256], *buf = NULL;
	size_t size = 0, i;
	FILE *f = open_memstream(&buf, &size);
	int r;

	(void)state;
	/* Enough to make the array grow a few times. */
	vr_sample_write_header(f);
	for (i = 0; i < 3000; i++) {
		struct vr_sample s = sample((double)i / 10, i % 3 ? "a" : "b", i, i % 2, 4096, 1000,
					    i % 500 ? NULL : "tick");

		vr_sample_write_csv(f, &s);
	}
	fclose(f);
	f = fmemopen(buf, size, "r");
	r = vr_recording_read(f, &rec, &line, err, sizeof(err));
	fclose(f);
	free(buf);
	assert_int_equal(r, 0);
	assert_int_equal(rec.n, 3000);
	assert_int_equal(rec.samples[2999].rss_bytes, 2999 * VR_MIB);
	buf = svg_of(rec.samples, rec.n, NULL);
	assert_int_equal(count(buf, "<polyline"), 2);
	free(buf);
	vr_recording_free(&rec);
}

/* A 72 h recording at one sample a second made a 13 MB SVG with lines of
 * up to 3.9 MB, which rsvg-convert could not read.  Thinned per pixel
 * column it stays small, and keeps its one-second peak. */
static void test_svg_long_thinned(void **state)
{
	const size_t n = 72 * 3600;
	struct vr_sample *s = malloc(n * sizeof(*s));
	const char *pts, *end, *p;
	double y, y_min = 1e9, y_max = -1e9;
	unsigned distinct_low = 0;
	char *svg;
	size_t i, len, longest = 0;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = sample((double)i, "week", i == n / 3 ? 3000 : 1024 + (i % 7), true, 4096,
			      2048 + (i % 5), i % 50000 == 0 ? "reclaim" : NULL);
	svg = svg_of(s, n, NULL);
	len = strlen(svg);
	assert_true(len < 300 * 1024);
	/* Every line is short enough for any reader. */
	for (p = svg; (end = strchr(p, '\n')); p = end + 1)
		if ((size_t)(end - p) > longest)
			longest = (size_t)(end - p);
	fprintf(stderr, "  (72 h at 1 s: %zu bytes of SVG, longest line %zu)\n", len, longest);
	assert_true(longest < 128 * 1024);
	/* The RSS line still reaches the one-second peak: its highest
	 * point (lowest y) stands far above the rest. */
	pts = strstr(svg, "class=\"rss\"");
	assert_non_null(pts);
	pts = strstr(pts, "points=\"") + 8;
	end = strchr(pts, '"');
	for (p = pts; p < end;) {
		const char *comma = strchr(p, ',');

		y = strtod(comma + 1, (char **)&p);
		if (y < y_min)
			y_min = y;
		if (y > y_max)
			y_max = y;
		while (*p == ' ')
			p++;
	}
	for (p = pts; p < end;) {
		const char *comma = strchr(p, ',');

		y = strtod(comma + 1, (char **)&p);
		if (y < y_max - 100)
			distinct_low++;
		while (*p == ' ')
			p++;
	}
	assert_true(y_max - y_min > 100);
	assert_int_equal(distinct_low, 1);
	free(svg);
	free(s);
}

/* --- the command ---------------------------------------------------------- */

struct cmd_dir {
	char dir[64];
	char csv[128];
	char svg[128];
	char tmp[160];
	char err[128];
};

static void cmd_dir_init(struct cmd_dir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/vmreclaim-test-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->csv, sizeof(d->csv), "%s/rec.csv", d->dir);
	snprintf(d->svg, sizeof(d->svg), "%s/out.svg", d->dir);
	snprintf(d->tmp, sizeof(d->tmp), "%s/out.svg.tmp", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/stderr", d->dir);
}

static void cmd_dir_free(struct cmd_dir *d)
{
	unlink(d->csv);
	unlink(d->svg);
	unlink(d->tmp);
	unlink(d->err);
	rmdir(d->dir);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Run `vmreclaim plot` with @args (NULL-terminated), stderr to d->err. */
static int run_plot(struct cmd_dir *d, const char *const *args)
{
	char *argv[16];
	int argc = 0, saved, saved_out, fd, r;

	argv[argc++] = strdup("plot");
	for (; *args; args++)
		argv[argc++] = strdup(*args);
	argv[argc] = NULL;
	fflush(stderr);
	fflush(stdout);
	saved = dup(STDERR_FILENO);
	saved_out = dup(STDOUT_FILENO);
	fd = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	dup2(fd, STDOUT_FILENO); /* --help */
	close(fd);
	r = vr_cmd_plot(argc, argv);
	fflush(stderr);
	fflush(stdout);
	dup2(saved, STDERR_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved);
	close(saved_out);
	while (argc > 0)
		free(argv[--argc]);
	return r;
}

static char *read_err(const struct cmd_dir *d)
{
	char *buf = malloc(1 << 20);

	assert_non_null(buf);
	assert_int_equal(vr_read_file(d->err, buf, 1 << 20, NULL), 0);
	return buf;
}

static void write_demo(const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	vr_sample_write_header(f);
	for (i = 0; i <= 60; i++) {
		uint64_t rss = i < 30 ? 200 + 20 * i : 800 - 15 * (i - 30);
		struct vr_sample s = sample((double)i, "demo", rss, true, 1024, 1024 - rss / 2,
					    i == 10 ? "load <start> & go" : NULL);

		vr_sample_write_csv(f, &s);
	}
	assert_int_equal(fclose(f), 0);
}

static void test_cmd_plot_ok(void **state)
{
	struct cmd_dir d;
	char cmd[512], *svg;

	(void)state;
	cmd_dir_init(&d);
	write_demo(d.csv);
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 0);
	assert_true(exists(d.svg));
	assert_false(exists(d.tmp));
	svg = malloc(1 << 20);
	assert_non_null(svg);
	assert_int_equal(vr_read_file(d.svg, svg, 1 << 20, NULL), 0);
	/* The default title is the file's name. */
	assert_non_null(strstr(svg, "<title>rec.csv</title>"));
	assert_non_null(strstr(svg, "load &lt;start&gt; &amp; go"));
	free(svg);
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout '%s' 2>&1", d.svg);
		assert_int_equal(system(cmd), 0);
	} else {
		fprintf(stderr, "  (no xmllint: well-formedness not checked)\n");
	}

	/* Options after the file, a title, and an existing SVG replaced. */
	assert_int_equal(run_plot(&d, (const char *const[]){ "--title", "A & B", "-o", d.svg,
							     d.csv, NULL }),
			 0);
	svg = malloc(1 << 20);
	assert_int_equal(vr_read_file(d.svg, svg, 1 << 20, NULL), 0);
	assert_non_null(strstr(svg, "<title>A &amp; B</title>"));
	free(svg);

	/* -h is not an error. */
	assert_int_equal(run_plot(&d, (const char *const[]){ "-h", NULL }), 0);
	cmd_dir_free(&d);
}

static void test_cmd_plot_bad(void **state)
{
	struct cmd_dir d;
	char expect[256], *err;

	(void)state;
	cmd_dir_init(&d);

	/* A bad third line: file:line: on stderr, exit 2, no SVG at all. */
	put_file(d.csv, VR_CSV_HEADER "\n0.0,vm,1,2,,,,,,,\n1.0,vm,1,lots,,,,,,,\n");
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 2);
	err = read_err(&d);
	snprintf(expect, sizeof(expect), "%s:3: bad rss_bytes 'lots'\n", d.csv);
	assert_string_equal(err, expect);
	free(err);
	assert_false(exists(d.svg));
	assert_false(exists(d.tmp));

	/* ...nor is an existing SVG touched. */
	put_file(d.svg, "old");
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 2);
	err = read_err(&d);
	assert_non_null(strstr(err, ":3: "));
	free(err);
	{
		char old[16];

		assert_int_equal(vr_read_file(d.svg, old, sizeof(old), NULL), 0);
		assert_string_equal(old, "old");
	}
	unlink(d.svg);

	put_file(d.csv, "a,b,c\n");
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 2);
	err = read_err(&d);
	snprintf(expect, sizeof(expect), "%s:1: not a vmreclaim recording\n", d.csv);
	assert_string_equal(err, expect);
	free(err);

	put_file(d.csv, VR_CSV_HEADER "\n");
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 2);
	err = read_err(&d);
	snprintf(expect, sizeof(expect), "%s: no samples\n", d.csv);
	assert_string_equal(err, expect);
	free(err);
	assert_false(exists(d.svg));

	/* Usage: no -o, no file, two files, the SVG over the CSV. */
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, NULL }), 2);
	assert_int_equal(run_plot(&d, (const char *const[]){ "-o", d.svg, NULL }), 2);
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, d.csv, "-o", d.svg, NULL }), 2);
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.csv, NULL }), 2);
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, "--bogus", NULL }),
			 2);
	assert_false(exists(d.svg));

	/* The recording named another way is still the recording: the
	 * same-file guard compared strings, and "./rec.csv" overwrote it. */
	write_demo(d.csv);
	{
		static char before[1 << 18], after[1 << 18];
		char cwd[512];

		assert_int_equal(vr_read_file(d.csv, before, sizeof(before), NULL), 0);
		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir(d.dir), 0);
		assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", "./rec.csv", NULL }), 2);
		assert_int_equal(chdir(cwd), 0);
		assert_int_equal(vr_read_file(d.csv, after, sizeof(after), NULL), 0);
		assert_string_equal(before, after);
		err = read_err(&d);
		assert_non_null(strstr(err, "./rec.csv: the same file as the input"));
		free(err);
	}
	/* A device, or a link to one, is not replaced: exit 2, said.  A
	 * device node of our own that no driver serves (0:0): as root, the
	 * probe's -o /dev/null turned /dev/null into a regular file, and a
	 * test must not risk that.  Without root, a FIFO stands in. */
	{
		char dev[160];
		struct stat st;
		bool have_dev;

		snprintf(dev, sizeof(dev), "%s/dev", d.dir);
		have_dev = geteuid() == 0 && mknod(dev, S_IFCHR | 0600, makedev(0, 0)) == 0;
		if (!have_dev)
			assert_int_equal(mkfifo(dev, 0600), 0);
		assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", dev, NULL }), 2);
		err = read_err(&d);
		assert_non_null(strstr(err, "/dev: not a regular file"));
		free(err);
		assert_int_equal(lstat(dev, &st), 0);
		assert_true(have_dev ? S_ISCHR(st.st_mode) : S_ISFIFO(st.st_mode));
		assert_int_equal(symlink(dev, d.svg), 0);
		assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 2);
		err = read_err(&d);
		assert_non_null(strstr(err, "symbolic link"));
		free(err);
		unlink(d.svg);
		unlink(dev);
	}
	/* "-" is standard output, on purpose. */
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", "-", NULL }), 0);
	err = read_err(&d);
	assert_non_null(strstr(err, "<?xml"));
	assert_non_null(strstr(err, "</svg>"));
	free(err);

	/* I/O: a missing recording, an SVG in a missing directory. */
	unlink(d.csv);
	assert_int_equal(run_plot(&d, (const char *const[]){ d.csv, "-o", d.svg, NULL }), 1);
	write_demo(d.csv);
	assert_int_equal(
		run_plot(&d, (const char *const[]){ d.csv, "-o", "/nonexistent-dir/x.svg", NULL }),
		1);
	cmd_dir_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_header),
		cmocka_unit_test(test_csv_round_trip),
		cmocka_unit_test(test_csv_no_guest),
		cmocka_unit_test(test_csv_event_cleaning),
		cmocka_unit_test(test_csv_parse_good),
		cmocka_unit_test(test_csv_parse_hostile),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_axis),
		cmocka_unit_test(test_svg_ticks),
		cmocka_unit_test(test_svg_one_vm),
		cmocka_unit_test(test_svg_two_vms),
		cmocka_unit_test(test_svg_escaping),
		cmocka_unit_test(test_svg_errors),
		cmocka_unit_test(test_recording_read),
		cmocka_unit_test(test_recording_many),
		cmocka_unit_test(test_svg_long_thinned),
		cmocka_unit_test(test_cmd_plot_ok),
		cmocka_unit_test(test_cmd_plot_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
