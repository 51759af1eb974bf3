/* SPDX-License-Identifier: MIT */
#include "host/guestchan.h"
#include "common/channel.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The answer we wait for, or one that ends the wait. */
static bool wanted(const char *line, const char *expect_key)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "ok %s=", expect_key);
	return strncmp(line, prefix, strlen(prefix)) == 0 || strncmp(line, "refused", 7) == 0 ||
	       strncmp(line, "error:", 6) == 0;
}

/* Connect to @path before @deadline_usec.  A unix connect() blocks while
 * the listener's backlog is full, and QEMU takes one client at a time with
 * a backlog of one: a third caller, or any caller of a QEMU that hangs,
 * would wait for ever.  So the socket is non-blocking here and the
 * connect is retried.  Returns the (blocking) socket, or -errno:
 * -ETIMEDOUT when the deadline passed. */
static int connect_by(const char *path, uint64_t deadline_usec)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (!vr_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (r != -EAGAIN && r != -EINTR)
			goto close_fd;
		if (vr_now_usec() >= deadline_usec) {
			r = -ETIMEDOUT;
			goto close_fd;
		}
		usleep(10000);
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		r = -errno;
		goto close_fd;
	}
	return fd;
close_fd:
	close(fd);
	return r;
}

const char *vr_gchan_strerror(int r)
{
	switch (r) {
	case -ETIMEDOUT:
		return "timed out (is vmreclaimd running in the guest?)";
	case -EBUSY:
		return "the connection was closed (another program holds the channel, or QEMU is ending)";
	case -EPROTO:
		return "a line too long for an answer (not vmreclaimd on the other end?)";
	case -ECONNREFUSED:
		return "nothing listens on it (QEMU is gone?)";
	case -ENOENT:
		return "its socket is missing (QEMU is gone?)";
	default:
		return strerror(-r);
	}
}

/* Take the whole lines of @line (@*len bytes, NUL-terminated): the
 * answer wanted goes to @reply.  Returns 1 when it came, 0 for more to
 * read, -EPROTO when @line is full without a newline. */
static int take_lines(char *line, size_t *len, const char *expect_key, char *reply, size_t size)
{
	char *nl;

	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (wanted(line, expect_key)) {
			vr_strlcpy(reply, line, size);
			return 1;
		}
		*len -= (size_t)(nl + 1 - line);
		memmove(line, nl + 1, *len + 1);
	}
	/* A NUL byte in a line hides its rest from strchr(): the guest
	 * is not to be believed, and the line fills up. */
	return *len >= VR_GCHAN_LINE_MAX - 1 ? -EPROTO : 0;
}

int vr_gchan_call(const char *sock_path, const char *request, const char *expect_key, char *reply,
		  size_t size, int timeout_ms)
{
	char line[VR_GCHAN_LINE_MAX], out[VR_CHAN_REQUEST_MAX + 1];
	uint64_t deadline = vr_now_usec() + (uint64_t)timeout_ms * 1000;
	size_t len = 0;
	int fd, n, r;

	if (size == 0)
		return -EINVAL;
	n = snprintf(out, sizeof(out), "%s\n", request);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -EINVAL;
	fd = connect_by(sock_path, deadline);
	if (fd < 0)
		return fd;
	/* No shutdown(SHUT_WR): QEMU would take it for the host leaving and
	 * the guest would see the port close before it answered.  The
	 * request is far smaller than a socket buffer: send() does not
	 * block. */
	if (send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		r = errno == EPIPE || errno == ECONNRESET ? -EBUSY : -EIO;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = vr_now_usec();
		ssize_t got;

		if (now >= deadline) {
			r = -ETIMEDOUT;
			goto out;
		}
		r = poll(&p, 1, (int)((deadline - now) / 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			goto out;
		}
		if (r == 0)
			continue;
		got = recv(fd, line + len, sizeof(line) - 1 - len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno != ECONNRESET) {
			r = -errno;
			goto out;
		}
		if (got <= 0) {
			/* QEMU serves one client at a time and drops others. */
			r = -EBUSY;
			goto out;
		}
		len += (size_t)got;
		line[len] = '\0';
		r = take_lines(line, &len, expect_key, reply, size);
		if (r != 0) {
			r = r > 0 ? 0 : r;
			goto out;
		}
	}
out:
	close(fd);
	return r;
}

/* Reads of one poll: 64 lines' worth, far more than an answer and the
 * stale lines an earlier caller may have left. */
#define VR_GCHAN_ASYNC_READS_MAX 64

void vr_gchan_async_init(struct vr_gchan_async *a)
{
	a->fd = -1;
	a->len = 0;
	a->deadline_usec = 0;
}

void vr_gchan_async_close(struct vr_gchan_async *a)
{
	if (a->fd >= 0)
		close(a->fd);
	vr_gchan_async_init(a);
}

int vr_gchan_async_start(struct vr_gchan_async *a, const char *sock_path, const char *request,
			 uint64_t timeout_usec)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char out[VR_CHAN_REQUEST_MAX + 1];
	int fd, n, r;

	if (a->fd >= 0)
		return -EALREADY;
	n = snprintf(out, sizeof(out), "%s\n", request);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -EINVAL;
	if (!vr_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path)))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect() is done at once or fails with EAGAIN (the
	 * backlog is full): it never waits for the peer's accept(). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto close_fd;
	}
	/* An empty socket buffer takes a request of at most 64 bytes whole;
	 * no shutdown(SHUT_WR), as in vr_gchan_call(). */
	if (send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		r = errno == EPIPE || errno == ECONNRESET ? -EBUSY : -EIO;
		goto close_fd;
	}
	a->fd = fd;
	a->len = 0;
	a->line[0] = '\0';
	a->deadline_usec = vr_now_usec() + timeout_usec;
	return 0;
close_fd:
	close(fd);
	return r;
}

int vr_gchan_async_poll(struct vr_gchan_async *a, const char *expect_key, char *reply,
			size_t size)
{
	unsigned reads;
	int r;

	if (a->fd < 0 || size == 0)
		return -EINVAL;
	for (reads = 0;; reads++) {
		ssize_t got;

		if (vr_now_usec() >= a->deadline_usec) {
			r = -ETIMEDOUT;
			break;
		}
		/* A guest that writes lines without end is read in part at
		 * each poll, so that it cannot hold the caller up. */
		if (reads == VR_GCHAN_ASYNC_READS_MAX)
			return 0;
		got = recv(a->fd, a->line + a->len, sizeof(a->line) - 1 - a->len, MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return 0;
		if (got < 0 && errno != ECONNRESET) {
			r = -errno;
			break;
		}
		if (got <= 0) {
			r = -EBUSY;
			break;
		}
		a->len += (size_t)got;
		a->line[a->len] = '\0';
		r = take_lines(a->line, &a->len, expect_key, reply, size);
		if (r != 0)
			break;
	}
	vr_gchan_async_close(a);
	return r;
}
