/* SPDX-License-Identifier: MIT */
/* The auto policy's decisions on scripted samples: when cold cache is
 * reclaimed and how much, how refaults make it back off, and when the
 * reporting order goes down and back up. */
#include "helpers.h"
#include "common/util.h"
#include "guest/auto.h"

#include <stdio.h>
#include <string.h>

#define SEC VR_USEC_PER_SEC
#define MIB VR_MIB

struct fx {
	struct vr_auto a;
	struct vr_auto_settings s;
	struct vr_auto_input in;
	struct vr_plan p;
	struct vr_buddyinfo b;
};

/* Free memory left by touching 768 MiB and freeing all but one page in
 * 64: 3000 blocks of each order 0..5 (63 pages in every 256 KiB), and
 * 283 blocks of order 10 elsewhere, as a 2 GiB 6.1 guest showed it. */
static void fragmented(struct vr_buddyinfo *b)
{
	unsigned o = 99;

	memset(b, 0, sizeof(*b));
	b->zones = 1;
	b->zone[0].orders = 11;
	snprintf(b->zone[0].name, sizeof(b->zone[0].name), "DMA32");
	for (o = 0; o <= 5; o++)
		b->zone[0].blocks[o] = 3000;
	b->zone[0].blocks[10] = 283;
}

static void tidy(struct vr_buddyinfo *b)
{
	memset(b, 0, sizeof(*b));
	b->zones = 1;
	b->zone[0].orders = 11;
	b->zone[0].blocks[0] = 100;
	b->zone[0].blocks[10] = 800;
}

static void init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	vr_auto_init(&f->a);
	f->s.settle_usec = 24 * SEC;
	f->s.step_bytes = 256 * MIB;
	f->s.order_min = 2;
	f->s.compaction = true;
	f->in.now_usec = 1000 * SEC;
	f->in.have_meminfo = true;
	f->in.total_bytes = 2048 * MIB;
	f->in.have_refault = true;
	f->in.reclaim_usable = true;
	f->in.page_size = 4096;
	f->in.reporting = true;
	f->in.order_writable = true;
	f->in.base_order = 9;
	f->in.order = 9;
	tidy(&f->b);
	f->in.buddy = &f->b;
}

static void step(struct fx *f, uint64_t sec)
{
	f->in.now_usec += sec * SEC;
	vr_auto_decide(&f->a, &f->s, &f->in, &f->p);
}

/* The bytes of a reclaim step in the plan, or 0. */
static uint64_t reclaim_in(const struct fx *f)
{
	unsigned i;

	for (i = 0; i < f->p.n; i++)
		if (f->p.step[i].kind == VR_STEP_RECLAIM)
			return f->p.step[i].bytes;
	return 0;
}

static bool has(const struct fx *f, enum vr_step_kind k, unsigned *ret_order)
{
	unsigned i;

	for (i = 0; i < f->p.n; i++)
		if (f->p.step[i].kind == k) {
			if (ret_order)
				*ret_order = f->p.step[i].order;
			return true;
		}
	return false;
}

/* The kernel's own balance (mm/vmscan.c inactive_is_low()). */
static void test_inactive_keep(void **state)
{
	(void)state;
	/* below 1 GiB of file LRU the ratio is 1 */
	assert_int_equal(vr_auto_inactive_keep(128 * MIB, 640 * MIB), 128 * MIB);
	/* 4 GiB: sqrt(40) = 6 */
	assert_int_equal(vr_auto_inactive_keep(3072 * MIB, 1024 * MIB), 512 * MIB);
	assert_int_equal(vr_auto_inactive_keep(0, 0), 0);
	assert_int_equal(vr_auto_stranded_min(2048 * MIB), 32 * MIB);
	assert_int_equal(vr_auto_stranded_min(16384 * MIB), 256 * MIB);
}

/* Cold cache goes once it has stopped growing for the settle time, busy
 * or not, a step at a time, down to what the kernel keeps inactive. */
