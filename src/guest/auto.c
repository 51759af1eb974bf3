/* SPDX-License-Identifier: MIT */
#include "guest/auto.h"

#include <stdio.h>
#include <string.h>

/* The inactive file list is never asked below this. */
#define AUTO_KEEP_MIN_BYTES (16 * VR_MIB)
/* Steps smaller than this are not worth a reclaim pass. */
#define AUTO_RECLAIM_MIN_BYTES VR_MIB
/* Refaults below this per tick are noise (metadata, the odd re-read). */
#define AUTO_REFAULT_MIN_BYTES VR_MIB
/* The slab is left alone below this much above the floor, or above what
 * the last drop left. */
#define AUTO_SLAB_MIN_BYTES (16 * VR_MIB)

void vr_auto_init(struct vr_auto *a)
{
	memset(a, 0, sizeof(*a));
	a->backoff_usec = VR_AUTO_BACKOFF_MIN_USEC;
	a->slab_backoff_usec = VR_AUTO_BACKOFF_MIN_USEC;
}

/* A guest boots with 10-20 MiB of SReclaimable (the 1 GiB benchmark
 * guest: 10 MiB on 6.1, under 1 MiB on 6.12); a sixty-fourth of memory,
 * and 32 MiB at least, is left to the kernel so that a slab of ordinary
 * size is never dropped. */
uint64_t vr_auto_slab_floor(uint64_t total_bytes)
{
	uint64_t f = total_bytes / 64;

	return f < 32 * VR_MIB ? 32 * VR_MIB : f;
}

void vr_auto_slab_cancel(struct vr_auto *a)
{
	if (a->slab_dropping) {
		/* a drop that did not happen is not counted as one */
		a->slab_drops--;
		a->slab_dropped_usec = a->slab_prev_dropped_usec;
		a->last_reclaim_usec = a->slab_prev_reclaim_usec;
	}
	a->slab_dropping = false;
}

void vr_auto_slab_failed(struct vr_auto *a)
{
	a->slab_failed = true;
	vr_auto_slab_cancel(a);
}

uint64_t vr_auto_stranded_min(uint64_t total_bytes)
{
	uint64_t m = total_bytes / 64;

	return m < 32 * VR_MIB ? 32 * VR_MIB : m;
}

/* A quarter of what is worth acting on: 8 MiB in the 2 GiB benchmark
 * guest.  Leaving the full minimum (32 MiB) below the lowered order kept a
 * 6.1 build at 84-87% returned (one run each, defaults): the build grows
 * the guest by some 380 MiB, the cache loop keeps 16 MiB of it, so 95%
 * leaves room for only a few MiB of unreported fragments; and a lower order
 * during the hold also reports the blocks a cache reclaim frees then. */
uint64_t vr_auto_stranded_leave(uint64_t total_bytes)
{
	return vr_auto_stranded_min(total_bytes) / 4;
}

