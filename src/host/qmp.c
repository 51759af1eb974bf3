/* SPDX-License-Identifier: MIT */
/* QMP client: newline-delimited JSON over a unix socket (QEMU's
 * docs/interop/qmp-spec).  One command at a time; every read and write
 * runs against a deadline so that a stuck or dead QEMU gives an error.
 * Over 600 lines on purpose: one protocol (connect, greeting, capabilities,
 * commands, events in between, the balloon's statistics), whose deadline
 * and buffer handling every part shares. */
#include "host/qmp.h"
#include "common/sanitize.h"
#include "common/util.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The longest message we accept, newline included.  QEMU's largest
 * routine replies (query-qmp-schema, ~200 KiB on 7.2) fit; a peer that
 * sends more without a newline is not QEMU, and we stop reading rather
 * than allocate without limit. */
#define QMP_MSG_MAX ((size_t)VR_MIB)
#define QMP_BUF_INITIAL ((size_t)4096)
/* How much of a bad line an error message quotes. */
#define QMP_QUOTE_MAX 48

struct vr_qmp {
	int fd;
	int timeout_ms;
	/* After a timeout or a protocol error the stream is at an unknown
	 * place (a late reply may still come), so the connection is not
	 * used again. */
	bool broken;
	uint64_t next_id;
	char *buf; /* received bytes not yet consumed: [0, len) */
	size_t len;
	size_t cap;
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
							    const char *fmt, ...)
{
	va_list ap;

	if (!err || err_size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

/* The start of @line, with anything unprintable as '?', for messages. */
static void quote(char *dst, size_t size, const char *line, size_t len)
{
	size_t i, n = len < size - 1 ? len : size - 1;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n] = '\0';
}

/* Decode one JSON value.  jansson refuses an integer above INT64_MAX
 * outright ("too big integer"), and QEMU sends its uint64 "not reported"
 * sentinel as 18446744073709551615 (guest-stats on QEMU 7.2 before the
 * guest reports).  Such a message is decoded again with every number as
 * a real: the callers here accept a whole real where they expect an
 * integer (exact up to 2^53 bytes, 8 PiB), and vr_qmp_command() gives
 * that reply's numbers back as reals ("2074116096.0"). */
static json_t *decode(const char *buf, size_t len, size_t flags, json_error_t *e)
{
	json_t *j = json_loadb(buf, len, flags, e);

	if (!j && json_error_code(e) == json_error_numeric_overflow)
		j = json_loadb(buf, len, flags | JSON_DECODE_INT_AS_REAL, e);
	return j;
}

/* A non-negative whole number, as an integer or (see decode()) a real. */
static bool number_u64(const json_t *v, uint64_t *ret)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return false;
		*ret = (uint64_t)i;
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/* 2^64 itself is out of range; a double cannot hold
		 * 2^64 - 1, so that value arrives as 2^64 and is refused
		 * here (guest-stats handles it before). */
		if (!(d >= 0 && d < 18446744073709551616.0) || d != (double)(uint64_t)d)
			return false;
		*ret = (uint64_t)d;
		return true;
	}
	return false;
}

static int deadline_ms(uint64_t deadline_usec)
{
	uint64_t now = vr_now_usec();

	if (now >= deadline_usec)
		return 0;
	/* Round up: poll(0) would be a busy loop for the last millisecond. */
	return (int)((deadline_usec - now + VR_USEC_PER_MSEC - 1) / VR_USEC_PER_MSEC);
}

/* Wait for @events on the socket until the deadline.  Returns 0 or
 * -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, uint64_t deadline_usec)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int ms = deadline_ms(deadline_usec), r;

		if (ms == 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 0; /* POLLHUP and POLLERR too: recv/send tell which */
	}
}

