/* SPDX-License-Identifier: MIT */
#include "guest/daemon.h"
#include "common/channel.h"
#include "common/log.h"
#include "common/util.h"
#include "guest/control.h"
#include "guest/guest.h"
#include "guest/psi_trigger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

/* "some" memory stall of 150 ms within 1 s: the guest is waiting on
 * reclaim or refaults enough that taking more memory away would hurt. */
#define PSI_STALL_USEC 150000
#define PSI_WINDOW_USEC 1000000

/* A client gets this long to send its request and take its reply. */
#define CLIENT_TIMEOUT_SEC 2

int vr_daemon_load_config(const struct vr_daemon_opts *o, struct vr_config *ret,
			  struct vr_diags *d)
{
	struct vr_config c;
	int r;

	vr_config_defaults(&c);
	r = vr_config_parse_file(&c, o->config_path, VR_SCOPE_GUEST, d);
	if (r == -ENOENT && !o->config_explicit)
		r = 0; /* the defaults are a fine configuration */
	if (r < 0 && r != -EINVAL) {
		vr_diags_add(d, o->config_path, 0, true, "cannot read: %s", vr_strerror(r));
		return r;
	}
	if (o->use_cmdline) {
		struct vr_sys s;
		char buf[4096];

		/* Reads go straight to files: no ops needed. */
		if (vr_sys_init(&s, o->root, &vr_sys_ops_real, NULL) == 0 &&
		    vr_sys_read_head(&s, "/proc/cmdline", buf, sizeof(buf)) == 0 &&
		    vr_config_parse_cmdline(&c, buf, "/proc/cmdline", d) < 0)
			r = -EINVAL;
	}
	if (o->metrics_file) {
		char err[256];

		if (vr_config_set(&c, "metricsFile", o->metrics_file, err, sizeof(err)) < 0) {
			vr_diags_add(d, "--metrics-file", 0, true, "%s", err);
			r = -EINVAL;
		}
	}
	if (o->socket) {
		char err[256];

		if (vr_config_set(&c, "controlSocket", o->socket, err, sizeof(err)) < 0) {
			vr_diags_add(d, "--socket", 0, true, "%s", err);
			r = -EINVAL;
		}
	}
	if (r == 0 && d->errors == 0)
		*ret = c;
	return d->errors ? -EINVAL : r;
}

/* The guest channel's device is looked for again this often while it is
 * missing (virtio_console may load after us). */
#define CHAN_RETRY_USEC (60 * VR_USEC_PER_SEC)

struct daemon {
	const struct vr_daemon_opts *opts;
	struct vr_guest g;
	int sig_fd, timer_fd, psi_fd, chan_fd;
	struct vr_ctl_server ctl; /* the control socket and its clients */
	/* the guest channel: a partial request line, and whether the rest of
	 * an overlong one is being skipped */
	char chan_buf[VR_CHAN_REQUEST_MAX];
	size_t chan_len;
	bool chan_skip;
	struct vr_chan_out chan_out; /* the rest of a reply the port took part of */
	bool chan_hup;  /* no host on the other end: not polled until the next sample */
	uint64_t chan_retry_usec;
	uint64_t wakeups;
	bool quit;
};

static int timer_arm(int fd, uint64_t interval_usec)
{
	struct itimerspec its = { 0 };

	its.it_interval.tv_sec = (time_t)(interval_usec / VR_USEC_PER_SEC);
	its.it_interval.tv_nsec = (long)(interval_usec % VR_USEC_PER_SEC) * 1000;
	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Tell systemd (Type=notify) that the socket is up; a no-op elsewhere. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		vr_debug("sd_notify: %s", strerror(errno));
	close(fd);
}

/* Re-read the settings; on errors keep the current ones.  What was wrong
 * is logged and, when @report is given, written there too. */