static void test_cache_waits_then_reclaims(void **state)
{
	struct fx f;
	int i;

	(void)state;
	init(&f);
	f.in.inactive_file_bytes = 10 * MIB;
	step(&f, 0);
	assert_int_equal(reclaim_in(&f), 0);
	/* a file read grows the cache */
	for (i = 1; i <= 4; i++) {
		f.in.inactive_file_bytes = (uint64_t)i * 160 * MIB;
		f.in.active_file_bytes = i == 4 ? 128 * MIB : 0; /* the hot set, read twice */
		step(&f, 5);
		assert_int_equal(reclaim_in(&f), 0);
	}
	for (i = 0; i < 4; i++) {
		step(&f, 5);
		assert_int_equal(reclaim_in(&f), 0);
		assert_non_null(strstr(f.a.cache_why, "waiting until it has been steady"));
	}
	step(&f, 5); /* 25 s steady */
	assert_int_equal(reclaim_in(&f), 256 * MIB);
	assert_non_null(strstr(f.a.cache_why, "reclaiming 256 MiB of cold cache"));
	f.in.inactive_file_bytes -= 256 * MIB; /* 384 MiB */
	step(&f, 5);
	/* down to the active list and an eighth more: 144 MiB */
	assert_int_equal(reclaim_in(&f), 240 * MIB);
	f.in.inactive_file_bytes -= 240 * MIB;
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 0);
	assert_non_null(strstr(f.a.cache_why, "cold cache at its reserve: inactive file 144 MiB, keeping 144 MiB"));
	/* the kernel moved active pages over: the reserve stays at the peak */
	f.in.active_file_bytes = 100 * MIB;
	f.in.inactive_file_bytes = 172 * MIB;
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 28 * MIB);
	f.in.inactive_file_bytes = 144 * MIB;
	for (i = 0; i < 10; i++) {
		step(&f, 30);
		assert_int_equal(reclaim_in(&f), 0);
	}
	/* ten calm minutes: the peak halves, down to what the list holds */
	step(&f, 300);
	assert_int_equal(f.a.active_peak_bytes, 100 * MIB);
	assert_int_equal(reclaim_in(&f), 144 * MIB - 112 * MIB - 512 * 1024);
	f.in.inactive_file_bytes = 112 * MIB + 512 * 1024;
	/* with no active set, down to 16 MiB, once the peak has decayed */
	f.in.active_file_bytes = 0;
	step(&f, 600);
	step(&f, 600);
	step(&f, 600);
	step(&f, 600);
	assert_true(reclaim_in(&f) > 90 * MIB);
}

/* A quiet CPU uses none of the cache: each quiet step (25 s, or the
 * settle time if shorter) of quiet CPU halves the share kept against the
 * active list, down to a sixteenth, whether or not the idle period has
 * begun; work puts it back at once, and so does a refault after our
 * reclaim (quiet counts from it). */
static void test_cache_idle_ramp(void **state)
{
	struct fx f;

	(void)state;
	init(&f);
	f.in.active_file_bytes = 128 * MIB;
	f.in.inactive_file_bytes = 144 * MIB;
	f.in.idle = false;
	step(&f, 0);
	step(&f, 30);
	assert_int_equal(reclaim_in(&f), 0); /* at the kernel's balance */
	/* quiet for 5 s, not idle (the idle period starts after idleSeconds) */
	f.in.quiet_usec = 5 * SEC;
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 0);
	f.in.quiet_usec = 24 * SEC; /* one settle time (24 s < 25 s) */
	step(&f, 19);
	assert_int_equal(f.a.idle_shift, 1);
	/* 272 - (64 + 8 inactive, 64 active): the active list is asked for
	 * too */
	assert_int_equal(reclaim_in(&f), 136 * MIB);
	assert_non_null(strstr(f.a.cache_why, "active 128 MiB, kept 64 MiB (quiet 24 s)"));
	f.in.active_file_bytes = 64 * MIB;
	f.in.inactive_file_bytes = 72 * MIB;
	f.in.quiet_usec = 48 * SEC;
	step(&f, 24);
	assert_int_equal(reclaim_in(&f), 68 * MIB); /* 136 - (32 + 4, 32) */
	f.in.active_file_bytes = 32 * MIB;
	f.in.inactive_file_bytes = 36 * MIB;
	f.in.quiet_usec = 72 * SEC;
	step(&f, 24);
	assert_int_equal(reclaim_in(&f), 34 * MIB); /* 68 - (16 + 2, 16) */
	f.in.active_file_bytes = 16 * MIB;
	f.in.inactive_file_bytes = 18 * MIB;
	f.in.quiet_usec = 500 * SEC;
	step(&f, 24);
	assert_int_equal(f.a.idle_shift, 4);
	assert_int_equal(reclaim_in(&f), 10 * MIB); /* 34 - (16, 8) */
	/* busy again: the kernel's balance */
	f.in.quiet_usec = 0;
	f.in.inactive_file_bytes = 100 * MIB;
	step(&f, 5);
	assert_int_equal(f.a.idle_shift, 0);
	assert_int_equal(reclaim_in(&f), 0);
	/* quiet again, then a refault after our reclaim: the share is back
	 * in full, and halves again only a quiet step after the refault */
	f.in.quiet_usec = 100 * SEC;
	step(&f, 100);
	assert_int_equal(f.a.idle_shift, 4);
	f.in.refault_bytes += 4 * MIB;
	f.in.quiet_usec += 5 * SEC;
	step(&f, 5);
	assert_int_equal(f.a.refault_events, 1);
	f.in.quiet_usec += 20 * SEC;
	step(&f, 20);
	assert_int_equal(f.a.idle_shift, 0);
	f.in.quiet_usec += 5 * SEC;
	step(&f, 5);
	assert_int_equal(f.a.idle_shift, 1);
}

