/* SPDX-License-Identifier: MIT */
/* The guest's side of the guest channel (vr_guest_channel): a request line
 * from the host, answered over a fake /proc + /sys tree that the input
 * may change.  Kernel writes go to a recording ops table, never to the
 * real kernel; the tree is built once, in a temporary directory (in
 * /dev/shm when it can be).
 *
 * Input: the request line (through the first '\n', or all of it), then
 * optionally one byte choosing the mode and compaction, then the contents
 * of /proc/meminfo, /proc/buddyinfo, /proc/pressure/memory and
 * page_reporting_order, separated by NUL bytes; a file not given keeps
 * its fixture (tests/unit/fixtures, or $VR_FIXTURES). */
#include "fuzz.h"
#include "common/channel.h"
#include "common/util.h"
#include "guest/guest.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VR_FUZZ_FIXTURES
#define VR_FUZZ_FIXTURES "tests/unit/fixtures"
#endif

static char root[64];
static uint64_t now_usec = 1000 * VR_USEC_PER_SEC;

/* The fake files the input may replace, with their fixture contents. */
static struct {
	const char *rel, *fixture;
	char *dflt;
} files[] = {
	{ "/proc/meminfo", "meminfo.guest", NULL },
	{ "/proc/buddyinfo", "buddyinfo.guest", NULL },
	{ "/proc/pressure/memory", "pressure-memory.guest", NULL },
	{ VR_REPORTING_ORDER_PATH, NULL, NULL },
};

/* What the recording ops saw in one run. */
static struct {
	unsigned writes;
	uint64_t reclaim_bytes;
} rec;

static uint64_t fake_clock(void)
{
	return now_usec;
}

static int rec_write(void *user, const char *path, const char *data, size_t len)
{
	size_t pl = strlen(path), sl = strlen("/memory.reclaim");

	(void)user;
	FUZZ_CHECK(strncmp(path, root, strlen(root)) == 0);
	FUZZ_CHECK(len == strlen(data));
	rec.writes++;
	if (pl >= sl && strcmp(path + pl - sl, "/memory.reclaim") == 0 &&
	    strcmp(data, "0 swappiness=0") != 0)
		rec.reclaim_bytes += strtoull(data, NULL, 10);
	return 0;
}

static int rec_wake(void *user, uint64_t bytes)
{
	(void)user;
	(void)bytes;
	return 0;
}

static const struct vr_sys_ops rec_ops = { .write = rec_write, .wake_reporting = rec_wake };

static void put(const char *rel, const char *content, size_t len)
{
	char path[PATH_MAX], *p;
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, content, len) == (ssize_t)len);
	close(fd);
}

