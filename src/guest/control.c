/* SPDX-License-Identifier: MIT */
#include "guest/control.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int vr_ctl_parse(const char *buf, size_t len, struct vr_ctl_request *ret, char *err,
		 size_t err_size)
{
	struct vr_ctl_request req = { 0 };
	char line[VR_CTL_REQUEST_MAX];
	char *arg;

	if (vr_request_line(buf, len, false, line, sizeof(line), err, err_size) < 0)
		return -EINVAL;
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';

	if (strcmp(line, "status") == 0) {
		req.verb = VR_CTL_STATUS;
		if (arg && strcmp(arg, "json") == 0)
			req.json = true;
		else if (arg)
			goto extra;
	} else if (strcmp(line, "compact") == 0 || strcmp(line, "dropcache") == 0 ||
		   strcmp(line, "reload") == 0) {
		req.verb = line[0] == 'c' ? VR_CTL_COMPACT : line[0] == 'd' ? VR_CTL_DROPCACHE
									    : VR_CTL_RELOAD;
		if (arg)
			goto extra;
	} else if (strcmp(line, "reclaim") == 0) {
		req.verb = VR_CTL_RECLAIM;
		if (!arg || !*arg) {
			snprintf(err, err_size, "reclaim needs a size (e.g. 512MB) or 'all'");
			return -EINVAL;
		}
		if (strcmp(arg, "all") == 0)
			req.all = true;
		else if (vr_parse_size(arg, &req.bytes) < 0 || req.bytes == 0) {
			snprintf(err, err_size, "reclaim: '%s' is not a size (e.g. 512MB, 1GB) or 'all'",
				 arg);
			return -EINVAL;
		} else if (req.bytes == UINT64_MAX) {
			/* The daemon's own "all of it"; a request says so in
			 * words, never by a number that happens to match. */
			snprintf(err, err_size, "reclaim: '%s' is past the largest size; say 'all'", arg);
			return -EINVAL;
		}
	} else {
		snprintf(err, err_size,
			 "unknown request '%s' (status, compact, dropcache, reclaim, reload)", line);
		return -EINVAL;
	}
	*ret = req;
	return 0;
extra:
	snprintf(err, err_size, "'%s' takes no argument '%s'", line, arg);
	return -EINVAL;
}

int vr_ctl_format(const struct vr_ctl_request *req, char *buf, size_t size)
{
	int n;

	switch (req->verb) {
	case VR_CTL_STATUS:
		n = snprintf(buf, size, "status%s\n", req->json ? " json" : "");
		break;
	case VR_CTL_COMPACT:
		n = snprintf(buf, size, "compact\n");
		break;
	case VR_CTL_DROPCACHE:
		n = snprintf(buf, size, "dropcache\n");
		break;
	case VR_CTL_RELOAD:
		n = snprintf(buf, size, "reload\n");
		break;
	case VR_CTL_RECLAIM:
	default:
		if (req->all)
			n = snprintf(buf, size, "reclaim all\n");
		else
			n = snprintf(buf, size, "reclaim %llu\n", (unsigned long long)req->bytes);
		break;
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return vr_strlcpy(sa->sun_path, path, sizeof(sa->sun_path)) ? 0 : -ENAMETOOLONG;
}

int vr_ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	mode_t old_mask;
	int fd, r;

	r = make_addr(path, &sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* 0666 from the start: every user may connect and ask for the
	 * status; what each may ask is checked per request by SO_PEERCRED
	 * (vr_ctl_verb_allowed()), not by the file mode. */
	old_mask = umask(0111);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno == EADDRINUSE) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		struct stat st;

		/* Only a socket is ours to replace: a path that names any
		 * other file (a mistaken controlSocket) is left alone. */
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			if (probe >= 0)
				close(probe);
			umask(old_mask);
			close(fd);
			return -EEXIST;
		}
		/* Is somebody answering there?  If not, it was left behind
		 * by a daemon that died.  Non-blocking: a live daemon with a
		 * full backlog answers EAGAIN, which also means "alive". */
		if (probe >= 0 && (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
				   errno == EAGAIN || errno == EINPROGRESS)) {
			close(probe);
			umask(old_mask);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	umask(old_mask);
	/* Room for a burst beyond the clients served at once: those wait in
	 * the backlog for their slot or their "busy", not in connect(). */
	if (r < 0 || listen(fd, 2 * VR_CTL_CLIENTS_MAX) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

bool vr_ctl_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

bool vr_ctl_verb_allowed(enum vr_ctl_verb verb, bool privileged)
{
	return privileged || verb == VR_CTL_STATUS;
}

void vr_ctl_reply_error(int fd, const char *msg)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "error: %s\n", msg);

	if (n > 0)
		(void)!send(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
}

void vr_ctl_server_init(struct vr_ctl_server *s, int listen_fd, uint64_t timeout_usec)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->listen_fd = listen_fd;
	s->timeout_usec = timeout_usec;
	for (i = 0; i < VR_CTL_CLIENTS_MAX; i++)
		s->client[i].fd = -1;
}

