/* SPDX-License-Identifier: MIT */
/* A PSI trigger on /proc/pressure/memory: the one thing the service
 * writes under /proc/pressure, so it is here beside the write seam and not
 * in the read-only src/procfs/psi.c. */
#ifndef VR_PSI_TRIGGER_H
#define VR_PSI_TRIGGER_H

#include <stdint.h>

#include "guest/sys.h"

/* Open a trigger on /proc/pressure/memory: @stall_usec of "some" stall
 * within @window_usec.  The fd signals POLLPRI when it fires.  Returns the
 * fd, or -errno (-ENOENT without CONFIG_PSI, -EOPNOTSUPP with psi=0). */
int vr_psi_trigger_open(const struct vr_sys *s, uint64_t stall_usec, uint64_t window_usec);

#endif
