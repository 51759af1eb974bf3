/* SPDX-License-Identifier: MIT */
#include "guest/psi_trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int vr_psi_trigger_open(const struct vr_sys *s, uint64_t stall_usec, uint64_t window_usec)
{
	char path[PATH_MAX], spec[64];
	ssize_t n;
	int fd, r;

	r = vr_sys_path(s, "/proc/pressure/memory", path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The trigger lives as long as this fd; the kernel wants the string
	 * with its terminating NUL. */
	snprintf(spec, sizeof(spec), "some %llu %llu", (unsigned long long)stall_usec,
		 (unsigned long long)window_usec);
	n = write(fd, spec, strlen(spec) + 1);
	if (n < 0 || (size_t)n != strlen(spec) + 1) {
		r = n < 0 ? -errno : -EIO;
		close(fd);
		return r;
	}
	return fd;
}
