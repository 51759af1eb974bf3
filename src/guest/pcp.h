/* SPDX-License-Identifier: MIT */
/* The kernel's per-CPU free lists (struct per_cpu_pages), handed back to the
 * buddy allocator so that free page reporting can see them.
 *
 * Pages freed one at a time go to a per-CPU list first, not to the buddy
 * lists that page_reporting.c scans.  Since Linux 6.7 a list is kept up to
 * its high_min mark, which follows the zone's low watermark: with THP on,
 * khugepaged raises min_free_kbytes, and a 1 GiB guest on 6.12 keeps about
 * 55 MiB per CPU there after a process frees its memory (measured: host RSS
 * 267 MiB with the lists full, 215 MiB after a drain; post-boot 233 MiB).
 * No interface drains the lists directly.  Lowering the high mark through
 * vm.percpu_pagelist_high_fraction and refreshing the vmstat counters
 * (vm.stat_refresh runs decay_pcp_high() on every CPU) empties them; the
 * fraction is put back at once.  On kernels before 6.7 the refresh does not
 * touch the local lists, and a lower high mark alone empties nothing: a
 * list is cut down to its mark only when a page is freed to it.  So while
 * the mark is low the service also allocates and frees a little memory on
 * each CPU in turn (VR_PCP_CYCLE_BYTES): each of those frees sends a part
 * of the list back to the buddy allocator.  Measured on Debian's 6.1 in the
 * 2 GiB benchmark guest after a build: the high mark is 6985 pages (27 MiB)
 * per CPU, and the 32 MiB of huge pages that wake the reporting worker
 * (actions.c) left 6889 pages on CPU 0's list, never reported and counted
 * as used, until some later free on that CPU happened to cut it. */
#ifndef VR_PCP_H
#define VR_PCP_H

#include "common/util.h"
#include "guest/sys.h"

#include <stdbool.h>
#include <stdint.h>

#define VR_PCP_FRACTION_PATH "/proc/sys/vm/percpu_pagelist_high_fraction"
#define VR_STAT_REFRESH_PATH "/proc/sys/vm/stat_refresh"

/* The fraction written during a drain: the high mark becomes the kernel's
 * floor (four batches, about 1 MiB a CPU).  A value no one sets by hand,
 * so that a daemon killed during a drain is recognised at the next start
 * (vr_pcp_recover()). */
#define VR_PCP_DRAIN_FRACTION 1073741824u

/* decay_pcp_high() lowers the high mark by an eighth a pass: 32 passes take
 * 55 MiB to under 1 MiB. */
#define VR_PCP_DRAIN_PASSES 32

/* A drain outside the actions: free memory rose by this much between two
 * samples (a process exited or freed a large block), and then stopped
 * rising: a drain in the middle of a free would be refilled by its rest
 * (seen with three TCG guests on two cores, where freeing 512 MiB spans
 * two samples).  At most one drain per VR_PCP_DRAIN_GAP_USEC, actions
 * included, so that a busy VM's churn does not cycle its lists through the
 * host and a mode that acts every sample does not drain every sample. */
#define VR_PCP_DRAIN_RISE_BYTES (64 * VR_MIB)
#define VR_PCP_DRAIN_GAP_USEC (10 * VR_USEC_PER_SEC)

/* Allocated and freed on each CPU during a drain, a page at a time (one
 * page of the service's at any moment).  With the high mark at four
 * batches, a free to a list at or over its mark sends back up to three
 * batches of pages (batch: 63 in the 2 GiB guest), or one entry of a higher
 * order (a huge page is one entry of 512): a full 27 MiB list takes some 40
 * frees as base pages, 14 as huge pages.  1 MiB is 256 frees, a margin of
 * six over the former; each page comes from the list itself, memory the
 * host holds already. */
#define VR_PCP_CYCLE_BYTES VR_MIB

struct vr_pcp {
	bool have_free;       /* prev_free_bytes is a reading */
	bool pending;         /* an action ran, or free memory rose: drain */
	uint64_t prev_free_bytes;
	uint64_t last_usec;   /* of the last drain; 0: none yet */
	uint64_t drains;      /* done, in all */
	uint64_t failures;
	/* CPU the drains and the reporting wake-ups took in the service's
	 * context (vr_sys_ops.cpu_usec): mostly the kernel's, in the faults,
	 * frees and vmstat passes they cause; apart from the actions' */
	uint64_t cpu_usec;
};

/* A drain (vr_pcp_drain() or vr_pcp_drain_wake()) ran at @now_usec and
 * returned @r: counted, and the gap to the next counts from here. */
void vr_pcp_record(struct vr_pcp *p, uint64_t now_usec, int r);

/* Parse the fraction file's text (a decimal, a newline).  Returns 0 or
 * -EINVAL. */
int vr_pcp_fraction_parse(const char *buf, unsigned *ret);

/* The fraction to put back after a drain, kept in a state file
 * (statefile.h) while the drain runs when it is not the kernel's default 0
 * (a value set by the administrator or a tuning tool), so that a daemon
 * killed during a drain does not leave 0 in its place. */
#define VR_PCP_STATE_PATH "/run/vmreclaimd.pcp"

/* Drain the per-CPU lists of every CPU: the fraction read is kept in
 * VR_PCP_STATE_PATH when it is not 0, the fraction set to
 * VR_PCP_DRAIN_FRACTION, vmstat refreshed VR_PCP_DRAIN_PASSES times,
 * VR_PCP_CYCLE_BYTES allocated and freed on each CPU, the fraction put back, and the file removed.  A fraction that reads as
 * VR_PCP_DRAIN_FRACTION (an earlier drain cut short) is taken as the state
 * file's, or 0.  Returns 0 or the first -errno; nothing is drained when the
 * file cannot be written, and the fraction is put back whatever failed
 * after it was set (the file stays if that fails). */
int vr_pcp_drain(const struct vr_sys *s);

/* vr_pcp_drain() with the reporting worker's wake-up inside it: once the
 * lists are cycled down to their floor, @wake_bytes of huge pages are
 * touched and freed (sys.h wake_reporting) and the lists cycled once more.
 * With the high mark at the floor the free of a huge page goes on to the
 * buddy allocator, so a single huge page wakes the worker, where outside a
 * drain it takes more than a CPU's list holds (27 MiB on 6.1 in a 2 GiB
 * guest) and all of it counts in the service's peak RSS.  *@ret_wake: the
 * wake-up's 0 or -errno, or -ECANCELED when the drain failed before it
 * (then wake the worker the other way).  Returns as vr_pcp_drain(). */
int vr_pcp_drain_wake(const struct vr_sys *s, uint64_t wake_bytes, int *ret_wake);

/* At start: put the fraction back if a killed daemon left it at
 * VR_PCP_DRAIN_FRACTION, to the state file's value or else 0 (*@ret_back),
 * and remove the file.  Returns 1 when it did, 0 when there was nothing to
 * do (or no such file), or -errno. */
int vr_pcp_recover(const struct vr_sys *s, unsigned *ret_back);

/* Whether to drain now: after an action that freed memory (@acted), or at
 * the first sample after free memory rose by VR_PCP_DRAIN_RISE_BYTES or
 * more that shows no such rise (@have_free: @free_bytes is a reading); in
 * both cases not within VR_PCP_DRAIN_GAP_USEC of the last drain (the drain
 * then waits for the gap to pass: gradual acts every sample, and each
 * drain runs work on every CPU).  Updates the remembered reading. */
bool vr_pcp_due(struct vr_pcp *p, uint64_t now_usec, bool acted, bool have_free,
		uint64_t free_bytes);

#endif
