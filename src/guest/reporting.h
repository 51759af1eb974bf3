/* SPDX-License-Identifier: MIT */
/* Free page reporting as the guest sees it: the reporting order
 * (mm/page_reporting.c's module parameter) and whether a virtio balloon
 * that offers VIRTIO_BALLOON_F_REPORTING is bound to its driver. */
#ifndef VR_REPORTING_H
#define VR_REPORTING_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/sys.h"

#define VR_REPORTING_ORDER_PATH "/sys/module/page_reporting/parameters/page_reporting_order"

enum vr_balloon_state {
	VR_BALLOON_NONE,         /* no virtio balloon device */
	VR_BALLOON_UNBOUND,      /* device there, virtio_balloon not bound */
	VR_BALLOON_NO_REPORTING, /* bound, but the host did not offer reporting */
	VR_BALLOON_REPORTING,    /* bound with free page reporting */
};

struct vr_reporting {
	bool order_known;  /* false: the kernel has no free page reporting */
	unsigned order;    /* as the file says */
	/* A reporting driver has registered: the order is one the buddy
	 * allocator has.  Until then 6.1 shows MAX_ORDER (11) and later
	 * kernels (unsigned)-1. */
	bool registered;
	bool order_writable;
	enum vr_balloon_state balloon;
};

/* Probe both.  Never fails: what is missing is said in *ret. */
void vr_reporting_probe(const struct vr_sys *s, struct vr_reporting *ret);

/* Parse the text of page_reporting_order (any unsigned int).  Returns 0 or
 * -EINVAL. */
int vr_reporting_order_parse(const char *buf, unsigned *ret);

/* True when bit @bit is set in a virtio "features" string (one '0'/'1'
 * character per bit, bit 0 first). */
bool vr_virtio_feature(const char *features, unsigned bit);

const char *vr_balloon_state_name(enum vr_balloon_state b);

#endif
