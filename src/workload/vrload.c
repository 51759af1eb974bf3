/* SPDX-License-Identifier: MIT */
/* vrload: small guest workloads for the image, the demo and the
 * benchmark.  Static, no dependencies.
 *
 *   vrload anon SIZE [HOLD_SEC]       touch SIZE of anonymous memory, hold, free
 *   vrload read PATH...               read files (recursively) into page cache
 *   vrload fragment SIZE [HOLD_SEC]   touch SIZE, free all but one page in 64,
 *                                     hold (default: until killed)
 *   vrload burn SEC                   keep one CPU busy for SEC seconds (wall);
 *                                     print the rounds done, the wall time and
 *                                     the job's own CPU time
 *   vrload wake SIZE                  touch and free SIZE (huge pages where
 *                                     allowed): wakes free page reporting
 *   vrload metrics SEC                every SEC seconds, print the guest's
 *                                     refaults and disk reads (no forks)
 *   vrload write FILE SIZE            write SIZE of known contents to FILE (not
 *                                     synced: the pages stay dirty)
 *   vrload verify FILE SIZE           check every 4 KiB block of FILE against
 *                                     what write put there; exit 1 on any
 *                                     difference
 */
#include "common/config.h"
#include "common/size.h"
#include "common/util.h"
#include "common/wake.h"
#include "procfs/meminfo.h"
#include "procfs/proc.h"
#include "procfs/root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF (1024 * 1024)

/* One page kept in every 64 (256 KiB): no free 2 MiB block can form
 * around it, so the rest stays stranded below the reporting order. */
#define FRAGMENT_STRIDE_PAGES 64

static uint64_t ms_since(uint64_t t0)
{
	return (vr_now_usec() - t0) / 1000;
}

static int parse_size_arg(const char *s, uint64_t *ret)
{
	if (vr_parse_size(s, ret) < 0 || *ret == 0) {
		fprintf(stderr, "vrload: '%s' is not a size\n", s);
		return -1;
	}
	return 0;
}

static unsigned parse_sec(const char *s)
{
	uint64_t v;

	if (vr_parse_u64(s, NULL, &v) < 0 || v > 86400 * 365) {
		fprintf(stderr, "vrload: '%s' is not a number of seconds\n", s);
		exit(2);
	}
	return (unsigned)v;
}

static void *touch(uint64_t bytes, long page)
{
	uint64_t t0 = vr_now_usec(), off;
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("vrload: mmap");
		exit(1);
	}
	/* Distinct data per page, so that nothing (KSM, zero-page
	 * deduplication on the host) can share it. */
	for (off = 0; off < bytes; off += (uint64_t)page)
		memset(p + off, (int)((off / (uint64_t)page) & 0xff) | 1, (size_t)page);
	printf("vrload: touched %llu MiB in %llu ms\n", (unsigned long long)(bytes / VR_MIB),
	       (unsigned long long)ms_since(t0));
	fflush(stdout);
	return p;
}

static int cmd_anon(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t bytes;
	void *p;

	if (argc < 2 || parse_size_arg(argv[1], &bytes) < 0)
		return 2;
	p = touch(bytes, page);
	if (argc > 2)
		sleep(parse_sec(argv[2]));
	munmap(p, bytes);
	printf("vrload: freed %llu MiB\n", (unsigned long long)(bytes / VR_MIB));
	return 0;
}

