/* SPDX-License-Identifier: MIT */
/* ptypeer: the host's end of the guest channel, for tests/blackbox/channel.sh.
 *
 * A pseudo-terminal stands in for the virtio-serial port: the daemon opens
 * the slave through LINK (a symlink this program keeps pointing at it), in
 * raw mode so that no echo, line editing or CR/NL translation touches the
 * bytes, and this program holds the master, as QEMU holds the host's side.
 *
 *   ptypeer LINK          commands on stdin, one per line; the answer to
 *                         each on stdout, ended by a line "."
 *
 * Commands (STR takes the escapes \n \r \t \0 \\ \xHH):
 *   send STR              write STR; "sent N" or "stalled after N of M"
 *   fill N STR            write N bytes of STR repeated; the same answer
 *   read MS               wait for the next reply line: "reply: LINE" (with
 *                         any others that came along) or "timeout"
 *   drain MS              every reply until none comes for MS:
 *                         "reply: LINE"... then "lines N bad N partial N"
 *   flood N MS read STR   write STR N times as fast as the pty takes it,
 *   flood N MS noread STR reading replies meanwhile or not at all; then
 *                         "flood sent N replies N bad N partial N ms N"
 *                         (replies counted until none comes for MS)
 *   close                 close the master, as a host that goes away
 *   open                  a new pty, LINK moved to its slave: "opened PATH"
 *   quit
 *
 * Reply lines are printed with bytes outside printable ASCII as \xHH; a
 * line is "bad" unless it starts "ok ", "refused " or "error: ", and
 * "partial" counts bytes left without a newline. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* A write that makes no progress for this long has stalled: the daemon
 * stopped reading. */
#define STALL_MS 10000
/* Longer than any reply (VR_CHAN_REPLY_MAX is 1024): such a line is cut
 * here and counted bad. */
#define LINE_MAX_BYTES 4096

struct peer {
	const char *link;
	int master, slave;
	char line[LINE_MAX_BYTES];
	size_t len;
	unsigned long lines, bad;
	bool print; /* print each reply line as it comes */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_escaped(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c >= 0x20 && c <= 0x7e)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/* Decode STR's escapes into a malloc'd buffer; its length in *len. */
static char *unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	while (*s) {
		if (*s != '\\' || !s[1]) {
			out[n++] = *s++;
			continue;
		}
		s++;
		if (*s == 'x') {
			unsigned v = 0;
			int k;

			s++;
			for (k = 0; k < 2 && isxdigit((unsigned char)*s); k++, s++) {
				int c = tolower((unsigned char)*s);

				v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : c - 'a' + 10);
			}
			out[n++] = (char)v;
			continue;
		}
		out[n++] = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s == '0' ? '\0' : *s;
		s++;
	}
	*len = n;
	return out;
}

static bool good_reply(const char *line, size_t len)
{
	return (len >= 3 && memcmp(line, "ok ", 3) == 0) ||
	       (len >= 8 && memcmp(line, "refused ", 8) == 0) ||
	       (len >= 7 && memcmp(line, "error: ", 7) == 0);
}

static void line_done(struct peer *p)
{
	p->lines++;
	if (!good_reply(p->line, p->len))
		p->bad++;
	if (p->print) {
		fputs("reply: ", stdout);
		put_escaped(p->line, p->len);
		putchar('\n');
	}
	p->len = 0;
}

/* Take what the master has; returns the number of whole lines read, or -1
 * when the master reads end of file or fails (no slave open: EIO). */
static long take(struct peer *p)
{
	char buf[4096];
	unsigned long before = p->lines;
	ssize_t n, i;

	for (;;) {
		n = read(p->master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line_done(p);
			} else {
				p->line[p->len++] = buf[i];
				if (p->len == sizeof(p->line))
					line_done(p); /* cut: counted bad */
			}
		}
	}
	return (long)(p->lines - before);
}

/* Wait up to @ms for the master to be readable. */
static bool readable(const struct peer *p, int ms)
{
	struct pollfd pf = { .fd = p->master, .events = POLLIN };

	return poll(&pf, 1, ms) > 0 && (pf.revents & POLLIN);
}

/* Write @len bytes of @buf, or @total bytes of it repeated; replies are
 * read meanwhile when @reading.  Returns the bytes written. */
