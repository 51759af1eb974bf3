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
	/* 0600 from the start: no window in which others can connect. */
	old_mask = umask(0177);
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
	if (r < 0 || listen(fd, 8) < 0) {
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
