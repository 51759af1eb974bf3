/* SPDX-License-Identifier: MIT */
/* /proc/buddyinfo: free blocks per order, per node and zone.  From it come
 * the service's two main gauges: reportable free memory (blocks of at
 * least the page reporting order, which free page reporting hands back to
 * the host) and stranded free memory (smaller blocks, which it never
 * can). */
#ifndef VR_BUDDYINFO_H
#define VR_BUDDYINFO_H

#include <stdint.h>

#include "procfs/root.h"

/* x86_64 has orders 0..10; some configurations go higher. */
#define VR_BUDDY_ORDERS_MAX 16
#define VR_BUDDY_ZONES_MAX 64

struct vr_buddy_zone {
	unsigned node;
	char name[16];
	unsigned orders; /* columns on the line */
	uint64_t blocks[VR_BUDDY_ORDERS_MAX];
};

struct vr_buddyinfo {
	unsigned zones;
	struct vr_buddy_zone zone[VR_BUDDY_ZONES_MAX];
};

struct vr_free_split {
	uint64_t reportable_bytes;
	uint64_t stranded_bytes;
};

/* Parse "Node 0, zone   Normal  c0 c1 ... cN" lines.  Returns 0, or
 * -EINVAL for a malformed line or node number, -E2BIG for more zones or
 * orders than we keep, -ERANGE for block counts that overflow. */
int vr_buddyinfo_parse(const char *buf, struct vr_buddyinfo *ret);

int vr_buddyinfo_read(const struct vr_procfs *fs, struct vr_buddyinfo *ret);

/* Split the free memory of every zone at @order: blocks of @order and
 * above are reportable, the rest stranded.  @page_size in bytes. */
void vr_buddyinfo_split(const struct vr_buddyinfo *b, unsigned order, uint64_t page_size,
			struct vr_free_split *ret);

#endif