static int send_all(struct vr_qmp *q, const char *data, size_t len, uint64_t deadline_usec,
		    char *err, size_t err_size)
{
	size_t done = 0;
	int r;

	while (done < len) {
		ssize_t n;

		r = wait_fd(q->fd, POLLOUT, deadline_usec);
		if (r == -ETIMEDOUT) {
			set_err(err, err_size, "QMP: QEMU did not take our command within %d ms",
				q->timeout_ms);
			return r;
		}
		if (r < 0) {
			set_err(err, err_size, "QMP: poll: %s", strerror(-r));
			return r;
		}
		/* MSG_DONTWAIT: poll said writable, but maybe not for all
		 * of it; MSG_NOSIGNAL: a dead QEMU is -EPIPE, not SIGPIPE. */
		n = send(q->fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			r = -errno;
			if (r == -EPIPE || r == -ECONNRESET)
				set_err(err, err_size, "QMP: QEMU closed the connection");
			else
				set_err(err, err_size, "QMP: send: %s", strerror(-r));
			return r;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Read one line (without its "\n" or "\r\n") into a malloc'd, NUL-
 * terminated *ret_line.  Returns 0, -ETIMEDOUT, -ECONNRESET (closed, even
 * in the middle of a line), -EMSGSIZE or -errno. */
static int read_line(struct vr_qmp *q, uint64_t deadline_usec, char **ret_line,
		     size_t *ret_len, char *err, size_t err_size)
{
	size_t scanned = 0;
	int r;

	for (;;) {
		/* memchr() on the NULL of a fresh buffer is undefined. */
		char *nl = q->len > scanned ? memchr(q->buf + scanned, '\n', q->len - scanned)
					    : NULL;
		ssize_t n;

		if (nl) {
			size_t used = (size_t)(nl - q->buf) + 1, len = used - 1;
			char *line;

			if (len > 0 && q->buf[len - 1] == '\r')
				len--;
			line = malloc(len + 1);
			if (!line) {
				set_err(err, err_size, "QMP: out of memory");
				return -ENOMEM;
			}
			memcpy(line, q->buf, len);
			line[len] = '\0';
			memmove(q->buf, q->buf + used, q->len - used);
			q->len -= used;
			*ret_line = line;
			*ret_len = len;
			return 0;
		}
		scanned = q->len;
		if (q->len == q->cap) {
			size_t cap = q->cap ? q->cap * 2 : QMP_BUF_INITIAL;
			char *b;

			if (q->cap >= QMP_MSG_MAX) {
				set_err(err, err_size, "QMP: a message over %zu bytes: not QEMU?",
					QMP_MSG_MAX);
				return -EMSGSIZE;
			}
			if (cap > QMP_MSG_MAX)
				cap = QMP_MSG_MAX;
			b = realloc(q->buf, cap);
			if (!b) {
				set_err(err, err_size, "QMP: out of memory");
				return -ENOMEM;
			}
			q->buf = b;
			q->cap = cap;
		}
		r = wait_fd(q->fd, POLLIN, deadline_usec);
		if (r == -ETIMEDOUT) {
			set_err(err, err_size, "QMP: no answer from QEMU within %d ms",
				q->timeout_ms);
			return r;
		}
		if (r < 0) {
			set_err(err, err_size, "QMP: poll: %s", strerror(-r));
			return r;
		}
		n = recv(q->fd, q->buf + q->len, q->cap - q->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			r = -errno;
			if (r == -ECONNRESET)
				goto closed;
			set_err(err, err_size, "QMP: recv: %s", strerror(-r));
			return r;
		}
		if (n == 0)
			goto closed;
		q->len += (size_t)n;
	}
closed:
	if (q->len > 0)
		set_err(err, err_size,
			"QMP: QEMU closed the connection in the middle of a message");
	else
		set_err(err, err_size, "QMP: QEMU closed the connection");
	return -ECONNRESET;
}

/* Read the next message, which must be a JSON object; blank lines are
 * skipped.  Returns 0 and sets *ret (a new reference), or -errno. */
static int read_message(struct vr_qmp *q, uint64_t deadline_usec, json_t **ret, char *err,
			size_t err_size)
{
	for (;;) {
		char text[QMP_QUOTE_MAX];
		json_error_t e;
		json_t *msg;
		size_t len = 0;
		char *line = NULL;
		int r;

		r = read_line(q, deadline_usec, &line, &len, err, err_size);
		if (r < 0)
			return r;
		if (*vr_skip_blanks(line) == '\0') {
			free(line);
			continue;
		}
		msg = decode(line, len, 0, &e);
		quote(text, sizeof(text), line, len);
		free(line);
		if (!msg) {
			/* jansson's message quotes the input ("near '...'"). */
			char why[VR_SANITIZE_SIZE(sizeof(e.text))];

			set_err(err, err_size, "QMP: not JSON (%s): '%s'",
				vr_sanitize_str(e.text, why, sizeof(why)), text);
			return -EPROTO;
		}
		if (!json_is_object(msg)) {
			set_err(err, err_size, "QMP: not a JSON object: '%s'", text);
			json_decref(msg);
			return -EPROTO;
		}
		*ret = msg;
		return 0;
	}
}

static bool id_matches(const json_t *id, uint64_t want)
{
	uint64_t got;

	return number_u64(id, &got) && got == want;
}

/* Send @command with @args (an object, or NULL) and wait for its reply,
 * skipping events.  Sets *ret_return (a new reference) when asked.  With
 * @closing, the peer closing the connection after the command went out
 * is a success (quit: QEMU may exit before it answers). */
static int execute(struct vr_qmp *q, const char *command, json_t *args, bool closing,
		   json_t **ret_return, char *err, size_t err_size)
{
	uint64_t deadline = vr_now_usec() + (uint64_t)q->timeout_ms * VR_USEC_PER_MSEC;
	uint64_t id = q->next_id++;
	json_t *req, *name, *msg = NULL;
	size_t len;
	char *text;
	int r;

	if (q->broken) {
		set_err(err, err_size, "QMP: connection unusable after an earlier error");
		return -ENOTCONN;
	}
	name = json_string(command);
	if (!name) {
		set_err(err, err_size, "QMP: command name is not UTF-8");
		return -EINVAL;
	}
	req = json_object();
	if (!req)
		json_decref(name);
	if (!req || json_object_set_new(req, "execute", name) < 0 ||
	    (args && json_object_set(req, "arguments", args) < 0) ||
	    json_object_set_new(req, "id", json_integer((json_int_t)id)) < 0) {
		json_decref(req);
		set_err(err, err_size, "QMP: cannot build the '%s' command", command);
		return -ENOMEM;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text) {
		set_err(err, err_size, "QMP: cannot build the '%s' command", command);
		return -ENOMEM;
	}
	/* QEMU's parser is a stream parser and does not need the newline,
	 * but a newline keeps a trace of the socket readable. */
	len = strlen(text);
	text[len] = '\n'; /* over the NUL: sent with an explicit length */
	r = send_all(q, text, len + 1, deadline, err, err_size);
	free(text);
	if (r < 0)
		goto broken;

	for (;;) {
		json_t *v, *reply_id;

		r = read_message(q, deadline, &msg, err, err_size);
		if (r == -ECONNRESET && closing) {
			r = 0;
			goto broken; /* nothing more can come */
		}
		if (r < 0)
			goto broken;
		if (json_object_get(msg, "event")) {
			json_decref(msg);
			msg = NULL;
			continue;
		}
		reply_id = json_object_get(msg, "id");
		if (reply_id && !id_matches(reply_id, id)) {
			set_err(err, err_size, "QMP: reply to another command than '%s'", command);
			r = -EPROTO;
			goto broken;
		}
		v = json_object_get(msg, "error");
		if (v) {
			const char *desc = json_string_value(json_object_get(v, "desc"));
			char shown[256];

			/* Printed on the terminal: nothing raw from the socket. */
			set_err(err, err_size, "%s",
				desc ? vr_sanitize_str(desc, shown, sizeof(shown))
				     : "QMP: QEMU error without description");
			r = -EREMOTEIO;
			goto out;
		}
		v = json_object_get(msg, "return");
		if (!v) {
			set_err(err, err_size,
				"QMP: '%s' reply has neither \"return\" nor \"error\"", command);
			r = -EPROTO;
			goto broken;
		}
		if (ret_return)
			*ret_return = json_incref(v);
		r = 0;
		goto out;
	}
broken:
	q->broken = true;
out:
	json_decref(msg);
	return r;
}

int vr_qmp_connect_fd(int fd, int timeout_ms, struct vr_qmp **ret, char *err, size_t err_size)
{
	uint64_t deadline;
	struct vr_qmp *q;
	json_t *greeting = NULL;
	int r;

	if (fd < 0 || timeout_ms <= 0) {
		set_err(err, err_size, "QMP: bad socket or timeout");
		return -EINVAL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		set_err(err, err_size, "QMP: out of memory");
		return -ENOMEM;
	}
	q->fd = fd;
	q->timeout_ms = timeout_ms;
	q->next_id = 1;

	deadline = vr_now_usec() + (uint64_t)timeout_ms * VR_USEC_PER_MSEC;
	r = read_message(q, deadline, &greeting, err, err_size);
	if (r < 0)
		goto free_q;
	if (!json_is_object(json_object_get(greeting, "QMP"))) {
		set_err(err, err_size,
			"QMP: the greeting has no \"QMP\" member: not a QMP socket?");
		r = -EPROTO;
		goto free_greeting;
	}
	/* Until then QEMU refuses every other command. */
	r = execute(q, "qmp_capabilities", NULL, false, NULL, err, err_size);
	if (r < 0)
		goto free_greeting;
	json_decref(greeting);
	*ret = q;
	return 0;
free_greeting:
	json_decref(greeting);
free_q:
	/* The caller still owns @fd after a failure. */
	free(q->buf);
	free(q);
	return r;
}

int vr_qmp_connect(const char *path, int timeout_ms, struct vr_qmp **ret, char *err,
		   size_t err_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline;
	int fd, r;

	if (timeout_ms <= 0) {
		set_err(err, err_size, "QMP: the timeout must be positive");
		return -EINVAL;
	}
	deadline = vr_now_usec() + (uint64_t)timeout_ms * VR_USEC_PER_MSEC;
	if (!vr_strlcpy(sa.sun_path, path, sizeof(sa.sun_path))) {
		set_err(err, err_size, "QMP: socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	/* Non-blocking: a unix connect() blocks while the listener's
	 * backlog is full (a QEMU that hangs), so we retry instead. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		set_err(err, err_size, "QMP: socket: %s", strerror(-r));
		return r;
	}
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		if (r != -EAGAIN && r != -EINTR) {
			set_err(err, err_size, "QMP: cannot connect to %s: %s", path, strerror(-r));
			goto close_fd;
		}
		if (deadline_ms(deadline) == 0) {
			set_err(err, err_size, "QMP: %s accepts no connection within %d ms", path,
				timeout_ms);
			r = -ETIMEDOUT;
			goto close_fd;
		}
		usleep(10000);
	}
	/* The handshake gets a deadline of its own: the connect loop above
	 * only waits when the listener's backlog is full. */
	r = vr_qmp_connect_fd(fd, timeout_ms, ret, err, err_size);
	if (r < 0)
		goto close_fd;
	return 0;
close_fd:
	close(fd);
	return r;
}

void vr_qmp_close(struct vr_qmp *q)
{
	if (!q)
		return;
	close(q->fd);
	free(q->buf);
	free(q);
}

int vr_qmp_command(struct vr_qmp *q, const char *command, const char *args_json,
		   char **ret_json, char *err, size_t err_size)
{
	json_t *args = NULL, *ret = NULL;
	char *text = NULL;
	int r;

	if (!command || !*command) {
		set_err(err, err_size, "QMP: empty command name");
		return -EINVAL;
	}
	if (args_json) {
		json_error_t e;

		/* No decode(): an integer jansson cannot hold would go out
		 * as a rounded real.  Better refuse it. */
		args = json_loads(args_json, 0, &e);
		if (!args) {
			set_err(err, err_size, "QMP: arguments of '%s' are not JSON: %s", command,
				e.text);
			return -EINVAL;
		}
		if (!json_is_object(args)) {
			set_err(err, err_size, "QMP: arguments of '%s' are not a JSON object",
				command);
			r = -EINVAL;
			goto free_args;
		}
	}
	r = execute(q, command, args, false, ret_json ? &ret : NULL, err, err_size);
	if (r < 0 || !ret_json)
		goto free_args;
	text = json_dumps(ret, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		set_err(err, err_size, "QMP: out of memory");
		r = -ENOMEM;
		goto free_ret;
	}
	*ret_json = text;
free_ret:
	json_decref(ret);
free_args:
	json_decref(args);
	return r;
}

int vr_qmp_set_stats_interval(struct vr_qmp *q, const char *balloon_path, unsigned seconds,
			      char *err, size_t err_size)
{
	json_t *args;
	int r;

	args = json_pack("{s:s, s:s, s:I}", "path", balloon_path, "property",
			 "guest-stats-polling-interval", "value", (json_int_t)seconds);
	if (!args) {
		set_err(err, err_size, "QMP: cannot build qom-set");
		return -ENOMEM;
	}
	r = execute(q, "qom-set", args, false, NULL, err, err_size);
	json_decref(args);
	return r;
}

/* One guest-stats field: missing, -1 or 2^64 - 1 is "not reported". */
static int stat_value(const json_t *stats, const char *name, uint64_t *ret)
{
	const json_t *v = json_object_get(stats, name);

	if (!v) {
		*ret = VR_QMP_STAT_NONE;
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) == -1) {
		*ret = VR_QMP_STAT_NONE;
		return 0;
	}
	/* 2^64 - 1 arrives as the real 2^64 (see decode()).  Anything from
	 * 2^63 up is not a byte count a guest could have either. */
	if (json_is_real(v) && json_real_value(v) >= 9223372036854775808.0 &&
	    json_real_value(v) <= 18446744073709551616.0) {
		*ret = VR_QMP_STAT_NONE;
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) == -1.0) {
		*ret = VR_QMP_STAT_NONE;
		return 0;
	}
	return number_u64(v, ret) ? 0 : -EPROTO;
}

/* The "return" member of qom-get guest-stats. */
static int parse_guest_stats(const json_t *root, struct vr_guest_stats *ret)
{
	struct vr_guest_stats s = { 0 };
	const json_t *stats = json_object_get(root, "stats");
	const json_t *v = json_object_get(root, "last-update");
	int r;

	if (!json_is_object(stats))
		return -EPROTO;
	/* QEMU always sends it; absent, the guest has not reported. */
	if (json_is_integer(v)) {
		s.last_update = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (!(d >= 0 && d < 9223372036854775808.0))
			return -EPROTO;
		s.last_update = (int64_t)d;
	} else if (v) {
		return -EPROTO;
	}
	if (s.last_update < 0)
		return -EPROTO;
	r = stat_value(stats, "stat-total-memory", &s.total_bytes);
	if (r == 0)
		r = stat_value(stats, "stat-free-memory", &s.free_bytes);
	if (r == 0)
		r = stat_value(stats, "stat-available-memory", &s.available_bytes);
	if (r == 0)
		r = stat_value(stats, "stat-disk-caches", &s.cache_bytes);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

int vr_qmp_parse_guest_stats(const char *json, struct vr_guest_stats *ret)
{
	json_error_t e;
	json_t *root;
	int r;

	root = decode(json, strlen(json), JSON_DECODE_ANY, &e);
	if (!root)
		return -EPROTO;
	r = parse_guest_stats(root, ret);
	json_decref(root);
	return r;
}

int vr_qmp_guest_stats(struct vr_qmp *q, const char *balloon_path, struct vr_guest_stats *ret,
		       char *err, size_t err_size)
{
	json_t *args, *reply = NULL;
	int r;

	args = json_pack("{s:s, s:s}", "path", balloon_path, "property", "guest-stats");
	if (!args) {
		set_err(err, err_size, "QMP: cannot build qom-get");
		return -ENOMEM;
	}
	r = execute(q, "qom-get", args, false, &reply, err, err_size);
	if (r < 0)
		goto free_args;
	r = parse_guest_stats(reply, ret);
	if (r < 0)
		set_err(err, err_size, "QMP: guest-stats of %s: unexpected reply", balloon_path);
	json_decref(reply);
free_args:
	json_decref(args);
	return r;
}

int vr_qmp_query_balloon(struct vr_qmp *q, uint64_t *ret_actual_bytes, char *err,
			 size_t err_size)
{
	json_t *reply = NULL;
	uint64_t actual;
	int r;

	r = execute(q, "query-balloon", NULL, false, &reply, err, err_size);
	if (r < 0)
		return r;
	if (!number_u64(json_object_get(reply, "actual"), &actual)) {
		set_err(err, err_size, "QMP: query-balloon: no \"actual\" byte count");
		r = -EPROTO;
		goto free_reply;
	}
	*ret_actual_bytes = actual;
free_reply:
	json_decref(reply);
	return r;
}

int vr_qmp_quit(struct vr_qmp *q, char *err, size_t err_size)
{
	/* QEMU answers {} and closes the socket as it exits, but the close
	 * can beat the answer: both are a success. */
	return execute(q, "quit", NULL, true, NULL, err, err_size);
}
