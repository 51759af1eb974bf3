/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/config.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *diags_text(const struct vr_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	vr_diags_print(d, f);
	fclose(f);
	return buf;
}

static void test_defaults(void **state)
{
	struct vr_config c;

	(void)state;
	vr_config_defaults(&c);
	assert_true(c.idle_threshold_pct == 1.0);
	assert_int_equal(c.mode, VR_MODE_AUTO);
	assert_int_equal(c.idle_usec, 120 * VR_USEC_PER_SEC);
	assert_int_equal(c.sample_usec, 5 * VR_USEC_PER_SEC);
	assert_true(c.compaction);
	assert_int_equal(c.drop_cache_value, 1);
	assert_int_equal(c.reclaim_step_bytes, 0);
	assert_int_equal(c.reclaim_floor_bytes, 128 * VR_MIB);
	assert_int_equal(c.multi_gen_lru, VR_MULTI_GEN_LRU_KEEP); /* opt-in */
	assert_string_equal(c.control_socket, "/run/vmreclaimd.sock");
}

static void test_good_file(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	const char *text = "# comment\n"
			   "[wsl2]\n"
			   "idleThreshold = 0.5\n"
			   "[experimental]\n"
			   "autoMemoryReclaim=dropcache\n"
			   "[vmreclaim]\n"
			   "idleSeconds = 30 ; inline comment\n"
			   "sampleInterval=2\n"
			   "compaction = off\n"
			   "dropCacheValue = 3\n"
			   "reclaimStep = 512MB\n"
			   "reclaimFloor = 1GiB\n"
			   "logLevel = debug\n"
			   "logTarget = syslog\n"
			   "multiGenLru = OFF\n"
			   "controlSocket = /tmp/x.sock\n";

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, text, "t.conf", VR_SCOPE_GUEST, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 0);
	assert_true(c.idle_threshold_pct == 0.5);
	assert_int_equal(c.mode, VR_MODE_DROPCACHE);
	assert_int_equal(c.idle_usec, 30 * VR_USEC_PER_SEC);
	assert_int_equal(c.sample_usec, 2 * VR_USEC_PER_SEC);
	assert_false(c.compaction);
	assert_int_equal(c.drop_cache_value, 3);
	assert_int_equal(c.reclaim_step_bytes, 512 * VR_MIB);
	assert_int_equal(c.reclaim_floor_bytes, VR_GIB);
	assert_int_equal(c.log_level, VR_LOG_DEBUG);
	assert_int_equal(c.log_target, VR_LOG_TARGET_SYSLOG);
	assert_int_equal(c.multi_gen_lru, VR_MULTI_GEN_LRU_OFF);
	assert_string_equal(c.control_socket, "/tmp/x.sock");
}

/* The issue's acceptance case: a bad size and an unknown key, both with
 * their line numbers. */
static void test_bad_size_and_unknown_key(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	const char *text = "[vmreclaim]\n"
			   "reclaimStep = 12XB\n"
			   "\n"
			   "frobnicate = yes\n";
	char *out;

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, text, "/etc/vmreclaim.conf", VR_SCOPE_GUEST, &d),
			 -EINVAL);
	assert_int_equal(d.errors, 2);
	out = diags_text(&d);
	assert_non_null(strstr(out, "/etc/vmreclaim.conf:2: reclaimStep = 12XB: not a size"));
	assert_non_null(strstr(out, "/etc/vmreclaim.conf:4: unknown key 'frobnicate' in [vmreclaim]"));
	assert_true(strstr(out, ":2:") < strstr(out, ":4:"));
	free(out);
}

