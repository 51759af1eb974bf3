/* SPDX-License-Identifier: MIT */
/* vmreclaim top: once a second, host RSS of each VM process against the
 * guest's own figures (balloon statistics over QMP), and the stranded
 * memory between them; --record writes the samples as CSV. */
#include "common/size.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/proc.h"
#include "host/qmp.h"
#include "host/sample.h"
#include "host/vm.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOP_VM_MAX 32
#define HEADER_EVERY 20
/* Each QMP call may take its timeout (2 s) when QEMU does not answer: after
 * two failures in a row, QMP is tried again only this often, so that one
 * broken VM does not hold up every sample of the others. */
#define QMP_RETRY_USEC (5 * VR_USEC_PER_SEC)

struct watch {
	struct vr_vm vm;
	struct vr_qmp *q;
	char qmp_err[160];
	unsigned qmp_failures; /* in a row; said once, when it starts */
	uint64_t qmp_retry_usec;
	FILE *console;
	bool gone;
	char event[96]; /* seen since the last sample */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmreclaim top [OPTION]...\n"
		"Host RSS of each VM process against the guest's memory, once a second.\n"
		"\n"
		"  -n, --name NAME        only this VM (repeatable; default: every VM that\n"
		"                         vmreclaim started)\n"
		"      --pid PID          also this process (any VM; guest figures need --qmp)\n"
		"      --qmp PATH         QMP socket of the --pid process\n"
		"  -i, --interval SEC     seconds between samples (default 1)\n"
		"      --once             one sample, then exit\n"
		"  -r, --record FILE      also write the samples to FILE as CSV\n"
		"      --duration SEC     stop after SEC seconds\n"
		"      --until-event EV   stop once the guest has printed event EV ...\n"
		"      --after SEC        ... and SEC more seconds have passed (default 0)\n"
		"  -q, --quiet            no table on stdout (with --record)\n"
		"  -h, --help\n"
		"\n"
		"stranded = max(0, host RSS - guest used), guest used = total - available.\n"
		"Events are read from the VM's console.log from its start; -i also sets the\n"
		"balloon's statistics interval (whole seconds, at least 1).\n");
}

/* Events: lines the guest prints on its console. */
static void scan_console(struct watch *w)
{
	char line[512];

	if (!w->console) {
		if (!w->vm.console[0] || !(w->console = fopen(w->vm.console, "re")))
			return;
	}
	clearerr(w->console);
	for (;;) {
		long at = ftell(w->console);

		if (!fgets(line, sizeof(line), w->console))
			break;
		/* QEMU writes the console a byte at a time: a line without
		 * its newline is not finished yet; read it again next time. */
		if (!strchr(line, '\n') && strlen(line) < sizeof(line) - 1) {
			if (at >= 0)
				fseek(w->console, at, SEEK_SET);
			break;
		}
		static const char *const actions[] = { "compact", "dropcache", "reclaim" };
		const char *ev = NULL, *p;
		char name[64];
		size_t i;

		if ((p = strstr(line, "vmreclaim-event: "))) {
			p += strlen("vmreclaim-event: ");
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, " \r\n"), p);
			ev = name;
		} else if ((p = strstr(line, "vmreclaimd: "))) {
			p += strlen("vmreclaimd: ");
			for (i = 0; i < VR_ARRAY_SIZE(actions); i++) {
				size_t n = strlen(actions[i]);

				if (strncmp(p, actions[i], n) == 0 && p[n] == ' ' && p[n + 1] == '(')
					ev = actions[i];
			}
		}
		if (!ev || !*ev)
			continue;
		if (w->event[0] && strlen(w->event) + strlen(ev) + 2 < sizeof(w->event))
			strcat(w->event, "+");
		if (strlen(w->event) + strlen(ev) + 1 < sizeof(w->event))
			strcat(w->event, ev);
	}
}

/* QMP failed (the message in w->qmp_err): said once, however long it
 * lasts; the next try at the next sample the first time (QEMU may have
 * been busy), QMP_RETRY_USEC later after that. */
static void qmp_failed(struct watch *w)
{
	vr_qmp_close(w->q);
	w->q = NULL;
	if (w->qmp_failures++ == 0)
		fprintf(stderr, "vmreclaim top: %s: no guest figures: %s\n", w->vm.name, w->qmp_err);
	else
		w->qmp_retry_usec = vr_now_usec() + QMP_RETRY_USEC;
}

static void qmp_worked(struct watch *w)
{
	if (w->qmp_failures)
		fprintf(stderr, "vmreclaim top: %s: guest figures again\n", w->vm.name);
	w->qmp_failures = 0;
	w->qmp_retry_usec = 0;
}

