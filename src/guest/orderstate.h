/* SPDX-License-Identifier: MIT */
/* The reporting order to go back to, kept in a state file (statefile.h)
 * while auto holds page_reporting_order lowered.  Without the file, a
 * daemon restarted after a kill during the hold would read the lowered
 * order and take it for the kernel's own. */
#ifndef VR_ORDERSTATE_H
#define VR_ORDERSTATE_H

#include "guest/sys.h"

#include <stdbool.h>

/* Under the root, in the directory the shipped unit keeps writable (and
 * that a reboot, which resets the order, empties). */
#define VR_ORDER_STATE_PATH "/run/vmreclaimd.order"

/* Write @base_order, replacing the file (through outfile.c: a regular file
 * only, fsynced, never followed through a link).  Returns 0 or -errno. */
int vr_order_state_save(const struct vr_sys *s, unsigned base_order);

/* Remove the file.  Returns 0 (also when there was none) or -errno. */
int vr_order_state_clear(const struct vr_sys *s);

/* Read the file: 1 and *@ret when there is one that holds an order ("ORDER\n",
 * at most the highest order the buddy lists may have, VR_BUDDY_ORDERS_MAX - 1:
 * 10 on x86_64, 13 on arm64 with 64 KiB pages), 0 when there is none,
 * -EINVAL for other text (the file should then be cleared), or another
 * -errno. */
int vr_order_state_load(const struct vr_sys *s, unsigned *ret);

#endif