/* At the shipped idleSeconds (120 s) the cache does not wait for it: 30 s
 * without growth is enough, and the active list's share is down to a
 * sixteenth after 100 s of quiet CPU, long before the idle period would
 * have begun.  A hot set re-read every 20 s (each re-read a busy sample)
 * keeps its full share. */
static void test_cache_shipped_defaults(void **state)
{
	struct fx f;
	int i;

	(void)state;
	init(&f);
	f.s.settle_usec = 120 * SEC;
	f.in.inactive_file_bytes = 10 * MIB;
	step(&f, 0);
	/* a build: 500 MiB of cache, 128 MiB of it active */
	f.in.inactive_file_bytes = 372 * MIB;
	f.in.active_file_bytes = 128 * MIB;
	step(&f, 5);
	for (i = 1; i <= 5; i++) {
		f.in.quiet_usec = (uint64_t)i * 5 * SEC;
		step(&f, 5);
		assert_int_equal(reclaim_in(&f), 0);
		assert_non_null(strstr(f.a.cache_why, "waiting until it has been steady for 30 s"));
	}
	f.in.quiet_usec = 30 * SEC;
	step(&f, 5); /* 30 s steady, 30 s quiet: one halving */
	assert_int_equal(f.a.idle_shift, 1);
	assert_int_equal(reclaim_in(&f), 256 * MIB);
	f.in.inactive_file_bytes -= 256 * MIB; /* 116 MiB */
	f.in.quiet_usec += 5 * SEC;
	step(&f, 5);
	/* 244 - (72 inactive, 64 active) */
	assert_int_equal(reclaim_in(&f), 108 * MIB);
	/* quiet on: what memory.reclaim takes beyond the inactive list
	 * comes off the active one; by 100 s of quiet auto keeps 16 MiB
	 * inactive and 8 MiB active */
	while (f.in.quiet_usec < 100 * SEC || reclaim_in(&f)) {
		uint64_t r = reclaim_in(&f);

		if (r > f.in.inactive_file_bytes) {
			f.in.active_file_bytes -= r - f.in.inactive_file_bytes;
			f.in.inactive_file_bytes = 0;
		} else {
			f.in.inactive_file_bytes -= r;
		}
		f.in.quiet_usec += 5 * SEC;
		step(&f, 5);
	}
	assert_int_equal(f.a.idle_shift, 4);
	assert_int_equal(f.in.inactive_file_bytes + f.in.active_file_bytes, 24 * MIB);
	assert_true(f.in.quiet_usec <= 110 * SEC);

	/* the hot set: 128 MiB re-read every 20 s, quiet between */
	init(&f);
	f.s.settle_usec = 120 * SEC;
	f.in.active_file_bytes = 128 * MIB;
	f.in.inactive_file_bytes = 144 * MIB;
	step(&f, 0);
	for (i = 0; i < 60; i++) {
		f.in.quiet_usec = (uint64_t)(i % 4) * 5 * SEC; /* 0, 5, 10, 15 s */
		step(&f, 5);
		assert_int_equal(f.a.idle_shift, 0);
		assert_int_equal(reclaim_in(&f), 0);
	}
}

