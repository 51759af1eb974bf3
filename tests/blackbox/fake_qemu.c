/* SPDX-License-Identifier: MIT */
/* A stand-in for qemu-system-x86_64 that misbehaves on request, for the
 * host tool's fault tests (tests/blackbox/host-faults.sh).  "make
 * blackbox-helpers" builds it as build/host/fake-qemu/qemu-system-x86_64,
 * so that "vmreclaim run" finds it first on the PATH.
 *
 * It takes QEMU's command line as vmreclaim writes it and serves what
 * vmreclaim uses: the two QMP sockets (-qmp unix:PATH: qmp.sock, then
 * monitor.sock), the guest channel (-chardev socket,id=vrguest,path=PATH),
 * the console file (-chardev file,id=con,path=PATH), -pidfile and
 * -daemonize.  No guest runs.
 *
 * $FAKE_QEMU says how it behaves, in words separated by spaces:
 *
 *   qmp=MODE[,MODE...]      qmp.sock; the Nth connection gets the Nth
 *   monitor=MODE[,MODE...]  mode, the last one repeats (default: ok)
 *       ok        a QMP server: greeting, qmp_capabilities, qom-set,
 *                 qom-get guest-stats (512 MiB used of 1 GiB),
 *                 query-balloon, quit (exits 0)
 *       close     the greeting, then closes the connection
 *       garbage   a line that is not JSON
 *       huge      2 MiB without a newline
 *       silent    accepts and never writes
 *       noballoon ok, but qom-set and qom-get answer "balloon0 not found"
 *       badstats  ok, but qom-get answers a string
 *       noaccept  listens and never accepts
 *       none      never makes the socket
 *   guest=MODE[,MODE...]    guest.sock (default: ok)
 *       ok        answers status, counters and give as vmreclaimd does
 *       old       ok, but without counters (a vmreclaimd older than them)
 *       silent    reads and never answers
 *       close     closes the connection at once
 *       bytes     sends bytes without a newline, without end
 *       lines     sends lines nobody asked for, without end
 *       hostile   answers status, counters and give with terminal escape
 *                 sequences (a title change, a screen clear) and
 *                 numbers past 64 bits, as a hostile guest
 *       noaccept, none   as above
 *   exit=MS[:STATUS]        exits with STATUS (default 1) after MS ms
 *   console=TEXT            writes TEXT and a newline to the console file
 *
 * When a connection ends, a line "fake-qemu: qmp|monitor|guest N closed"
 * goes to the console file (N from 1), for a test to wait on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MODES_MAX 8
#define LINE_MAX_BYTES 4096

#define GREETING                                                                          \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define GUEST_STATUS \
	"ok total=1073741824 available=536870912 cache=104857600 reportable=0 stranded=0 order=9 version=0.1.0 mode=auto\n"
#define GUEST_COUNTERS                                                                       \
	"ok compact_runs=1 dropcache_runs=0 reclaim_runs=2 compact_failures=0 dropcache_failures=0 " \
	"reclaim_failures=0 compact_bytes=0 dropcache_bytes=0 reclaim_bytes=104857600 "        \
	"compact_cpu_usec=0 dropcache_cpu_usec=0 reclaim_cpu_usec=250000 "                     \
	"idle_periods=1 pressure_events=0 pcp_drains=3\n"
#define GUEST_GIVE "ok released=0 reportable_gained=0 stranded=0 order=9 compacted=1\n"
#define HOSTILE_STATUS "ok total=1073741824 available=\033[2J\033]0;pwned\007\n"
#define HOSTILE_COUNTERS \
	"ok compact_runs=\033]0;pwned\007 reclaim_bytes=99999999999999999999999\n"
#define HOSTILE_GIVE "refused \033]0;pwned\007\033[2J\302\233" "31m\n"

struct endpoint {
	const char *what; /* "qmp", "monitor", "guest" */
	char path[108];
	char modes[MODES_MAX][16];
	int n_modes;
	int fd;
	int accepted;
};

