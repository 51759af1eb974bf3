/* SPDX-License-Identifier: MIT */
/* The control protocol between vmreclaimctl and vmreclaimd, over a unix
 * stream socket: one request line per connection, then the reply.
 *
 *   request: "status" | "status json" | "compact" | "dropcache"
 *          | "reclaim SIZE" | "reclaim all" | "reload"      ("\n"-ended)
 *   reply:   "ok\n" BODY   or   "error: MESSAGE\n"
 *
 * Every local user may ask for the status (it is what /proc shows anyway);
 * the requests that act or reload are root's (or the daemon's own user's).
 */
#ifndef VR_CONTROL_H
#define VR_CONTROL_H

#include <poll.h>
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

/* Listen on @path (mode 0666: see vr_ctl_verb_allowed()).  A stale socket left by a dead daemon is
 * replaced; a live one is -EADDRINUSE; a file that is not a socket is
 * -EEXIST (never removed).  Returns the fd or -errno. */
int vr_ctl_listen(const char *path);

/* True when the peer of @fd may control the daemon: root, or the user the
 * daemon runs as. */
bool vr_ctl_peer_allowed(int fd);

/* True when a peer (@privileged: vr_ctl_peer_allowed()) may make a request
 * of @verb: status is every user's, the rest root's. */
bool vr_ctl_verb_allowed(enum vr_ctl_verb verb, bool privileged);

/* The daemon's side: the listening socket and the clients connected to it,
 * each with its own partial request and deadline, so that no client (a
 * silent one, a slow one, many at once) holds the event loop.  At most
 * VR_CTL_CLIENTS_MAX at a time, of which VR_CTL_UNPRIV_MAX may be other
 * users': the rest stay free for root whatever other users do.  A client
 * beyond that is told "busy" and closed at once. */
#define VR_CTL_CLIENTS_MAX 16
#define VR_CTL_UNPRIV_MAX 8

struct vr_ctl_client {
	int fd; /* -1: a free slot */
	bool privileged;
	uint64_t deadline_usec;
	size_t len;
	char buf[VR_CTL_REQUEST_MAX + 1];
};

struct vr_ctl_server {
	int listen_fd;
	uint64_t timeout_usec; /* from accept to the whole request */
	struct vr_ctl_client client[VR_CTL_CLIENTS_MAX];
};

/* Answer one whole request: write the reply to @fd (non-blocking; the
 * server closes @fd afterwards). */
typedef void vr_ctl_handler(void *ctx, int fd, const struct vr_ctl_request *req);

void vr_ctl_server_init(struct vr_ctl_server *s, int listen_fd, uint64_t timeout_usec);
/* Close every client (not the listening socket). */
void vr_ctl_server_close_clients(struct vr_ctl_server *s);
/* Fill @p (room for 1 + VR_CTL_CLIENTS_MAX) with the listening socket and
 * the clients; returns how many. */
size_t vr_ctl_server_pollfds(const struct vr_ctl_server *s, struct pollfd *p);
/* Milliseconds until the nearest client deadline after @now_usec, or -1
 * when there is no client: poll()'s timeout. */
int vr_ctl_server_timeout_ms(const struct vr_ctl_server *s, uint64_t now_usec);
/* After poll(): accept, read what each ready client sent, answer each
 * whole request through @h, and drop clients past their deadline.  @p and
 * @n as filled by vr_ctl_server_pollfds() before the poll. */
void vr_ctl_server_events(struct vr_ctl_server *s, const struct pollfd *p, size_t n,
			  uint64_t now_usec, vr_ctl_handler *h, void *ctx);

/* Write "error: @msg\n" to @fd without blocking. */
void vr_ctl_reply_error(int fd, const char *msg);

/* Client side: send @req to the daemon at @path and read the reply into
 * @buf (NUL-terminated).  Returns 0, or -errno (-ETIMEDOUT after
 * @timeout_ms). */
int vr_ctl_call(const char *path, const struct vr_ctl_request *req, char *buf, size_t size,
		int timeout_ms);

#endif
