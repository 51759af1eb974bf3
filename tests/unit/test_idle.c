/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/util.h"
#include "guest/idle.h"

#define SEC VR_USEC_PER_SEC

/* Feed a sample @dt_sec after the last with @busy_pct of 100 ticks/s. */
struct feed {
	struct vr_idle t;
	uint64_t now, busy, total;
};

/* Feed a sample @dt_usec after the last with @busy of @total new ticks. */
static enum vr_idle_event feed_ticks(struct feed *f, uint64_t dt_usec, uint64_t busy,
				     uint64_t total)
{
	struct vr_cpustat s;

	f->now += dt_usec;
	f->busy += busy;
	f->total += total;
	s.busy = f->busy;
	s.total = f->total;
	return vr_idle_update(&f->t, f->now, &s, 0);
}

static enum vr_idle_event step(struct feed *f, unsigned dt_sec, unsigned busy_pct)
{
	uint64_t ticks = (uint64_t)dt_sec * 100;

	return feed_ticks(f, dt_sec * SEC, ticks * busy_pct / 100, ticks);
}

static void feed_init(struct feed *f, double thr, unsigned window_sec)
{
	vr_idle_init(&f->t, thr, window_sec * SEC);
	f->now = 1000 * SEC;
	f->busy = 5000;
	f->total = 100000;
}

static void test_enters_after_window(void **state)
{
	struct feed f;
	int i;

	(void)state;
	feed_init(&f, 1.0, 120);
	assert_int_equal(step(&f, 0, 0), VR_IDLE_NONE); /* baseline */
	for (i = 0; i < 23; i++)
		assert_int_equal(step(&f, 5, 0), VR_IDLE_NONE);
	assert_false(f.t.idle);
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 115 * SEC);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	assert_true(f.t.idle);
	assert_int_equal(f.t.periods, 1);
	/* Stays idle without a second ENTER. */
	assert_int_equal(step(&f, 5, 0), VR_IDLE_NONE);
	assert_true(f.t.idle);
}

static void test_busy_sample_resets_window(void **state)
{
	struct feed f;
	int i;

	(void)state;
	feed_init(&f, 1.0, 30);
	step(&f, 0, 0);
	for (i = 0; i < 5; i++)
		step(&f, 5, 0);
	/* 1% is not below a 1% threshold. */
	assert_int_equal(step(&f, 5, 1), VR_IDLE_NONE);
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(step(&f, 5, 0), VR_IDLE_NONE);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	assert_int_equal(step(&f, 5, 50), VR_IDLE_LEAVE);
	assert_false(f.t.idle);
	assert_true(f.t.last_busy_pct > 49.9 && f.t.last_busy_pct < 50.1);
}

static void test_fractional_threshold(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f, 0.5, 10);
	step(&f, 0, 0);
	/* 0.4% busy: 2 of 500 ticks. */
	f.busy += 2;
	assert_int_equal(step(&f, 5, 0), VR_IDLE_NONE);
	f.busy += 2;
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	f.busy += 3; /* 0.6% */
	assert_int_equal(step(&f, 5, 0), VR_IDLE_LEAVE);
}

static void test_counters_backwards_reset(void **state)
{
	struct feed f;
	struct vr_cpustat s;

	(void)state;
	feed_init(&f, 1.0, 10);
	step(&f, 0, 0);
	step(&f, 5, 0);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	/* A restored snapshot or CPU unplug: totals shrink. */
	s.busy = f.busy;
	s.total = f.total - 1000;
	f.now += 5 * SEC;
	assert_int_equal(vr_idle_update(&f.t, f.now, &s, 0), VR_IDLE_LEAVE);
	assert_int_equal(f.t.resets, 1);
	f.total = s.total;
	/* The window starts again from there. */
	assert_int_equal(step(&f, 5, 0), VR_IDLE_NONE);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	/* busy going backwards alone also resets. */
	s.busy = f.busy - 1;
	s.total = f.total + 500;
	f.now += 5 * SEC;
	assert_int_equal(vr_idle_update(&f.t, f.now, &s, 0), VR_IDLE_LEAVE);
}

static void test_clock_backwards_reset(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f, 1.0, 10);
	step(&f, 0, 0);
	step(&f, 5, 0);
	f.now -= 60 * SEC;
	assert_int_equal(step(&f, 0, 0), VR_IDLE_NONE);
	assert_int_equal(f.t.resets, 1);
	assert_false(f.t.idle);
}

static void test_no_ticks_is_no_information(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f, 1.0, 10);
	step(&f, 0, 0);
	/* Time passes but the counters do not: nothing learned, no busy
	 * figure, and no division by zero. */
	assert_int_equal(step(&f, 0, 0), VR_IDLE_NONE);
	f.now += 60 * SEC;
	assert_int_equal(step(&f, 0, 0), VR_IDLE_NONE);
	assert_false(f.t.have_busy);
	assert_false(f.t.idle);
}

static void test_reset_and_configure(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f, 1.0, 10);
	step(&f, 0, 0);
	step(&f, 5, 0);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	assert_int_equal(vr_idle_reset(&f.t), VR_IDLE_LEAVE);
	assert_int_equal(vr_idle_reset(&f.t), VR_IDLE_NONE);
	step(&f, 5, 0);
	step(&f, 5, 0);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	/* New settings: the window starts again. */
	vr_idle_configure(&f.t, 2.0, 20 * SEC, f.now);
	assert_false(f.t.idle);
	assert_int_equal(step(&f, 10, 1), VR_IDLE_NONE);
	assert_int_equal(step(&f, 10, 1), VR_IDLE_ENTER);
}

