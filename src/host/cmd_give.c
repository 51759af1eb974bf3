/* SPDX-License-Identifier: MIT */
/* vmreclaim give: ask running guests to give memory back now, over the
 * guest channel.  vmreclaim watch: do so when the host runs short of
 * memory, asking the guests that hold the most stranded memory first. */
#include "common/channel.h"
#include "common/size.h"
#include "common/util.h"
#include "guest/meminfo.h"
#include "guest/psi.h"
#include "host/commands.h"
#include "host/guestchan.h"
#include "host/pressure.h"
#include "host/proc.h"
#include "host/sample.h"
#include "host/vm.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GIVE_VM_MAX 64
/* The guest reads its channel once per sample (5 s by default) and then
 * reclaims: room for both. */
#define CALL_TIMEOUT_MS 20000
/* A guest is asked again no sooner than this. */
#define WATCH_COOLDOWN_USEC (30 * VR_USEC_PER_SEC)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* The guest's own figures and, with them, what it strands on the host. */
static int guest_mem(struct vr_vm *vm, struct vr_guest_mem *ret, char *err, size_t err_size)
{
	char reply[VR_CHAN_REPLY_MAX];
	struct vr_sample s = { .have_guest = true };
	int r;

	ret->name = vm->name;
	ret->known = false;
	if (vr_proc_rss(vm->pid, &ret->rss_bytes) < 0)
		ret->rss_bytes = 0;
	r = vr_gchan_call(vm->guest, "status", "total", reply, sizeof(reply), CALL_TIMEOUT_MS);
	if (r < 0) {
		snprintf(err, err_size, "no answer on the guest channel: %s", vr_gchan_strerror(r));
		return r;
	}
	if (vr_chan_reply_u64(reply, "total", &s.guest_total_bytes) < 0 ||
	    vr_chan_reply_u64(reply, "available", &s.guest_available_bytes) < 0 ||
	    s.guest_available_bytes > s.guest_total_bytes) {
		snprintf(err, err_size, "status: %s", reply);
		return -EPROTO;
	}
	/* used and stranded as top computes them */
	s.rss_bytes = ret->rss_bytes;
	vr_sample_derive(&s);
	ret->known = true;
	ret->used_bytes = s.guest_used_bytes;
	ret->stranded_bytes = s.stranded_bytes;
	return 0;
}

/* Ask @vm for @bytes; print what it says.  Returns 0 when it gave. */
static int give_one(struct vr_vm *vm, uint64_t bytes, uint64_t *ret_gained)
{
	char req[64], reply[VR_CHAN_REPLY_MAX], a[VR_SIZE_STR_MAX], b[VR_SIZE_STR_MAX],
		c[VR_SIZE_STR_MAX], d[VR_SIZE_STR_MAX];
	uint64_t released = 0, gained = 0, rss = 0;
	int r;

	if (ret_gained)
		*ret_gained = 0;
	snprintf(req, sizeof(req), "give %llu", (unsigned long long)bytes);
	r = vr_gchan_call(vm->guest, req, "released", reply, sizeof(reply), CALL_TIMEOUT_MS);
	if (r < 0) {
		fprintf(stderr, "vmreclaim: %s: no answer on the guest channel: %s\n", vm->name,
			vr_gchan_strerror(r));
		return VR_EXIT_FAILURE;
	}
	if (strncmp(reply, "ok ", 3) != 0) {
		printf("%s: %s\n", vm->name, reply);
		return VR_EXIT_FAILURE;
	}
	(void)vr_chan_reply_u64(reply, "released", &released);
	(void)vr_chan_reply_u64(reply, "reportable_gained", &gained);
	(void)vr_proc_rss(vm->pid, &rss);
	printf("%s: asked for %s: released %s of page cache, reportable +%s; host RSS now %s\n",
	       vm->name, vr_format_size(bytes, a, sizeof(a)), vr_format_size(released, b, sizeof(b)),
	       vr_format_size(gained, c, sizeof(c)), vr_format_size(rss, d, sizeof(d)));
	if (ret_gained)
		*ret_gained = vr_sat_add(released, gained);
	return 0;
}

static int list_or_name(int argc, char **argv, bool all, struct vr_vm *vms, const char *cmd)
{
	int n = 0;

	if (all) {
		n = vr_vm_list(vms, GIVE_VM_MAX, false);
		if (n < 0)
			fprintf(stderr, "vmreclaim %s: %s\n", cmd, strerror(-n));
		return n;
	}
	for (; optind < argc && n < GIVE_VM_MAX; optind++) {
		if (vr_vm_paths(&vms[n], argv[optind], NULL) < 0) {
			fprintf(stderr, "vmreclaim %s: %s: not a VM name\n", cmd, argv[optind]);
			return -EINVAL;
		}
		if (vr_vm_alive(&vms[n]) != 1) {
			/* As "stop" does: what a dead VM left goes. */
			fprintf(stderr, "vmreclaim %s: %s is not running\n", cmd, argv[optind]);
			vr_vm_remove_if_gone(&vms[n]);
			return -ESRCH;
		}
		n++;
	}
	return n;
}

