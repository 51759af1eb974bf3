/* SPDX-License-Identifier: MIT */
/* The guest channel: the virtio-serial port org.vmreclaim.0 between the
 * host tool and vmreclaimd.  The host asks, the guest answers, one line
 * each; nothing else crosses it.
 *
 *   host:  "status"                 what the guest holds
 *          "give BYTES"             give back up to BYTES now (host pressure)
 *   guest: "ok KEY=VALUE ..."       figures in bytes (see below)
 *          "refused REASON"         the guest keeps its memory (its own
 *                                   pressure comes first, or too soon)
 *          "error: MESSAGE"         a malformed request
 *
 * status keys: total, available, cache, reportable, stranded, order,
 *              version (vmreclaimd's), mode (its mode setting).
 * give keys:   released (page cache), reportable_gained, stranded (after),
 *              order (page_reporting_order after), compacted (0 or 1). */
#ifndef VR_CHANNEL_H
#define VR_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request and reply lines, newline included. */
#define VR_CHAN_REQUEST_MAX 64
#define VR_CHAN_REPLY_MAX 512

/* The guest's side of the port; the host's is guest.sock in the VM's
 * runtime directory. */
#define VR_CHAN_PORT_NAME "org.vmreclaim.0"
#define VR_CHAN_GUEST_PATH "/dev/virtio-ports/" VR_CHAN_PORT_NAME

/* A give asks for at least this much and at most this much: bounds on
 * what the other side can make the guest do. */
#define VR_CHAN_GIVE_MIN_BYTES (1024 * 1024ULL)
#define VR_CHAN_GIVE_MAX_BYTES (1ULL << 50)

enum vr_chan_verb {
	VR_CHAN_STATUS,
	VR_CHAN_GIVE,
};

struct vr_chan_request {
	enum vr_chan_verb verb;
	uint64_t bytes; /* give */
};

/* Parse one request of @len bytes (trailing newline optional).  Printable
 * ASCII only.  Returns 0, or -EINVAL with a reason in @err. */
int vr_chan_parse(const char *buf, size_t len, struct vr_chan_request *ret, char *err,
		  size_t err_size);

/* The value of KEY=VALUE in an "ok ..." reply, as a whole number.
 * Returns 0, -ENOENT when the key is not there, -EINVAL when the reply is
 * not "ok" or the value is not a number. */
int vr_chan_reply_u64(const char *reply, const char *key, uint64_t *ret);

/* The value of KEY=VALUE in an "ok ..." reply, as a word of at most
 * @size - 1 bytes of [A-Za-z0-9._-] (the other side wrote it).  Returns 0,
 * -ENOENT when the key is not there, -EINVAL when the reply is not "ok"
 * or the value is empty, too long or holds other bytes. */
int vr_chan_reply_word(const char *reply, const char *key, char *buf, size_t size);

/* The guest's replies on the port: whole lines or nothing.  A port may
 * take part of a line when its buffer is nearly full (a pty does; the
 * virtio-serial port takes a write whole or not at all); the rest is kept
 * and goes out first once the port is writable, and replies meanwhile are
 * dropped.  So a host that does not read loses answers rather than stall
 * the service, and never reads half of one joined to the next. */
struct vr_chan_out {
	char buf[VR_CHAN_REPLY_MAX];
	size_t len; /* the rest of a reply still to send */
};

/* Send @reply (one line, cut to VR_CHAN_REPLY_MAX bytes) on @fd, which is
 * non-blocking.  Returns 0 when it went out or its rest is kept in @o,
 * -EAGAIN when it was dropped (the port is full), or -errno when the port
 * fails (what was kept is dropped). */
int vr_chan_out_send(struct vr_chan_out *o, int fd, const char *reply);

/* Send what @o kept.  Returns 0 (and @o->len says whether some is left),
 * or -errno when the port fails (what was kept is dropped). */
int vr_chan_out_flush(struct vr_chan_out *o, int fd);

#endif
