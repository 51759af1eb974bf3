/* SPDX-License-Identifier: MIT */
/* Pressure stall information: /proc/pressure/memory and its triggers. */
#ifndef VR_PSI_H
#define VR_PSI_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/sys.h"

struct vr_psi_line {
	uint32_t avg10_x100, avg60_x100, avg300_x100; /* percent * 100 */
	uint64_t total_usec;
};

struct vr_psi {
	struct vr_psi_line some;
	struct vr_psi_line full;
	bool has_full; /* "full" appeared in 5.13 for cpu; memory always has it */
};

/* Parse the text of a /proc/pressure file.  "some" is required.  Returns
 * 0 or -EINVAL / -ERANGE. */
int vr_psi_parse(const char *buf, struct vr_psi *ret);

int vr_psi_read(const struct vr_sys *s, struct vr_psi *ret);

/* Open a trigger on /proc/pressure/memory: @stall_usec of "some" stall
 * within @window_usec.  The fd signals POLLPRI when it fires.  Returns the
 * fd, or -errno (-ENOENT without CONFIG_PSI, -EOPNOTSUPP with psi=0). */
int vr_psi_trigger_open(const struct vr_sys *s, uint64_t stall_usec, uint64_t window_usec);

#endif