static int reload(struct daemon *d, FILE *report)
{
	struct vr_diags diags = { 0 };
	struct vr_config c;
	int r;

	r = vr_daemon_load_config(d->opts, &c, &diags);
	vr_diags_log(&diags);
	if (report)
		vr_diags_print(&diags, report);
	if (r < 0) {
		vr_err("reload failed; keeping the current settings");
		return r;
	}
	if (strcmp(c.control_socket, d->g.cfg.control_socket) != 0) {
		vr_warn("controlSocket changes at the next restart; still on %s",
			d->g.cfg.control_socket);
		memcpy(c.control_socket, d->g.cfg.control_socket, sizeof(c.control_socket));
	}
	vr_log_setup("vmreclaimd", c.log_target, d->opts->verbose ? VR_LOG_DEBUG : c.log_level);
	if (c.sample_usec != d->g.cfg.sample_usec && timer_arm(d->timer_fd, c.sample_usec) < 0)
		vr_err("timerfd: %s", strerror(errno));
	vr_guest_reconfigure(&d->g, &c);
	vr_info("reloaded: mode %s, idleThreshold %g%%, idleSeconds %llu", vr_mode_name(c.mode),
		c.idle_threshold_pct, (unsigned long long)(c.idle_usec / VR_USEC_PER_SEC));
	return 0;
}

/* The client's socket is non-blocking: a reply that does not fit in its
 * buffer (the client does not read) is cut, never waited for. */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vr_debug("control reply: %s", n < 0 ? strerror(errno) : "short write");
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Reload for vmreclaimctl: what was wrong goes into the reply (@f on
 * success, an error reply on failure). */
static int reload_request(struct daemon *d, int fd, FILE *f)
{
	char *report = NULL;
	size_t report_len = 0;
	FILE *rf = open_memstream(&report, &report_len);
	int r;

	r = reload(d, rf);
	if (rf)
		fclose(rf);
	if (r < 0) {
		char *msg = NULL;
		size_t msg_len = 0;
		FILE *mf = open_memstream(&msg, &msg_len);

		if (mf) {
			fprintf(mf, "error: reload failed; the current settings stay:\n%s",
				report ? report : "");
			fclose(mf);
			send_all(fd, msg, msg_len);
		}
		free(msg);
	} else if (report) {
		fputs(report, f);
	}
	free(report);
	return r;
}

static void handle_request(void *ctx, int fd, const struct vr_ctl_request *req)
{
	struct daemon *d = ctx;
	struct vr_action_record a;
	char *body = NULL, line[512];
	size_t body_len = 0;
	FILE *f;
	int r;

	f = open_memstream(&body, &body_len);
	if (!f) {
		vr_ctl_reply_error(fd, "out of memory");
		return;
	}
	fputs("ok\n", f);
	switch (req->verb) {
	case VR_CTL_STATUS:
		vr_guest_status(&d->g, f, req->json);
		break;
	case VR_CTL_RELOAD:
		if (reload_request(d, fd, f) < 0) {
			fclose(f);
			free(body);
			return;
		}
		fprintf(f, "reloaded: mode %s\n", vr_mode_name(d->g.cfg.mode));
		break;
	case VR_CTL_COMPACT:
	case VR_CTL_DROPCACHE:
	case VR_CTL_RECLAIM:
		r = vr_guest_act(&d->g,
				 req->verb == VR_CTL_COMPACT     ? VR_ACTION_COMPACT
				 : req->verb == VR_CTL_DROPCACHE ? VR_ACTION_DROPCACHE
								 : VR_ACTION_RECLAIM,
				 req->all ? VR_RECLAIM_ALL : req->bytes, VR_TRIGGER_MANUAL, &a);
		vr_action_record_format(&a, line, sizeof(line));
		if (r < 0) {
			fclose(f);
			free(body);
			vr_ctl_reply_error(fd, line);
			return;
		}
		fprintf(f, "%s\n", line);
		break;
	}
	if (fclose(f) != 0) {
		free(body);
		vr_ctl_reply_error(fd, "out of memory");
		return;
	}
	send_all(fd, body, body_len);
	free(body);
}

static int setup_signals(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static void handle_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			vr_info("SIGHUP: reloading");
			reload(d, NULL);
		} else {
			vr_info("%s: exiting", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			d->quit = true;
		}
	}
}

/* A SIGTERM or SIGINT is waiting: long actions stop between steps.
 * (The signals are blocked for the signalfd, so they stay pending.) */
static bool stop_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	       (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}

static void open_psi(struct daemon *d)
{
	int fd = vr_psi_trigger_open(&d->g.sys, PSI_STALL_USEC, PSI_WINDOW_USEC);

	if (fd < 0) {
		vr_guest_iface(&d->g, VR_IF_PSI, fd);
		d->psi_fd = -1;
		d->g.psi_available = false;
		return;
	}
	d->psi_fd = fd;
	d->g.psi_available = true;
}

/* The port's device node: udev's /dev/virtio-ports/NAME link, or, where
 * no udev runs (a minimal image), the /dev/vportNpM whose name in
 * /sys/class/virtio-ports says it is ours. */
