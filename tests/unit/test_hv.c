/* SPDX-License-Identifier: MIT */
/* The pure parts of the hypervisor seam: a libvirt domain's XML (a real
 * one, variants and hostile text), its memory statistics mapped to the
 * guest figures, the own backend's reading of a QEMU command line, and
 * the guest's version and mode in a status reply. */
#include "helpers.h"
#include "common/channel.h"
#include "host/hv.h"
#include "host/lvxml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A domain with @devices inside <devices>. */
static char *domain(const char *devices)
{
	size_t n = strlen(devices) + 200;
	char *xml = malloc(n);

	assert_non_null(xml);
	snprintf(xml, n, "<domain type='qemu'>\n  <name>d</name>\n  <devices>\n%s\n  </devices>\n</domain>\n",
		 devices);
	return xml;
}

static int parse_devices(const char *devices, struct vr_lvxml *x)
{
	char *xml = domain(devices);
	int r = vr_lvxml_parse(xml, x);

	free(xml);
	return r;
}

static void test_live_xml(void **state)
{
	char *xml = fixture_read("libvirt-live.xml");
	struct vr_lvxml x;

	(void)state;
	assert_int_equal(vr_lvxml_parse(xml, &x), 0);
	assert_true(x.balloon);
	assert_string_equal(x.balloon_model, "virtio");
	assert_true(x.reporting);
	assert_int_equal(x.stats_period, 1);
	assert_true(x.channel);
	assert_true(x.channel_unix);
	assert_string_equal(x.channel_path, "/var/lib/libvirt/qemu/channel/guest.sock");
	assert_string_equal(x.channel_state, "connected");
	/* started without <acpi/>: QEMU ran with -no-acpi */
	assert_false(x.acpi);
	assert_string_equal(x.console_path, "/var/log/libvirt/qemu/vrtest-console.log");
	free(xml);
}

static void test_console_path(void **state)
{
	struct vr_lvxml x;

	(void)state;
	/* none */
	assert_int_equal(parse_devices("", &x), 0);
	assert_string_equal(x.console_path, "");
	/* a pty serial: nothing to read, unless it is logged */
	assert_int_equal(parse_devices("<serial type='pty'><target port='0'/></serial>", &x), 0);
	assert_string_equal(x.console_path, "");
	assert_int_equal(parse_devices("<serial type='pty'><log file='/l/c.log' append='off'/>"
				       "<target port='0'/></serial>",
				       &x),
			 0);
	assert_string_equal(x.console_path, "/l/c.log");
	/* a file serial: its source, before its log */
	assert_int_equal(parse_devices("<serial type='file'><log file='/l/c.log'/>"
				       "<source path='/s/c.out'/></serial>",
				       &x),
			 0);
	assert_string_equal(x.console_path, "/s/c.out");
	/* the first serial only; a second one's file does not count */
	assert_int_equal(parse_devices("<serial type='pty'/>"
				       "<serial type='file'><source path='/s/2.out'/></serial>",
				       &x),
			 0);
	assert_string_equal(x.console_path, "");
	/* a <serial> outside <devices> (metadata) does not count, nor
	 * does it hide the real one */
	assert_int_equal(vr_lvxml_parse("<domain><metadata><serial type='file'><source path='/m'/></serial>"
					"</metadata><devices><serial type='file'><source path='/d'/>"
					"</serial></devices></domain>",
					&x),
			 0);
	assert_string_equal(x.console_path, "/d");
}

