/* SPDX-License-Identifier: MIT */
#include "guest/cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void vr_cgroup_probe(const struct vr_sys *s, struct vr_cgroup *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->v2 = vr_sys_exists(s, "/sys/fs/cgroup/cgroup.controllers");
	ret->has_reclaim = ret->v2 && vr_sys_exists(s, VR_MEMORY_RECLAIM_PATH);
	/* A dry run cannot ask the kernel: take the safe answer. */
	if (ret->has_reclaim && !s->ops->dry_run)
		ret->swappiness = vr_sys_write(s, VR_MEMORY_RECLAIM_PATH, "0 swappiness=0") == 0;
}

int vr_cgroup_reclaim(const struct vr_sys *s, uint64_t bytes, bool no_swap)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)bytes,
		 no_swap ? " swappiness=0" : "");
	return vr_sys_write(s, VR_MEMORY_RECLAIM_PATH, buf);
}