static void connect_qmp(struct watch *w, unsigned interval_sec)
{
	if (w->q || !w->vm.monitor[0] || vr_now_usec() < w->qmp_retry_usec)
		return;
	if (vr_qmp_connect(w->vm.monitor, 2000, &w->q, w->qmp_err, sizeof(w->qmp_err)) < 0 ||
	    vr_qmp_set_stats_interval(w->q, VR_BALLOON_PATH, interval_sec, w->qmp_err,
				      sizeof(w->qmp_err)) < 0)
		qmp_failed(w);
}

static void sample_one(struct watch *w, double t, struct vr_sample *s)
{
	struct vr_guest_stats gs;
	int r;

	memset(s, 0, sizeof(*s));
	s->t_sec = t;
	vr_strlcpy(s->vm, w->vm.name, sizeof(s->vm));
	s->pid = (int)w->vm.pid;
	r = vr_proc_rss(w->vm.pid, &s->rss_bytes);
	if (r < 0) {
		w->gone = true;
		return;
	}
	if (w->q) {
		r = vr_qmp_guest_stats(w->q, VR_BALLOON_PATH, &gs, w->qmp_err, sizeof(w->qmp_err));
		if (r < 0)
			qmp_failed(w);
		else
			qmp_worked(w);
		if (r == 0 && gs.last_update > 0 && gs.total_bytes != VR_QMP_STAT_NONE &&
		    gs.free_bytes != VR_QMP_STAT_NONE) {
			s->have_guest = true;
			s->guest_total_bytes = gs.total_bytes;
			s->guest_free_bytes = gs.free_bytes;
			s->guest_available_bytes =
				gs.available_bytes != VR_QMP_STAT_NONE ? gs.available_bytes : gs.free_bytes;
			s->guest_cache_bytes = gs.cache_bytes != VR_QMP_STAT_NONE ? gs.cache_bytes : 0;
		}
	}
	scan_console(w);
	vr_strlcpy(s->event, w->event, sizeof(s->event));
	w->event[0] = '\0';
	vr_sample_derive(s);
}

static const char *mib(uint64_t bytes, bool have, char *buf, size_t size)
{
	if (!have)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%lluM", (unsigned long long)((bytes + VR_MIB / 2) / VR_MIB));
	return buf;
}

static void print_header(void)
{
	printf("%6s %-10s %7s %7s %7s %7s %7s %7s %8s  %s\n", "TIME", "VM", "PID", "RSS", "TOTAL",
	       "USED", "FREE", "CACHE", "STRANDED", "EVENT");
}

static void print_row(const struct vr_sample *s)
{
	char a[6][16];

	printf("%6.1f %-10.10s %7d %7s %7s %7s %7s %7s %8s  %s\n", s->t_sec, s->vm, s->pid,
	       mib(s->rss_bytes, true, a[0], 16), mib(s->guest_total_bytes, s->have_guest, a[1], 16),
	       mib(s->guest_used_bytes, s->have_guest, a[2], 16),
	       mib(s->guest_free_bytes, s->have_guest, a[3], 16),
	       mib(s->guest_cache_bytes, s->have_guest, a[4], 16),
	       mib(s->stranded_bytes, s->have_guest, a[5], 16), s->event);
}

static int parse_sec(const char *flag, const char *v, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(v, &end);
	if (errno || *end || !(*ret >= 0.1 && *ret <= 86400.0 * 30)) {
		fprintf(stderr, "vmreclaim top: %s %s: seconds from 0.1\n", flag, v);
		return -1;
	}
	return 0;
}