static void test_missing_parts(void **state)
{
	struct vr_lvxml x;

	(void)state;
	/* nothing at all */
	assert_int_equal(parse_devices("", &x), 0);
	assert_false(x.balloon);
	assert_false(x.reporting);
	assert_false(x.channel);
	assert_string_equal(x.balloon_model, "");
	/* a balloon without reporting, and reporting off */
	assert_int_equal(parse_devices("<memballoon model='virtio'/>", &x), 0);
	assert_true(x.balloon);
	assert_false(x.reporting);
	assert_int_equal(x.stats_period, 0);
	assert_int_equal(parse_devices("<memballoon model='virtio' freePageReporting='off'/>", &x), 0);
	assert_false(x.reporting);
	/* model none: no balloon, whatever else it says */
	assert_int_equal(parse_devices("<memballoon model=\"none\" freePageReporting=\"on\"/>", &x), 0);
	assert_false(x.balloon);
	assert_false(x.reporting);
	assert_string_equal(x.balloon_model, "none");
	/* the guest agent's channel is not ours */
	assert_int_equal(parse_devices("<channel type='unix'><source mode='bind'/>"
				       "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
				       &x),
			 0);
	assert_false(x.channel);
	/* ours, but on a pty: no socket for the host */
	assert_int_equal(parse_devices("<channel type='pty'><target type='virtio' name='org.vmreclaim.0'/>"
				       "</channel>",
				       &x),
			 0);
	assert_true(x.channel);
	assert_false(x.channel_unix);
	/* the inactive XML: no state, no path (libvirt picks one at start) */
	assert_int_equal(parse_devices("<channel type='unix'><target type='virtio' name='org.vmreclaim.0'/>"
				       "</channel>",
				       &x),
			 0);
	assert_true(x.channel && x.channel_unix);
	assert_string_equal(x.channel_path, "");
	assert_string_equal(x.channel_state, "");
}

static void test_where_it_is(void **state)
{
	struct vr_lvxml x;

	(void)state;
	/* A <memballoon> or <channel> outside <domain><devices> does not
	 * count (here in <metadata>, which holds anyone's XML). */
	assert_int_equal(vr_lvxml_parse("<domain><metadata><memballoon model='virtio' freePageReporting='on'/>"
					"<channel type='unix'><target type='virtio' name='org.vmreclaim.0'/>"
					"</channel></metadata><devices/></domain>",
					&x),
			 0);
	assert_false(x.balloon);
	assert_false(x.channel);
	assert_false(x.acpi);
	assert_int_equal(vr_lvxml_parse("<domain><features><acpi/><apic/></features><devices/></domain>", &x), 0);
	assert_true(x.acpi);
	/* only under <features> */
	assert_int_equal(vr_lvxml_parse("<domain><metadata><acpi/></metadata><devices/></domain>", &x), 0);
	assert_false(x.acpi);
	/* the target before the source, double quotes, entities, comments */
	assert_int_equal(parse_devices("<!-- <memballoon model='virtio'/> -->\n"
				       "<channel type=\"unix\">\n"
				       "  <target type=\"virtio\" name=\"org.vmreclaim.0\" state=\"disconnected\"/>\n"
				       "  <source mode='bind' path='/run/a&amp;b &apos;c&apos;.sock'/>\n"
				       "</channel>",
				       &x),
			 0);
	assert_false(x.balloon);
	assert_true(x.channel);
	assert_string_equal(x.channel_path, "/run/a&b 'c'.sock");
	assert_string_equal(x.channel_state, "disconnected");
	/* a '>' inside a quoted value does not end the tag */
	assert_int_equal(parse_devices("<channel type='unix'><source path='/x>y'/>"
				       "<target type='virtio' name='org.vmreclaim.0'/></channel>",
				       &x),
			 0);
	assert_string_equal(x.channel_path, "/x>y");
}

