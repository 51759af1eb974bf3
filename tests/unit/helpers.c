/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fixture_dir(void)
{
	const char *d = getenv("VR_FIXTURES");

	return d ? d : "tests/unit/fixtures";
}

char *fixture_read(const char *name)
{
	char path[PATH_MAX];
	char *buf = malloc(1 << 20);
	int r;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	r = vr_read_file(path, buf, 1 << 20, NULL);
	if (r < 0)
		fail_msg("fixture %s: %s", path, strerror(-r));
	return buf;
}

static void mkdirs(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
}

void fake_put(const char *root, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	mkdirs(path);
	f = fopen(path, "w");
	if (!f)
		fail_msg("fake_put %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

void fake_rm(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	unlink(path);
}

char *fake_get(const char *root, const char *rel)
{
	char path[PATH_MAX];
	char *buf = malloc(65536);

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (vr_read_file(path, buf, 65536, NULL) < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void fake_cpu(const char *root, uint64_t busy, uint64_t idle)
{
	char line[256];

	/* All busy time as "user"; one per-CPU line after, like the kernel. */
	snprintf(line, sizeof(line),
		 "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 %llu 0 0 %llu 0 0 0 0 0 0\nintr 0\n",
		 (unsigned long long)busy, (unsigned long long)idle, (unsigned long long)busy,
		 (unsigned long long)idle);
	fake_put(root, "/proc/stat", line);
}

char *fake_tree_new(void)
{
	char tmpl[] = "/tmp/vmreclaim-test-XXXXXX";
	char *root, *s;
	static const struct {
		const char *rel, *fixture;
	} from_fixtures[] = {
		{ "/proc/meminfo", "meminfo.guest" },
		{ "/proc/buddyinfo", "buddyinfo.guest" },
		{ "/proc/pressure/memory", "pressure-memory.guest" },
		{ "/proc/vmstat", "vmstat.guest" },
	};
	size_t i;

	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	root = strdup(tmpl);
	for (i = 0; i < sizeof(from_fixtures) / sizeof(from_fixtures[0]); i++) {
		s = fixture_read(from_fixtures[i].fixture);
		fake_put(root, from_fixtures[i].rel, s);
		free(s);
	}
	fake_cpu(root, 1000, 100000);
	fake_put(root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda console=ttyS0\n");
	fake_put(root, "/run/.keep", "");
	fake_put(root, "/proc/sys/vm/compact_memory", "");
	fake_put(root, "/proc/sys/vm/drop_caches", "");
	fake_put(root, "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
	fake_put(root, "/sys/fs/cgroup/memory.reclaim", "");
	fake_put(root, "/sys/module/page_reporting/parameters/page_reporting_order", "9\n");
	fake_put(root, "/sys/bus/virtio/devices/virtio0/device", "0x0005\n");
	s = fixture_read("balloon/features-reporting");
	fake_put(root, "/sys/bus/virtio/devices/virtio0/features", s);
	free(s);
	fake_put(root, "/sys/bus/virtio/devices/virtio0/driver/bind", "");
	fake_put(root, "/dev/kmsg", "");
	return root;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fake_tree_free(char *root)
{
	if (root && strncmp(root, "/tmp/vmreclaim-test-", 20) == 0)
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

static int rec_write_op(void *user, const char *path, const char *data, size_t len)
{
	struct rec *r = user;
	const char *rel = path;
	size_t rl = strlen(r->root), pl = strlen(path);
	struct rec_write *w;
	unsigned i;
	int result = 0;

	if (strncmp(path, r->root, rl) == 0)
		rel = path + rl;
	for (i = 0; i < r->n_fail; i++) {
		struct rec_fail *f = &r->fail[i];
		size_t sl = strlen(f->suffix);

		if (f->times == 0 || pl < sl || strcmp(path + pl - sl, f->suffix) != 0)
			continue;
		if (f->data_prefix && strncmp(data, f->data_prefix, strlen(f->data_prefix)) != 0)
			continue;
		if (f->times > 0)
			f->times--;
		result = f->error;
		break;
	}
	r->cpu_usec += r->cpu_per_write;
	if (result == 0 && r->passthrough)
		result = vr_write_file(path, data, len);
	if (r->n < REC_MAX) {
		w = &r->w[r->n++];
		snprintf(w->path, sizeof(w->path), "%s", rel);
		snprintf(w->data, sizeof(w->data), "%.*s", (int)len, data);
		w->result = result;
	}
	return result;
}

/* The reporting worker's wake-up, recorded as a write to "wake". */
static int rec_wake_op(void *user, uint64_t bytes)
{
	struct rec *r = user;
	struct rec_write *w;

	if (r->n < REC_MAX) {
		w = &r->w[r->n++];
		snprintf(w->path, sizeof(w->path), "/wake");
		snprintf(w->data, sizeof(w->data), "%llu", (unsigned long long)bytes);
		w->result = 0;
	}
	return 0;
}

static uint64_t rec_cpu_op(void *user)
{
	return ((struct rec *)user)->cpu_usec;
}

/* The per-CPU lists' page cycle of a drain, recorded as a write to
 * "cycle". */
static int rec_cycle_op(void *user, uint64_t bytes)
{
	struct rec *r = user;
	struct rec_write *w;

	if (r->n < REC_MAX) {
		w = &r->w[r->n++];
		snprintf(w->path, sizeof(w->path), "/cycle");
		snprintf(w->data, sizeof(w->data), "%llu", (unsigned long long)bytes);
		w->result = 0;
	}
	return 0;
}

const struct vr_sys_ops rec_ops = { .write = rec_write_op,
				    .wake_reporting = rec_wake_op,
				    .cpu_usec = rec_cpu_op,
				    .cycle_pages = rec_cycle_op };

void rec_init(struct rec *r, const char *root)
{
	memset(r, 0, sizeof(*r));
	r->root = root;
}

void rec_fail_on(struct rec *r, const char *suffix, const char *data_prefix, int error, int times)
{
	assert_true(r->n_fail < 8);
	r->fail[r->n_fail].suffix = suffix;
	r->fail[r->n_fail].data_prefix = data_prefix;
	r->fail[r->n_fail].error = error;
	r->fail[r->n_fail].times = times;
	r->n_fail++;
}

void rec_clear(struct rec *r)
{
	r->n = 0;
}

const char *rec_summary(const struct rec *r, char *buf, size_t size)
{
	size_t len = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < r->n && len < size; i++) {
		const char *base = strrchr(r->w[i].path, '/');
		int n = snprintf(buf + len, size - len, "%s%s=%s", i ? ";" : "",
				 base ? base + 1 : r->w[i].path, r->w[i].data);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

unsigned rec_count(const struct rec *r, const char *suffix)
{
	size_t sl = strlen(suffix);
	unsigned i, n = 0;

	for (i = 0; i < r->n; i++) {
		size_t pl = strlen(r->w[i].path);

		if (pl >= sl && strcmp(r->w[i].path + pl - sl, suffix) == 0)
			n++;
	}
	return n;
}

uint64_t fake_now_usec = 1000000;

uint64_t fake_clock(void)
{
	return fake_now_usec;
}

static void catch_sink(void *user, enum vr_log_level level, const char *msg)
{
	struct log_catch *c = user;

	if ((unsigned)level < 8)
		c->by_level[level]++;
	if (c->count < LOG_CATCH_MAX)
		snprintf(c->msgs[c->count], sizeof(c->msgs[0]), "%s", msg);
	c->count++;
	if (getenv("VR_TEST_VERBOSE"))
		fprintf(stderr, "  log<%d> %s\n", (int)level, msg);
}

void log_catch_start(struct log_catch *c)
{
	memset(c, 0, sizeof(*c));
	vr_log_set_level(VR_LOG_DEBUG);
	vr_log_set_sink(catch_sink, c);
}

void log_catch_stop(void)
{
	vr_log_set_sink(NULL, NULL);
	vr_log_set_level(VR_LOG_INFO);
}

unsigned log_catch_count(const struct log_catch *c, const char *needle)
{
	unsigned i, n = 0, kept = c->count < LOG_CATCH_MAX ? c->count : LOG_CATCH_MAX;

	/* A count over a partial record would be a test that cannot fail. */
	assert_true(c->count <= LOG_CATCH_MAX);

	for (i = 0; i < kept; i++)
		if (strstr(c->msgs[i], needle))
			n++;
	return n;
}