static void test_value_errors(void **state)
{
	static const struct {
		const char *line;
		const char *expect;
	} cases[] = {
		{ "idleThreshold = 101", "between 0 and 100" },
		{ "idleThreshold = -1", "number from 0 to 100" },
		{ "idleThreshold = nan", "number from 0 to 100" },
		{ "idleThreshold = 1e2", "number from 0 to 100" },
		{ "idleThreshold = 1.2.3", "number from 0 to 100" },
		{ "idleThreshold =", "number from 0 to 100" },
		{ "idleSeconds = 0", "between 1 and 86400" },
		{ "idleSeconds = 99999999999999999999999", "whole number of seconds" },
		{ "idleSeconds = 12s", "whole number of seconds" },
		{ "sampleInterval = 3601", "between 1 and 3600" },
		{ "compaction = maybe", "true or false" },
		{ "dropCacheValue = 4", "1, 2 or 3" },
		{ "dropCacheValue = 0", "1, 2 or 3" },
		{ "reclaimStep = 1KB", "must be between 1 MiB" },
		{ "reclaimStep = 99999999999TB", "not a size" },
		{ "reclaimFloor = -5MB", "not a size" },
		{ "autoMemoryReclaim = always", "disabled, dropcache, gradual or auto" },
		{ "logLevel = loud", "err, warning" },
		{ "logTarget = file", "stderr or syslog" },
		{ "multiGenLru = no", "must be keep or off" },
		{ "controlSocket = relative.sock", "absolute path" },
		{ "controlSocket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "longer than 107" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vr_diags d = { 0 };
		struct vr_config c, before;
		char text[256], *out;

		vr_config_defaults(&c);
		before = c;
		snprintf(text, sizeof(text), "[vmreclaim]\n%s\n", cases[i].line);
		assert_int_equal(vr_config_parse_string(&c, text, "f", VR_SCOPE_GUEST, &d), -EINVAL);
		out = diags_text(&d);
		if (!strstr(out, cases[i].expect) || !strstr(out, "f:2: "))
			fail_msg("'%s': got '%s', want '%s'", cases[i].line, out, cases[i].expect);
		free(out);
		/* A rejected value leaves the old one. */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* A real .wslconfig is accepted as it is: what the guest does not use is a
 * warning, not an error. */
static void test_wslconfig_accepted(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	const char *text = "[wsl2]\r\n"
			   "memory=8GB\r\n"
			   "processors=4\r\n"
			   "swap=0\r\n"
			   "localhostForwarding=true\r\n"
			   "kernelCommandLine = vsyscall=emulate\r\n"
			   "pageReporting=true\r\n"
			   "idleThreshold=1\r\n"
			   "[experimental]\r\n"
			   "autoMemoryReclaim=gradual\r\n"
			   "sparseVhd=true\r\n";

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, text, ".wslconfig", VR_SCOPE_GUEST, &d), 0);
	assert_int_equal(d.errors, 0);
	/* The seven keys of the host (and of WSL) in one line, not seven:
	 * a real .wslconfig had eighteen. */
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.items[0].line, 2);
	assert_string_equal(d.items[0].msg,
			    "7 settings not used by the guest daemon, ignored (lines 2-11): memory, "
			    "processors, swap, localhostForwarding, kernelCommandLine, pageReporting, "
			    "sparseVhd");
	/* twenty: the names that fit, and how many more */
	{
		char big[2048] = "[wsl2]\n";
		unsigned i;

		for (i = 0; i < 10; i++)
			strcat(big, "memory=1GB\nlocalhostForwarding=true\n");
		memset(&d, 0, sizeof(d));
		assert_int_equal(vr_config_parse_string(&c, big, "w", VR_SCOPE_GUEST, &d), 0);
		assert_int_equal(d.items[0].line, 2);
		assert_non_null(strstr(d.items[0].msg, "20 settings not used by the guest daemon, "
							"ignored (lines 2-21): memory, localhostForwarding, "));
		assert_non_null(strstr(d.items[0].msg, " more"));
	}
	assert_int_equal(c.mode, VR_MODE_GRADUAL);
	assert_true(c.idle_threshold_pct == 1.0);
}

/* Errors come before warnings, whatever their lines: a start that fails
 * says why first. */
static void test_errors_first(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *buf;
	size_t len;
	FILE *f;
	const char *text = "[wsl2]\nmemory=8GB\nswap=0\n[experimental]\nautoMemoryReclaim=sometimes\n";

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, text, "w", VR_SCOPE_GUEST, &d), -EINVAL);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	vr_diags_print(&d, f);
	fclose(f);
	assert_true(strncmp(buf, "w:5: ", 5) == 0);
	assert_non_null(strstr(buf, "\nw:2: warning: 2 settings not used by the guest daemon"));
	free(buf);
}

