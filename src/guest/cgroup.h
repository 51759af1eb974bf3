/* SPDX-License-Identifier: MIT */
/* Proactive reclaim through the root cgroup's memory.reclaim (cgroup v2,
 * Linux 5.19+; the swappiness= argument since 6.11). */
#ifndef VR_CGROUP_H
#define VR_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/sys.h"

#define VR_MEMORY_RECLAIM_PATH "/sys/fs/cgroup/memory.reclaim"

struct vr_cgroup {
	bool v2;          /* cgroup2 mounted at /sys/fs/cgroup */
	bool has_reclaim; /* memory.reclaim there */
	bool swappiness;  /* the kernel takes " swappiness=0" */
};

/* Find out what the kernel offers.  The swappiness probe asks for 0 bytes,
 * which reclaims nothing where the option exists and fails with EINVAL
 * where it does not (page_counter_memparse() rejects the trailing
 * text). */
void vr_cgroup_probe(const struct vr_sys *s, struct vr_cgroup *ret);

/* Ask the kernel to reclaim @bytes from the whole VM, with swappiness=0
 * when @no_swap.  Returns 0, -EAGAIN when it reclaimed less than asked
 * (not an error), or -errno. */
int vr_cgroup_reclaim(const struct vr_sys *s, uint64_t bytes, bool no_swap);

#endif