static int chan_path(const struct vr_sys *s, char *buf, size_t size)
{
	char dir[PATH_MAX], name[64], rel[PATH_MAX];
	struct dirent *e;
	DIR *dp;
	int r = -ENOENT;

	if (vr_sys_path(s, VR_CHAN_GUEST_PATH, buf, size) < 0)
		return -ENAMETOOLONG;
	if (access(buf, F_OK) == 0)
		return 0;
	if (vr_sys_path(s, "/sys/class/virtio-ports", dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	dp = opendir(dir);
	if (!dp)
		return -ENOENT;
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 32)
			continue;
		snprintf(rel, sizeof(rel), "/sys/class/virtio-ports/%s/name", e->d_name);
		if (vr_sys_read_head(s, rel, name, sizeof(name)) < 0)
			continue;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, VR_CHAN_PORT_NAME) != 0)
			continue;
		snprintf(rel, sizeof(rel), "/dev/%s", e->d_name);
		r = vr_sys_path(s, rel, buf, size) < 0 ? -ENAMETOOLONG : 0;
		break;
	}
	closedir(dp);
	return r;
}

/* Open the guest channel if the device is there; quietly, since most
 * VMs have none. */
static void chan_open(struct daemon *d)
{
	char path[PATH_MAX];
	uint64_t now = vr_now_usec();
	int fd;

	if (d->chan_fd >= 0 || now < d->chan_retry_usec)
		return;
	d->chan_retry_usec = now + CHAN_RETRY_USEC;
	if (d->opts->dry_run || chan_path(&d->g.sys, path, sizeof(path)) < 0)
		return;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno != ENOENT)
			vr_guest_iface(&d->g, VR_IF_CHANNEL, -errno);
		return;
	}
	vr_guest_iface(&d->g, VR_IF_CHANNEL, 0);
	vr_info("guest channel %s open: the host may ask for memory back", path);
	d->chan_fd = fd;
	d->g.channel_open = true;
	d->chan_len = 0;
	d->chan_skip = false;
	d->chan_out.len = 0;
}

static void chan_reply(struct daemon *d, const char *reply)
{
	/* One short line, whole or not at all (common/channel.h). */
	int r = vr_chan_out_send(&d->chan_out, d->chan_fd, reply);

	if (r < 0 && r != -EAGAIN)
		vr_guest_iface(&d->g, VR_IF_CHANNEL, r);
}

/* Read what the host sent; answer each whole line. */
static void chan_read(struct daemon *d)
{
	char in[256], reply[VR_CHAN_REPLY_MAX];
	ssize_t n = read(d->chan_fd, in, sizeof(in));
	ssize_t i;

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vr_guest_iface(&d->g, VR_IF_CHANNEL, -errno);
		return;
	}
	if (n == 0) {
		/* No host program on the other end (virtio_console says
		 * readable and gives end of file): look again at the next
		 * sample, not in a busy loop. */
		d->chan_hup = true;
		d->chan_out.len = 0; /* not for the next host */
		return;
	}
	for (i = 0; i < n; i++) {
		if (in[i] == '\n') {
			if (d->chan_skip)
				chan_reply(d, "error: request longer than 63 bytes\n");
			else {
				vr_guest_channel(&d->g, d->chan_buf, d->chan_len, reply, sizeof(reply));
				chan_reply(d, reply);
			}
			d->chan_len = 0;
			d->chan_skip = false;
		} else if (d->chan_skip) {
			continue;
		} else if (d->chan_len + 1 >= sizeof(d->chan_buf)) {
			d->chan_skip = true;
		} else {
			d->chan_buf[d->chan_len++] = in[i];
		}
	}
}

