/* SPDX-License-Identifier: MIT */
/* vmreclaim give: ask running guests to give memory back now, over the
 * guest channel.  vmreclaim watch: do so when the host runs short of
 * memory, asking the guests that hold the most stranded memory first. */
#include "common/channel.h"
#include "common/sanitize.h"
#include "common/size.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/guestchan.h"
#include "host/hv.h"
#include "host/pressure.h"
#include "host/sample.h"
#include "host/vm.h"
#include "procfs/meminfo.h"
#include "procfs/proc.h"
#include "procfs/psi.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The guest reads its channel once per sample (5 s by default) and then
 * reclaims: room for both. */
#define CALL_TIMEOUT_MS 20000
/* A channel closed mid-call: the VM process may be ending.  Its backend
 * (libvirt marks a domain shut off only once it reaped QEMU) is given this
 * long to say so before the call counts as a plain failure: a destroy
 * takes well under a second, and a channel closed by a VM that stays
 * (another program on it) is still said within about this long
 * (tests/blackbox/host-faults.sh). */
#define GONE_WAIT_USEC (1 * VR_USEC_PER_SEC)
#define GONE_POLL_USEC (100 * 1000)
/* A guest is asked again no sooner than this. */
#define WATCH_COOLDOWN_USEC (30 * VR_USEC_PER_SEC)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* The guest channel of @vm, or NULL with a message in @err. */
static const char *channel(const struct vr_hv_vm *vm, char *err, size_t err_size)
{
	if (vm->guest[0])
		return vm->guest;
	snprintf(err, err_size, "no guest channel %s configured (see \"vmreclaim check %s\")",
		 VR_CHAN_PORT_NAME, vm->name);
	return NULL;
}

