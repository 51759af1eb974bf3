/* SPDX-License-Identifier: MIT */
#include "host/guestchan.h"
#include "common/channel.h"
#include "common/util.h"

#include <errno.h>
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

int vr_gchan_call(const char *sock_path, const char *request, const char *expect_key, char *reply,
		  size_t size, int timeout_ms)
{
	char line[VR_CHAN_REPLY_MAX], out[VR_CHAN_REQUEST_MAX + 1];
	uint64_t deadline = vr_now_usec() + (uint64_t)timeout_ms * 1000;
	size_t len = 0;
	int fd, n, r;

	if (size == 0)
		return -EINVAL;
	n = snprintf(out, sizeof(out), "%s\n", request);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -EINVAL;
	fd = vr_unix_connect(sock_path);
	if (fd < 0)
		return fd;
	/* No shutdown(SHUT_WR): QEMU would take it for the host leaving and
	 * the guest would see the port close before it answered. */
	if (send(fd, out, (size_t)n, MSG_NOSIGNAL) != n) {
		r = -EIO;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = vr_now_usec();
		char *nl;
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
		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (got == 0) {
			/* QEMU serves one client at a time and drops others. */
			r = -EBUSY;
			goto out;
		}
		len += (size_t)got;
		line[len] = '\0';
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (nl > line && nl[-1] == '\r')
				nl[-1] = '\0';
			if (wanted(line, expect_key)) {
				vr_strlcpy(reply, line, size);
				r = 0;
				goto out;
			}
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len + 1);
		}
		if (len >= sizeof(line) - 1) {
			r = -EPROTO;
			goto out;
		}
	}
out:
	close(fd);
	return r;
}