static int loop(struct daemon *d)
{
	while (!d->quit) {
		struct pollfd p[5 + VR_CTL_CLIENTS_MAX] = {
			{ .fd = d->sig_fd, .events = POLLIN },
			{ .fd = d->timer_fd, .events = POLLIN },
			{ .fd = d->psi_fd, .events = POLLPRI },
			{ .fd = d->chan_hup ? -1 : d->chan_fd,
			  .events = (short)(POLLIN | (d->chan_out.len ? POLLOUT : 0)) },
		};
		size_t nctl = vr_ctl_server_pollfds(&d->ctl, p + 4);
		uint64_t expirations;
		int n = poll(p, (nfds_t)(4 + nctl), vr_ctl_server_timeout_ms(&d->ctl, vr_now_usec()));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			vr_err("poll: %s", strerror(errno));
			return 1;
		}
		d->wakeups++;
		if (p[0].revents)
			handle_signal(d);
		if (p[1].revents && read(d->timer_fd, &expirations, sizeof(expirations)) > 0) {
			vr_guest_tick(&d->g);
			d->chan_hup = false;
			chan_open(d);
			if (d->g.cfg.metrics_file[0])
				vr_guest_metrics_file(&d->g, d->g.cfg.metrics_file);
		}
		vr_ctl_server_events(&d->ctl, p + 4, nctl, vr_now_usec(), handle_request, d);
		if (d->psi_fd >= 0 && (p[2].revents & (POLLERR | POLLNVAL))) {
			vr_guest_iface(&d->g, VR_IF_PSI, -EIO);
			close(d->psi_fd);
			d->psi_fd = -1;
			d->g.psi_available = false;
		} else if (d->psi_fd >= 0 && (p[2].revents & POLLPRI)) {
			vr_guest_pressure(&d->g);
		}
		if (p[3].fd >= 0 && (p[3].revents & POLLOUT) && d->chan_out.len) {
			int r = vr_chan_out_flush(&d->chan_out, d->chan_fd);

			if (r < 0)
				vr_guest_iface(&d->g, VR_IF_CHANNEL, r);
		}
		if (p[3].fd >= 0 && (p[3].revents & POLLIN)) {
			chan_read(d);
		} else if (p[3].fd >= 0 && (p[3].revents & (POLLHUP | POLLERR))) {
			d->chan_hup = true;
			d->chan_out.len = 0;
		} else if (p[3].fd >= 0 && (p[3].revents & POLLNVAL)) {
			d->chan_fd = -1;
			d->g.channel_open = false;
		}
	}
	return 0;
}

int vr_daemon_run(const struct vr_daemon_opts *o, const struct vr_config *cfg)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int r, status = 1;

	if (!d) {
		vr_err("out of memory");
		return 1;
	}
	d->opts = o;
	d->sig_fd = d->timer_fd = d->psi_fd = d->chan_fd = -1;
	vr_ctl_server_init(&d->ctl, -1, CLIENT_TIMEOUT_SEC * VR_USEC_PER_SEC);
	r = vr_guest_init(&d->g, cfg, o->root, o->dry_run ? &vr_sys_ops_dry_run : &vr_sys_ops_real,
			  NULL, NULL);
	if (r < 0) {
		vr_err("--root %s: %s", o->root, strerror(-r));
		goto out;
	}
	d->g.interrupted = stop_pending;
	d->sig_fd = setup_signals();
	if (d->sig_fd < 0) {
		vr_err("signalfd: %s", strerror(-d->sig_fd));
		goto out;
	}
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timer_fd < 0 || timer_arm(d->timer_fd, cfg->sample_usec) < 0) {
		vr_err("timerfd: %s", strerror(errno));
		goto out;
	}
	d->ctl.listen_fd = vr_ctl_listen(cfg->control_socket);
	if (d->ctl.listen_fd < 0) {
		vr_err("control socket %s: %s%s", cfg->control_socket, strerror(-d->ctl.listen_fd),
		       d->ctl.listen_fd == -EADDRINUSE ? " (another vmreclaimd is running)"
		       : d->ctl.listen_fd == -EEXIST   ? " (and it is not a socket: not removed)"
						       : "");
		goto out;
	}
	open_psi(d);
	chan_open(d);
	vr_info("started: mode %s, idleThreshold %g%%, idleSeconds %llu, sampleInterval %llu s%s",
		vr_mode_name(cfg->mode), cfg->idle_threshold_pct,
		(unsigned long long)(cfg->idle_usec / VR_USEC_PER_SEC),
		(unsigned long long)(cfg->sample_usec / VR_USEC_PER_SEC), o->dry_run ? ", dry run" : "");
	/* The first sample is the baseline for idle tracking. */
	vr_guest_tick(&d->g);
	notify_ready();
	status = loop(d);
	vr_guest_shutdown(&d->g);
out:
	vr_ctl_server_close_clients(&d->ctl);
	if (d->ctl.listen_fd >= 0) {
		close(d->ctl.listen_fd);
		unlink(d->g.cfg.control_socket);
	}
	if (d->psi_fd >= 0)
		close(d->psi_fd);
	if (d->chan_fd >= 0)
		close(d->chan_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	free(d);
	return status;
}
