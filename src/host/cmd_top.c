/* SPDX-License-Identifier: MIT */
/* vmreclaim top: once a second, host RSS of each VM process against the
 * guest's own figures (balloon statistics, from QMP or libvirt: hv.h), and
 * the stranded memory between them; --record writes the samples as CSV.
 * Over 600 lines: the sampling loop, the table, the recording and its
 * stop conditions (--until-event, --duration) share one sample's state;
 * the backends' work is in hv.c and hv_libvirt.c, the metrics text in
 * hostmetrics.c; with --metrics-file, vmreclaimd's counters are asked for
 * over each guest channel without waiting (guestchan.h). */
#include "common/outfile.h"
#include "common/sanitize.h"
#include "common/size.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/guestchan.h"
#include "host/hostmetrics.h"
#include "host/hv.h"
#include "host/qmp.h"
#include "host/sample.h"
#include "host/vm.h"
#include "procfs/proc.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER_EVERY 20
/* Console lines longer than this are taken in pieces. */
#define CONSOLE_LINE_MAX 512
/* Each QMP call may take its timeout (2 s) when QEMU does not answer: after
 * two failures in a row, the guest figures are asked for again only this
 * often, so that one broken VM does not hold up every sample of the
 * others. */
#define QMP_RETRY_USEC (5 * VR_USEC_PER_SEC)
/* vmreclaimd's counters (with --metrics-file) are asked for this often
 * over the guest channel.  They change only when it acts, and each ask
 * holds the channel (QEMU serves one client at a time) until the guest
 * answers at its next sample, up to sampleInterval (5 s by default)
 * later: a wait that give and watch share while it lasts. */
#define COUNTERS_EVERY_USEC (10 * VR_USEC_PER_SEC)
/* An answer is waited for this long: three default sample intervals,
 * room for a guest slowed down by TCG or load. */
#define COUNTERS_TIMEOUT_USEC (15 * VR_USEC_PER_SEC)
/* After no answer, a wrong one or one from a vmreclaimd older than the
 * counters (it may be upgraded): asked again this much later, so that a
 * guest without vmreclaimd does not hold its channel most of the time. */
#define COUNTERS_RETRY_USEC (60 * VR_USEC_PER_SEC)
/* top --once waits this long for the counters: the default sample
 * interval of vmreclaimd and a second. */
#define COUNTERS_ONCE_WAIT_USEC (6 * VR_USEC_PER_SEC)
#define COUNTERS_ONCE_POLL_USEC (50 * 1000)