/* A user who raises idleSeconds above its default slows auto too: at
 * 600 s no reclaim before 150 s (a quarter of it) of a steady cache. */
static void test_cache_settle_follows_idle_seconds(void **state)
{
	struct fx f;
	int i;

	(void)state;
	assert_int_equal(vr_auto_settle_usec(10 * SEC), 10 * SEC);
	assert_int_equal(vr_auto_settle_usec(60 * SEC), 30 * SEC);
	assert_int_equal(vr_auto_settle_usec(120 * SEC), 30 * SEC);
	init(&f);
	f.s.settle_usec = 600 * SEC;
	f.in.inactive_file_bytes = 10 * MIB;
	step(&f, 0);
	f.in.inactive_file_bytes = 400 * MIB;
	step(&f, 5);
	for (i = 1; i < 30; i++) {
		f.in.quiet_usec = (uint64_t)i * 5 * SEC;
		step(&f, 5);
		assert_int_equal(reclaim_in(&f), 0);
		assert_non_null(strstr(f.a.cache_why, "waiting until it has been steady for 150 s"));
	}
	f.in.quiet_usec += 5 * SEC;
	step(&f, 5);
	assert_true(reclaim_in(&f) > 0);
}

/* A step that asked for active pages and left the cache where it was
 * (pages in use) is not asked again every sample, but after the settle
 * time. */
static void test_cache_active_not_giving_way(void **state)
{
	struct fx f;

	(void)state;
	init(&f);
	f.in.active_file_bytes = 128 * MIB;
	f.in.inactive_file_bytes = 144 * MIB;
	step(&f, 0);
	f.in.quiet_usec = 100 * SEC;
	step(&f, 30);
	assert_int_equal(f.a.idle_shift, 4);
	assert_int_equal(reclaim_in(&f), 272 * MIB - 16 * MIB - 8 * MIB);
	/* the kernel took the inactive list only */
	f.in.inactive_file_bytes = 16 * MIB;
	f.in.quiet_usec += 5 * SEC;
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 120 * MIB);
	/* and then nothing: the active list stays */
	f.in.quiet_usec += 5 * SEC;
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 0);
	assert_non_null(strstr(f.a.cache_why, "reclaimed less than asked"));
	f.in.quiet_usec += 15 * SEC;
	step(&f, 15);
	assert_int_equal(reclaim_in(&f), 0);
	f.in.quiet_usec += 10 * SEC;
	step(&f, 10); /* the settle time (24 s) after */
	assert_int_equal(reclaim_in(&f), 120 * MIB);
}

/* The slab, too, waits 30 s at the shipped idleSeconds, not 120 s. */
static void test_slab_shipped_defaults(void **state);

/* The CPU does not matter to cache reclaim; the guest's pressure does. */
static void test_cache_busy_and_pressure(void **state)
{
	struct fx f;

	(void)state;
	init(&f);
	f.in.inactive_file_bytes = 600 * MIB;
	step(&f, 0);
	f.in.idle = false;
	step(&f, 30);
	assert_int_equal(reclaim_in(&f), 256 * MIB);
	f.in.pressure = true;
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.cache_why, "pressure"));
	f.in.pressure = false;
	f.in.reclaim_usable = false;
	f.in.reclaim_unusable_why = "no memory.reclaim";
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 0);
	assert_non_null(strstr(f.a.cache_why, "no memory.reclaim"));
}

/* Pages read back after a reclaim: back off (60 s, then 120 s), keep twice
 * what came back; refaults with no reclaim of ours behind them do not
 * count; ten calm minutes halve the reserve. */
