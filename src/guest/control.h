/* SPDX-License-Identifier: MIT */
/* The control protocol between vmreclaimctl and vmreclaimd, over a unix
 * stream socket: one request line per connection, then the reply.
 *
 *   request: "status" | "status json" | "compact" | "dropcache"
 *          | "reclaim SIZE" | "reclaim all" | "reload"      ("\n"-ended)
 *   reply:   "ok\n" BODY   or   "error: MESSAGE\n"
 */
#ifndef VR_CONTROL_H
#define VR_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request line, newline included. */
#define VR_CTL_REQUEST_MAX 128
/* Longest reply the client reads. */
#define VR_CTL_REPLY_MAX (64 * 1024)

enum vr_ctl_verb {
	VR_CTL_STATUS,
	VR_CTL_COMPACT,
	VR_CTL_DROPCACHE,
	VR_CTL_RECLAIM,
	VR_CTL_RELOAD,
};

struct vr_ctl_request {
	enum vr_ctl_verb verb;
	bool json;      /* status */
	bool all;       /* reclaim all */
	uint64_t bytes; /* reclaim SIZE */
};

/* Parse one request of @len bytes (the trailing newline is optional; no
 * NUL may appear inside).  Returns 0, or -EINVAL with a reason in @err. */
int vr_ctl_parse(const char *buf, size_t len, struct vr_ctl_request *ret, char *err,
		 size_t err_size);

/* Format @req as a request line.  Returns the length, or -ENOSPC. */
int vr_ctl_format(const struct vr_ctl_request *req, char *buf, size_t size);

/* Listen on @path (mode 0600).  A stale socket left by a dead daemon is
 * replaced; a live one is -EADDRINUSE; a file that is not a socket is
 * -EEXIST (never removed).  Returns the fd or -errno. */
int vr_ctl_listen(const char *path);

/* True when the peer of @fd may control the daemon: root, or the user the
 * daemon runs as. */
bool vr_ctl_peer_allowed(int fd);

/* Client side: send @req to the daemon at @path and read the reply into
 * @buf (NUL-terminated).  Returns 0, or -errno (-ETIMEDOUT after
 * @timeout_ms). */
int vr_ctl_call(const char *path, const struct vr_ctl_request *req, char *buf, size_t size,
		int timeout_ms);

#endif
