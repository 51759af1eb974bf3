/* SPDX-License-Identifier: MIT */
/* The host's end of the guest channel (common/channel.h): the unix socket
 * QEMU serves for the virtio-serial port, guest.sock in the VM's runtime
 * directory. */
#ifndef VR_GUESTCHAN_H
#define VR_GUESTCHAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/channel.h"

/* The longest line read from the guest, newline included. */
#define VR_GCHAN_LINE_MAX VR_CHAN_REPLY_MAX

/* Send @request (one line, no newline) to the guest behind @sock_path and
 * read its answer into @reply (NUL-terminated, newline stripped): the
 * first line that begins with @expect_key ("ok KEY=" lines), "refused" or
 * "error:" (older lines left over from an earlier caller are skipped).
 * Returns 0, or -errno: -ETIMEDOUT after @timeout_ms, connecting included
 * (the guest samples the channel every sampleInterval, 5 s by default),
 * -EBUSY when the other end closed the connection (another program holds
 * the channel, or QEMU ends), -EPROTO for an overlong line. */
int vr_gchan_call(const char *sock_path, const char *request, const char *expect_key, char *reply,
		  size_t size, int timeout_ms);

/* A call that never waits, for a command that samples several VMs on a
 * beat (top): the request goes out at one sample, the answer is read at a
 * later one, and the connection is closed once it came, so that the
 * channel (QEMU serves one client at a time) is free for give and watch
 * in between. */
struct vr_gchan_async {
	int fd; /* -1: no call under way */
	uint64_t deadline_usec;
	char line[VR_GCHAN_LINE_MAX];
	size_t len;
};

void vr_gchan_async_init(struct vr_gchan_async *a);

/* Connect to @sock_path and send @request (one line, no newline), without
 * waiting; the answer is due within @timeout_usec.  Returns 0, -EALREADY
 * when a call is under way, or -errno: -EAGAIN when the socket's backlog
 * is full (try later). */
int vr_gchan_async_start(struct vr_gchan_async *a, const char *sock_path, const char *request,
			 uint64_t timeout_usec);

/* Read what has come, without waiting.  Returns 1 with the answer in
 * @reply as vr_gchan_call() gives it, 0 while it has not come, or -errno
 * as vr_gchan_call() (-ETIMEDOUT past the deadline); the call is over
 * (the connection closed) unless 0 is returned. */
int vr_gchan_async_poll(struct vr_gchan_async *a, const char *expect_key, char *reply,
			size_t size);

/* End a call under way, if any. */
void vr_gchan_async_close(struct vr_gchan_async *a);

/* What an error of vr_gchan_call() means, for a message after "no answer
 * on the guest channel: ". */
const char *vr_gchan_strerror(int r);

#endif