static void test_refault_backoff(void **state)
{
	struct fx f;

	(void)state;
	init(&f);
	f.in.inactive_file_bytes = 600 * MIB;
	f.in.refault_bytes = 4 * MIB;
	step(&f, 0);
	step(&f, 30);
	assert_int_equal(reclaim_in(&f), 256 * MIB);
	f.in.inactive_file_bytes = 344 * MIB;
	f.in.refault_bytes += 20 * MIB;
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 0);
	assert_int_equal(f.a.refault_events, 1);
	assert_int_equal(f.a.reserve_bytes, 40 * MIB);
	assert_non_null(strstr(f.a.cache_why, "backing off 60 s more: 20 MiB came back"));
	step(&f, 55);
	assert_int_equal(reclaim_in(&f), 0);
	step(&f, 5);
	/* 344 MiB inactive, 40 MiB reserve */
	assert_int_equal(reclaim_in(&f), 256 * MIB);
	f.in.inactive_file_bytes = 88 * MIB;
	f.in.refault_bytes += 2 * MIB;
	step(&f, 5);
	assert_int_equal(f.a.refault_events, 2);
	assert_int_equal(f.a.reserve_bytes, 44 * MIB);
	assert_non_null(strstr(f.a.cache_why, "backing off 120 s more"));
	/* a refault under 1 MiB is noise */
	f.in.refault_bytes += 512 * 1024;
	step(&f, 125);
	assert_int_equal(f.a.refault_events, 2);
	assert_int_equal(reclaim_in(&f), 44 * MIB);
	/* calm */
	f.in.inactive_file_bytes = 44 * MIB;
	step(&f, 600);
	assert_int_equal(f.a.reserve_bytes, 22 * MIB);
	step(&f, 5);
	assert_int_equal(reclaim_in(&f), 22 * MIB);

	/* the guest's own refaults, long after any reclaim of ours */
	init(&f);
	f.in.inactive_file_bytes = 10 * MIB;
	step(&f, 0);
	f.in.refault_bytes += 100 * MIB;
	step(&f, 5);
	assert_int_equal(f.a.refault_events, 0);
	assert_int_equal(f.a.reserve_bytes, 0);
}

/* Little stranded: nothing.  Much stranded on an idle VM: compaction
 * first; when it pays, again; when it does not, the order goes down to
 * the highest that leaves less than the minimum stranded (not below
 * reportingOrderMin), and back up after the hold. */
static void test_fragmentation(void **state)
{
	struct fx f;
	unsigned o = 99;

	(void)state;
	init(&f);
	f.in.idle = true;
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "less than the 32 MiB worth acting on"));
	fragmented(&f.b);
	f.in.idle = false;
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "waiting for an idle VM or steady free memory"));
	f.in.idle = true;
	step(&f, 5);
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
	/* compaction gained nothing */
	vr_auto_compacted(&f.a, 0, 738 * MIB);
	step(&f, 5);
	assert_false(has(&f, VR_STEP_COMPACT, NULL));
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	/* order 2 leaves 35 MiB, order 1 12 MiB; 2 is the floor */
	assert_int_equal(o, 2);
	assert_int_equal(f.a.order_lowerings, 1);
	f.in.order = 2;
	step(&f, 30);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "lowered to 2"));
	step(&f, 30);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 9);
	f.in.order = 9;
	/* handed back: not again for the same fragments */
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "already reported"));
	/* with reportingOrderMin 0 the first order that leaves less than
	 * 8 MiB (vr_auto_stranded_leave()) wins: order 1 leaves 12 MiB */
	init(&f);
	f.s.order_min = 0;
	f.in.idle = true;
	fragmented(&f.b);
	step(&f, 5);
	vr_auto_compacted(&f.a, 0, 738 * MIB);
	step(&f, 5);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 0);
}

/* What a hold handed back is only what lay at or above the lowered order:
 * a reclaim during the hold (6.1 build at the defaults: order 8, then
 * 62 MiB more in blocks of orders 5-7) leaves small blocks a lower order
 * still reports, and they are acted on; what is left between
 * reportingOrderMin and the order then (here 5 MiB below 6, under the
 * 32 MiB minimum) is not. */
