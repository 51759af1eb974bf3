/* SPDX-License-Identifier: MIT */
/* The host's end of the guest channel (common/channel.h): the unix socket
 * QEMU serves for the virtio-serial port, guest.sock in the VM's runtime
 * directory. */
#ifndef VR_GUESTCHAN_H
#define VR_GUESTCHAN_H

#include <stddef.h>

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

/* What an error of vr_gchan_call() means, for a message after "no answer
 * on the guest channel: ". */
const char *vr_gchan_strerror(int r);

#endif