static void client_drop(struct vr_ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void vr_ctl_server_close_clients(struct vr_ctl_server *s)
{
	size_t i;

	for (i = 0; i < VR_CTL_CLIENTS_MAX; i++)
		client_drop(&s->client[i]);
}

size_t vr_ctl_server_pollfds(const struct vr_ctl_server *s, struct pollfd *p)
{
	size_t i, n = 0;

	p[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (i = 0; i < VR_CTL_CLIENTS_MAX; i++)
		if (s->client[i].fd >= 0)
			p[n++] = (struct pollfd){ .fd = s->client[i].fd, .events = POLLIN };
	return n;
}

int vr_ctl_server_timeout_ms(const struct vr_ctl_server *s, uint64_t now_usec)
{
	uint64_t nearest = UINT64_MAX;
	size_t i;

	for (i = 0; i < VR_CTL_CLIENTS_MAX; i++)
		if (s->client[i].fd >= 0 && s->client[i].deadline_usec < nearest)
			nearest = s->client[i].deadline_usec;
	if (nearest == UINT64_MAX)
		return -1;
	if (nearest <= now_usec)
		return 0;
	/* Rounded up, so that the wake-up finds the deadline passed. */
	return (int)((nearest - now_usec + 999) / 1000);
}

/* Take every waiting connection: each gets a slot, or "busy" at once. */
static void server_accept(struct vr_ctl_server *s, uint64_t now_usec)
{
	for (;;) {
		struct vr_ctl_client *slot = NULL;
		size_t i, unpriv = 0;
		bool privileged;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return; /* EAGAIN: none left; anything else: next wake-up */
		privileged = vr_ctl_peer_allowed(fd);
		for (i = 0; i < VR_CTL_CLIENTS_MAX; i++) {
			if (s->client[i].fd < 0) {
				if (!slot)
					slot = &s->client[i];
				continue;
			}
			unpriv += !s->client[i].privileged;
		}
		if (!slot || (!privileged && unpriv >= VR_CTL_UNPRIV_MAX)) {
			vr_ctl_reply_error(fd, "busy: too many clients at once; try again");
			close(fd);
			continue;
		}
		*slot = (struct vr_ctl_client){ .fd = fd, .privileged = privileged,
						.deadline_usec = now_usec + s->timeout_usec };
	}
}

/* Answer @c's request once it is whole (a newline, a full buffer, or the
 * end of the stream); returns true when @c is done with. */
static bool client_read(struct vr_ctl_client *c, vr_ctl_handler *h, void *ctx)
{
	struct vr_ctl_request req;
	char err[256];
	const char *nl;
	size_t len;
	bool eof = false;

	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			eof = true;
			break;
		}
		c->len += (size_t)n;
		if (c->len == sizeof(c->buf) || memchr(c->buf, '\n', c->len))
			break;
	}
	nl = memchr(c->buf, '\n', c->len);
	if (!nl && !eof && c->len < sizeof(c->buf))
		return false; /* more to come, before the deadline */
	len = nl ? (size_t)(nl - c->buf) + 1 : c->len;
	if (memchr(c->buf, '\0', len))
		vr_ctl_reply_error(c->fd, "request holds a NUL byte");
	else if (vr_ctl_parse(c->buf, len, &req, err, sizeof(err)) < 0)
		vr_ctl_reply_error(c->fd, err);
	else if (!vr_ctl_verb_allowed(req.verb, c->privileged))
		vr_ctl_reply_error(c->fd, "permission denied: only root may ask vmreclaimd to act "
					  "or reload (status is open to every user)");
	else
		h(ctx, c->fd, &req);
	return true;
}

void vr_ctl_server_events(struct vr_ctl_server *s, const struct pollfd *p, size_t n,
			  uint64_t now_usec, vr_ctl_handler *h, void *ctx)
{
	size_t i, j;

	/* Clients first: a request that waited its turn is answered before
	 * new connections are taken. */
	for (i = 1; i < n; i++) {
		if (!p[i].revents)
			continue;
		for (j = 0; j < VR_CTL_CLIENTS_MAX; j++)
			if (s->client[j].fd == p[i].fd)
				break;
		if (j == VR_CTL_CLIENTS_MAX)
			continue;
		if ((p[i].revents & POLLNVAL) || client_read(&s->client[j], h, ctx))
			client_drop(&s->client[j]);
	}
	if (n > 0 && (p[0].revents & POLLIN))
		server_accept(s, now_usec);
	/* Past the deadline: the request never came whole. */
	for (j = 0; j < VR_CTL_CLIENTS_MAX; j++) {
		struct vr_ctl_client *c = &s->client[j];

		if (c->fd < 0 || now_usec < c->deadline_usec)
			continue;
		/* What came while a long request was being served counts. */
		if (!client_read(c, h, ctx))
			vr_ctl_reply_error(c->fd, "no whole request line in time");
		client_drop(c);
	}
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int vr_ctl_call(const char *path, const struct vr_ctl_request *req, char *buf, size_t size,
		int timeout_ms)
{
	char line[VR_CTL_REQUEST_MAX];
	size_t len = 0;
	int fd, n, r;

	if (size == 0)
		return -EINVAL;
	n = vr_ctl_format(req, line, sizeof(line));
	if (n < 0)
		return n;
	fd = vr_unix_connect(path);
	if (fd < 0)
		return fd;
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		r = -EIO;
		goto out;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t got;

		r = wait_fd(fd, POLLIN, timeout_ms);
		if (r < 0)
			goto out;
		got = recv(fd, buf + len, size - 1 - len, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len == size - 1)
			break; /* cut: the caller's buffer is full */
	}
	buf[len] = '\0';
	r = 0;
out:
	close(fd);
	return r;
}