static void test_host_scope_unknown_is_warning(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, "[wsl2]\nnewFeature=1\n", "w", VR_SCOPE_HOST, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
}

static void test_sections(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *out;

	(void)state;
	vr_config_defaults(&c);
	/* WSL keys may also stand in [vmreclaim]; sections ignore case. */
	assert_int_equal(vr_config_parse_string(&c, "[VMRECLAIM]\nautoMemoryReclaim=disabled\nIDLETHRESHOLD=2\n",
						"f", VR_SCOPE_GUEST, &d),
			 0);
	assert_int_equal(c.mode, VR_MODE_DISABLED);
	assert_true(c.idle_threshold_pct == 2.0);
	/* ...but not in the wrong WSL section, nor before any section. */
	assert_int_equal(vr_config_parse_string(&c, "idleSeconds=5\n[wsl2]\nautoMemoryReclaim=gradual\n", "f",
						VR_SCOPE_GUEST, &d),
			 -EINVAL);
	out = diags_text(&d);
	assert_non_null(strstr(out, "f:1: 'idleSeconds' belongs in [vmreclaim]"));
	assert_non_null(strstr(out, "f:3: 'autoMemoryReclaim' belongs in [experimental]"));
	free(out);
}

static void test_syntax_and_long_lines(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char text[1024], *out;

	(void)state;
	vr_config_defaults(&c);
	memset(text, 0, sizeof(text));
	strcpy(text, "[vmreclaim]\nidleSeconds = 7\nthis is not ini\n[unclosed\nlogLevel = ");
	memset(text + strlen(text), 'x', 400);
	strcat(text, "\nsampleInterval = 9\n");
	assert_int_equal(vr_config_parse_string(&c, text, "f", VR_SCOPE_GUEST, &d), -EINVAL);
	out = diags_text(&d);
	assert_non_null(strstr(out, "f:3: syntax error"));
	assert_non_null(strstr(out, "f:5: line longer than"));
	free(out);
	/* Lines after the bad ones still count, with the right numbers. */
	assert_int_equal(c.idle_usec, 7 * VR_USEC_PER_SEC);
	assert_int_equal(c.sample_usec, 9 * VR_USEC_PER_SEC);
}

static void test_duplicate_key_warns(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *out;

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, "[vmreclaim]\nidleSeconds=1\nidleSeconds=2\n", "f",
						VR_SCOPE_GUEST, &d),
			 0);
	assert_int_equal(c.idle_usec, 2 * VR_USEC_PER_SEC);
	out = diags_text(&d);
	assert_non_null(strstr(out, "f:3: warning: 'idleSeconds' is set again (line 2)"));
	free(out);
}

static void test_many_errors_bounded(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *text = malloc(100 * 32), *p = text;
	int i;

	(void)state;
	p += sprintf(p, "[vmreclaim]\n");
	for (i = 0; i < 90; i++)
		p += sprintf(p, "bogus%d = 1\n", i);
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c, text, "f", VR_SCOPE_GUEST, &d), -EINVAL);
	assert_int_equal(d.errors, 90);
	assert_int_equal(d.count, VR_DIAG_MAX);
	assert_int_equal(d.dropped, 90 - VR_DIAG_MAX);
	free(text);
}

static void test_cmdline(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *out;

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_cmdline(&c,
						 "BOOT_IMAGE=/vmlinuz root=/dev/vda vmreclaim.autoMemoryReclaim=dropcache "
						 "quiet vmreclaim.idleSeconds=10 \"vmreclaim.controlSocket=/run/a b.sock\"\n",
						 "/proc/cmdline", &d),
			 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(c.mode, VR_MODE_DROPCACHE);
	assert_int_equal(c.idle_usec, 10 * VR_USEC_PER_SEC);
	assert_string_equal(c.control_socket, "/run/a b.sock");

	assert_int_equal(vr_config_parse_cmdline(&c, "vmreclaim.nope=1 vmreclaim.idleSeconds=x vmreclaim.flag",
						 "/proc/cmdline", &d),
			 -EINVAL);
	assert_int_equal(d.errors, 3);
	out = diags_text(&d);
	assert_non_null(strstr(out, "/proc/cmdline: 'vmreclaim.nope': unknown key"));
	assert_non_null(strstr(out, "idleSeconds = x: must be a whole number"));
	assert_non_null(strstr(out, "'vmreclaim.flag': expected vmreclaim.KEY=VALUE"));
	free(out);
	/* Host keys are not settable from the guest's command line. */
	assert_int_equal(vr_config_parse_cmdline(&c, "vmreclaim.memory=4GB", "c", &d), -EINVAL);
}