static int read_path(const char *path, char *buf, uint64_t *total)
{
	struct stat st;
	int r = 0;

	if (lstat(path, &st) < 0) {
		fprintf(stderr, "vrload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list;
		int n = scandir(path, &list, NULL, alphasort), i;

		if (n < 0) {
			fprintf(stderr, "vrload: %s: %s\n", path, strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			char sub[PATH_MAX];

			if (strcmp(list[i]->d_name, ".") != 0 && strcmp(list[i]->d_name, "..") != 0 &&
			    strcmp(list[i]->d_name, "lost+found") != 0 &&
			    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, list[i]->d_name) < sizeof(sub) &&
			    read_path(sub, buf, total) < 0)
				r = -1;
			free(list[i]);
		}
		free(list);
	} else if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			fprintf(stderr, "vrload: %s: %s\n", path, strerror(errno));
			return -1;
		}
		while ((n = read(fd, buf, READ_BUF)) > 0)
			*total += (uint64_t)n;
		if (n < 0) {
			fprintf(stderr, "vrload: %s: %s\n", path, strerror(errno));
			r = -1;
		}
		close(fd);
	}
	return r;
}

static int cmd_read(int argc, char **argv)
{
	uint64_t total = 0, t0 = vr_now_usec();
	char *buf = malloc(READ_BUF);
	int i, r = 0;

	if (!buf || argc < 2)
		return 2;
	for (i = 1; i < argc; i++)
		if (read_path(argv[i], buf, &total) < 0)
			r = 1;
	free(buf);
	printf("vrload: read %llu MiB in %llu ms\n", (unsigned long long)(total / VR_MIB),
	       (unsigned long long)ms_since(t0));
	return r;
}

static int cmd_fragment(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t bytes, off, stride = (uint64_t)page * FRAGMENT_STRIDE_PAGES, kept = 0;
	char *p;

	if (argc < 2 || parse_size_arg(argv[1], &bytes) < 0)
		return 2;
	p = touch(bytes, page);
	for (off = 0; off < bytes; off += stride) {
		uint64_t len = bytes - off < stride ? bytes - off : stride;

		/* Keep the first page of each stride, give back the rest. */
		if (len > (uint64_t)page && madvise(p + off + page, len - (uint64_t)page, MADV_DONTNEED) < 0) {
			perror("vrload: madvise");
			return 1;
		}
		kept++;
	}
	printf("vrload: fragmented %llu MiB, kept %llu pages\n", (unsigned long long)(bytes / VR_MIB),
	       (unsigned long long)kept);
	fflush(stdout);
	if (argc > 2)
		sleep(parse_sec(argv[2]));
	else
		for (;;)
			pause();
	return 0;
}

/* CPU time of this process (user + system), microseconds. */
static uint64_t cpu_usec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * VR_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* Rounds done say how fast the CPU was (host speed, and how many other
 * VMs share it); CPU time / wall time says how much of its CPU the job
 * got inside the guest (what other guest tasks and the kernel took). */
static int cmd_burn(int argc, char **argv)
{
	uint64_t t0, c0, end, n = 0, wall, cpu;

	if (argc < 2)
		return 2;
	t0 = vr_now_usec();
	c0 = cpu_usec();
	end = t0 + (uint64_t)parse_sec(argv[1]) * VR_USEC_PER_SEC;
	while (vr_now_usec() < end) {
		volatile uint64_t x = 0;
		unsigned i;

		for (i = 0; i < 100000; i++)
			x += i;
		n++;
	}
	wall = vr_now_usec() - t0;
	cpu = cpu_usec() - c0;
	printf("vrload: burned %llu rounds in %llu ms, %llu ms CPU\n", (unsigned long long)n,
	       (unsigned long long)(wall / 1000), (unsigned long long)(cpu / 1000));
	return 0;
}

/* The value of @key in /proc/vmstat, or 0. */
static uint64_t vmstat_value(const char *key)
{
	char buf[16384], *line;
	uint64_t v = 0;
	size_t n = strlen(key);

	if (vr_read_file("/proc/vmstat", buf, sizeof(buf), NULL) < 0)
		return 0;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, n) == 0 && line[n] == ' ') {
			char *end = line + n + 1 + strspn(line + n + 1, "0123456789");

			vr_parse_u64(line + n + 1, end, &v);
			break;
		}
	}
	return v;
}

/* The reclaimable slab (SReclaimable) in KiB, 0 when unreadable. */
static uint64_t sreclaimable_kib(void)
{
	struct vr_meminfo m;

	return vr_meminfo_read(&vr_procfs_real, &m) == 0 ? m.sreclaimable_bytes / 1024 : 0;
}