static void test_fragmentation_during_hold(void **state)
{
	struct fx f;
	unsigned o = 99;

	(void)state;
	init(&f);
	f.in.idle = true;
	memset(&f.b, 0, sizeof(f.b));
	f.b.zones = 1;
	f.b.zone[0].orders = 11;
	f.b.zone[0].blocks[8] = 40; /* 40 MiB */
	f.b.zone[0].blocks[10] = 283;
	f.in.buddy = &f.b;
	step(&f, 5);
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
	vr_auto_compacted(&f.a, 0, 40 * MIB);
	step(&f, 5);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 8);
	f.in.order = 8;
	/* the cache loop's reclaim frees 30 MiB in order 7, 20 MiB in 6,
	 * 5 MiB in 5 */
	f.b.zone[0].blocks[7] = 60;
	f.b.zone[0].blocks[6] = 80;
	f.b.zone[0].blocks[5] = 40;
	step(&f, 30);
	step(&f, 30);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 9);
	f.in.order = 9;
	/* 55 MiB below order 8 was never reported: not "already reported" */
	step(&f, 5);
	assert_null(strstr(f.a.frag_why, "already reported"));
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
	vr_auto_compacted(&f.a, 0, 95 * MIB);
	step(&f, 5);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	/* order 7 would leave 25 MiB, order 6 the 5 MiB of order 5 */
	assert_int_equal(o, 6);
	f.in.order = 6;
	step(&f, 30);
	step(&f, 30);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 9);
	f.in.order = 9;
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "already reported"));
	assert_int_equal(f.a.order_lowerings, 2);
}

/* A busy-looking VM whose free memory has not moved for the settle time:
 * its fragments are not about to be used, so they are handed back; free
 * memory on the move holds that off. */
static void test_fragmentation_steady(void **state)
{
	struct fx f;
	int i;

	(void)state;
	init(&f);
	fragmented(&f.b);
	f.in.free_bytes = 1800 * MIB;
	for (i = 0; i < 8; i++) {
		f.in.free_bytes += (i % 2) ? 20 * MIB : -20 * MIB;
		step(&f, 5);
		assert_int_equal(f.p.n, 0);
	}
	for (i = 0; i < 4; i++) {
		step(&f, 5);
		assert_int_equal(f.p.n, 0);
	}
	step(&f, 5); /* 25 s steady */
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
}

/* At the shipped idleSeconds (120 s) a busy VM's fragments wait 30 s of
 * steady free memory, not 120 s. */
static void test_fragmentation_steady_defaults(void **state)
{
	struct fx f;
	int i;

	(void)state;
	init(&f);
	f.s.settle_usec = 120 * SEC;
	fragmented(&f.b);
	f.in.free_bytes = 1800 * MIB;
	step(&f, 5);
	for (i = 0; i < 5; i++) {
		step(&f, 5);
		assert_int_equal(f.p.n, 0);
		assert_non_null(strstr(f.a.frag_why, "waiting for an idle VM or steady free memory"));
	}
	step(&f, 5); /* 30 s steady */
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
}

/* Compaction that pays is used again; the order goes back up as soon as
 * the VM is busy; a read-only order or a floor at the kernel's order
 * leaves the fragments where they are, and says why. */
static void test_fragmentation_limits(void **state)
{
	struct fx f;
	unsigned o = 99;

	(void)state;
	init(&f);
	f.in.idle = true;
	fragmented(&f.b);
	step(&f, 5);
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
	vr_auto_compacted(&f.a, 400 * MIB, 738 * MIB);
	step(&f, 5);
	assert_true(has(&f, VR_STEP_COMPACT, NULL));
	vr_auto_compacted(&f.a, 0, 738 * MIB);
	step(&f, 5);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	f.in.order = o;
	/* the worker's own work makes the VM look busy: the order stays */
	f.in.idle = false;
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	/* the guest's own pressure puts it back at once */
	f.in.pressure = true;
	step(&f, 5);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 9);
	assert_non_null(strstr(f.a.frag_why, "memory pressure"));
	/* not reported in full: tried again when idle */
	f.in.order = 9;
	f.in.pressure = false;
	f.in.idle = true;
	step(&f, 5);
	assert_true(has(&f, VR_STEP_SET_ORDER, &o));
	assert_int_equal(o, 2);

	init(&f);
	f.in.idle = true;
	f.s.compaction = false;
	f.in.order_writable = false;
	fragmented(&f.b);
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "read-only"));
	f.in.order_writable = true;
	f.s.order_min = 9;
	step(&f, 5);
	assert_int_equal(f.p.n, 0);
	assert_non_null(strstr(f.a.frag_why, "reportingOrderMin"));
	f.in.reporting = false;
	step(&f, 5);
	assert_non_null(strstr(f.a.frag_why, "no free page reporting"));
	f.in.buddy = NULL;
	f.in.reporting = true;
	step(&f, 5);
	assert_non_null(strstr(f.a.frag_why, "unknown"));
}