int vr_cmd_top(int argc, char **argv)
{
	enum { OPT_PID = 256, OPT_QMP, OPT_ONCE, OPT_DURATION, OPT_UNTIL, OPT_AFTER };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "record", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "until-event", required_argument, NULL, OPT_UNTIL },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct watch w[TOP_VM_MAX];
	const char *names[TOP_VM_MAX], *record = NULL, *until = NULL, *qmp = NULL;
	size_t n_names = 0, n = 0, i, rows = 0;
	double interval = 1.0, duration = 0, after = 0, stop_at = 0;
	bool once = false, quiet = false;
	uint64_t t0, next;
	pid_t pids[TOP_VM_MAX];
	size_t n_pids = 0;
	FILE *csv = NULL;
	int c, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:i:r:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (n_names < TOP_VM_MAX)
				names[n_names++] = optarg;
			break;
		case OPT_PID: {
			uint64_t v;

			if (vr_parse_u64(optarg, NULL, &v) < 0 || v == 0 || v > INT32_MAX) {
				fprintf(stderr, "vmreclaim top: --pid %s: not a process id\n", optarg);
				return VR_EXIT_USAGE;
			}
			if (n_pids < TOP_VM_MAX)
				pids[n_pids++] = (pid_t)v;
			break;
		}
		case OPT_QMP:
			qmp = optarg;
			break;
		case 'i':
			if (parse_sec("--interval", optarg, &interval) < 0)
				return VR_EXIT_USAGE;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case 'r':
			record = optarg;
			break;
		case OPT_DURATION:
			if (parse_sec("--duration", optarg, &duration) < 0)
				return VR_EXIT_USAGE;
			break;
		case OPT_UNTIL:
			until = optarg;
			break;
		case OPT_AFTER:
			if (strcmp(optarg, "0") != 0 && parse_sec("--after", optarg, &after) < 0)
				return VR_EXIT_USAGE;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return VR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmreclaim top: unexpected argument '%s'\n", argv[optind]);
		return VR_EXIT_USAGE;
	}

	if (n_names) {
		for (i = 0; i < n_names; i++) {
			struct vr_vm vm;

			if (vr_vm_paths(&vm, names[i], NULL) < 0 || vr_vm_alive(&vm) != 1) {
				fprintf(stderr, "vmreclaim top: %s: no such VM running\n", names[i]);
				return VR_EXIT_FAILURE;
			}
			w[n++].vm = vm;
		}
	} else if (!n_pids) {
		struct vr_vm vms[TOP_VM_MAX];
		int k = vr_vm_list(vms, TOP_VM_MAX, true);

		for (i = 0; k > 0 && i < (size_t)k; i++)
			w[n++].vm = vms[i];
	}
	for (i = 0; i < n_pids && n < TOP_VM_MAX; i++) {
		memset(&w[n].vm, 0, sizeof(w[n].vm));
		snprintf(w[n].vm.name, sizeof(w[n].vm.name), "pid%d", (int)pids[i]);
		w[n].vm.pid = pids[i];
		if (qmp && i == 0)
			vr_strlcpy(w[n].vm.monitor, qmp, sizeof(w[n].vm.monitor));
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "vmreclaim top: no VM running (start one with \"vmreclaim run\")\n");
		return VR_EXIT_FAILURE;
	}
	if (record) {
		csv = fopen(record, "we");
		if (!csv) {
			fprintf(stderr, "vmreclaim top: %s: %s\n", record, strerror(errno));
			return VR_EXIT_FAILURE;
		}
		vr_sample_write_header(csv);
	}
	for (i = 0; i < n; i++)
		connect_qmp(&w[i], interval < 1.0 ? 1 : (unsigned)interval);
	if (once) {
		/* The balloon reports on its own schedule: give it one period
		 * to send its first statistics. */
		usleep(1200 * 1000);
	}

	stop_signal = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = vr_now_usec();
	next = t0;
	while (!stop_signal) {
		double t = (double)(vr_now_usec() - t0) / 1e6;
		size_t alive = 0;

		if (!quiet && rows % HEADER_EVERY == 0)
			print_header();
		for (i = 0; i < n; i++) {
			struct vr_sample s;

			if (w[i].gone)
				continue;
			connect_qmp(&w[i], interval < 1.0 ? 1 : (unsigned)interval);
			sample_one(&w[i], t, &s);
			if (w[i].gone) {
				/* Its directory too (a --pid VM has none),
				 * unless "run" (in the foreground) removed it
				 * first or started the VM again. */
				if (vr_vm_remove_if_gone(&w[i].vm))
					fprintf(stderr, "vmreclaim top: %s: the VM process is gone; removed %s\n",
						w[i].vm.name, w[i].vm.dir);
				else
					fprintf(stderr, "vmreclaim top: %s: the VM process is gone\n", w[i].vm.name);
				continue;
			}
			alive++;
			if (!quiet)
				print_row(&s);
			if (csv)
				vr_sample_write_csv(csv, &s);
			if (until && stop_at == 0 && s.event[0]) {
				/* Events are joined with '+'. */
				const char *p = s.event;
				size_t ul = strlen(until);

				while ((p = strstr(p, until))) {
					if ((p == s.event || p[-1] == '+') && (p[ul] == '\0' || p[ul] == '+')) {
						stop_at = t + after;
						break;
					}
					p += ul;
				}
			}
		}
		rows++;
		fflush(stdout);
		if (csv)
			fflush(csv);
		if (alive == 0 || once || (duration > 0 && t >= duration) || (stop_at > 0 && t >= stop_at))
			break;
		next += (uint64_t)(interval * 1e6);
		{
			uint64_t now = vr_now_usec();

			if (next > now)
				usleep((useconds_t)(next - now));
			else
				next = now;
		}
	}
	if (until && stop_at == 0 && !stop_signal) {
		fprintf(stderr, "vmreclaim top: event '%s' never came\n", until);
		status = VR_EXIT_FAILURE;
	}
	for (i = 0; i < n; i++) {
		if (w[i].q)
			vr_qmp_close(w[i].q);
		if (w[i].console)
			fclose(w[i].console);
	}
	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "vmreclaim top: %s: %s\n", record, strerror(errno));
		status = VR_EXIT_FAILURE;
	}
	return status;
}
