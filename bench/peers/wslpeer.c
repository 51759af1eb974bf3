/* SPDX-License-Identifier: MIT */
/* wslpeer: runs one benchmark peer in the guest (see wsl_policy.h).
 *
 *   wslpeer KIND [--order N] [--scale F]
 *
 * KIND: wsl-dropcache, wsl-gradual, wsl-19013, cron.  --order writes
 * page_reporting_order first (WSL: 5 on new hosts, 9 on older ones).
 * --scale divides every period by F, as the benchmark does for all
 * configurations alike.  No forks: the sampling loop must not make the
 * guest look busy. */
#include "common/log.h"
#include "common/util.h"
#include "guest/cgroup.h"
#include "procfs/cpustat.h"
#include "procfs/meminfo.h"
#include "guest/reporting.h"
#include "guest/sys.h"
#include "wsl_policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void event(const char *what)
{
	/* The recorder on the host reads these off the console. */
	printf("vmreclaim-event: %s\n", what);
	fflush(stdout);
}

/* A small file of our own, made if missing (vr_write_file() is for the
 * kernel's files, which exist). */
static void write_count(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fputs(v, f);
	fclose(f);
}

static void write_knob(const struct vr_sys *s, const char *path, const char *value)
{
	int r = vr_sys_write(s, path, value);

	if (r < 0)
		fprintf(stderr, "wslpeer: %s <- %s: %s\n", path, value, strerror(-r));
}

int main(int argc, char **argv)
{
	enum peer_kind kind;
	struct vr_cgroup cg;
	struct vr_sys s;
	struct peer p;
	uint64_t period_usec, next, cpu0, kernel_usec = 0;
	long order = -1, scale = 1;
	int i;

	if (argc < 2 || peer_kind_parse(argv[1], &kind) < 0) {
		fprintf(stderr, "usage: wslpeer wsl-dropcache|wsl-gradual|wsl-19013|cron [--order N] [--scale F]\n");
		return 2;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--order") == 0)
			order = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--scale") == 0)
			scale = strtol(argv[i + 1], NULL, 10);
	}
	if (scale < 1 || scale > 60 || order > 10) {
		fprintf(stderr, "wslpeer: --scale 1..60, --order 0..10\n");
		return 2;
	}
	vr_sys_init(&s, "/", &vr_sys_ops_real, NULL);
	if (order >= 0) {
		char v[8];

		snprintf(v, sizeof(v), "%ld", order);
		write_knob(&s, VR_REPORTING_ORDER_PATH, v);
	}
	vr_cgroup_probe(&s, &cg);
	peer_init(&p, kind);
	period_usec = (kind == PEER_CRON ? 60 : 10) * VR_USEC_PER_SEC / (uint64_t)scale;
	printf("wslpeer: %s, every %llu ms, order %ld, swappiness=0 %s\n", argv[1],
	       (unsigned long long)(period_usec / 1000), order, cg.swappiness ? "yes" : "no");
	fflush(stdout);
	next = vr_now_usec();
	for (;;) {
		struct peer_input in = { 0 };
		struct peer_output out;
		struct vr_meminfo m;
		struct timespec ts;
		uint64_t now;

		next += period_usec;
		now = vr_now_usec();
		if (next > now) {
			ts.tv_sec = (time_t)((next - now) / VR_USEC_PER_SEC);
			ts.tv_nsec = (long)((next - now) % VR_USEC_PER_SEC) * 1000;
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		if (vr_cpustat_read(&s.fs, &in.cpu) < 0)
			continue;
		if (vr_meminfo_read(&s.fs, &m) == 0) {
			in.have_mem = true;
			in.mem_total_bytes = m.total_bytes;
			in.file_cache_bytes = vr_meminfo_file_cache(&m);
		}
		peer_step(&p, &in, &out);
		cpu0 = vr_sys_cpu_usec(&s);
		if (out.sync)
			sync();
		if (out.drop_value) {
			char v[12];

			snprintf(v, sizeof(v), "%u", out.drop_value);
			write_knob(&s, "/proc/sys/vm/drop_caches", v);
			event("dropcache");
		}
		if (out.reclaim_bytes) {
			/* Plain where the kernel rejects swappiness= (before
			 * it existed), as WSL does. */
			int r = vr_cgroup_reclaim(&s, out.reclaim_bytes, cg.swappiness);

			if (r < 0 && r != -EAGAIN)
				fprintf(stderr, "wslpeer: memory.reclaim: %s\n", strerror(-r));
			event("reclaim");
		}
		if (out.compact) {
			write_knob(&s, "/proc/sys/vm/compact_memory", "1");
			event("compact");
		}
		if (out.sync || out.drop_value || out.reclaim_bytes || out.compact) {
			/* What the kernel did for it, for the benchmark's
			 * sampler (vrload metrics): sync, drops, reclaim and
			 * compaction run in this thread. */
			char v[24];

			kernel_usec += vr_sat_sub(vr_sys_cpu_usec(&s), cpu0);
			snprintf(v, sizeof(v), "%llu\n", (unsigned long long)(kernel_usec / 1000));
			write_count("/run/wslpeer.kcpu", v);
		}
	}
}