static char *fixture(const char *name)
{
	const char *dir = getenv("VR_FIXTURES");
	char path[PATH_MAX], *buf = malloc(65536);

	FUZZ_CHECK(buf);
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : VR_FUZZ_FIXTURES, name);
	if (vr_read_file(path, buf, 65536, NULL) < 0) {
		fprintf(stderr, "fuzz_guest_channel: cannot read %s (set VR_FIXTURES)\n", path);
		exit(1);
	}
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char link[PATH_MAX], *s;
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_quiet();
	/* Every run rewrites files of the tree: in memory where there is a
	 * tmpfs (on ext4, rewriting a file through O_TRUNC flushes it to the
	 * disk at close). */
	snprintf(root, sizeof(root), "%s/vmreclaim-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	FUZZ_CHECK(mkdtemp(root));
	atexit(cleanup);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		files[i].dflt = files[i].fixture ? fixture(files[i].fixture) : strdup("9\n");
		put(files[i].rel, files[i].dflt, strlen(files[i].dflt));
	}
	s = fixture("vmstat.guest");
	put("/proc/vmstat", s, strlen(s));
	free(s);
	put("/proc/stat", "cpu  1000 0 0 100000 0 0 0 0 0 0\ncpu0 1000 0 0 100000 0 0 0 0 0 0\n",
	    strlen("cpu  1000 0 0 100000 0 0 0 0 0 0\ncpu0 1000 0 0 100000 0 0 0 0 0 0\n"));
	put("/proc/cmdline", "console=ttyS0\n", strlen("console=ttyS0\n"));
	put("/proc/sys/vm/compact_memory", "", 0);
	put("/proc/sys/vm/drop_caches", "", 0);
	put("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n",
	    strlen("cpuset cpu io memory pids\n"));
	put("/sys/fs/cgroup/memory.reclaim", "", 0);
	put("/sys/bus/virtio/devices/virtio0/device", "0x0005\n", strlen("0x0005\n"));
	s = fixture("balloon/features-reporting");
	put("/sys/bus/virtio/devices/virtio0/features", s, strlen(s));
	free(s);
	put("/sys/bus/virtio/devices/virtio0/driver/bind", "", 0);
	/* Compaction notes itself in the kernel log. */
	put("/dev/.keep", "", 0);
	snprintf(link, sizeof(link), "%s/dev/kmsg", root);
	FUZZ_CHECK(symlink("/dev/null", link) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vr_guest g;
	const uint8_t *nl = memchr(data, '\n', size), *p, *end = data + size;
	size_t line_len = nl ? (size_t)(nl - data) + 1 : size, i;
	char reply[VR_CHAN_REPLY_MAX], *line;
	struct vr_chan_request req;
	struct vr_config cfg;
	uint64_t v;
	int parsed;

	/* The files: from the input, or back to the fixtures. */
	p = data + line_len;
	vr_config_defaults(&cfg);
	if (p < end) {
		static const enum vr_mode modes[] = { VR_MODE_AUTO, VR_MODE_GRADUAL,
						      VR_MODE_DROPCACHE, VR_MODE_DISABLED };

		cfg.mode = modes[*p & 3];
		cfg.compaction = !(*p & 4);
		if (*p & 8)
			cfg.reporting_order_min = (unsigned)(*p >> 4);
		p++;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (p < end) {
			const uint8_t *z = memchr(p, '\0', (size_t)(end - p));
			size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

			put(files[i].rel, (const char *)p, n);
			p += n + (z ? 1 : 0);
		} else {
			put(files[i].rel, files[i].dflt, strlen(files[i].dflt));
		}
	}

	memset(&rec, 0, sizeof(rec));
	now_usec += 10 * VR_USEC_PER_SEC;
	FUZZ_CHECK(vr_guest_init(&g, &cfg, root, &rec_ops, NULL, fake_clock) == 0);
	/* vr_cgroup_probe's write is not the host's doing. */
	memset(&rec, 0, sizeof(rec));

	/* The daemon hands over the line as read: no NUL after it. */
	line = malloc(line_len ? line_len : 1);
	FUZZ_CHECK(line);
	if (line_len)
		memcpy(line, data, line_len);
	parsed = vr_chan_parse(line, line_len, &req, reply, sizeof(reply));
	vr_guest_channel(&g, line, line_len, reply, sizeof(reply));
	free(line);

	FUZZ_CHECK(strchr(reply, '\n') == reply + strlen(reply) - 1);
	FUZZ_CHECK(strncmp(reply, "ok ", 3) == 0 || strncmp(reply, "refused ", 8) == 0 ||
		   strncmp(reply, "error: ", 7) == 0);
	if (parsed < 0 || req.verb != VR_CHAN_GIVE)
		FUZZ_CHECK(rec.writes == 0);
	if (parsed == 0 && req.verb == VR_CHAN_GIVE)
		FUZZ_CHECK(rec.reclaim_bytes <= req.bytes);
	if (parsed == 0 && req.verb == VR_CHAN_COUNTERS) {
		struct vr_chan_counters c;

		/* What the host reads back: every counter but auto's. */
		FUZZ_CHECK(vr_chan_counters_parse(reply, &c) == 0);
		FUZZ_CHECK((c.have & ((1u << (VR_CC_PCP_DRAINS + 1)) - 1)) ==
			   (1u << (VR_CC_PCP_DRAINS + 1)) - 1);
	} else if (strncmp(reply, "ok ", 3) == 0) {
		/* What the host reads back. */
		FUZZ_CHECK(vr_chan_reply_u64(reply, "stranded", &v) == 0);
		FUZZ_CHECK(vr_chan_reply_u64(reply, "order", &v) == 0);
	}
	vr_guest_status(&g, fuzz_devnull(), size & 1);
	vr_guest_metrics(&g, fuzz_devnull());
	return 0;
}