/* The slab drop in the plan (drop_caches = 2). */
static bool slab_drop_in(const struct fx *f)
{
	unsigned i;

	for (i = 0; i < f->p.n; i++)
		if (f->p.step[i].kind == VR_STEP_DROPCACHE && f->p.step[i].bytes == VR_AUTO_DROP_SLAB)
			return true;
	return false;
}

/* A cache at its reserve and a slab of @slab_mib. */
static void slab_init(struct fx *f, uint64_t slab_mib)
{
	init(f);
	f->in.inactive_file_bytes = 10 * MIB;
	f->in.have_slab = true;
	f->in.slab_bytes = slab_mib * MIB;
}

/* A slab that grew and went quiet is dropped once it has been steady for
 * the settle time, once, and what it returned is counted. */
static void test_slab_settled(void **state)
{
	struct fx f;
	int i;

	(void)state;
	slab_init(&f, 12);
	step(&f, 0);
	assert_false(slab_drop_in(&f));
	assert_non_null(strstr(f.a.slab_why, "below the 48 MiB worth acting on"));
	/* a tree walk: 290 MiB of dentries and inodes */
	for (i = 1; i <= 4; i++) {
		f.in.slab_bytes = 12 * MIB + (uint64_t)i * 70 * MIB;
		step(&f, 5);
		assert_false(slab_drop_in(&f));
	}
	for (i = 0; i < 4; i++) {
		step(&f, 5);
		assert_false(slab_drop_in(&f));
		assert_non_null(strstr(f.a.slab_why, "waiting until it has been steady for 24 s"));
	}
	assert_int_equal(f.a.slab_cold_bytes, 0);
	step(&f, 5); /* 25 s steady */
	assert_true(slab_drop_in(&f));
	assert_int_equal(reclaim_in(&f), 0);
	assert_non_null(strstr(f.a.slab_why, "dropping the slab: SReclaimable 292 MiB, 260 MiB cold"));
	assert_int_equal(f.a.slab_drops, 1);
	/* the next sample sees what it returned */
	f.in.slab_bytes = 14 * MIB;
	step(&f, 5);
	assert_false(slab_drop_in(&f));
	assert_int_equal(f.a.slab_returned_bytes, 278 * MIB);
	/* an idle VM: nothing more, however long */
	for (i = 0; i < 40; i++) {
		step(&f, 30);
		assert_false(slab_drop_in(&f));
	}
	assert_int_equal(f.a.slab_drops, 1);
	assert_int_equal(f.a.slab_reuse_events, 0);
	/* a drop that left the slab high (in use): not again until it grows */
	slab_init(&f, 300);
	step(&f, 0);
	step(&f, 25);
	assert_true(slab_drop_in(&f));
	f.in.slab_bytes = 290 * MIB;
	for (i = 0; i < 20; i++) {
		step(&f, 30);
		assert_false(slab_drop_in(&f));
	}
	assert_int_equal(f.a.slab_drops, 1);
}

/* Not while the slab grows, not before the file cache is done, not
 * under the guest's own pressure, nor during a refault back-off. */
static void test_slab_not_while_growing(void **state)
{
	struct fx f;
	int i;

	(void)state;
	slab_init(&f, 100);
	step(&f, 0);
	/* 20 MiB more every 5 s: more than the 16 MiB tolerance */
	for (i = 0; i < 40; i++) {
		f.in.slab_bytes += 20 * MIB;
		step(&f, 5);
		assert_false(slab_drop_in(&f));
	}
	assert_non_null(strstr(f.a.slab_why, "grew 0 s ago"));
	/* steady now, but the cache loop still has cold cache to take */
	f.in.inactive_file_bytes = 600 * MIB;
	step(&f, 5);
	for (i = 0; i < 6; i++) {
		step(&f, 5);
		assert_false(slab_drop_in(&f));
	}
	assert_true(reclaim_in(&f) > 0);
	assert_non_null(strstr(f.a.slab_why, "after the file cache (not done yet)"));
	f.in.inactive_file_bytes = 10 * MIB;
	f.in.pressure = true;
	step(&f, 5);
	assert_false(slab_drop_in(&f));
	assert_non_null(strstr(f.a.slab_why, "memory pressure"));
	f.in.pressure = false;
	/* a refault back-off holds the slab off too */
	f.a.backoff_until_usec = f.in.now_usec + 60 * SEC;
	step(&f, 5);
	assert_false(slab_drop_in(&f));
	assert_non_null(strstr(f.a.slab_why, "backing off after refaults"));
	step(&f, 60);
	assert_true(slab_drop_in(&f));
	/* without a usable memory.reclaim the slab is still dropped */
	slab_init(&f, 300);
	f.in.reclaim_usable = false;
	f.in.reclaim_unusable_why = "swap on 6.1";
	step(&f, 0);
	step(&f, 25);
	assert_true(slab_drop_in(&f));
}