static void test_own_work_is_not_busy(void **state)
{
	struct feed f;
	struct vr_cpustat s;

	(void)state;
	feed_init(&f, 1.0, 10);
	step(&f, 0, 0);
	step(&f, 5, 0);
	assert_int_equal(step(&f, 5, 0), VR_IDLE_ENTER);
	/* 40 ticks of 500 busy (8%), all of them the service's own
	 * compaction: still idle. */
	f.now += 5 * VR_USEC_PER_SEC;
	f.busy += 40;
	f.total += 500;
	s.busy = f.busy;
	s.total = f.total;
	assert_int_equal(vr_idle_update(&f.t, f.now, &s, 40), VR_IDLE_NONE);
	assert_true(f.t.idle);
	/* 40 busy of which 20 were ours: 4% is busy. */
	f.now += 5 * VR_USEC_PER_SEC;
	f.busy += 40;
	f.total += 500;
	s.busy = f.busy;
	s.total = f.total;
	assert_int_equal(vr_idle_update(&f.t, f.now, &s, 20), VR_IDLE_LEAVE);
	/* More of "ours" than there was busy time (rounding): 0, not a wrap. */
	f.now += 5 * VR_USEC_PER_SEC;
	f.busy += 1;
	f.total += 500;
	s.busy = f.busy;
	s.total = f.total;
	vr_idle_update(&f.t, f.now, &s, 7);
	assert_true(f.t.last_busy_pct == 0.0);
}

/* At 1 s samples one blip of 2 ticks (1% of that second on 2 CPUs, which a
 * sampler's wake-up reaches) is judged over 4 s: 0.25%, quiet.  Real work
 * still ends the quiet at its first sample, and a busy sample is judged
 * busy for the span it falls in. */
static void test_short_samples_judged_over_span(void **state)
{
	struct feed f;
	int i;

	(void)state;
	feed_init(&f, 1.0, 24);
	step(&f, 0, 0);
	for (i = 1; i <= 23; i++) {
		if (i % 5 == 0)
			f.busy += 2;
		assert_int_equal(step(&f, 1, 0), VR_IDLE_NONE);
	}
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 23 * SEC);
	assert_int_equal(step(&f, 1, 0), VR_IDLE_ENTER);
	/* the span: the last 4 s, 1 s busy at 5% of 100 ticks a second
	 * (fed as one CPU): 5 of 400 ticks, 1.25% */
	assert_int_equal(step(&f, 1, 5), VR_IDLE_LEAVE);
	assert_true(f.t.last_busy_pct > 1.24 && f.t.last_busy_pct < 1.26);
	/* and it counts against the quiet until it is out of the span */
	for (i = 0; i < 3; i++) {
		assert_int_equal(step(&f, 1, 0), VR_IDLE_NONE);
		assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 0);
	}
	/* out of the span 4 s after it: quiet from the last busy one */
	assert_int_equal(step(&f, 1, 0), VR_IDLE_NONE);
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 1 * SEC);
}

/* Before the span is covered (the first samples after a reset), the
 * judgement is over what there is. */
static void test_span_from_first_sample(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f, 1.0, 10);
	step(&f, 0, 0);
	assert_int_equal(step(&f, 1, 2), VR_IDLE_NONE);
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 0);
	assert_true(f.t.last_busy_pct > 1.99 && f.t.last_busy_pct < 2.01);
	/* 2 of 200 ticks: 1%, still busy */
	assert_int_equal(step(&f, 1, 0), VR_IDLE_NONE);
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 0);
	/* 2 of 300 */
	step(&f, 1, 0);
	assert_true(f.t.last_busy_pct < 1.0);
}

/* At sampleInterval 4 a tick a few ms early is judged over its own
 * interval, not over the two last (which would halve its busy share and
 * let 1.5% pass as 0.75%). */
static void test_span_allows_jitter(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f, 1.0, 120);
	step(&f, 0, 0);
	step(&f, 4, 0);
	step(&f, 4, 0);
	/* 3.99 s later, 6 of 399 ticks busy: 1.5% */
	feed_ticks(&f, 3990 * SEC / 1000, 6, 399);
	assert_true(f.t.last_busy_pct > 1.49 && f.t.last_busy_pct < 1.51);
	assert_int_equal(vr_idle_quiet_usec(&f.t, f.now), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enters_after_window),
		cmocka_unit_test(test_busy_sample_resets_window),
		cmocka_unit_test(test_fractional_threshold),
		cmocka_unit_test(test_counters_backwards_reset),
		cmocka_unit_test(test_clock_backwards_reset),
		cmocka_unit_test(test_no_ticks_is_no_information),
		cmocka_unit_test(test_reset_and_configure),
		cmocka_unit_test(test_own_work_is_not_busy),
		cmocka_unit_test(test_short_samples_judged_over_span),
		cmocka_unit_test(test_span_from_first_sample),
		cmocka_unit_test(test_span_allows_jitter),
	};

	return cmocka_run_group_tests_name("idle", tests, NULL, NULL);
}