int vr_cmd_give(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "Usage: vmreclaim give [--bytes SIZE] NAME... | --all\n"
				    "Ask running guests to give memory back now (default: 1GB each).\n";
	struct vr_vm vms[GIVE_VM_MAX];
	uint64_t bytes = VR_GIB;
	bool all = false;
	int c, i, n, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ab:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'b':
			if (vr_parse_size(optarg, &bytes) < 0 || bytes < VR_CHAN_GIVE_MIN_BYTES ||
			    bytes > VR_CHAN_GIVE_MAX_BYTES) {
				fprintf(stderr, "vmreclaim give: --bytes %s: not a size from 1MB\n", optarg);
				return VR_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return VR_EXIT_USAGE;
		}
	}
	if (!all && optind >= argc) {
		fputs(usage, stderr);
		return VR_EXIT_USAGE;
	}
	n = list_or_name(argc, argv, all, vms, "give");
	if (n < 0)
		return n == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_FAILURE;
	for (i = 0; i < n; i++)
		status |= give_one(&vms[i], bytes, NULL);
	return status;
}

static int host_mem(struct vr_host_mem *m)
{
	struct vr_meminfo mi;
	struct vr_psi psi;
	char buf[16384];
	int r;

	r = vr_read_file("/proc/meminfo", buf, sizeof(buf), NULL);
	if (r < 0)
		return r;
	r = vr_meminfo_parse(buf, &mi);
	if (r < 0)
		return r;
	m->total_bytes = mi.total_bytes;
	m->available_bytes = mi.available_bytes;
	m->have_psi = vr_read_file("/proc/pressure/memory", buf, sizeof(buf), NULL) == 0 &&
		      vr_psi_parse(buf, &psi) == 0;
	m->psi_some_avg10 = m->have_psi ? psi.some.avg10_x100 / 100.0 : 0;
	return 0;
}

static void stamp(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(buf, size, "%H:%M:%S", &tm);
	else
		snprintf(buf, size, "?");
}

/* What watch keeps of a VM from one look to the next, by name: VMs come
 * and go between looks, and the runtime directory lists them in no fixed
 * order. */
struct watched {
	char name[VR_VM_NAME_MAX + 1]; /* "" for a free slot */
	uint64_t asked_usec;           /* the last give; 0 = never */
	char err[VR_CHAN_REPLY_MAX + 64]; /* the last status error said, "" if none */
};

/* @name's slot, a fresh one if it has none.  There is always one: at most
 * GIVE_VM_MAX VMs are listed, and the slots of VMs no longer listed are
 * freed before. */
static struct watched *watched_get(struct watched *ws, const char *name)
{
	struct watched *free_slot = NULL;
	size_t i;

	for (i = 0; i < GIVE_VM_MAX; i++) {
		if (ws[i].name[0] && strcmp(ws[i].name, name) == 0)
			return &ws[i];
		if (!free_slot && !ws[i].name[0])
			free_slot = &ws[i];
	}
	memset(free_slot, 0, sizeof(*free_slot));
	vr_strlcpy(free_slot->name, name, sizeof(free_slot->name));
	return free_slot;
}

/* One look at the host; when it is short, ask the guests with the most
 * stranded memory, in turn, until the deficit is covered.  A guest that
 * does not answer is said once, not at every look, and again when it
 * answers. */