/* A slab that comes back soon after a drop is in use: the next drop
 * waits for 60 s more of quiet, then 120 s, counted from when it stops
 * growing; a drop it does not come back from resets the back-off. */
static void test_slab_backoff(void **state)
{
	struct fx f;
	int i;

	(void)state;
	slab_init(&f, 300);
	step(&f, 0);
	step(&f, 25);
	assert_true(slab_drop_in(&f));
	f.in.slab_bytes = 12 * MIB;
	step(&f, 5);
	/* the tree is walked again, for longer than the back-off */
	for (i = 1; i <= 20; i++) {
		f.in.slab_bytes = 12 * MIB + (uint64_t)i * 288 * MIB / 20;
		step(&f, 5);
		assert_false(slab_drop_in(&f));
	}
	assert_int_equal(f.a.slab_reuse_events, 1);
	/* steady for the settle time and 60 s more */
	for (i = 0; i < 16; i++) {
		step(&f, 5);
		assert_false(slab_drop_in(&f));
	}
	assert_non_null(strstr(f.a.slab_why, "came back after a drop, backing off 4 s more"));
	step(&f, 5); /* 85 s steady */
	assert_true(slab_drop_in(&f));
	f.in.slab_bytes = 12 * MIB;
	step(&f, 5);
	f.in.slab_bytes = 300 * MIB;
	step(&f, 5);
	assert_int_equal(f.a.slab_reuse_events, 2);
	for (i = 0; i < 28; i++) {
		step(&f, 5);
		assert_false(slab_drop_in(&f));
	}
	step(&f, 5); /* 24 + 120 s */
	assert_true(slab_drop_in(&f));
	/* this time it stays away: after ten calm minutes the back-off is
	 * back at 60 s */
	f.in.slab_bytes = 12 * MIB;
	step(&f, 5);
	step(&f, 600);
	assert_int_equal(f.a.slab_backoff_usec, VR_AUTO_BACKOFF_MIN_USEC);
	assert_int_equal(f.a.slab_reuse_events, 2);
	assert_int_equal(f.a.slab_drops, 3);
	assert_int_equal(f.a.slab_returned_bytes, 3 * 288 * MIB);
}

static void test_slab_shipped_defaults(void **state)
{
	struct fx f;
	int i;

	(void)state;
	slab_init(&f, 12);
	f.s.settle_usec = 120 * SEC;
	step(&f, 0);
	f.in.slab_bytes = 290 * MIB;
	step(&f, 5);
	for (i = 0; i < 5; i++) {
		step(&f, 5);
		assert_false(slab_drop_in(&f));
		assert_non_null(strstr(f.a.slab_why, "waiting until it has been steady for 30 s"));
	}
	step(&f, 5);
	assert_true(slab_drop_in(&f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inactive_keep),
		cmocka_unit_test(test_cache_waits_then_reclaims),
		cmocka_unit_test(test_cache_busy_and_pressure),
		cmocka_unit_test(test_cache_idle_ramp),
		cmocka_unit_test(test_cache_shipped_defaults),
		cmocka_unit_test(test_cache_settle_follows_idle_seconds),
		cmocka_unit_test(test_cache_active_not_giving_way),
		cmocka_unit_test(test_slab_shipped_defaults),
		cmocka_unit_test(test_refault_backoff),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_fragmentation_during_hold),
		cmocka_unit_test(test_fragmentation_limits),
		cmocka_unit_test(test_fragmentation_steady),
		cmocka_unit_test(test_fragmentation_steady_defaults),
		cmocka_unit_test(test_slab_settled),
		cmocka_unit_test(test_slab_not_while_growing),
		cmocka_unit_test(test_slab_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
