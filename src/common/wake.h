/* SPDX-License-Identifier: MIT */
/* The one memory-touch wake of free page reporting: the guest service's
 * real ops (guest/sys.c) and `vrload wake` both call it. */
#ifndef VR_WAKE_H
#define VR_WAKE_H

#include <stdint.h>

/* Wake the kernel's reporting worker after page_reporting_order was
 * lowered: it runs only when a block of at least that order is freed, and
 * an idle VM frees none.  Touches and frees @bytes of anonymous memory
 * (huge pages where allowed).  Returns 0 or -errno. */
int vr_wake_reporting(uint64_t bytes);

/* Allocate and free @bytes of base pages on each CPU the caller may run
 * on, in turn (or on the CPU it is on, where it may not move): frees made
 * while the per-CPU lists' high mark is low push what those lists hold
 * back to the buddy allocator (pcp.h).  Returns 0 or -errno. */
int vr_cycle_pages(uint64_t bytes);

#endif