static uint64_t isqrt(uint64_t n)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;

	while (bit > n)
		bit >>= 2;
	while (bit) {
		if (n >= r + bit) {
			n -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

uint64_t vr_auto_inactive_keep(uint64_t active_bytes, uint64_t inactive_bytes)
{
	uint64_t gib = vr_sat_add(active_bytes, inactive_bytes) / VR_GIB;
	uint64_t ratio = gib ? isqrt(10 * gib) : 1;

	return active_bytes / (ratio ? ratio : 1);
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

uint64_t vr_auto_settle_usec(uint64_t settle_usec)
{
	uint64_t q = settle_usec / VR_AUTO_SETTLE_DIV;

	if (settle_usec < VR_AUTO_SETTLE_USEC)
		return settle_usec;
	return q > VR_AUTO_SETTLE_USEC ? q : VR_AUTO_SETTLE_USEC;
}

/* Follow the cache's growth and the refaults that came after our reclaims. */
static void cache_observe(struct vr_auto *a, const struct vr_auto_settings *s,
			  const struct vr_auto_input *in)
{
	uint64_t now = in->now_usec;

	if (in->have_meminfo) {
		uint64_t cache = vr_sat_add(in->active_file_bytes, in->inactive_file_bytes);

		uint64_t ftol = in->total_bytes / 128 < 8 * VR_MIB ? 8 * VR_MIB : in->total_bytes / 128;

		/* Free memory that moved by more than the tolerance starts the
		 * fragmentation loop's settle time again. */
		if (!a->free_seen || in->free_bytes > vr_sat_add(a->free_ref_bytes, ftol) ||
		    in->free_bytes < vr_sat_sub(a->free_ref_bytes, ftol)) {
			a->free_seen = true;
			a->free_ref_bytes = in->free_bytes;
			a->free_changed_usec = now;
		}
		/* While the CPU stays quiet nothing is using the cache, the
		 * active list included: each quiet step halves the share kept
		 * against the active list, down to a sixteenth.  Work puts it
		 * back at once; refaults after our reclaim raise the reserve
		 * (below). */
		{
			uint64_t qstep = s->settle_usec < VR_AUTO_QUIET_STEP_USEC ? s->settle_usec
										: VR_AUTO_QUIET_STEP_USEC;
			uint64_t q = in->quiet_usec, k;

			/* quiet counts from the last refault too */
			if (a->last_refault_usec && now - a->last_refault_usec < q)
				q = now - a->last_refault_usec;
			k = qstep ? q / qstep : 0;

			a->idle_shift = k > VR_AUTO_IDLE_SHIFT_MAX ? VR_AUTO_IDLE_SHIFT_MAX : (unsigned)k;
		}
		/* The active list's peak, halved every calm period down to
		 * what it is. */
		if (in->active_file_bytes >= a->active_peak_bytes) {
			a->active_peak_bytes = in->active_file_bytes;
			a->active_peak_usec = now;
		} else if (now - a->active_peak_usec >= VR_AUTO_CALM_USEC) {
			a->active_peak_bytes /= 2;
			if (a->active_peak_bytes < in->active_file_bytes)
				a->active_peak_bytes = in->active_file_bytes;
			a->active_peak_usec = now;
		}
		uint64_t tol = in->total_bytes / 128 < 8 * VR_MIB ? 8 * VR_MIB : in->total_bytes / 128;

		/* The sample after a step that asked for active pages too:
		 * memory.reclaim succeeds only once it has taken what was
		 * asked, so a cache that did not shrink by half of it is not
		 * giving way (active pages in use): asked again after the
		 * settle time, as after EAGAIN, not every sample. */
		if (a->asked_bytes) {
			if (vr_sat_sub(a->asked_from_bytes, cache) < a->asked_bytes / 2)
				a->partial_until_usec = now + vr_auto_settle_usec(s->settle_usec);
			a->asked_bytes = 0;
		}
		if (!a->started) {
			a->started = true;
			a->cache_ref_bytes = cache;
			a->cache_grew_usec = now;
		} else if (cache > vr_sat_add(a->cache_ref_bytes, tol)) {
			a->cache_ref_bytes = cache;
			a->cache_grew_usec = now;
		} else if (cache < a->cache_ref_bytes) {
			a->cache_ref_bytes = cache;
		}
	}
	if (in->have_refault) {
		if (a->have_refault_prev && in->refault_bytes >= a->refault_prev_bytes) {
			uint64_t delta = in->refault_bytes - a->refault_prev_bytes;

			if (delta >= AUTO_REFAULT_MIN_BYTES && a->last_reclaim_usec &&
			    now - a->last_reclaim_usec <= VR_AUTO_REFAULT_WINDOW_USEC) {
				uint64_t cap = in->total_bytes / 2;

				a->refault_events++;
				a->refaulted_bytes = vr_sat_add(a->refaulted_bytes, delta);
				a->reserve_bytes = vr_sat_add(a->reserve_bytes, 2 * delta);
				if (cap && a->reserve_bytes > cap)
					a->reserve_bytes = cap;
				a->backoff_until_usec = now + a->backoff_usec;
				a->backoff_usec = a->backoff_usec * 2 > VR_AUTO_BACKOFF_MAX_USEC
							  ? VR_AUTO_BACKOFF_MAX_USEC
							  : a->backoff_usec * 2;
				a->last_refault_usec = now;
				a->idle_shift = 0;
			}
		}
		a->have_refault_prev = true;
		a->refault_prev_bytes = in->refault_bytes;
	}
	/* Calm: the reserve decays and the back-off starts small again. */
	if (a->last_refault_usec && now - a->last_refault_usec >= VR_AUTO_CALM_USEC) {
		a->reserve_bytes /= 2;
		a->backoff_usec = VR_AUTO_BACKOFF_MIN_USEC;
		a->last_refault_usec = a->reserve_bytes ? now : 0;
	}
}

/* This tick's cache step; true when the file cache has nothing left for
 * auto to take (at its reserve, or what is left is not reclaimable now, or
 * memory.reclaim cannot be used), the slab's turn. */
static bool cache_decide(struct vr_auto *a, const struct vr_auto_settings *s,
			 const struct vr_auto_input *in, struct vr_plan *p)
{
	char x[VR_SIZE_STR_MAX], y[VR_SIZE_STR_MAX], z[VR_SIZE_STR_MAX], w[VR_SIZE_STR_MAX];
	char q[64];
	uint64_t now = in->now_usec, keep, excess, bytes, active_keep;

	if (in->pressure) {
		snprintf(a->cache_why, sizeof(a->cache_why),
			 "the guest is under memory pressure: holding off");
		return false;
	}
	if (!in->have_meminfo) {
		snprintf(a->cache_why, sizeof(a->cache_why), "/proc/meminfo unreadable");
		return false;
	}
	if (!in->reclaim_usable) {
		snprintf(a->cache_why, sizeof(a->cache_why), "memory.reclaim unusable: %s",
			 in->reclaim_unusable_why ? in->reclaim_unusable_why : "?");
		return true;
	}
	if (now < a->backoff_until_usec) {
		snprintf(a->cache_why, sizeof(a->cache_why),
			 "backing off %llu s more: %s came back after reclaim",
			 (unsigned long long)((a->backoff_until_usec - now) / VR_USEC_PER_SEC),
			 vr_format_size(a->refaulted_bytes, x, sizeof(x)));
		return false;
	}
	if (now < a->partial_until_usec) {
		snprintf(a->cache_why, sizeof(a->cache_why),
			 "the kernel reclaimed less than asked: asking again in %llu s",
			 (unsigned long long)((a->partial_until_usec - now) / VR_USEC_PER_SEC));
		return true;
	}
	if (now - a->cache_grew_usec < vr_auto_settle_usec(s->settle_usec)) {
		snprintf(a->cache_why, sizeof(a->cache_why),
			 "file cache grew %llu s ago; waiting until it has been steady for %llu s",
			 (unsigned long long)((now - a->cache_grew_usec) / VR_USEC_PER_SEC),
			 (unsigned long long)(vr_auto_settle_usec(s->settle_usec) /
					      VR_USEC_PER_SEC));
		return false;
	}
	/* Against the active list at its recent peak, and an eighth more:
	 * at the balance itself any fluctuation lets the kernel deactivate
	 * active pages during our reclaim, the active list shrinks, the
	 * next step takes more, and the working set drains away (seen in a
	 * 2 GiB guest: 92 MiB of a 128 MiB hot set read back). */
	keep = vr_auto_cache_keep(a, in);
	/* A quiet CPU is not using the active list either: past the first
	 * quiet step it is kept only down to its peak divided as the
	 * inactive share is, and the rest is asked for too (memory.reclaim
	 * then deactivates the oldest active pages).  Measured at the shipped
	 * defaults, 6.1 build: 138 MiB of cache, nearly all of it active, was
	 * never returned while only the inactive list was asked for. */
	active_keep = in->active_file_bytes;
	if (a->idle_shift && (a->active_peak_bytes >> a->idle_shift) < active_keep)
		active_keep = a->active_peak_bytes >> a->idle_shift;
	excess = vr_sat_sub(vr_sat_add(in->inactive_file_bytes, in->active_file_bytes),
			    vr_sat_add(keep, active_keep));
	vr_format_size(in->inactive_file_bytes, x, sizeof(x));
	vr_format_size(keep, y, sizeof(y));
	if (a->idle_shift)
		snprintf(q, sizeof(q), "; active %s, kept %s (quiet %llu s)",
			 vr_format_size(in->active_file_bytes, z, sizeof(z)),
			 vr_format_size(active_keep, w, sizeof(w)),
			 (unsigned long long)(in->quiet_usec / VR_USEC_PER_SEC));
	else
		q[0] = 0;
	if (excess < AUTO_RECLAIM_MIN_BYTES) {
		snprintf(a->cache_why, sizeof(a->cache_why),
			 "cold cache at its reserve: inactive file %s, keeping %s%s", x, y, q);
		return true;
	}
	bytes = excess < s->step_bytes ? excess : s->step_bytes;
	vr_plan_add(p, VR_STEP_RECLAIM, VR_TRIGGER_AUTO, bytes, 0, NULL);
	/* only a step beyond the inactive list is checked (above) */
	a->asked_bytes = bytes > vr_sat_sub(in->inactive_file_bytes, keep) ? bytes : 0;
	a->asked_from_bytes = vr_sat_add(in->inactive_file_bytes, in->active_file_bytes);
	a->last_reclaim_usec = now ? now : 1;
	snprintf(a->cache_why, sizeof(a->cache_why),
		 "reclaiming %s of cold cache: inactive file %s, keeping %s%s",
		 vr_format_size(bytes, z, sizeof(z)), x, y, q);
	return false;
}

/* Follow SReclaimable: its growth, what our last drop returned, and
 * whether it came back (the slab is in use). */
static void slab_observe(struct vr_auto *a, const struct vr_auto_input *in)
{
	uint64_t now = in->now_usec, slab = in->slab_bytes;
	uint64_t tol = in->total_bytes / 128 < 8 * VR_MIB ? 8 * VR_MIB : in->total_bytes / 128;

	if (!in->have_meminfo || !in->have_slab)
		return;
	a->slab_bytes = slab;
	if (!a->slab_started) {
		a->slab_started = true;
		a->slab_ref_bytes = slab;
		a->slab_grew_usec = now;
	} else if (slab > vr_sat_add(a->slab_ref_bytes, tol)) {
		a->slab_ref_bytes = slab;
		a->slab_grew_usec = now;
	} else if (slab < a->slab_ref_bytes) {
		a->slab_ref_bytes = slab;
	}
	if (a->slab_dropping) {
		/* The first sample after a drop: what it returned. */
		a->slab_dropping = false;
		a->slab_returned_last_bytes = vr_sat_sub(a->slab_drop_from_bytes, slab);
		a->slab_returned_bytes = vr_sat_add(a->slab_returned_bytes, a->slab_returned_last_bytes);
		a->slab_base_bytes = slab;
		a->slab_reuse_seen = false;
		return;
	}
	if (slab < a->slab_base_bytes)
		a->slab_base_bytes = slab;
	/* Back within the window, by half of what the drop returned: the
	 * names are being looked up again, so the slab was a working set. */
	if (a->slab_dropped_usec && !a->slab_reuse_seen &&
	    now - a->slab_dropped_usec <= VR_AUTO_REFAULT_WINDOW_USEC &&
	    a->slab_returned_last_bytes >= AUTO_SLAB_MIN_BYTES &&
	    slab > vr_sat_add(a->slab_base_bytes, a->slab_returned_last_bytes / 2)) {
		a->slab_reuse_seen = true;
		a->slab_reuse_events++;
		a->slab_hold_usec = a->slab_backoff_usec;
		a->slab_backoff_usec = a->slab_backoff_usec * 2 > VR_AUTO_BACKOFF_MAX_USEC
					       ? VR_AUTO_BACKOFF_MAX_USEC
					       : a->slab_backoff_usec * 2;
	}
	/* Calm: a drop that was not followed by the slab's return resets
	 * the back-off. */
	if (a->slab_dropped_usec && !a->slab_reuse_seen &&
	    now - a->slab_dropped_usec >= VR_AUTO_CALM_USEC)
		a->slab_backoff_usec = VR_AUTO_BACKOFF_MIN_USEC;
}

/* Measured on the 1 GiB benchmark guest under TCG, 600,000 negative
 * dentries with 64-character names on ext4 (image/workloads/slabprobe.sh),
 * SReclaimable grown by 167 MiB and left idle, no swap:
 *   6.1:  drop_caches=2 returned 99% of the growth in 1.4 s;
 *         memory.reclaim 99% in 1.7 s;
 *   6.12: drop_caches=2 99% in 2.4 s; memory.reclaim (swappiness=0)
 *         99% in 1.5 s.
 * memory.reclaim is no gentler: a request of 32 MiB took all 171 MiB on
 * both (the kernel counts only whole slab pages freed, so it goes on down
 * the priorities, scanning the file LRU there too, past the inactive
 * reserve the cache loop keeps), and it answers EAGAIN.  drop_caches=2
 * runs the shrinkers only and needs neither memory.reclaim nor
 * swappiness=0; it also evicts the page cache of the unused inodes it
 * frees, so refaults after it count as after a reclaim.
 * Re-walking the names (less the 8 s the name pipeline itself takes):
 * warm 9-19 s, after either method 15-31 s, about 1.5-2x: the back-off is
 * what keeps a tree walked again from being walked cold every settle
 * time. */
static void slab_decide(struct vr_auto *a, const struct vr_auto_settings *s,
			const struct vr_auto_input *in, bool cache_done, struct vr_plan *p)
{
	char x[VR_SIZE_STR_MAX], y[VR_SIZE_STR_MAX], z[VR_SIZE_STR_MAX];
	uint64_t now = in->now_usec, floor, need, settle = vr_auto_settle_usec(s->settle_usec);

	a->slab_cold_bytes = 0;
	if (!in->have_meminfo || !in->have_slab) {
		snprintf(a->slab_why, sizeof(a->slab_why), "SReclaimable unknown");
		return;
	}
	floor = vr_auto_slab_floor(in->total_bytes);
	vr_format_size(in->slab_bytes, x, sizeof(x));
	vr_format_size(a->slab_returned_bytes, z, sizeof(z));
	if (a->slab_failed) {
		snprintf(a->slab_why, sizeof(a->slab_why),
			 "SReclaimable %s, left to the kernel: drop_caches failed (%s returned before)",
			 x, z);
		return;
	}
	need = vr_sat_add(floor > a->slab_base_bytes ? floor : a->slab_base_bytes,
			  AUTO_SLAB_MIN_BYTES);
	if (in->slab_bytes < need) {
		snprintf(a->slab_why, sizeof(a->slab_why),
			 "SReclaimable %s, below the %s worth acting on; %s returned", x,
			 vr_format_size(need, y, sizeof(y)), z);
		return;
	}
	if (in->pressure) {
		snprintf(a->slab_why, sizeof(a->slab_why),
			 "SReclaimable %s: the guest is under memory pressure, the kernel shrinks it", x);
		return;
	}
	if (now - a->slab_grew_usec < settle) {
		snprintf(a->slab_why, sizeof(a->slab_why),
			 "SReclaimable %s grew %llu s ago; waiting until it has been steady for %llu s",
			 x, (unsigned long long)((now - a->slab_grew_usec) / VR_USEC_PER_SEC),
			 (unsigned long long)(settle / VR_USEC_PER_SEC));
		return;
	}
	a->slab_cold_bytes = vr_sat_sub(in->slab_bytes, floor);
	vr_format_size(a->slab_cold_bytes, y, sizeof(y));
	if (now - a->slab_grew_usec < vr_sat_add(settle, a->slab_hold_usec)) {
		snprintf(a->slab_why, sizeof(a->slab_why),
			 "SReclaimable %s, %s cold: it came back after a drop, backing off %llu s more",
			 x, y,
			 (unsigned long long)((vr_sat_add(settle, a->slab_hold_usec) -
					       (now - a->slab_grew_usec)) /
					      VR_USEC_PER_SEC));
		return;
	}
	if (now < a->backoff_until_usec || !cache_done) {
		snprintf(a->slab_why, sizeof(a->slab_why),
			 "SReclaimable %s, %s cold: after the file cache (%s)", x, y,
			 now < a->backoff_until_usec ? "backing off after refaults" : "not done yet");
		return;
	}
	vr_plan_add(p, VR_STEP_DROPCACHE, VR_TRIGGER_AUTO, VR_AUTO_DROP_SLAB, 0, NULL);
	a->slab_dropping = true;
	a->slab_drop_from_bytes = in->slab_bytes;
	a->slab_prev_dropped_usec = a->slab_dropped_usec;
	a->slab_prev_reclaim_usec = a->last_reclaim_usec;
	a->slab_dropped_usec = now ? now : 1;
	a->slab_drops++;
	a->slab_hold_usec = 0;
	/* refaults after it (page cache of the inodes it frees) count */
	a->last_reclaim_usec = now ? now : 1;
	snprintf(a->slab_why, sizeof(a->slab_why),
		 "dropping the slab: SReclaimable %s, %s cold, steady for %llu s", x, y,
		 (unsigned long long)((now - a->slab_grew_usec) / VR_USEC_PER_SEC));
}

/* The highest order in [order_min, base) that leaves less than @min
 * stranded, or order_min. */
static unsigned order_for(const struct vr_auto_input *in, unsigned order_min, uint64_t min,
			  uint64_t *ret_stranded)
{
	struct vr_free_split sp = { 0 };
	unsigned o;

	for (o = in->base_order; o-- > order_min;) {
		vr_buddyinfo_split(in->buddy, o, in->page_size, &sp);
		if (sp.stranded_bytes < min)
			break;
		if (o == order_min)
			break;
	}
	if (o < order_min || o >= in->base_order)
		o = order_min;
	vr_buddyinfo_split(in->buddy, o, in->page_size, &sp);
	*ret_stranded = sp.stranded_bytes;
	return o;
}

static void frag_decide(struct vr_auto *a, const struct vr_auto_settings *s,
			const struct vr_auto_input *in, struct vr_plan *p)
{
	char x[VR_SIZE_STR_MAX], y[VR_SIZE_STR_MAX];
	struct vr_free_split sp;
	uint64_t now = in->now_usec, min = vr_auto_stranded_min(in->total_bytes), stranded;

	if (a->lowered) {
		uint64_t held = now - a->lowered_usec;

		/* Not on the first busy sample: the reporting worker itself
		 * and the wake-up make an idle VM look busy for a while. */
		if (held >= VR_AUTO_ORDER_HOLD_USEC || in->pressure) {
			vr_plan_add(p, VR_STEP_SET_ORDER, VR_TRIGGER_AUTO, 0, in->base_order, a->frag_why);
			a->lowered = false;
			if (held >= VR_AUTO_ORDER_HOLD_USEC && in->buddy) {
				/* Done with: the blocks at or above the lowered
				 * order (reported) and those below
				 * reportingOrderMin (never to be); not those in
				 * between, which a lower order would still hand
				 * back.  Counting all of it as done left the small
				 * blocks of a reclaim that ran during the hold with
				 * the host for good (measured, 6.1 build at the
				 * defaults: order 8, then 88 MiB stranded below 9,
				 * 62 MiB of it below 8, "already reported"). */
				uint64_t between = 0;

				if (in->order < in->base_order && in->order > s->order_min) {
					vr_buddyinfo_split(in->buddy, in->order, in->page_size, &sp);
					between = sp.stranded_bytes;
					vr_buddyinfo_split(in->buddy, s->order_min, in->page_size, &sp);
					between = vr_sat_sub(between, sp.stranded_bytes);
				}
				vr_buddyinfo_split(in->buddy, in->base_order, in->page_size, &sp);
				a->stranded_done_bytes = vr_sat_sub(sp.stranded_bytes, between);
				a->have_stranded_done = true;
			}
			snprintf(a->frag_why, sizeof(a->frag_why),
				 "raising page_reporting_order back to %u after %llu s (%s)",
				 in->base_order, (unsigned long long)(held / VR_USEC_PER_SEC),
				 held >= VR_AUTO_ORDER_HOLD_USEC ? "reported" : "memory pressure");
		} else {
			snprintf(a->frag_why, sizeof(a->frag_why),
				 "page_reporting_order lowered to %u: the kernel reports small blocks for %llu s more",
				 in->order,
				 (unsigned long long)((VR_AUTO_ORDER_HOLD_USEC - held) / VR_USEC_PER_SEC));
		}
		return;
	}
	if (!in->buddy) {
		snprintf(a->frag_why, sizeof(a->frag_why), "%s",
			 in->buddy_not_read
				 ? "not looked at while free memory changes (nor on a fresh start)"
				 : "free blocks unknown (/proc/buddyinfo)");
		return;
	}
	if (!in->reporting) {
		snprintf(a->frag_why, sizeof(a->frag_why),
			 "no free page reporting: nothing reaches the host");
		return;
	}
	vr_buddyinfo_split(in->buddy, in->base_order, in->page_size, &sp);
	stranded = sp.stranded_bytes;
	if (a->have_stranded_done && stranded < a->stranded_done_bytes)
		a->stranded_done_bytes = stranded;
	vr_format_size(stranded, x, sizeof(x));
	vr_format_size(min, y, sizeof(y));
	if (stranded < min) {
		/* Little is stranded: a later build-up may compact again. */
		a->compact_unpaid = false;
		snprintf(a->frag_why, sizeof(a->frag_why),
			 "stranded %s below order %u, less than the %s worth acting on", x,
			 in->base_order, y);
		return;
	}
	if (a->have_stranded_done && stranded < vr_sat_add(a->stranded_done_bytes, min)) {
		snprintf(a->frag_why, sizeof(a->frag_why),
			 "stranded %s below order %u, already reported in smaller blocks", x,
			 in->base_order);
		return;
	}
	/* Idle, or free memory steady for the settle time: the fragments
	 * are not about to be allocated again.  (Under a loaded host a
	 * TCG guest's CPU samples are noisy enough to miss the idle bar for
	 * minutes while nothing in it allocates.) */
	if (in->pressure ||
	    (!in->idle && now - a->free_changed_usec < vr_auto_settle_usec(s->settle_usec))) {
		snprintf(a->frag_why, sizeof(a->frag_why),
			 "stranded %s below order %u: waiting for an idle VM or steady free memory", x,
			 in->base_order);
		return;
	}
	if (s->compaction &&
	    !(a->compact_unpaid && stranded < vr_sat_add(a->compact_base_stranded, min))) {
		vr_plan_add(p, VR_STEP_COMPACT, VR_TRIGGER_AUTO, 0, 0, NULL);
		snprintf(a->frag_why, sizeof(a->frag_why), "compacting: %s stranded below order %u", x,
			 in->base_order);
		return;
	}
	if (in->order_writable && s->order_min < in->base_order) {
		uint64_t left;
		unsigned o = order_for(in, s->order_min, vr_auto_stranded_leave(in->total_bytes),
				       &left);

		vr_plan_add(p, VR_STEP_SET_ORDER, VR_TRIGGER_AUTO, 0, o, a->frag_why);
		a->lowered = true;
		a->lowered_usec = now;
		a->order_lowerings++;
		snprintf(a->frag_why, sizeof(a->frag_why),
			 "%s stranded below order %u%s: lowering page_reporting_order to %u (%s left below it)",
			 x, in->base_order, s->compaction ? " that compaction cannot merge" : "", o,
			 vr_format_size(left, y, sizeof(y)));
		return;
	}
	snprintf(a->frag_why, sizeof(a->frag_why), "stranded %s below order %u stays: %s", x,
		 in->base_order,
		 !in->order_writable ? "page_reporting_order is read-only"
				     : "reportingOrderMin is not below the reporting order");
}

void vr_auto_decide(struct vr_auto *a, const struct vr_auto_settings *s,
		    const struct vr_auto_input *in, struct vr_plan *out)
{
	bool cache_done;

	memset(out, 0, sizeof(*out));
	cache_observe(a, s, in);
	slab_observe(a, in);
	cache_done = cache_decide(a, s, in, out);
	slab_decide(a, s, in, cache_done, out);
	frag_decide(a, s, in, out);
}

unsigned vr_auto_order_for(const struct vr_auto_input *in, unsigned order_min, uint64_t min,
			   uint64_t *ret_left)
{
	return order_for(in, order_min, min, ret_left);
}

void vr_auto_lowered(struct vr_auto *a, uint64_t now_usec, const char *why)
{
	a->lowered = true;
	a->lowered_usec = now_usec;
	a->order_lowerings++;
	snprintf(a->frag_why, sizeof(a->frag_why), "%s", why);
}

uint64_t vr_auto_cache_keep(const struct vr_auto *a, const struct vr_auto_input *in)
{
	uint64_t keep = vr_auto_inactive_keep(a->active_peak_bytes > in->active_file_bytes
						      ? a->active_peak_bytes
						      : in->active_file_bytes,
					      in->inactive_file_bytes) >>
			a->idle_shift;

	return max3(AUTO_KEEP_MIN_BYTES, a->reserve_bytes, vr_sat_add(keep, keep / 8));
}

void vr_auto_compacted(struct vr_auto *a, uint64_t gained_bytes, uint64_t stranded_before_bytes)
{
	/* Compaction paid when it turned a good part of the stranded memory
	 * into reportable blocks; otherwise it waits for more to build up. */
	a->compact_unpaid = gained_bytes < stranded_before_bytes / 4;
	a->compact_base_stranded = stranded_before_bytes;
}
