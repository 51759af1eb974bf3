/* SPDX-License-Identifier: MIT */
/* autoMemoryReclaim = auto: the policy that goes beyond WSL's.
 *
 * Two loops, each a pure function of its state and one sample:
 *
 * - Cache: cold page cache is reclaimed with memory.reclaim whether or not
 *   the CPU is idle, once the cache has stopped growing for a settle time
 *   (a file read once and a file about to be read again look alike until
 *   the second read; the settle time, 30 s or idleSeconds if shorter,
 *   gives the second read its chance).
 *   Only the inactive file list is asked for, and never below what the
 *   kernel itself keeps inactive against the active list (mm/vmscan.c
 *   inactive_is_low()), so the active working set is not pushed out by our
 *   own reclaim (against the active list's recent peak, plus an eighth);
 *   while the CPU stays quiet that share halves every 25 s, down to a
 *   sixteenth, since nothing is using the cache then.
 *   Refaults (workingset_refault_file) after a reclaim mean
 *   it took memory that was still needed: reclaim backs off, doubling each
 *   time, and the working-set reserve grows by twice what came back; both
 *   decay when refaults stay away.  The guest's own memory pressure holds
 *   everything off (the caller says so).
 *
 * - Fragmentation: free memory in blocks below page_reporting_order is
 *   never reported to the host.  When an idle VM (or one whose free memory
 *   has not moved for 30 s, or idleSeconds if shorter) has enough of it,
 *   compaction is tried first (once per build-up of stranded memory, and
 *   not again while it gains nothing); what compaction cannot merge is
 *   reported by lowering page_reporting_order to the highest order that
 *   leaves little stranded (not below reportingOrderMin), waking the
 *   reporting worker, and raising the order back once the kernel has had
 *   time to report (or the guest is short of memory), so that later frees are
 *   reported in large blocks that keep the host's huge pages whole.
 *
 * - Slab: reclaimable slab (SReclaimable: dentries, inodes, their names)
 *   is not on the file LRU lists, and once those are small the kernel's
 *   shrinkers get no pressure at all, so a tree walked once stays in the
 *   slab for good.  When the file cache loop has nothing left to take,
 *   SReclaimable is above a floor and has not grown for the cache's settle time,
 *   it is dropped (drop_caches = 2: the shrinkers only, see auto.c for the
 *   measurement).  A slab that comes back soon after is in use: the next
 *   drop waits for a longer quiet time, doubling each time, and the
 *   back-off resets when it stays away. */
#ifndef VR_AUTO_H
#define VR_AUTO_H

#include <stdbool.h>
#include <stdint.h>

#include "common/size.h"
#include "common/util.h"
#include "guest/policy.h"
#include "procfs/buddyinfo.h"

/* The kernel's reporting worker handles about 1/16 of a free list per
 * pass and runs again 2 s later (mm/page_reporting.c: budget,
 * PAGE_REPORTING_DELAY), so a whole list takes some 32 s; the order stays
 * lowered this long before it is raised again. */
#define VR_AUTO_ORDER_HOLD_USEC (60 * VR_USEC_PER_SEC)

/* A quiet VM's reserve against the active list goes down to 1/16. */
#define VR_AUTO_IDLE_SHIFT_MAX 4

/* The cache (and the slab) must not have grown, and free memory not have
 * moved, for this long before auto takes the cache or hands fragments
 * back; for idleSeconds if that is shorter, and for idleSeconds /
 * VR_AUTO_SETTLE_DIV if that is longer (an idleSeconds raised above its
 * default slows auto too: the one knob for how soon it acts).  It gives a
 * file read twice its second read; it is not idleSeconds (120 s by
 * default), which made auto's t50 130 s after a build at the shipped
 * defaults (bench/results/2026-12-05/defaults) against the 60 s of issue
 * 14.  With 30 s, cold-cache on 6.1 was at half 39 s and at 90% 44 s after
 * the read (one run); after a 6.1 build the free memory the compilers left
 * in small blocks (some 320 MiB) then waits 30 s, not 120 s, for the order
 * to be lowered. */
#define VR_AUTO_SETTLE_USEC (30 * VR_USEC_PER_SEC)
#define VR_AUTO_SETTLE_DIV 4