static void test_hostile_xml(void **state)
{
	static const char *const bad[] = {
		"",
		"not xml",
		"<domain>",                               /* never closed */
		"<domain><devices></domain>",             /* mismatched */
		"</domain>",
		"<other/>",                               /* not a domain */
		"<domain><!-- unterminated </domain>",
		"<domain><devices><memballoon model='virtio/></devices></domain>",
		"<domain><devices><memballoon model=virtio/></devices></domain>",
		"<domain><devices><memballoon model='&bogus;'/></devices></domain>",
		"<domain><devices><memballoon model='virtio'><stats period='-1'/></memballoon></devices></domain>",
		"<domain><devices><memballoon model='virtio'><stats period='99999999999'/></memballoon></devices></domain>",
		"<domain><devices><memballoon model='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'/></devices></domain>",
		"<domain><devices><</devices></domain>",
	};
	char deep[2048] = "<domain>";
	struct vr_lvxml x;
	size_t i;
	int d;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&x, 0x5a, sizeof(x));
		assert_int_equal(vr_lvxml_parse(bad[i], &x), -EINVAL);
		/* untouched on failure */
		assert_int_equal(((unsigned char *)&x)[0], 0x5a);
	}
	/* nesting past 32 levels */
	for (d = 0; d < 40; d++)
		strcat(deep, "<a>");
	for (d = 0; d < 40; d++)
		strcat(deep, "</a>");
	strcat(deep, "</domain>");
	assert_int_equal(vr_lvxml_parse(deep, &x), -EINVAL);
}

static void test_stats_map(void **state)
{
	/* What libvirt 9.0 gave for the TCG domain above (virsh dommemstat),
	 * in KiB. */
	virDomainMemoryStatStruct st[] = {
		{ VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 1048576 },
		{ VIR_DOMAIN_MEMORY_STAT_SWAP_IN, 0 },
		{ VIR_DOMAIN_MEMORY_STAT_UNUSED, 941364 },
		{ VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 983864 },
		{ VIR_DOMAIN_MEMORY_STAT_USABLE, 874876 },
		{ VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, 1796504610 },
		{ VIR_DOMAIN_MEMORY_STAT_DISK_CACHES, 5184 },
		{ VIR_DOMAIN_MEMORY_STAT_RSS, 227832 },
	};
	struct vr_guest_stats g;
	uint64_t rss;

	(void)state;
	assert_int_equal(vr_lvstats_map(st, sizeof(st) / sizeof(st[0]), &g, &rss), 0);
	assert_int_equal(g.total_bytes, 983864ULL * 1024);
	assert_int_equal(g.free_bytes, 941364ULL * 1024);
	assert_int_equal(g.available_bytes, 874876ULL * 1024);
	assert_int_equal(g.cache_bytes, 5184ULL * 1024);
	assert_int_equal(g.last_update, 1796504610);
	assert_int_equal(rss, 227832ULL * 1024);
}

static void test_stats_map_missing(void **state)
{
	/* The statistics period off: only the balloon size and the RSS. */
	virDomainMemoryStatStruct off[] = {
		{ VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 1048576 },
		{ VIR_DOMAIN_MEMORY_STAT_RSS, 100000 },
	};
	/* free above total: not figures to show */
	virDomainMemoryStatStruct odd[] = {
		{ VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 1000 },
		{ VIR_DOMAIN_MEMORY_STAT_UNUSED, 2000 },
	};
	/* no MemAvailable, values that overflow in bytes, an unknown tag */
	virDomainMemoryStatStruct partial[] = {
		{ VIR_DOMAIN_MEMORY_STAT_AVAILABLE, ~0ULL },
		{ VIR_DOMAIN_MEMORY_STAT_UNUSED, 1 },
		{ 999, 5 },
		{ VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, ~0ULL },
	};
	struct vr_guest_stats g;
	uint64_t rss;

	(void)state;
	memset(&g, 0x5a, sizeof(g));
	assert_int_equal(vr_lvstats_map(off, 2, &g, &rss), -ENODATA);
	assert_int_equal(rss, 100000ULL * 1024);
	assert_int_equal(g.total_bytes, 0x5a5a5a5a5a5a5a5aULL); /* untouched */
	assert_int_equal(vr_lvstats_map(odd, 2, &g, &rss), -ENODATA);
	assert_int_equal(rss, VR_QMP_STAT_NONE);
	assert_int_equal(vr_lvstats_map(NULL, 0, &g, &rss), -ENODATA);
	assert_int_equal(vr_lvstats_map(partial, 4, &g, &rss), 0);
	assert_true(g.total_bytes < VR_QMP_STAT_NONE);
	assert_true(g.total_bytes > (1ULL << 62));
	assert_int_equal(g.free_bytes, 1024);
	assert_int_equal(g.available_bytes, VR_QMP_STAT_NONE);
	assert_int_equal(g.cache_bytes, VR_QMP_STAT_NONE);
	assert_int_equal(g.last_update, 0);
}

