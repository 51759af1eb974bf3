/* SPDX-License-Identifier: MIT */
/* The benchmark's peers decide as the behaviour they follow says (the
 * descriptions are in bench/peers/wsl_policy.h), on scripted samples. */
#include "helpers.h"
#include "common/util.h"
#include "../../bench/peers/wsl_policy.h"

#include <string.h>

struct script {
	struct peer p;
	struct peer_input in;
	struct peer_output out;
};

/* One 10 s sample at @busy_permille of 2 CPUs (100 ticks/s each). */
static struct peer_output *sample(struct script *s, unsigned busy_permille)
{
	uint64_t ticks = 2000;

	s->in.cpu.busy += ticks * busy_permille / 1000;
	s->in.cpu.total += ticks;
	peer_step(&s->p, &s->in, &s->out);
	return &s->out;
}

static void init(struct script *s, enum peer_kind k)
{
	memset(s, 0, sizeof(*s));
	peer_init(&s->p, k);
	s->in.cpu.busy = 1000;
	s->in.cpu.total = 100000;
	s->in.have_mem = true;
	s->in.mem_total_bytes = 2 * VR_GIB;
	s->in.file_cache_bytes = VR_GIB;
}

static bool nothing(const struct peer_output *o)
{
	return !o->sync && !o->drop_value && !o->reclaim_bytes && !o->compact;
}

/* Idle needs 2 minutes (12 samples) at or under 0.5%, and the last 10 s. */
static void test_wsl_idle_needs_two_minutes(void **state)
{
	struct script s;
	int i;

	(void)state;
	init(&s, PEER_WSL_DROPCACHE);
	for (i = 0; i < 12; i++)
		assert_true(nothing(sample(&s, 5))); /* 0.5%: quiet enough */
	assert_false(s.p.idle);
	sample(&s, 5); /* the 13th sample closes 12 intervals */
	assert_true(s.p.idle);
	/* 0.6% in the last 10 s ends it. */
	assert_true(nothing(sample(&s, 6)));
	assert_false(s.p.idle);
}

static void test_wsl_two_minute_average(void **state)
{
	struct script s;
	int i;

	(void)state;
	init(&s, PEER_WSL_DROPCACHE);
	/* One busy burst (5%) then quiet: the last 10 s are quiet but the
	 * 2-minute average (5% + 11 x 0%) / 12 = 0.42% is under 0.5%. */
	sample(&s, 0);
	sample(&s, 50);
	for (i = 0; i < 11; i++)
		sample(&s, 0);
	assert_true(s.p.idle);
	/* 7% in one sample: (7% + 11 x 0) / 12 = 0.58% > 0.5%. */
	init(&s, PEER_WSL_DROPCACHE);
	sample(&s, 0);
	sample(&s, 70);
	for (i = 0; i < 11; i++)
		sample(&s, 0);
	assert_false(s.p.idle);
}

static void test_wsl_dropcache_once_per_period(void **state)
{
	struct script s;
	struct peer_output *o;
	int i;

	(void)state;
	init(&s, PEER_WSL_DROPCACHE);
	for (i = 0; i < 12; i++)
		sample(&s, 0);
	o = sample(&s, 0);
	assert_int_equal(o->drop_value, 3);
	assert_true(o->compact);
	assert_false(o->sync);
	for (i = 0; i < 5; i++)
		assert_true(nothing(sample(&s, 0)));
	sample(&s, 100);
	for (i = 0; i < 11; i++)
		sample(&s, 0);
	assert_false(s.p.idle); /* the 10% burst is still in the window */
	o = sample(&s, 0);      /* now it is out */
	assert_true(s.p.idle);
	assert_int_equal(o->drop_value, 3);
}

static void test_wsl_gradual_steps(void **state)
{
	struct script s;
	struct peer_output *o;
	int i;

	(void)state;
	init(&s, PEER_WSL_GRADUAL);
	for (i = 0; i < 12; i++)
		sample(&s, 0);
	/* RAM 2 GiB: step = 64 MiB -> clamped to 256 MiB. */
	o = sample(&s, 0);
	assert_int_equal(o->reclaim_bytes, 256 * VR_MIB);
	assert_true(o->compact);
	assert_int_equal(o->drop_value, 0);
	/* Every idle tick, down to the 128 MiB floor. */
	s.in.file_cache_bytes = 200 * VR_MIB;
	o = sample(&s, 0);
	assert_int_equal(o->reclaim_bytes, 72 * VR_MIB);
	s.in.file_cache_bytes = 128 * VR_MIB;
	assert_true(nothing(sample(&s, 0)));
	/* 64 GiB of RAM: the step is capped at 1 GiB. */
	s.in.mem_total_bytes = 64 * VR_GIB;
	s.in.file_cache_bytes = 8 * VR_GIB;
	o = sample(&s, 0);
	assert_int_equal(o->reclaim_bytes, VR_GIB);
}

static void test_wsl_19013_compacts_on_entry(void **state)
{
	struct script s;
	int i;

	(void)state;
	init(&s, PEER_WSL_19013);
	assert_true(nothing(sample(&s, 0))); /* the first sample is a baseline */
	assert_true(sample(&s, 9)->compact);  /* 0.9% < 1% */
	for (i = 0; i < 5; i++)
		assert_true(nothing(sample(&s, 0)));
	assert_true(nothing(sample(&s, 10))); /* 1%: not idle */
	assert_true(sample(&s, 0)->compact);
	assert_int_equal(s.out.drop_value, 0);
}

static void test_cron_every_tick(void **state)
{
	struct script s;
	int i;

	(void)state;
	init(&s, PEER_CRON);
	for (i = 0; i < 3; i++) {
		struct peer_output *o = sample(&s, i == 1 ? 900 : 0); /* busy or not */

		assert_true(o->sync);
		assert_int_equal(o->drop_value, 3);
		assert_true(o->compact);
	}
}

static void test_kind_names(void **state)
{
	enum peer_kind k;

	(void)state;
	assert_int_equal(peer_kind_parse("wsl-gradual", &k), 0);
	assert_int_equal(k, PEER_WSL_GRADUAL);
	assert_int_equal(peer_kind_parse("cron", &k), 0);
	assert_int_equal(k, PEER_CRON);
	assert_int_not_equal(peer_kind_parse("wsl", &k), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wsl_idle_needs_two_minutes),
		cmocka_unit_test(test_wsl_two_minute_average),
		cmocka_unit_test(test_wsl_dropcache_once_per_period),
		cmocka_unit_test(test_wsl_gradual_steps),
		cmocka_unit_test(test_wsl_19013_compacts_on_entry),
		cmocka_unit_test(test_cron_every_tick),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests_name("peers", tests, NULL, NULL);
}