/* Each this much of quiet CPU (vr_idle_quiet_usec(), not the idle period,
 * which starts only after idleSeconds) halves the share kept against the
 * active list, or each settle time if that is shorter.  The hot-set
 * scenario re-reads its 128 MiB every 20 s, and each re-read makes a busy
 * sample that starts quiet time again, so its active list keeps its full
 * share; after a build the sixteenth is reached 100 s into the quiet,
 * which leaves t90 within 120 s. */
#define VR_AUTO_QUIET_STEP_USEC (25 * VR_USEC_PER_SEC)

/* A refault back-off starts at this and doubles up to the maximum. */
#define VR_AUTO_BACKOFF_MIN_USEC (60 * VR_USEC_PER_SEC)
#define VR_AUTO_BACKOFF_MAX_USEC (15 * 60 * VR_USEC_PER_SEC)
/* After this long without refaults the reserve halves and the back-off
 * resets. */
#define VR_AUTO_CALM_USEC (10 * 60 * VR_USEC_PER_SEC)
/* Refaults count against a reclaim for this long after it. */
#define VR_AUTO_REFAULT_WINDOW_USEC (10 * 60 * VR_USEC_PER_SEC)

struct vr_auto_settings {
	uint64_t settle_usec; /* idleSeconds: a share of it is the settle time (vr_auto_settle_usec()) */
	uint64_t step_bytes;  /* most asked of memory.reclaim per tick */
	unsigned order_min;   /* reportingOrderMin */
	bool compaction;      /* compaction may be used */
};

/* One sample, as the service read it. */
struct vr_auto_input {
	uint64_t now_usec;
	bool idle;
	uint64_t quiet_usec; /* how long the CPU has been below the idle bar */
	bool pressure; /* the guest's own memory pressure */

	bool have_meminfo;
	uint64_t total_bytes;
	uint64_t free_bytes;
	uint64_t active_file_bytes;
	uint64_t inactive_file_bytes;

	bool have_refault;
	uint64_t refault_bytes; /* cumulative */

	bool have_slab;
	uint64_t slab_bytes; /* SReclaimable */

	bool reclaim_usable;
	const char *reclaim_unusable_why;

	/* free memory by block size, and the reporting order */
	const struct vr_buddyinfo *buddy; /* NULL: unreadable */
	/* buddy is NULL because the lists were not read this sample (free
	 * memory still changing), not because they could not be */
	bool buddy_not_read;
	uint64_t page_size;
	bool reporting;        /* a reporting driver is registered */
	bool order_writable;   /* page_reporting_order can be changed */
	unsigned base_order;   /* the order the kernel had: the one to go back to */
	unsigned order;        /* the order now */
};

struct vr_auto {
	bool started;
	/* cache loop */
	uint64_t cache_ref_bytes;  /* file cache when it last grew */
	uint64_t cache_grew_usec;  /* when */
	bool have_refault_prev;
	uint64_t refault_prev_bytes;
	uint64_t last_reclaim_usec; /* 0: never */
	uint64_t reserve_bytes;     /* working-set reserve raised by refaults */
	uint64_t active_peak_bytes; /* Active(file) at its recent peak */
	/* The share kept against the active list is divided by 2^idle_shift:
	 * one more for each quiet step (VR_AUTO_QUIET_STEP_USEC) of quiet CPU. */
	unsigned idle_shift;
	bool free_seen;
	uint64_t free_ref_bytes;    /* MemFree when it last moved */
	uint64_t free_changed_usec; /* when */
	uint64_t active_peak_usec;  /* when it was last set or halved */
	uint64_t last_refault_usec;
	uint64_t backoff_usec;      /* the next back-off's length */
	uint64_t backoff_until_usec;
	uint64_t partial_until_usec; /* the kernel reclaimed less than asked: wait until */
	uint64_t asked_bytes;        /* our last reclaim step, until the next sample */
	uint64_t asked_from_bytes;   /* the file cache when it was asked */
	uint64_t refault_events;
	uint64_t refaulted_bytes;   /* refaults seen after our reclaims */
	/* fragmentation loop */
	bool compact_unpaid;          /* the last compaction gained too little */
	uint64_t compact_base_stranded; /* stranded when it was tried */
	bool lowered;
	uint64_t lowered_usec;
	/* stranded at the base order when the order was last raised back,
	 * less what lay between reportingOrderMin and the lowered order
	 * (what a lower order would still report) */
	uint64_t stranded_done_bytes;
	bool have_stranded_done;
	uint64_t order_lowerings;
	uint64_t compact_failed_usec; /* the last compaction that failed */
	/* slab loop */
	bool slab_started;
	uint64_t slab_bytes;          /* SReclaimable at the last sample */
	uint64_t slab_ref_bytes;      /* when it last grew */
	uint64_t slab_grew_usec;      /* when */
	uint64_t slab_base_bytes;     /* what the last drop left: the next waits for more */
	bool slab_dropping;           /* a drop was asked; the next sample says what it did */
	uint64_t slab_drop_from_bytes; /* SReclaimable when it was asked */
	uint64_t slab_dropped_usec;   /* when; 0: never */
	/* what the two above and last_reclaim_usec were before a planned drop:
	 * put back if the drop fails, so that it counts as nothing */
	uint64_t slab_prev_dropped_usec, slab_prev_reclaim_usec;
	uint64_t slab_returned_last_bytes; /* what the last drop returned */
	bool slab_reuse_seen;         /* the last drop's slab came back */
	uint64_t slab_backoff_usec;   /* the next back-off's length */
	/* The slab came back after a drop: it must stay steady this much
	 * longer than the settle time before the next one (counted from
	 * when it stops growing, not from when it came back: a walk can take
	 * longer than the back-off). */
	uint64_t slab_hold_usec;
	bool slab_failed;             /* drop_caches could not be written: left to the kernel */
	uint64_t slab_drops;
	uint64_t slab_reuse_events;
	uint64_t slab_returned_bytes; /* returned by our drops, in all */
	uint64_t slab_cold_bytes;     /* above the floor and steady (status) */
	/* for status */
	char cache_why[192]; /* as long as a plan's why */
	char frag_why[160];
	char slab_why[160];
};