/* A command line as /proc/PID/cmdline holds it: NUL after each word. */
static size_t cmdline(char *buf, size_t size, const char *const *words)
{
	size_t n = 0;

	for (; *words; words++) {
		size_t l = strlen(*words) + 1;

		assert_true(n + l <= size);
		memcpy(buf + n, *words, l);
		n += l;
	}
	return n;
}

static void test_own_setup(void **state)
{
	/* as vm.c starts QEMU */
	static const char *const ours[] = {
		"qemu-system-x86_64", "-device", "virtio-balloon-pci,id=balloon0,free-page-reporting=on",
		"-device", "virtserialport,bus=vser0.0,chardev=vrguest,name=org.vmreclaim.0", NULL
	};
	/* as libvirt starts it (JSON -device) */
	static const char *const lv[] = {
		"/usr/bin/qemu-system-x86_64", "-device",
		"{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"free-page-reporting\":true}", NULL
	};
	static const char *const plain[] = { "qemu-system-x86_64", "-device", "virtio-balloon-pci",
					     "-name", "free-page-reporting=on", NULL };
	char buf[1024];
	struct vr_hv_setup s;
	size_t n;

	(void)state;
	n = cmdline(buf, sizeof(buf), ours);
	assert_int_equal(vr_hv_own_setup_parse(buf, n, &s), 0);
	assert_true(s.balloon && s.reporting && s.channel);
	n = cmdline(buf, sizeof(buf), lv);
	assert_int_equal(vr_hv_own_setup_parse(buf, n, &s), 0);
	assert_true(s.balloon && s.reporting);
	assert_false(s.channel);
	/* the words must be in the balloon's own argument */
	n = cmdline(buf, sizeof(buf), plain);
	assert_int_equal(vr_hv_own_setup_parse(buf, n, &s), 0);
	assert_true(s.balloon);
	assert_false(s.reporting);
	/* not a command line */
	assert_int_equal(vr_hv_own_setup_parse("abc", 3, &s), -EINVAL);
	assert_int_equal(vr_hv_own_setup_parse("", 0, &s), -EINVAL);
}

static void test_reply_word(void **state)
{
	const char *reply = "ok total=1 available=1 cache=0 reportable=0 stranded=0 order=9 version=0.1.0 mode=auto\n";
	char buf[16];

	(void)state;
	assert_int_equal(vr_chan_reply_word(reply, "version", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.1.0");
	assert_int_equal(vr_chan_reply_word(reply, "mode", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "auto");
	assert_int_equal(vr_chan_reply_word(reply, "vers", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vr_chan_reply_word("ok order=9\n", "mode", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vr_chan_reply_word("refused busy", "mode", buf, sizeof(buf)), -EINVAL);
	/* what a hostile guest might put there */
	assert_int_equal(vr_chan_reply_word("ok mode=\033[2J", "mode", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vr_chan_reply_word("ok mode=", "mode", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vr_chan_reply_word("ok mode=aaaaaaaaaaaaaaaaaaaa", "mode", buf, sizeof(buf)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_xml),
		cmocka_unit_test(test_missing_parts),
		cmocka_unit_test(test_where_it_is),
		cmocka_unit_test(test_console_path),
		cmocka_unit_test(test_hostile_xml),
		cmocka_unit_test(test_stats_map),
		cmocka_unit_test(test_stats_map_missing),
		cmocka_unit_test(test_own_setup),
		cmocka_unit_test(test_reply_word),
	};

	return cmocka_run_group_tests_name("hv", tests, NULL, NULL);
}