static size_t write_all(struct peer *p, const char *buf, size_t len, size_t total, bool reading)
{
	long long last = now_ms();
	size_t done = 0;

	while (done < total && len > 0) {
		struct pollfd pf = { .fd = p->master,
				     .events = (short)(POLLOUT | (reading ? POLLIN : 0)) };
		size_t off = done % len, chunk = len - off;
		ssize_t n;

		if (chunk > total - done)
			chunk = total - done;
		if (poll(&pf, 1, 100) < 0 && errno != EINTR)
			break;
		if (reading && (pf.revents & POLLIN))
			take(p);
		if (pf.revents & POLLOUT) {
			n = write(p->master, buf + off, chunk);
			if (n > 0) {
				done += (size_t)n;
				last = now_ms();
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
		}
		if (now_ms() - last > STALL_MS)
			break;
	}
	return done;
}

static void report_written(size_t done, size_t total)
{
	if (done == total)
		printf("sent %zu\n", done);
	else
		printf("stalled after %zu of %zu\n", done, total);
}

/* Read until no reply comes for @ms. */
static void drain(struct peer *p, int ms)
{
	while (readable(p, ms))
		if (take(p) < 0)
			break;
}

static void close_pty(struct peer *p)
{
	if (p->master >= 0)
		close(p->master);
	if (p->slave >= 0)
		close(p->slave);
	p->master = p->slave = -1;
	p->len = 0;
}

/* A new pty, raw, its slave at LINK (moved there atomically). */
static int open_pty(struct peer *p, char *path, size_t size)
{
	char tmp[4096];
	struct termios t;
	const char *name;
	int m, s;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m)))
		goto fail;
	snprintf(path, size, "%s", name);
	/* The slave stays open here too: the master then never reads EIO
	 * while the daemon has it closed, and the raw mode set on it holds. */
	s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	if (tcgetattr(s, &t) < 0)
		goto fail_slave;
	cfmakeraw(&t);
	if (tcsetattr(s, TCSANOW, &t) < 0)
		goto fail_slave;
	if (fcntl(m, F_SETFL, O_NONBLOCK) < 0)
		goto fail_slave;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->link);
	unlink(tmp);
	if (symlink(path, tmp) < 0 || rename(tmp, p->link) < 0)
		goto fail_slave;
	close_pty(p);
	p->master = m;
	p->slave = s;
	return 0;
fail_slave:
	close(s);
fail:
	perror("ptypeer: pty");
	if (m >= 0)
		close(m);
	return -1;
}

static void flood(struct peer *p, char *args)
{
	char *count = strtok(args, " "), *quiet = strtok(NULL, " "), *mode = strtok(NULL, " "),
	     *str = strtok(NULL, "");
	size_t len, total, done;
	long long t0 = now_ms();
	char *buf;
	bool reading;

	if (!count || !quiet || !str || !mode) {
		puts("usage: flood N MS read|noread STR");
		return;
	}
	reading = strcmp(mode, "read") == 0;
	buf = unescape(str, &len);
	if (!buf || len == 0) {
		puts("flood: nothing to send");
		free(buf);
		return;
	}
	total = strtoul(count, NULL, 10) * len;
	p->lines = p->bad = 0;
	p->print = false;
	done = write_all(p, buf, len, total, reading);
	if (reading)
		drain(p, atoi(quiet));
	printf("flood sent %zu replies %lu bad %lu partial %zu ms %lld\n", done / len, p->lines,
	       p->bad, p->len, now_ms() - t0);
	free(buf);
}

static void command(struct peer *p, char *cmd)
{
	char *arg = strchr(cmd, ' '), path[4096];
	size_t len;
	char *buf;

	if (arg)
		*arg++ = '\0';
	if (strcmp(cmd, "send") == 0 && arg) {
		buf = unescape(arg, &len);
		if (buf)
			report_written(write_all(p, buf, len, len, false), len);
		free(buf);
	} else if (strcmp(cmd, "fill") == 0 && arg && strchr(arg, ' ')) {
		size_t total = strtoul(arg, NULL, 10);

		buf = unescape(strchr(arg, ' ') + 1, &len);
		if (buf)
			report_written(write_all(p, buf, len, total, false), total);
		free(buf);
	} else if (strcmp(cmd, "read") == 0 && arg) {
		long long deadline = now_ms() + atoi(arg);
		unsigned long want = p->lines + 1;

		p->print = true;
		while (p->lines < want) {
			long long left = deadline - now_ms();

			if (left <= 0 || !readable(p, (int)left) || take(p) < 0)
				break;
		}
		if (p->lines < want)
			puts("timeout");
	} else if (strcmp(cmd, "drain") == 0 && arg) {
		p->print = true;
		p->lines = p->bad = 0;
		drain(p, atoi(arg));
		printf("lines %lu bad %lu partial %zu\n", p->lines, p->bad, p->len);
		p->len = 0;
	} else if (strcmp(cmd, "flood") == 0 && arg) {
		flood(p, arg);
	} else if (strcmp(cmd, "close") == 0) {
		close_pty(p);
		puts("closed");
	} else if (strcmp(cmd, "open") == 0) {
		if (open_pty(p, path, sizeof(path)) == 0)
			printf("opened %s\n", path);
		else
			puts("open failed");
	} else {
		printf("unknown command: %s\n", cmd);
	}
}

int main(int argc, char **argv)
{
	struct peer p = { .master = -1, .slave = -1, .print = true };
	char cmd[1024], path[4096];

	if (argc != 2) {
		fputs("usage: ptypeer LINK  (commands on stdin)\n", stderr);
		return 2;
	}
	p.link = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (open_pty(&p, path, sizeof(path)) < 0)
		return 1;
	printf("opened %s\n.\n", path);
	while (fgets(cmd, sizeof(cmd), stdin)) {
		cmd[strcspn(cmd, "\n")] = '\0';
		if (strcmp(cmd, "quit") == 0)
			break;
		command(&p, cmd);
		puts(".");
	}
	close_pty(&p);
	return 0;
}