/* A key given twice on the kernel command line (kernelCommandLine and
 * -s both set it): the last wins, as in a file, and is warned about. */
static void test_cmdline_duplicate(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *out;

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_cmdline(&c,
						 "vmreclaim.idleSeconds=10 quiet vmreclaim.autoMemoryReclaim=gradual "
						 "vmreclaim.idleSeconds=20",
						 "/proc/cmdline", &d),
			 0);
	assert_int_equal(c.idle_usec, 20 * VR_USEC_PER_SEC);
	assert_int_equal(d.errors, 0);
	out = diags_text(&d);
	assert_non_null(strstr(out, "'vmreclaim.idleSeconds' is set again (word 4, first word 1); "
				    "this value wins"));
	free(out);
}

static void test_cmdline_hostile(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *big = malloc(5000);

	(void)state;
	memcpy(big, "vmreclaim.idleSeconds=", 22);
	memset(big + 22, '9', 4000);
	big[4022] = '\0';
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_cmdline(&c, big, "c", &d), -EINVAL);
	assert_int_equal(c.idle_usec, 120 * VR_USEC_PER_SEC);
	/* Unbalanced quote, empty, only spaces. */
	assert_int_equal(vr_config_parse_cmdline(&c, "\"vmreclaim.idleSeconds=3", "c", &d), 0);
	assert_int_equal(c.idle_usec, 3 * VR_USEC_PER_SEC);
	assert_int_equal(vr_config_parse_cmdline(&c, "", "c", &d), 0);
	assert_int_equal(vr_config_parse_cmdline(&c, "   \n", "c", &d), 0);
	free(big);
}

/* What the host tool puts on the guest's kernel command line reads back
 * the same in the guest; a value with a double quote cannot go there
 * (the quote would end the word, its rest becoming words of its own: the
 * fuzzer found a metricsFile cut that way). */
static void test_guest_cmdline_round_trip(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c, back;
	char line[VR_CMDLINE_MAX] = "";

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c,
						"[vmreclaim]\nmetricsFile = /var/lib/a b.prom\n"
						"idleSeconds = 30\n",
						"t", VR_SCOPE_HOST | VR_SCOPE_GUEST, &d),
			 0);
	assert_int_equal(vr_config_guest_cmdline(&c, line, sizeof(line)), 0);
	assert_string_equal(line, " vmreclaim.idleSeconds=30 \"vmreclaim.metricsFile=/var/lib/a b.prom\"");
	vr_config_defaults(&back);
	assert_int_equal(vr_config_parse_cmdline(&back, line, "cmdline", &d), 0);
	assert_string_equal(back.metrics_file, "/var/lib/a b.prom");
	assert_int_equal(back.idle_usec, 30 * VR_USEC_PER_SEC);

	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_string(&c,
						"[vmreclaim]\nmetricsFile = /var/sam\"ple = Key=1\n",
						"t", VR_SCOPE_HOST | VR_SCOPE_GUEST, &d),
			 0);
	line[0] = '\0';
	assert_int_equal(vr_config_guest_cmdline(&c, line, sizeof(line)), -EINVAL);
}

/* The sample file lists every guest key at its default: parsed with every
 * key uncommented it gives exactly the defaults. */
