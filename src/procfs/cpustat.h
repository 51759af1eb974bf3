/* SPDX-License-Identifier: MIT */
/* The aggregate "cpu" line of /proc/stat, for idle tracking. */
#ifndef VR_CPUSTAT_H
#define VR_CPUSTAT_H

#include <stdint.h>

#include "procfs/root.h"

struct vr_cpustat {
	/* user+nice+system+irq+softirq+steal, in USER_HZ ticks.  guest and
	 * guest_nice are already inside user and nice. */
	uint64_t busy;
	/* busy + idle + iowait */
	uint64_t total;
};

/* Parse the first line of /proc/stat ("cpu  user nice system idle ...").
 * At least the four oldest fields must be there.  Returns 0 or -EINVAL /
 * -ERANGE. */
int vr_cpustat_parse(const char *buf, struct vr_cpustat *ret);

int vr_cpustat_read(const struct vr_procfs *fs, struct vr_cpustat *ret);

#endif