static void watch_once(const struct vr_pressure_settings *s, struct watched *ws, bool verbose)
{
	struct vr_vm vms[GIVE_VM_MAX];
	struct vr_guest_mem g[GIVE_VM_MAX];
	struct watched *wv[GIVE_VM_MAX];
	struct vr_host_mem m;
	char why[128], when[16], err[sizeof(ws[0].err)], x[VR_SIZE_STR_MAX];
	uint64_t deficit, now = vr_now_usec();
	int n, i, j, r;

	stamp(when, sizeof(when));
	r = host_mem(&m);
	if (r < 0) {
		fprintf(stderr, "vmreclaim watch: /proc/meminfo: %s\n", strerror(-r));
		return;
	}
	if (!vr_pressure_short(&m, s, &deficit, why, sizeof(why))) {
		if (verbose)
			printf("%s %s\n", when, why);
		return;
	}
	n = vr_vm_list(vms, GIVE_VM_MAX, true);
	/* Forget the VMs that are gone, then find or add those listed. */
	for (i = 0; i < GIVE_VM_MAX; i++) {
		for (j = 0; j < n && strcmp(ws[i].name, vms[j].name) != 0; j++)
			;
		if (j == n)
			ws[i].name[0] = '\0';
	}
	for (i = 0; i < n; i++)
		wv[i] = watched_get(ws, vms[i].name);
	if (n <= 0) {
		printf("%s %s; no VM to ask\n", when, why);
		return;
	}
	for (i = 0; i < n; i++) {
		if (guest_mem(&vms[i], &g[i], err, sizeof(err)) < 0) {
			if (strcmp(err, wv[i]->err) != 0)
				fprintf(stderr, "vmreclaim watch: %s: %s\n", vms[i].name, err);
			vr_strlcpy(wv[i]->err, err, sizeof(wv[i]->err));
		} else if (wv[i]->err[0]) {
			fprintf(stderr, "vmreclaim watch: %s: the guest answers again\n", vms[i].name);
			wv[i]->err[0] = '\0';
		}
	}
	vr_pressure_rank(g, (size_t)n);
	printf("%s %s: asking for %s\n", when, why, vr_format_size(deficit, x, sizeof(x)));
	for (i = 0; i < n && deficit > 0; i++) {
		uint64_t gained;

		if (!g[i].known || g[i].stranded_bytes < VR_PRESSURE_DEFICIT_MIN)
			break;
		for (j = 0; j < n && strcmp(vms[j].name, g[i].name) != 0; j++)
			;
		if (j == n || (wv[j]->asked_usec && now - wv[j]->asked_usec < WATCH_COOLDOWN_USEC))
			continue;
		wv[j]->asked_usec = now;
		printf("%s %s holds %s beyond what its guest uses\n", when, g[i].name,
		       vr_format_size(g[i].stranded_bytes, x, sizeof(x)));
		if (give_one(&vms[j], deficit < g[i].stranded_bytes ? deficit : g[i].stranded_bytes,
			     &gained) == 0)
			deficit = vr_sat_sub(deficit, gained);
	}
	fflush(stdout);
}

int vr_cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "min-available", required_argument, NULL, 'm' },
		{ "psi", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"Usage: vmreclaim watch [OPTION]...\n"
		"When the host runs short of memory, ask the running guests that hold the\n"
		"most memory beyond their own use to give it back (over the guest channel).\n\n"
		"  -m, --min-available SIZE  short below this MemAvailable (default: 10% of RAM)\n"
		"  -p, --psi PCT             or at this memory 'some' avg10 (default 10; 0: off)\n"
		"  -i, --interval SEC        look every SEC seconds (default 5)\n"
		"      --once                look once and exit\n"
		"  -v, --verbose             say so when the host is not short\n";
	struct vr_pressure_settings s = { 0, 10.0 };
	static struct watched ws[GIVE_VM_MAX];
	unsigned interval = 5;
	bool once = false, verbose = false, min_set = false;
	struct vr_host_mem m;
	struct sigaction sa = { .sa_handler = on_signal };
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:p:i:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (vr_parse_size(optarg, &s.min_available_bytes) < 0) {
				fprintf(stderr, "vmreclaim watch: --min-available %s: not a size\n", optarg);
				return VR_EXIT_USAGE;
			}
			min_set = true;
			break;
		case 'p':
			s.psi_some_pct = strtod(optarg, &end);
			if (*end || s.psi_some_pct < 0 || s.psi_some_pct > 100) {
				fprintf(stderr, "vmreclaim watch: --psi %s: a percentage, 0 to 100\n", optarg);
				return VR_EXIT_USAGE;
			}
			break;
		case 'i':
			interval = (unsigned)strtoul(optarg, &end, 10);
			if (*end || interval < 1 || interval > 3600) {
				fprintf(stderr, "vmreclaim watch: --interval %s: 1 to 3600 seconds\n", optarg);
				return VR_EXIT_USAGE;
			}
			break;
		case 'o':
			once = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return VR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return VR_EXIT_USAGE;
	}
	if (!min_set) {
		if (host_mem(&m) < 0) {
			fprintf(stderr, "vmreclaim watch: /proc/meminfo unreadable\n");
			return VR_EXIT_FAILURE;
		}
		s.min_available_bytes = m.total_bytes / 10;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	do {
		watch_once(&s, ws, verbose || once);
		if (once)
			break;
		sleep(interval);
	} while (!stop_signal);
	return 0;
}