/* The guest's own figures and, with them, what it strands on the host. */
static int guest_mem(struct vr_hv_vm *vm, struct vr_guest_mem *ret, char *err, size_t err_size)
{
	char reply[VR_CHAN_REPLY_MAX];
	struct vr_sample s = { .have_guest = true };
	const char *chan;
	int r;

	ret->name = vm->name;
	ret->known = false;
	if (vm->ops->rss(vm, &ret->rss_bytes) < 0)
		ret->rss_bytes = 0;
	chan = channel(vm, err, err_size);
	if (!chan)
		return -ENOENT;
	r = vr_gchan_call(chan, "status", "total", reply, sizeof(reply), CALL_TIMEOUT_MS);
	if (r < 0) {
		snprintf(err, err_size, "no answer on the guest channel: %s", vr_gchan_strerror(r));
		return r;
	}
	if (vr_chan_reply_u64(reply, "total", &s.guest_total_bytes) < 0 ||
	    vr_chan_reply_u64(reply, "available", &s.guest_available_bytes) < 0 ||
	    s.guest_available_bytes > s.guest_total_bytes) {
		/* The guest wrote it: no escape sequence reaches the
		 * terminal. */
		char shown[VR_SANITIZE_SIZE(VR_CHAN_REPLY_MAX)];

		snprintf(err, err_size, "status: %s", vr_sanitize_str(reply, shown, sizeof(shown)));
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

/* Whether @vm stopped running, after vr_gchan_call() failed with @r: a
 * channel that closed or has nobody behind it is what a VM destroyed
 * mid-call leaves. */
static bool vm_went(struct vr_hv_vm *vm, int r)
{
	uint64_t until = vr_now_usec() + GONE_WAIT_USEC, rss;

	if (r != -EBUSY && r != -ECONNREFUSED && r != -ENOENT)
		return false;
	for (;;) {
		if (vm->ops->rss(vm, &rss) == -ESRCH)
			return true;
		if (vr_now_usec() >= until)
			return false;
		usleep(GONE_POLL_USEC);
	}
}

/* Ask @vm for @bytes; print what it says.  Returns 0 when it gave. */
static int give_one(struct vr_hv_vm *vm, uint64_t bytes, uint64_t *ret_gained)
{
	char req[64], reply[VR_CHAN_REPLY_MAX], a[VR_SIZE_STR_MAX], b[VR_SIZE_STR_MAX],
		c[VR_SIZE_STR_MAX], d[VR_SIZE_STR_MAX], err[160];
	uint64_t released = 0, gained = 0, rss = 0;
	const char *chan = channel(vm, err, sizeof(err));
	int r;

	if (ret_gained)
		*ret_gained = 0;
	if (!chan) {
		fprintf(stderr, "vmreclaim: %s: %s\n", vm->name, err);
		return VR_EXIT_FAILURE;
	}
	snprintf(req, sizeof(req), "give %llu", (unsigned long long)bytes);
	r = vr_gchan_call(chan, req, "released", reply, sizeof(reply), CALL_TIMEOUT_MS);
	if (r < 0 && vm_went(vm, r)) {
		fprintf(stderr, "vmreclaim: %s: the VM stopped while it was asked; nothing given\n",
			vm->name);
		return VR_EXIT_FAILURE;
	}
	if (r < 0) {
		fprintf(stderr, "vmreclaim: %s: no answer on the guest channel: %s\n", vm->name,
			vr_gchan_strerror(r));
		return VR_EXIT_FAILURE;
	}
	if (strncmp(reply, "ok ", 3) != 0) {
		char shown[VR_SANITIZE_SIZE(VR_CHAN_REPLY_MAX)];

		printf("%s: %s\n", vm->name, vr_sanitize_str(reply, shown, sizeof(shown)));
		return VR_EXIT_FAILURE;
	}
	(void)vr_chan_reply_u64(reply, "released", &released);
	(void)vr_chan_reply_u64(reply, "reportable_gained", &gained);
	(void)vm->ops->rss(vm, &rss);
	printf("%s: asked for %s: released %s of page cache, reportable +%s; host RSS now %s\n",
	       vm->name, vr_format_size(bytes, a, sizeof(a)), vr_format_size(released, b, sizeof(b)),
	       vr_format_size(gained, c, sizeof(c)), vr_format_size(rss, d, sizeof(d)));
	if (ret_gained)
		*ret_gained = vr_sat_add(released, gained);
	return 0;
}

int vr_cmd_give(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "connect", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"Usage: vmreclaim give [--bytes SIZE] [--connect URI] NAME... | --all\n"
		"Ask running guests (ours, and libvirt's domains) to give memory back now\n"
		"(default: 1GB each).\n";
	struct vr_hv_vm *vms = NULL;
	const char *connect = NULL;
	struct vr_hv hv;
	uint64_t bytes = VR_GIB;
	bool all = false;
	int c, i, n, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ab:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'c':
			connect = optarg;
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
	if (vr_hv_open(&hv, "give", connect) < 0)
		return VR_EXIT_FAILURE;
	n = vr_hv_list_or_name(&hv, argc, argv, all, &vms);
	if (n < 0) {
		vr_hv_close(&hv);
		return n == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_FAILURE;
	}
	for (i = 0; i < n; i++)
		status |= give_one(&vms[i], bytes, NULL);
	vr_hv_free_list(vms, (size_t)n);
	vr_hv_close(&hv);
	return status;
}

static int host_mem(struct vr_host_mem *m)
{
	struct vr_meminfo mi;
	struct vr_psi psi;
	int r;

	r = vr_meminfo_read(&vr_procfs_real, &mi);
	if (r < 0)
		return r;
	m->total_bytes = mi.total_bytes;
	m->available_bytes = mi.available_bytes;
	m->have_psi = vr_psi_read(&vr_procfs_real, &psi) == 0;
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
	char name[VR_HV_NAME_MAX + 1];
	uint64_t asked_usec;           /* the last give; 0 = never */
	char err[VR_CHAN_REPLY_MAX + 64]; /* the last status error said, "" if none */
};

/* One per VM listed at the last look: no fixed limit. */
struct watch_set {
	struct watched *items;
	size_t n;
};

/* Keep the slots of the @n VMs of @vms, in their order, and a fresh one
 * for each VM not seen before; the slots of VMs no longer listed go.
 * Returns 0 or -ENOMEM (the set is then as it was). */
static int watched_update(struct watch_set *ws, const struct vr_hv_vm *vms, size_t n)
{
	struct watched *items = calloc(n ? n : 1, sizeof(*items));
	size_t i, j;

	if (!items)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ws->n && strcmp(ws->items[j].name, vms[i].name) != 0; j++)
			;
		if (j < ws->n)
			items[i] = ws->items[j];
		else
			vr_strlcpy(items[i].name, vms[i].name, sizeof(items[i].name));
	}
	free(ws->items);
	ws->items = items;
	ws->n = n;
	return 0;
}

/* One look at the host; when it is short, ask the guests with the most
 * stranded memory, in turn, until the deficit is covered.  A guest that
 * does not answer is said once, not at every look, and again when it
 * answers. */