/* KiB read from the data disk (field 3 of /sys/block/vda/stat: sectors). */
static uint64_t disk_read_kib(void)
{
	char buf[512];
	unsigned long long f[3];

	if (vr_read_head("/sys/block/vda/stat", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%llu %llu %llu", &f[0], &f[1], &f[2]) != 3)
		return 0;
	return f[2] / 2;
}

/* CPU time (ms), peak RSS (KiB) and RSS now (KiB, 0: unread) of the
 * reclaim service running in the guest (vmreclaimd, or the benchmark's
 * peer); false when none runs.  The RSS now, sampled every 10 s, misses
 * what the service holds for a moment (vmreclaimd's huge page that wakes
 * the reporting worker); the peak does not. */
static bool service_usage(uint64_t *ret_cpu_ms, uint64_t *ret_hwm_kib, uint64_t *ret_rss_kib)
{
	static const char *const names[] = { "vmreclaimd", "wslpeer" };
	struct dirent *de;
	DIR *d = opendir("/proc");
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[64], buf[1024], *p;
		unsigned long long ut, st;
		uint64_t rss_bytes;
		size_t i;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/stat", de->d_name);
		if (vr_read_head(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
			continue;
		for (i = 0; i < VR_ARRAY_SIZE(names); i++)
			if (strstr(buf, names[i]) && strchr(buf, '(') < strstr(buf, names[i]))
				break;
		if (i == VR_ARRAY_SIZE(names))
			continue;
		/* Fields 14 and 15 (utime, stime), counted after the ")". */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
			continue;
		*ret_cpu_ms = (ut + st) * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK);
		/* A 6.1 kernel folds a task's RSS counts into VmHWM only
		 * every 64 page faults, so a small daemon's VmHWM can stay
		 * at a page or two; smaps_rollup walks the page tables and
		 * is exact now.  The larger of the two (the caller keeps the
		 * largest over its samples). */
		*ret_hwm_kib = *ret_rss_kib = 0;
		snprintf(path, sizeof(path), "/proc/%.20s/status", de->d_name);
		if (vr_read_head(path, buf, sizeof(buf)) == 0 && (p = strstr(buf, "VmHWM:")))
			*ret_hwm_kib = strtoull(p + 6, NULL, 10);
		if (vr_proc_rss_read(&vr_procfs_real, (pid_t)strtol(de->d_name, NULL, 10), &rss_bytes) == 0) {
			*ret_rss_kib = rss_bytes / 1024;
			if (*ret_rss_kib > *ret_hwm_kib)
				*ret_hwm_kib = *ret_rss_kib;
		}
		found = true;
	}
	closedir(d);
	return found;
}

/* vmreclaimd's "status json" reply, read whole (about 8 KiB), or -1.  One
 * request every 10 s: the daemon's cost for it is small beside its own
 * sampling, unlike a metrics file it would write every second. */
static ssize_t daemon_status_json(char *buf, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	size_t len = 0;
	ssize_t n;
	int fd;

	vr_strlcpy(sa.sun_path, VR_CONTROL_SOCKET, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, "status json\n", 12) != 12) {
		close(fd);
		return -1;
	}
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* The CPU (ms) the service's writes to the kernel took so far: the
 * benchmark's peer keeps it in /run/wslpeer.kcpu; vmreclaimd says it per
 * action in its @status ("totals", cpu_usec; NULL: none read).  False when
 * neither says. */
static bool service_kernel_cpu(const char *status, uint64_t *ret_ms)
{
	char buf[64];
	uint64_t usec = 0;
	const char *p, *end;
	bool found = false;

	if (vr_read_head("/run/wslpeer.kcpu", buf, sizeof(buf)) == 0) {
		*ret_ms = strtoull(buf, NULL, 10);
		return true;
	}
	if (!status || !(p = strstr(status, "\"totals\":{")))
		return false;
	/* The totals end where the history begins. */
	end = strstr(p, "\"history\":");
	while ((p = strstr(p, "\"cpu_usec\":")) && (!end || p < end)) {
		p += strlen("\"cpu_usec\":");
		usec += strtoull(p, NULL, 10);
		found = true;
	}
	*ret_ms = usec / 1000;
	return found;
}

/* The CPU of vmreclaimd's per-CPU list drains and reporting wake-ups, ms
 * (its @status: "pcp", cpu_usec).  False when it does not say (a peer, or
 * an older daemon). */
static bool service_drain_cpu(const char *status, uint64_t *ret_ms)
{
	const char *p, *end;

	if (!status || !(p = strstr(status, "\"pcp\":{")))
		return false;
	end = strchr(p, '}');
	p = strstr(p, "\"cpu_usec\":");
	if (!p || !end || p > end)
		return false;
	*ret_ms = strtoull(p + strlen("\"cpu_usec\":"), NULL, 10) / 1000;
	return true;
}

static int cmd_metrics(int argc, char **argv)
{
	unsigned sec;

	if (argc < 2)
		return 2;
	sec = parse_sec(argv[1]);
	for (;;) {
		static char status_buf[65536];
		uint64_t cpu_ms, hwm_kib, rss_kib, kernel_ms, drain_ms;
		/* one request a sample for every figure of the status */
		const char *status = daemon_status_json(status_buf, sizeof(status_buf)) > 0 ? status_buf : NULL;

		printf("vmreclaim-metric: refault_file=%llu disk_read_kib=%llu sreclaimable_kib=%llu",
		       (unsigned long long)vmstat_value("workingset_refault_file"),
		       (unsigned long long)disk_read_kib(), (unsigned long long)sreclaimable_kib());
		if (service_usage(&cpu_ms, &hwm_kib, &rss_kib))
			printf(" service_cpu_ms=%llu service_hwm_kib=%llu service_rss_kib=%llu",
			       (unsigned long long)cpu_ms, (unsigned long long)hwm_kib,
			       (unsigned long long)rss_kib);
		if (service_kernel_cpu(status, &kernel_ms))
			printf(" service_kernel_cpu_ms=%llu", (unsigned long long)kernel_ms);
		if (service_drain_cpu(status, &drain_ms))
			printf(" service_drain_cpu_ms=%llu", (unsigned long long)drain_ms);
		printf("\n");
		fflush(stdout);
		sleep(sec);
	}
}

static int cmd_wake(int argc, char **argv)
{
	uint64_t bytes;
	int r;

	if (argc < 2 || parse_size_arg(argv[1], &bytes) < 0)
		return 2;
	r = vr_wake_reporting(bytes);
	if (r < 0) {
		fprintf(stderr, "vrload: wake: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

/* Known contents for write and verify: every 4 KiB block of a file is a
 * function of the file's name and the block's number, so a block lost, left
 * stale, or put at the wrong place shows as a difference at that block,
 * and nothing has to be kept between a write and a verify (not even across
 * a reboot).  Pseudo-random (splitmix64), so that no page is like another. */
#define PATTERN_BLOCK 4096

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t name_seed(const char *path)
{
	const char *base = strrchr(path, '/');
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (base = base ? base + 1 : path; *base; base++)
		h = (h ^ (unsigned char)*base) * 0x100000001b3ULL;
	return h;
}

static void pattern_block(uint64_t seed, uint64_t block, uint64_t *out)
{
	uint64_t x = seed ^ (block * 0xd1b54a32d192ed03ULL);
	size_t i;

	out[0] = block; /* readable in a dump */
	for (i = 1; i < PATTERN_BLOCK / sizeof(uint64_t); i++)
		out[i] = splitmix64(&x);
}

/* write(2) and read(2) of all of @len (read: less only at end of file). */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int cmd_write(int argc, char **argv)
{
	uint64_t bytes, blocks, b, seed, t0 = vr_now_usec();
	uint64_t buf[PATTERN_BLOCK / sizeof(uint64_t) * 64];
	int fd;

	if (argc < 3 || parse_size_arg(argv[2], &bytes) < 0)
		return 2;
	blocks = (bytes + PATTERN_BLOCK - 1) / PATTERN_BLOCK;
	seed = name_seed(argv[1]);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "vrload: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (b = 0; b < blocks;) {
		size_t n = 0, len;

		/* 256 KiB per write. */
		for (; n < 64 && b < blocks; n++, b++)
			pattern_block(seed, b, buf + n * (PATTERN_BLOCK / sizeof(uint64_t)));
		len = n * PATTERN_BLOCK;
		if (write_all(fd, buf, len) < 0) {
			fprintf(stderr, "vrload: %s: %s\n", argv[1], strerror(errno));
			close(fd);
			return 1;
		}
	}
	if (close(fd) < 0) {
		fprintf(stderr, "vrload: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("vrload: wrote %llu MiB to %s in %llu ms\n", (unsigned long long)(blocks * PATTERN_BLOCK / VR_MIB),
	       argv[1], (unsigned long long)ms_since(t0));
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	uint64_t bytes, blocks, b, seed, bad = 0, first_bad = 0, t0 = vr_now_usec();
	uint64_t want[PATTERN_BLOCK / sizeof(uint64_t)], got[PATTERN_BLOCK / sizeof(uint64_t)];
	struct stat st;
	int fd;

	if (argc < 3 || parse_size_arg(argv[2], &bytes) < 0)
		return 2;
	blocks = (bytes + PATTERN_BLOCK - 1) / PATTERN_BLOCK;
	seed = name_seed(argv[1]);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "vrload: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((uint64_t)st.st_size != blocks * PATTERN_BLOCK) {
		fprintf(stderr, "vrload: %s: %llu bytes, expected %llu\n", argv[1], (unsigned long long)st.st_size,
			(unsigned long long)(blocks * PATTERN_BLOCK));
		close(fd);
		return 1;
	}
	for (b = 0; b < blocks; b++) {
		ssize_t n = read_full(fd, got, sizeof(got));

		if (n != (ssize_t)sizeof(got)) {
			fprintf(stderr, "vrload: %s: block %llu: %s\n", argv[1], (unsigned long long)b,
				n < 0 ? strerror(errno) : "short read");
			close(fd);
			return 1;
		}
		pattern_block(seed, b, want);
		if (memcmp(want, got, sizeof(got)) != 0 && bad++ == 0)
			first_bad = b;
	}
	close(fd);
	if (bad) {
		printf("vrload: %s: %llu of %llu blocks differ, the first at block %llu (offset %llu)\n", argv[1],
		       (unsigned long long)bad, (unsigned long long)blocks, (unsigned long long)first_bad,
		       (unsigned long long)(first_bad * PATTERN_BLOCK));
		return 1;
	}
	printf("vrload: verified %llu MiB of %s in %llu ms\n", (unsigned long long)(blocks * PATTERN_BLOCK / VR_MIB),
	       argv[1], (unsigned long long)ms_since(t0));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "anon", cmd_anon },
		{ "read", cmd_read },
		{ "fragment", cmd_fragment },
		{ "burn", cmd_burn },
		{ "metrics", cmd_metrics },
		{ "wake", cmd_wake },
		{ "write", cmd_write },
		{ "verify", cmd_verify },
	};
	size_t i;

	if (argc >= 2)
		for (i = 0; i < VR_ARRAY_SIZE(cmds); i++)
			if (strcmp(argv[1], cmds[i].name) == 0)
				return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: vrload anon SIZE [HOLD_SEC] | read PATH... | fragment SIZE [HOLD_SEC] | burn SEC"
			" | metrics SEC | wake SIZE | write FILE SIZE | verify FILE SIZE\n");
	return 2;
}
