/* SPDX-License-Identifier: MIT */
/* Pressure stall information: /proc/pressure/memory and its triggers. */
#ifndef VR_PSI_H
#define VR_PSI_H

#include <stdbool.h>
#include <stdint.h>

#include "procfs/root.h"

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

int vr_psi_read(const struct vr_procfs *fs, struct vr_psi *ret);

#endif