static void watch_once(struct vr_hv *hv, const struct vr_pressure_settings *s,
		       struct watch_set *ws, bool verbose)
{
	struct vr_hv_vm *vms = NULL;
	struct vr_guest_mem *g = NULL;
	struct vr_host_mem m;
	char why[128], when[16], err[sizeof(ws->items[0].err)], x[VR_SIZE_STR_MAX];
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
	n = vr_hv_list(hv, &vms, true);
	if (n < 0)
		return;
	if (n == 0) {
		(void)watched_update(ws, NULL, 0);
		printf("%s %s; no VM to ask\n", when, why);
		free(vms);
		return;
	}
	g = calloc((size_t)n, sizeof(*g));
	if (!g || watched_update(ws, vms, (size_t)n) < 0) {
		fprintf(stderr, "vmreclaim watch: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct watched *wv = &ws->items[i];

		if (guest_mem(&vms[i], &g[i], err, sizeof(err)) < 0) {
			if (strcmp(err, wv->err) != 0)
				fprintf(stderr, "vmreclaim watch: %s: %s\n", vms[i].name, err);
			vr_strlcpy(wv->err, err, sizeof(wv->err));
		} else if (wv->err[0]) {
			fprintf(stderr, "vmreclaim watch: %s: the guest answers again\n", vms[i].name);
			wv->err[0] = '\0';
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
		if (j == n || (ws->items[j].asked_usec && now - ws->items[j].asked_usec < WATCH_COOLDOWN_USEC))
			continue;
		ws->items[j].asked_usec = now;
		printf("%s %s holds %s beyond what its guest uses\n", when, g[i].name,
		       vr_format_size(g[i].stranded_bytes, x, sizeof(x)));
		if (give_one(&vms[j], deficit < g[i].stranded_bytes ? deficit : g[i].stranded_bytes,
			     &gained) == 0)
			deficit = vr_sat_sub(deficit, gained);
	}
	fflush(stdout);
out:
	free(g);
	vr_hv_free_list(vms, (size_t)n);
}

int vr_cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "min-available", required_argument, NULL, 'm' },
		{ "psi", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "connect", required_argument, NULL, 'c' },
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
		"  -v, --verbose             say so when the host is not short\n"
		"  -c, --connect URI         libvirt's URI (its domains are asked too)\n";
	struct vr_pressure_settings s = { 0, 10.0 };
	const char *connect = NULL;
	struct vr_hv hv;
	struct watch_set ws = { 0 };
	unsigned interval = 5;
	bool once = false, verbose = false, min_set = false;
	struct vr_host_mem m;
	struct sigaction sa = { .sa_handler = on_signal };
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:p:i:vc:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			connect = optarg;
			break;
		case 'm':
			if (vr_parse_size(optarg, &s.min_available_bytes) < 0) {
				fprintf(stderr, "vmreclaim watch: --min-available %s: not a size\n", optarg);
				return VR_EXIT_USAGE;
			}
			min_set = true;
			break;
		case 'p':
			errno = 0;
			s.psi_some_pct = strtod(optarg, &end);
			/* Written so that NaN fails too. */
			if (end == optarg || *end || errno ||
			    !(s.psi_some_pct >= 0 && s.psi_some_pct <= 100)) {
				fprintf(stderr, "vmreclaim watch: --psi %s: a percentage, 0 to 100\n", optarg);
				return VR_EXIT_USAGE;
			}
			break;
		case 'i': {
			uint64_t v = 0;

			/* Strict: strtoul() took "-1", and 4294967297 came out
			 * as 1 once cut to unsigned. */
			if (vr_parse_u64(optarg, NULL, &v) < 0 || v < 1 || v > 3600) {
				fprintf(stderr, "vmreclaim watch: --interval %s: 1 to 3600 seconds\n", optarg);
				return VR_EXIT_USAGE;
			}
			interval = (unsigned)v;
			break;
		}
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
	/* Said once here, not at every look. */
	{
		char base[VR_PATH_MAX];
		int r = vr_vm_base(base, sizeof(base), false);

		if (r < 0) {
			fprintf(stderr, "vmreclaim watch: %s\n", vr_vm_strerror(r));
			return VR_EXIT_FAILURE;
		}
	}
	if (!min_set) {
		if (host_mem(&m) < 0) {
			fprintf(stderr, "vmreclaim watch: /proc/meminfo unreadable\n");
			return VR_EXIT_FAILURE;
		}
		s.min_available_bytes = m.total_bytes / 10;
	}
	if (vr_hv_open(&hv, "watch", connect) < 0)
		return VR_EXIT_FAILURE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	do {
		watch_once(&hv, &s, &ws, verbose || once);
		if (once)
			break;
		sleep(interval);
	} while (!stop_signal);
	free(ws.items);
	vr_hv_close(&hv);
	return 0;
}