struct conn {
	int fd;
	struct endpoint *ep;
	int n; /* 1 for the endpoint's first connection */
	char mode[16];
};

static struct endpoint qmp_ep = { .what = "qmp" }, mon_ep = { .what = "monitor" },
		       guest_ep = { .what = "guest" };
static char pidfile[4096], console[4096];
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what)
{
	fprintf(stderr, "fake qemu: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_modes(struct endpoint *ep, const char *list)
{
	char buf[256], *save = NULL, *m;

	snprintf(buf, sizeof(buf), "%s", list);
	ep->n_modes = 0;
	for (m = strtok_r(buf, ",", &save); m && ep->n_modes < MODES_MAX; m = strtok_r(NULL, ",", &save))
		snprintf(ep->modes[ep->n_modes++], sizeof(ep->modes[0]), "%s", m);
}

static const char *mode_of(const struct endpoint *ep, int n)
{
	if (ep->n_modes == 0)
		return "ok";
	return ep->modes[n < ep->n_modes ? n : ep->n_modes - 1];
}

/* "unix:PATH,server=on,..." or "socket,id=X,path=PATH,...": PATH, with
 * QEMU's ",," for a comma. */
static void option_path(const char *opt, const char *key, char *buf, size_t size)
{
	const char *p = strstr(opt, key);
	size_t j = 0;

	buf[0] = '\0';
	if (!p)
		return;
	for (p += strlen(key); *p && j + 1 < size; p++) {
		if (*p == ',' && p[1] == ',')
			p++;
		else if (*p == ',')
			break;
		buf[j++] = *p;
	}
	buf[j] = '\0';
}

static bool send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

static ssize_t read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Until the other side closes. */
static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* The "id" of a request, as sent ("null" when there is none). */
static void request_id(const char *line, char *buf, size_t size)
{
	const char *p = strstr(line, "\"id\":");

	snprintf(buf, size, "null");
	if (p) {
		p += 5;
		while (*p == ' ')
			p++;
		snprintf(buf, size, "%.*s", (int)strspn(p, "0123456789"), p);
	}
}

static void qmp_reply(int fd, const char *ret, const char *id)
{
	char out[1024];

	snprintf(out, sizeof(out), "{\"return\": %s, \"id\": %s}\r\n", ret, id);
	send_all(fd, out, strlen(out));
}

static void qmp_error(int fd, const char *cls, const char *desc, const char *id)
{
	char out[1024];

	snprintf(out, sizeof(out), "{\"error\": {\"class\": \"%s\", \"desc\": \"%s\"}, \"id\": %s}\r\n",
		 cls, desc, id);
	send_all(fd, out, strlen(out));
}

static void serve_qmp(int fd, const char *mode)
{
	char line[LINE_MAX_BYTES], id[32];

	if (strcmp(mode, "silent") == 0) {
		drain(fd);
		return;
	}
	if (strcmp(mode, "garbage") == 0) {
		send_all(fd, "this is not QMP\r\n", 17);
		drain(fd);
		return;
	}
	if (strcmp(mode, "huge") == 0) {
		static char big[64 * 1024];
		int i;

		memset(big, 'x', sizeof(big));
		big[0] = '{';
		for (i = 0; i < 32 && send_all(fd, big, sizeof(big)); i++)
			;
		drain(fd);
		return;
	}
	send_all(fd, GREETING, strlen(GREETING));
	if (strcmp(mode, "close") == 0)
		return;
	while (read_line(fd, line, sizeof(line)) >= 0) {
		request_id(line, id, sizeof(id));
		if (strstr(line, "\"qmp_capabilities\"")) {
			qmp_reply(fd, "{}", id);
		} else if (strstr(line, "\"quit\"")) {
			qmp_reply(fd, "{}", id);
			unlink(pidfile);
			exit(0);
		} else if ((strstr(line, "\"qom-set\"") || strstr(line, "\"qom-get\"")) &&
			   strcmp(mode, "noballoon") == 0) {
			qmp_error(fd, "DeviceNotFound", "Device 'balloon0' not found", id);
		} else if (strstr(line, "\"qom-set\"")) {
			qmp_reply(fd, "{}", id);
		} else if (strstr(line, "\"qom-get\"") && strcmp(mode, "badstats") == 0) {
			qmp_reply(fd, "\"banana\"", id);
		} else if (strstr(line, "\"qom-get\"")) {
			qmp_reply(fd,
				  "{\"stats\": {\"stat-total-memory\": 1073741824, "
				  "\"stat-free-memory\": 268435456, \"stat-available-memory\": 536870912, "
				  "\"stat-disk-caches\": 104857600}, \"last-update\": 1700000000}",
				  id);
		} else if (strstr(line, "\"query-balloon\"")) {
			qmp_reply(fd, "{\"actual\": 1073741824}", id);
		} else {
			qmp_error(fd, "CommandNotFound", "The command has not been found", id);
		}
	}
}

static void serve_guest(int fd, const char *mode)
{
	char line[LINE_MAX_BYTES];

	if (strcmp(mode, "close") == 0)
		return;
	if (strcmp(mode, "silent") == 0) {
		drain(fd);
		return;
	}
	if (strcmp(mode, "bytes") == 0) {
		char junk[4096];

		memset(junk, 'x', sizeof(junk));
		while (send_all(fd, junk, sizeof(junk)))
			;
		return;
	}
	if (strcmp(mode, "lines") == 0) {
		/* A thousand a second: a flood that leaves the CPU to others. */
		while (send_all(fd, "noise from an old guest\n", 24))
			usleep(1000);
		return;
	}
	if (strcmp(mode, "hostile") == 0) {
		while (read_line(fd, line, sizeof(line)) >= 0) {
			if (strncmp(line, "status", 6) == 0)
				send_all(fd, HOSTILE_STATUS, strlen(HOSTILE_STATUS));
			else if (strncmp(line, "counters", 8) == 0)
				send_all(fd, HOSTILE_COUNTERS, strlen(HOSTILE_COUNTERS));
			else
				send_all(fd, HOSTILE_GIVE, strlen(HOSTILE_GIVE));
		}
		return;
	}
	while (read_line(fd, line, sizeof(line)) >= 0) {
		if (strncmp(line, "status", 6) == 0)
			send_all(fd, GUEST_STATUS, strlen(GUEST_STATUS));
		else if (strncmp(line, "counters", 8) == 0 && strcmp(mode, "old") != 0)
			send_all(fd, GUEST_COUNTERS, strlen(GUEST_COUNTERS));
		else if (strncmp(line, "give ", 5) == 0)
			send_all(fd, GUEST_GIVE, strlen(GUEST_GIVE));
		else
			send_all(fd, "error: unknown request\n", 23);
	}
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	FILE *f;

	if (c->ep == &guest_ep)
		serve_guest(c->fd, c->mode);
	else
		serve_qmp(c->fd, c->mode);
	close(c->fd);
	/* On the console, for a test to wait on: "fake-qemu: qmp 1 closed". */
	pthread_mutex_lock(&console_lock);
	if (console[0] && (f = fopen(console, "ae"))) {
		fprintf(f, "fake-qemu: %s %d closed\n", c->ep->what, c->n);
		fclose(f);
	}
	pthread_mutex_unlock(&console_lock);
	free(c);
	return NULL;
}

static void *listen_thread(void *arg)
{
	struct endpoint *ep = arg;

	if (strcmp(mode_of(ep, 0), "noaccept") == 0) {
		for (;;)
			pause();
	}
	for (;;) {
		struct conn *c;
		pthread_t t;
		int fd = accept4(ep->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			die("calloc");
		c->fd = fd;
		c->ep = ep;
		c->n = ep->accepted + 1;
		snprintf(c->mode, sizeof(c->mode), "%s", mode_of(ep, ep->accepted++));
		if (pthread_create(&t, NULL, conn_thread, c) != 0)
			die("pthread_create");
		pthread_detach(t);
	}
	return NULL;
}

static void listen_on(struct endpoint *ep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ep->fd = -1;
	if (!ep->path[0] || strcmp(mode_of(ep, 0), "none") == 0)
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ep->path);
	unlink(ep->path);
	ep->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ep->fd < 0)
		die("socket");
	if (bind(ep->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(ep->path);
	/* QEMU's chardev listens with a backlog of 1. */
	if (listen(ep->fd, strcmp(mode_of(ep, 0), "noaccept") == 0 ? 0 : 1) < 0)
		die("listen");
}

static void start(struct endpoint *ep)
{
	pthread_t t;

	if (ep->fd < 0)
		return;
	if (pthread_create(&t, NULL, listen_thread, ep) != 0)
		die("pthread_create");
	pthread_detach(t);
}

int main(int argc, char **argv)
{
	const char *cfg = getenv("FAKE_QEMU"), *console_text = NULL;
	char buf[1024], *save = NULL, *w;
	bool daemonize = false;
	long exit_ms = -1;
	int exit_status = 1, n_qmp = 0, i, ready[2] = { -1, -1 };
	FILE *f;

	for (i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : "";

		if (strcmp(argv[i], "-qmp") == 0) {
			option_path(next, "unix:", n_qmp++ == 0 ? qmp_ep.path : mon_ep.path,
				    sizeof(qmp_ep.path));
			i++;
		} else if (strcmp(argv[i], "-chardev") == 0) {
			if (strncmp(next, "socket,id=vrguest,", 18) == 0)
				option_path(next, "path=", guest_ep.path, sizeof(guest_ep.path));
			else if (strncmp(next, "file,", 5) == 0)
				option_path(next, "path=", console, sizeof(console));
			i++;
		} else if (strcmp(argv[i], "-pidfile") == 0) {
			snprintf(pidfile, sizeof(pidfile), "%s", next);
			i++;
		} else if (strcmp(argv[i], "-daemonize") == 0) {
			daemonize = true;
		}
	}
	snprintf(buf, sizeof(buf), "%s", cfg ? cfg : "");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (strncmp(w, "qmp=", 4) == 0)
			set_modes(&qmp_ep, w + 4);
		else if (strncmp(w, "monitor=", 8) == 0)
			set_modes(&mon_ep, w + 8);
		else if (strncmp(w, "guest=", 6) == 0)
			set_modes(&guest_ep, w + 6);
		else if (strncmp(w, "exit=", 5) == 0) {
			char *colon;

			exit_ms = strtol(w + 5, &colon, 10);
			if (*colon == ':')
				exit_status = atoi(colon + 1);
		} else if (strncmp(w, "console=", 8) == 0)
			console_text = w + 8;
		else {
			fprintf(stderr, "fake qemu: FAKE_QEMU: unknown word '%s'\n", w);
			return 1;
		}
	}

	/* -daemonize: the first process exits 0 once the second is ready. */
	if (daemonize) {
		pid_t pid;
		char c;

		if (pipe2(ready, O_CLOEXEC) < 0)
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid > 0) {
			close(ready[1]);
			_exit(read(ready[0], &c, 1) == 1 ? 0 : 1);
		}
		close(ready[0]);
		setsid();
	}
	if (console[0]) {
		f = fopen(console, "we");
		if (!f)
			die(console);
		if (console_text)
			fprintf(f, "%s\n", console_text);
		fclose(f);
	}
	listen_on(&qmp_ep);
	listen_on(&mon_ep);
	listen_on(&guest_ep);
	if (pidfile[0]) {
		f = fopen(pidfile, "we");
		if (!f)
			die(pidfile);
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	start(&qmp_ep);
	start(&mon_ep);
	start(&guest_ep);
	if (daemonize) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
		if (write(ready[1], "r", 1) != 1)
			die("write");
		close(ready[1]);
	}
	if (exit_ms >= 0) {
		usleep((useconds_t)exit_ms * 1000);
		_exit(exit_status);
	}
	for (;;)
		pause();
}
