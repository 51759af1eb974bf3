/* SPDX-License-Identifier: MIT */
/* /proc/vmstat: the few counters the service steers by. */
#ifndef VR_VMSTAT_H
#define VR_VMSTAT_H

#include <stdbool.h>
#include <stdint.h>

#include "procfs/root.h"

struct vr_vmstat {
	/* Page cache pages read back in soon after they were reclaimed
	 * (workingset_refault_file; workingset_refault before Linux 5.9),
	 * in pages.  A reclaim that made these rise took the working set. */
	bool have_refault;
	uint64_t refault_file_pages;
};

/* Parse the text of /proc/vmstat ("name value" lines).  Names are matched
 * whole.  Returns 0 and fills *ret, or -EINVAL for a malformed line of a
 * counter we use, -ERANGE for one that overflows (then *ret is
 * untouched).  A missing counter is not an error: have_refault says. */
int vr_vmstat_parse(const char *buf, struct vr_vmstat *ret);

int vr_vmstat_read(const struct vr_procfs *fs, struct vr_vmstat *ret);

#endif