static void test_sample_round_trip(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c, def;
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned keys = 0;

	(void)state;
	vr_config_write_sample(f, VR_SCOPE_GUEST);
	fclose(f);
	for (p = buf; (p = strstr(p, "\n#")) != NULL; p++) {
		if (p[2] != ' ' && p[2] != '\n') {
			p[1] = ' ';
			keys++;
		}
	}
	assert_int_equal(keys, 14);
	vr_config_defaults(&def);
	memset(&c, 0x5a, sizeof(c));
	vr_config_defaults(&c);
	c.mode = VR_MODE_DISABLED;
	c.idle_usec = 1;
	assert_int_equal(vr_config_parse_string(&c, buf, "sample", VR_SCOPE_GUEST, &d), 0);
	assert_int_equal(d.errors + d.warnings, 0);
	assert_int_not_equal(c.set_mask, 0);
	c.set_mask = 0;
	assert_memory_equal(&c, &def, sizeof(c));
	free(buf);
}

static void test_write_effective(void **state)
{
	struct vr_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	vr_config_defaults(&c);
	c.reclaim_step_bytes = 3 * VR_GIB;
	fclose((vr_config_write(f, &c, VR_SCOPE_GUEST), f));
	assert_non_null(strstr(buf, "autoMemoryReclaim = auto\n"));
	assert_non_null(strstr(buf, "reclaimStep = 3GB\n"));
	assert_non_null(strstr(buf, "reclaimFloor = 128MB\n"));
	assert_non_null(strstr(buf, "idleThreshold = 1\n"));
	free(buf);

	/* A path longer than a socket's is shown whole. */
	memset(c.metrics_file, 0, sizeof(c.metrics_file));
	c.metrics_file[0] = '/';
	memset(c.metrics_file + 1, 'm', 300);
	buf = NULL;
	f = open_memstream(&buf, &len);
	fclose((vr_config_write(f, &c, VR_SCOPE_GUEST), f));
	assert_non_null(strstr(buf, c.metrics_file));
	free(buf);
}

static void test_parse_file_errors(void **state)
{
	struct vr_diags d = { 0 };
	struct vr_config c;

	(void)state;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_file(&c, "/nonexistent/vmreclaim.conf", VR_SCOPE_GUEST, &d), -ENOENT);
	assert_int_equal(vr_config_parse_file(&c, "/", VR_SCOPE_GUEST, &d), -EISDIR);
}

/* A NUL byte once ended the file where it stood: the settings after it
 * were dropped and --check-config said OK. */
static void test_parse_file_nul(void **state)
{
	static const char text[] = "[wsl2]\nmemory = 2GB\n\0\n[experimental]\nautoMemoryReclaim = nope\n";
	char path[] = "/tmp/vmreclaim-conf-XXXXXX";
	struct vr_diags d = { 0 };
	struct vr_config c;
	char *out;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	vr_config_defaults(&c);
	assert_int_equal(vr_config_parse_file(&c, path, VR_SCOPE_GUEST, &d), -EINVAL);
	assert_true(d.errors > 0);
	out = diags_text(&d);
	assert_non_null(strstr(out, ":3: a NUL byte"));
	free(out);
	unlink(path);
}

/* The modes' list for messages comes from the names the parser takes. */
static void test_mode_list(void **state)
{
	char buf[128], small[12];
	enum vr_mode m;

	(void)state;
	vr_mode_list(buf, sizeof(buf));
	assert_string_equal(buf, "disabled, dropcache, gradual or auto");
	assert_int_equal(vr_mode_parse("gradual", &m), 0);
	assert_int_equal(m, VR_MODE_GRADUAL);
	/* cut short, still a string */
	vr_mode_list(small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_file_nul),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_size_and_unknown_key),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_wslconfig_accepted),
		cmocka_unit_test(test_errors_first),
		cmocka_unit_test(test_host_scope_unknown_is_warning),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_syntax_and_long_lines),
		cmocka_unit_test(test_duplicate_key_warns),
		cmocka_unit_test(test_many_errors_bounded),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_cmdline_duplicate),
		cmocka_unit_test(test_cmdline_hostile),
		cmocka_unit_test(test_guest_cmdline_round_trip),
		cmocka_unit_test(test_sample_round_trip),
		cmocka_unit_test(test_write_effective),
		cmocka_unit_test(test_parse_file_errors),
		cmocka_unit_test(test_mode_list),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