struct watch {
	struct vr_hv_vm vm;
	char qmp_err[256];
	unsigned qmp_failures; /* in a row; said once, when it starts */
	uint64_t qmp_retry_usec;
	FILE *console;
	bool gone;
	bool rss_said; /* an RSS error was said */
	char event[96]; /* seen since the last sample */
	/* vmreclaimd's counters over the guest channel (--metrics-file) */
	struct vr_gchan_async chan;
	struct vr_chan_counters counters; /* the last answer; have == 0: none */
	uint64_t counters_next_usec;      /* the next ask */
	int counters_said;                /* the failure said (0: none), said once */
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
		"  -n, --name NAME        only this VM or libvirt domain (repeatable; default:\n"
		"                         every VM that vmreclaim started, and every running\n"
		"                         domain of libvirt)\n"
		"  -c, --connect URI      libvirt's URI (default: $LIBVIRT_DEFAULT_URI, else\n"
		"                         qemu:///system when its daemon answers)\n"
		"      --pid PID          also this process (any VM; guest figures need --qmp)\n"
		"      --qmp PATH         QMP socket of the --pid process\n"
		"  -i, --interval SEC     seconds between samples (default 1)\n"
		"      --once             one sample, then exit\n"
		"  -r, --record FILE      also write the samples to FILE as CSV\n"
		"      --metrics-file FILE  at each sample, every VM's figures in Prometheus's\n"
		"                         text format (node_exporter's textfile collector)\n"
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

/* One line of the console into @buf (at most @size - 1 bytes), NUL bytes
 * and all: fgets() would stop at a NUL byte, and a line that seemed to
 * have no end would be read again for ever.  Returns its length; sets
 * *ret_nl when a newline ended it. */
static size_t console_line(FILE *f, char *buf, size_t size, bool *ret_nl)
{
	size_t n = 0;
	int ch;

	*ret_nl = false;
	while (n + 1 < size && (ch = getc(f)) != EOF) {
		buf[n++] = (char)ch;
		if (ch == '\n') {
			*ret_nl = true;
			break;
		}
	}
	buf[n] = '\0';
	return n;
}

/* The event a console line announces, into @name (sanitized: the guest
 * writes it, and it goes to the terminal), or false. */
static bool console_event(const char *line, size_t len, char *name, size_t size)
{
	static const char *const actions[] = { "compact", "dropcache", "reclaim" };
	static const char ev_tag[] = "vmreclaim-event: ", d_tag[] = "vmreclaimd: ";
	const char *p, *end = line + len;
	size_t i, n;

	if ((p = memmem(line, len, ev_tag, strlen(ev_tag)))) {
		p += strlen(ev_tag);
		for (n = 0; p + n < end && p[n] != ' ' && p[n] != '\r' && p[n] != '\n'; n++)
			;
		if (n == 0)
			return false;
		vr_sanitize(p, n, name, size);
		return true;
	}
	if ((p = memmem(line, len, d_tag, strlen(d_tag)))) {
		p += strlen(d_tag);
		for (i = 0; i < VR_ARRAY_SIZE(actions); i++) {
			n = strlen(actions[i]);
			if ((size_t)(end - p) > n + 1 && memcmp(p, actions[i], n) == 0 && p[n] == ' ' &&
			    p[n + 1] == '(') {
				vr_strlcpy(name, actions[i], size);
				return true;
			}
		}
	}
	return false;
}

/* Events: lines the guest prints on its console. */
static void scan_console(struct watch *w)
{
	char line[CONSOLE_LINE_MAX], name[64];

	if (!w->console) {
		int fd;

		/* Not a FIFO or a device put in its place: that would block. */
		if (!w->vm.own.console[0] || (fd = vr_open_regular(w->vm.own.console, 0)) < 0)
			return;
		if (!(w->console = fdopen(fd, "r"))) {
			close(fd);
			return;
		}
	}
	clearerr(w->console);
	for (;;) {
		off_t at = ftello(w->console);
		bool nl;
		size_t len = console_line(w->console, line, sizeof(line), &nl);

		if (len == 0)
			break;
		/* QEMU writes the console a byte at a time: a line without
		 * its newline is not finished yet; read it again next time. */
		if (!nl && len < sizeof(line) - 1) {
			if (at >= 0)
				fseeko(w->console, at, SEEK_SET);
			break;
		}
		if (!console_event(line, len, name, sizeof(name)))
			continue;
		if (w->event[0] && strlen(w->event) + strlen(name) + 2 < sizeof(w->event))
			strcat(w->event, "+");
		if (strlen(w->event) + strlen(name) + 1 < sizeof(w->event))
			strcat(w->event, name);
	}
}

/* The guest figures failed (the message in w->qmp_err): said once,
 * however long it lasts; the next try at the next sample the first time
 * (QEMU may have been busy), QMP_RETRY_USEC later after that. */
static void qmp_failed(struct watch *w)
{
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

/* The guest's figures from its backend (QMP, libvirt), asking for
 * statistics every @interval_sec; false when there are none now.  A VM
 * with no source of them (--pid without --qmp) is not said. */
static bool guest_stats(struct vr_hv *hv, struct watch *w, unsigned interval_sec,
			struct vr_guest_stats *gs)
{
	int r;

	bool lv = w->vm.ops == &vr_hv_libvirt_ops;

	if (vr_now_usec() < w->qmp_retry_usec)
		return false;
	/* libvirt gone: said once for all its domains (vr_hv_lv_check()). */
	if (lv && hv->lv_lost)
		return false;
	r = w->vm.ops->guest_stats(&w->vm, interval_sec, gs, w->qmp_err, sizeof(w->qmp_err));
	if (r == -EOPNOTSUPP)
		return false;
	if (r < 0 && lv && vr_hv_lv_check(hv) == -ENOTCONN)
		return false;
	if (r < 0) {
		qmp_failed(w);
		return false;
	}
	qmp_worked(w);
	return true;
}

/* One sample of @w into @s.  False when there is no row this time: the
 * VM is gone (w->gone) or its RSS could not be read (said once). */
static bool sample_one(struct vr_hv *hv, struct watch *w, double t, unsigned interval_sec,
		       struct vr_sample *s)
{
	struct vr_guest_stats gs;
	int r;

	memset(s, 0, sizeof(*s));
	s->t_sec = t;
	vr_strlcpy(s->vm, w->vm.name, sizeof(s->vm));
	r = w->vm.ops->rss(&w->vm, &s->rss_bytes);
	if (r == -ESRCH) {
		w->gone = true;
		return false;
	}
	if (r < 0) {
		if (!w->rss_said)
			fprintf(stderr, "vmreclaim top: %s: no host RSS: %s\n", w->vm.name, strerror(-r));
		w->rss_said = true;
		return false;
	}
	w->rss_said = false;
	/* The backend may have found the process only now. */
	s->pid = (int)w->vm.pid;
	if (guest_stats(hv, w, interval_sec, &gs) && gs.last_update > 0 &&
	    gs.total_bytes != VR_QMP_STAT_NONE && gs.free_bytes != VR_QMP_STAT_NONE) {
		s->have_guest = true;
		s->guest_total_bytes = gs.total_bytes;
		s->guest_free_bytes = gs.free_bytes;
		s->guest_available_bytes =
			gs.available_bytes != VR_QMP_STAT_NONE ? gs.available_bytes : gs.free_bytes;
		s->guest_cache_bytes = gs.cache_bytes != VR_QMP_STAT_NONE ? gs.cache_bytes : 0;
	}
	scan_console(w);
	vr_strlcpy(s->event, w->event, sizeof(s->event));
	w->event[0] = '\0';
	vr_sample_derive(s);
	return true;
}

/* libvirt is back (a new connection): its domains are looked up again;
 * one that no longer runs is said gone.  Their figures are asked for at
 * once. */
static void rebind(struct vr_hv *hv, struct watch *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (w[i].gone || w[i].vm.ops != &vr_hv_libvirt_ops)
			continue;
		switch (vr_hv_lv_rebind(hv, &w[i].vm)) {
		case 1:
			w[i].qmp_retry_usec = 0;
			break;
		case 0:
			w[i].gone = true;
			fprintf(stderr, "vmreclaim top: %s: the domain is no longer running\n", w[i].vm.name);
			break;
		default:
			/* Tried again when its figures fail next. */
			break;
		}
	}
}

/* The counters' failure @r: said once until they come again (a new kind
 * of failure is said too); the counters are dropped from the file rather
 * than shown stale, and asked for again later. */
static void counters_failed(struct watch *w, int r, const char *what, uint64_t now)
{
	if (w->counters_said != r)
		fprintf(stderr, "vmreclaim top: %s: no counters from vmreclaimd: %s\n", w->vm.name, what);
	w->counters_said = r;
	w->counters.have = 0;
	/* Another program held the channel: that passes. */
	w->counters_next_usec = now + (r == -EBUSY ? COUNTERS_EVERY_USEC : COUNTERS_RETRY_USEC);
}

/* vmreclaimd's counters over the guest channel, never waiting: read the
 * answer to the last ask if it came, ask again when it is time. */
static void counters_step(struct watch *w)
{
	char reply[VR_GCHAN_LINE_MAX];
	uint64_t now = vr_now_usec();
	int r;

	if (!w->vm.guest[0] || w->gone)
		return;
	if (w->chan.fd >= 0) {
		r = vr_gchan_async_poll(&w->chan, vr_chan_counter_keys[0], reply, sizeof(reply));
		if (r == 0)
			return;
		if (r < 0) {
			counters_failed(w, r, vr_gchan_strerror(r), now);
		} else if (strncmp(reply, "ok ", 3) != 0) {
			/* "error: unknown request": a vmreclaimd older than
			 * the counters; "refused" is no answer to them. */
			counters_failed(w, -EPROTONOSUPPORT,
					"it does not know them (an older vmreclaimd?)", now);
		} else if (vr_chan_counters_parse(reply, &w->counters) < 0) {
			counters_failed(w, -EBADMSG, "a malformed answer", now);
		} else {
			if (w->counters_said)
				fprintf(stderr, "vmreclaim top: %s: counters from vmreclaimd again\n",
					w->vm.name);
			w->counters_said = 0;
			w->counters_next_usec = now + COUNTERS_EVERY_USEC;
		}
	}
	if (w->chan.fd >= 0 || now < w->counters_next_usec)
		return;
	r = vr_gchan_async_start(&w->chan, w->vm.guest, "counters", COUNTERS_TIMEOUT_USEC);
	if (r == -EAGAIN)
		return; /* the socket's backlog is full: the next sample */
	if (r < 0)
		counters_failed(w, r, vr_gchan_strerror(r), now);
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

/* The metrics file of one round: written whole (a temporary file renamed
 * over it, not synced: it is written again at the next sample). */
static int write_metrics(const char *path, const struct vr_hostmetrics_row *rows, size_t n,
			 char *err, size_t err_size)
{
	struct vr_outfile o;
	FILE *f;
	int r;

	r = vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, VR_OUTFILE_NOSYNC, NULL, err, err_size);
	if (r < 0)
		return r;
	f = vr_outfile_stream(&o);
	if (!f) {
		r = -errno;
		snprintf(err, err_size, "%s", strerror(-r));
		vr_outfile_abort(&o);
		return r;
	}
	r = vr_hostmetrics_write(f, rows, n);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, err_size, "%s", strerror(-r));
		vr_outfile_abort(&o);
		return r;
	}
	return vr_outfile_commit(&o, err, err_size);
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
	enum { OPT_PID = 256, OPT_QMP, OPT_ONCE, OPT_DURATION, OPT_UNTIL, OPT_AFTER, OPT_METRICS };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "connect", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "record", required_argument, NULL, 'r' },
		{ "metrics-file", required_argument, NULL, OPT_METRICS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "until-event", required_argument, NULL, OPT_UNTIL },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* As many VMs as asked for or running: no fixed limit. */
	struct watch *w = NULL;
	const char **names = NULL, *record = NULL, *until = NULL, *qmp = NULL, *connect = NULL,
		   *metrics = NULL;
	/* One round's samples, for the metrics file. */
	struct vr_hostmetrics_row *round = NULL;
	size_t n_round;
	bool metrics_failed = false, chans_ready = false;
	struct vr_hv hv;
	bool hv_open = false;
	size_t n_names = 0, n = 0, i, rows = 0;
	double interval = 1.0, duration = 0, after = 0, stop_at = 0;
	bool once = false, quiet = false, seen = false;
	uint64_t t0, next;
	pid_t *pids = NULL;
	size_t n_pids = 0;
	struct vr_outfile rec_out = { .fd = -1 };
	char err[256];
	FILE *csv = NULL;
	int c, r, status = 0;

	names = calloc((size_t)argc + 1, sizeof(*names));
	pids = calloc((size_t)argc + 1, sizeof(*pids));
	if (!names || !pids) {
		fprintf(stderr, "vmreclaim top: out of memory\n");
		status = VR_EXIT_FAILURE;
		goto out;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:c:i:r:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			names[n_names++] = optarg;
			break;
		case 'c':
			connect = optarg;
			break;
		case OPT_PID: {
			uint64_t v;

			if (vr_parse_u64(optarg, NULL, &v) < 0 || v == 0 || v > INT32_MAX) {
				fprintf(stderr, "vmreclaim top: --pid %s: not a process id\n", optarg);
				status = VR_EXIT_USAGE;
				goto out;
			}
			pids[n_pids++] = (pid_t)v;
			break;
		}
		case OPT_QMP:
			qmp = optarg;
			break;
		case 'i':
			if (parse_sec("--interval", optarg, &interval) < 0) {
				status = VR_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_ONCE:
			once = true;
			break;
		case 'r':
			record = optarg;
			break;
		case OPT_METRICS:
			metrics = optarg;
			break;
		case OPT_DURATION:
			if (parse_sec("--duration", optarg, &duration) < 0) {
				status = VR_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_UNTIL:
			until = optarg;
			break;
		case OPT_AFTER:
			if (strcmp(optarg, "0") != 0 && parse_sec("--after", optarg, &after) < 0) {
				status = VR_EXIT_USAGE;
				goto out;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			status = VR_EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmreclaim top: unexpected argument '%s'\n", argv[optind]);
		status = VR_EXIT_USAGE;
		goto out;
	}

	if (vr_hv_open(&hv, "top", connect) < 0) {
		status = VR_EXIT_FAILURE;
		goto out;
	}
	hv_open = true;
	if (n_names) {
		w = calloc(n_names + n_pids, sizeof(*w));
		for (i = 0; w && i < n_names; i++) {
			/* Said by vr_hv_lookup(). */
			if (vr_hv_lookup(&hv, names[i], &w[n].vm) != 1) {
				status = VR_EXIT_FAILURE;
				goto out;
			}
			n++;
		}
	} else if (!n_pids) {
		struct vr_hv_vm *vms = NULL;
		int k = vr_hv_list(&hv, &vms, true);

		if (k < 0) {
			status = VR_EXIT_FAILURE;
			goto out;
		}
		w = calloc((size_t)k + n_pids + 1, sizeof(*w));
		if (!w)
			vr_hv_free_list(vms, (size_t)k);
		for (i = 0; w && i < (size_t)k; i++)
			w[n++].vm = vms[i];
		if (w)
			free(vms);
	} else {
		w = calloc(n_pids, sizeof(*w));
	}
	if (!w) {
		fprintf(stderr, "vmreclaim top: out of memory\n");
		status = VR_EXIT_FAILURE;
		goto out;
	}
	for (i = 0; i < n_pids; i++) {
		vr_hv_own_from_pid(&w[n].vm, pids[i], i == 0 ? qmp : NULL);
		n++;
	}
	/* calloc()'s zero would be fd 0 to close: the channels are set up
	 * once every watch is there, and closed only then. */
	for (i = 0; i < n; i++)
		vr_gchan_async_init(&w[i].chan);
	chans_ready = true;
	if (n == 0) {
		fprintf(stderr, "vmreclaim top: no VM running (start one with \"vmreclaim run\"%s%s%s)\n",
			hv.lv ? "" : "; libvirt ", hv.lv ? "" : hv.uri, hv.lv ? "" : " not reached");
		status = VR_EXIT_FAILURE;
		goto out;
	}
	if (record) {
		/* The recording itself, not a temporary file: what was
		 * recorded stays when top is killed.  A regular file only;
		 * "-" for standard output. */
		int fd = -1;

		r = vr_outfile_open(&rec_out, record, VR_OUTFILE_IN_PLACE, VR_OUTFILE_STDOUT, NULL, err,
				    sizeof(err));
		if (r == 0 && ((fd = dup(rec_out.fd)) < 0 || !(csv = fdopen(fd, "w")))) {
			r = -errno;
			snprintf(err, sizeof(err), "%s", strerror(errno));
			if (fd >= 0)
				close(fd);
		}
		if (r < 0) {
			fprintf(stderr, "vmreclaim top: %s: %s\n", record, err);
			vr_outfile_abort(&rec_out);
			status = VR_EXIT_FAILURE;
			goto out;
		}
		vr_sample_write_header(csv);
	}
	if (metrics) {
		round = calloc(n, sizeof(*round));
		if (!round) {
			fprintf(stderr, "vmreclaim top: out of memory\n");
			status = VR_EXIT_FAILURE;
			goto out;
		}
	}
	/* Ask for statistics at the interval before the first sample, and
	 * for vmreclaimd's counters. */
	for (i = 0; i < n; i++) {
		struct vr_guest_stats gs;

		(void)guest_stats(&hv, &w[i], interval < 1.0 ? 1 : (unsigned)interval, &gs);
		if (metrics)
			counters_step(&w[i]);
	}
	if (once) {
		/* The balloon reports on its own schedule: give it one period
		 * to send its first statistics; vmreclaimd answers at its next
		 * sample. */
		uint64_t until_usec = vr_now_usec() + (metrics ? COUNTERS_ONCE_WAIT_USEC : 0);
		uint64_t stats_usec = vr_now_usec() + 1200 * 1000;

		for (;;) {
			bool waiting = false;

			for (i = 0; i < n; i++) {
				if (w[i].chan.fd >= 0)
					counters_step(&w[i]);
				waiting |= w[i].chan.fd >= 0;
			}
			if (vr_now_usec() >= stats_usec && (!waiting || vr_now_usec() >= until_usec))
				break;
			usleep(COUNTERS_ONCE_POLL_USEC);
		}
		for (i = 0; i < n; i++) {
			if (w[i].chan.fd < 0)
				continue;
			vr_gchan_async_close(&w[i].chan);
			counters_failed(&w[i], -ETIMEDOUT, vr_gchan_strerror(-ETIMEDOUT), vr_now_usec());
		}
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
		if (hv.lv_lost && vr_hv_lv_check(&hv) == 1)
			rebind(&hv, w, n);
		n_round = 0;
		for (i = 0; i < n; i++) {
			struct vr_sample s;

			if (w[i].gone)
				continue;
			if (!sample_one(&hv, &w[i], t, interval < 1.0 ? 1 : (unsigned)interval, &s)) {
				char msg[VR_PATH_MAX + 64];

				if (!w[i].gone) {
					alive++;
					continue;
				}
				vr_gchan_async_close(&w[i].chan);
				w[i].vm.ops->gone(&w[i].vm, msg, sizeof(msg));
				fprintf(stderr, "vmreclaim top: %s: %s\n", w[i].vm.name, msg);
				continue;
			}
			if (round) {
				if (!once)
					counters_step(&w[i]);
				round[n_round].s = s;
				round[n_round].backend = w[i].vm.ops->name;
				round[n_round++].counters = w[i].counters;
			}
			alive++;
			if (!quiet)
				print_row(&s);
			if (csv)
				vr_sample_write_csv(csv, &s);
			if (until && !seen && s.event[0]) {
				/* Events are joined with '+'. */
				const char *p = s.event;
				size_t ul = strlen(until);

				while ((p = strstr(p, until))) {
					if ((p == s.event || p[-1] == '+') && (p[ul] == '\0' || p[ul] == '+')) {
						/* With --after 0 in the first sample
						 * that is 0: "seen" is its own flag. */
						seen = true;
						stop_at = t + after;
						break;
					}
					p += ul;
				}
			}
		}
		if (metrics) {
			/* Rows without figures this time (an RSS that could
			 * not be read) are counted alive but not in round. */
			if (write_metrics(metrics, round, n_round, err, sizeof(err)) < 0) {
				if (!metrics_failed)
					fprintf(stderr, "vmreclaim top: %s: %s\n", metrics, err);
				metrics_failed = true;
			} else {
				metrics_failed = false;
			}
		}
		rows++;
		/* SIGPIPE may be ignored (libvirt, hv_libvirt.c): a reader
		 * that went away (top | head) ends us here instead. */
		if (fflush(stdout) != 0 && errno == EPIPE)
			break;
		if (csv)
			fflush(csv);
		if (alive == 0 || once || (duration > 0 && t >= duration) || (seen && t >= stop_at))
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
	if (metrics_failed)
		status = VR_EXIT_FAILURE;
	if (until && !seen && !stop_signal) {
		fprintf(stderr, "vmreclaim top: event '%s' never came\n", until);
		status = VR_EXIT_FAILURE;
	}
	for (i = 0; i < n; i++) {
		if (w[i].console)
			fclose(w[i].console);
		vr_gchan_async_close(&w[i].chan);
	}
	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "vmreclaim top: %s: %s\n", record, strerror(errno));
		status = VR_EXIT_FAILURE;
	}
	csv = NULL;
	if (record && vr_outfile_commit(&rec_out, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmreclaim top: %s: %s\n", record, err);
		status = VR_EXIT_FAILURE;
	}
out:
	for (i = 0; w && i < n; i++) {
		if (chans_ready)
			vr_gchan_async_close(&w[i].chan);
		vr_hv_release(&w[i].vm);
	}
	if (hv_open)
		vr_hv_close(&hv);
	free(w);
	free(round);
	free(names);
	free(pids);
	return status;
}