void vr_auto_init(struct vr_auto *a);

/* Decide this tick's steps from @in, updating @a: VR_STEP_RECLAIM,
 * VR_STEP_COMPACT and VR_STEP_SET_ORDER (write the order, and wake the
 * reporting worker when it is lower), all with VR_TRIGGER_AUTO. */
void vr_auto_decide(struct vr_auto *a, const struct vr_auto_settings *s,
		    const struct vr_auto_input *in, struct vr_plan *out);

/* The slab drop auto asked for failed (drop_caches unwritable): the
 * slab is left to the kernel from now on. */
/* The slab drop just planned does not run (another drop runs this tick):
 * it is not counted, and is planned again later. */
void vr_auto_slab_cancel(struct vr_auto *a);
void vr_auto_slab_failed(struct vr_auto *a);

/* SReclaimable auto leaves alone in a guest of @total_bytes. */
uint64_t vr_auto_slab_floor(uint64_t total_bytes);

/* The value auto writes to drop_caches for the slab: the shrinkers
 * (dentries and inodes), not the page cache. */
#define VR_AUTO_DROP_SLAB 2

/* What compaction did: reportable memory gained at the base order. */
void vr_auto_compacted(struct vr_auto *a, uint64_t gained_bytes, uint64_t stranded_before_bytes);

/* The highest order in [@order_min, in->base_order) that leaves less than
 * @min stranded in in->buddy, or @order_min; what it leaves in
 * *ret_left. */
unsigned vr_auto_order_for(const struct vr_auto_input *in, unsigned order_min, uint64_t min,
			   uint64_t *ret_left);

/* The order was lowered outside the loop (a host request): hold and raise
 * it as the loop would. */
void vr_auto_lowered(struct vr_auto *a, uint64_t now_usec, const char *why);

/* How long the file cache and the slab must not have grown, and free
 * memory not have moved, before auto acts on them, for an idleSeconds of
 * @settle_usec. */
uint64_t vr_auto_settle_usec(uint64_t settle_usec);

/* The inactive file cache the cache loop keeps for @in. */
uint64_t vr_auto_cache_keep(const struct vr_auto *a, const struct vr_auto_input *in);

/* The smallest amount of stranded memory worth acting on, for a guest of
 * @total_bytes. */
uint64_t vr_auto_stranded_min(uint64_t total_bytes);

/* What the order auto lowers to may leave stranded below it, for a guest
 * of @total_bytes. */
uint64_t vr_auto_stranded_leave(uint64_t total_bytes);

/* The inactive file the kernel keeps against @active (mm/vmscan.c
 * inactive_is_low(): inactive * ratio >= active, ratio = sqrt(10 * GiB)
 * of the file LRU, or 1 below 1 GiB). */
uint64_t vr_auto_inactive_keep(uint64_t active_bytes, uint64_t inactive_bytes);

#endif
