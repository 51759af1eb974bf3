/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/util.h"
#include "guest/policy.h"
#include "guest/settings.h"

#include <string.h>

static struct vr_policy_input idle_input(enum vr_mode mode)
{
	struct vr_policy_input in = { 0 };

	in.mode = mode;
	in.compaction = true;
	in.idle = true;
	in.reclaim_usable = true;
	in.have_meminfo = true;
	in.file_cache_bytes = 2 * VR_GIB;
	in.floor_bytes = 128 * VR_MIB;
	in.step_bytes = 256 * VR_MIB;
	return in;
}

#define assert_plan(p, n_, k0, k1)                                   \
	do {                                                         \
		assert_int_equal((p)->n, (n_));                      \
		if ((n_) > 0)                                        \
			assert_int_equal((p)->step[0].kind, (k0));   \
		if ((n_) > 1)                                        \
			assert_int_equal((p)->step[1].kind, (k1));   \
	} while (0)

static void test_busy_does_nothing(void **state)
{
	static const enum vr_mode modes[] = { VR_MODE_DISABLED, VR_MODE_DROPCACHE, VR_MODE_GRADUAL,
					       VR_MODE_AUTO };
	struct vr_plan p;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct vr_policy_input in = idle_input(modes[i]);

		in.idle = false;
		vr_policy_decide(&in, &p);
		assert_int_equal(p.n, 0);
		assert_string_equal(p.why, "not idle");
	}
}

static void test_disabled_compacts_on_entry_only(void **state)
{
	struct vr_policy_input in = idle_input(VR_MODE_DISABLED);
	struct vr_plan p;

	(void)state;
	in.idle_entered = true;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 1, VR_ACTION_COMPACT, 0);
	in.idle_entered = false;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
	in.idle_entered = true;
	in.compaction = false;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
	assert_non_null(strstr(p.why, "compaction off"));
}

static void test_dropcache_once_per_period(void **state)
{
	struct vr_policy_input in = idle_input(VR_MODE_DROPCACHE);
	struct vr_plan p;

	(void)state;
	in.idle_entered = true;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 2, VR_ACTION_DROPCACHE, VR_ACTION_COMPACT);
	in.idle_entered = false;
	in.period.dropped = true;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
	assert_non_null(strstr(p.why, "dropped once in this idle period"));
	in.period.dropped = false;
	in.compaction = false;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 1, VR_ACTION_DROPCACHE, 0);
}

static void test_gradual_steps_to_floor(void **state)
{
	struct vr_policy_input in = idle_input(VR_MODE_GRADUAL);
	struct vr_plan p;

	(void)state;
	in.idle_entered = true;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 2, VR_ACTION_RECLAIM, VR_ACTION_COMPACT);
	assert_int_equal(p.step[0].bytes, 256 * VR_MIB);
	/* Near the floor the step shrinks to what is above it. */
	in.idle_entered = false;
	in.file_cache_bytes = 200 * VR_MIB;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 2, VR_ACTION_RECLAIM, VR_ACTION_COMPACT);
	assert_int_equal(p.step[0].bytes, 72 * VR_MIB);
	/* At the floor (or within 1 MiB of it): nothing, and done. */
	in.file_cache_bytes = 128 * VR_MIB + 1000;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
	assert_true(p.exhausted);
	assert_non_null(strstr(p.why, "at the floor"));
	/* Below the floor on entering idle: compaction still runs. */
	in.file_cache_bytes = 10 * VR_MIB;
	in.idle_entered = true;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 1, VR_ACTION_COMPACT, 0);
	/* Exhausted earlier in the period: nothing. */
	in.idle_entered = false;
	in.file_cache_bytes = VR_GIB;
	in.period.exhausted = true;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
}

static void test_auto_is_gradual_for_now(void **state)
{
	struct vr_policy_input a = idle_input(VR_MODE_AUTO), g = idle_input(VR_MODE_GRADUAL);
	struct vr_plan pa, pg;

	(void)state;
	vr_policy_decide(&a, &pa);
	vr_policy_decide(&g, &pg);
	assert_memory_equal(&pa, &pg, sizeof(pa));
}

static void test_gradual_falls_back_to_dropcache(void **state)
{
	struct vr_policy_input in = idle_input(VR_MODE_GRADUAL);
	struct vr_plan p;

	(void)state;
	in.reclaim_usable = false;
	in.reclaim_unusable_why = "swap on and the kernel has no swappiness=0";
	vr_policy_decide(&in, &p);
	assert_plan(&p, 2, VR_ACTION_DROPCACHE, VR_ACTION_COMPACT);
	assert_non_null(strstr(p.why, "swappiness"));
	in.period.dropped = true;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
}

static void test_pressure_holds_off(void **state)
{
	struct vr_policy_input in = idle_input(VR_MODE_GRADUAL);
	struct vr_plan p;

	(void)state;
	in.pressure = true;
	in.idle_entered = true;
	vr_policy_decide(&in, &p);
	assert_int_equal(p.n, 0);
	assert_non_null(strstr(p.why, "pressure"));
}

static void test_no_meminfo(void **state)
{
	struct vr_policy_input in = idle_input(VR_MODE_GRADUAL);
	struct vr_plan p;

	(void)state;
	in.have_meminfo = false;
	in.idle_entered = true;
	vr_policy_decide(&in, &p);
	assert_plan(&p, 1, VR_ACTION_COMPACT, 0);
	assert_non_null(strstr(p.why, "meminfo"));
}

static void test_step_bytes(void **state)
{
	(void)state;
	assert_int_equal(vr_policy_step_bytes(0, 1 * VR_GIB), 256 * VR_MIB);
	assert_int_equal(vr_policy_step_bytes(0, 16 * VR_GIB), 512 * VR_MIB);
	assert_int_equal(vr_policy_step_bytes(0, 64 * VR_GIB), VR_GIB);
	assert_int_equal(vr_policy_step_bytes(0, 0), 256 * VR_MIB);
	assert_int_equal(vr_policy_step_bytes(64 * VR_MIB, 64 * VR_GIB), 64 * VR_MIB);
}

/* Every mode has its policy in the table, and each policy can decide and
 * hear results. */
static void test_every_mode_has_a_policy(void **state)
{
	static const enum vr_mode modes[] = { VR_MODE_DISABLED, VR_MODE_DROPCACHE, VR_MODE_GRADUAL,
					       VR_MODE_AUTO };
	size_t i;

	(void)state;
	for (i = 0; i < VR_ARRAY_SIZE(modes); i++) {
		const struct vr_policy_ops *p = vr_policy_for(modes[i]);

		assert_int_equal(p->mode, modes[i]);
		assert_non_null(p->plan);
		assert_non_null(p->decide);
		assert_non_null(p->result);
	}
	/* Only auto lowers the reporting order. */
	assert_true(vr_policy_for(VR_MODE_AUTO)->lowers_order);
	assert_false(vr_policy_for(VR_MODE_GRADUAL)->lowers_order);
}

/* idleThreshold = 0 is decided once, at load: compaction off, and idle
 * periods at 1% busy. */
static void test_settings_resolve(void **state)
{
	struct vr_config c;
	struct vr_settings s;

	(void)state;
	vr_config_defaults(&c);
	c.idle_threshold_pct = 0;
	c.mode = VR_MODE_GRADUAL;
	vr_settings_resolve(&c, &s);
	assert_false(s.compaction);
	assert_true(s.idle_threshold_pct == 1.0);
	assert_ptr_equal(s.policy, vr_policy_for(VR_MODE_GRADUAL));
	c.idle_threshold_pct = 2.5;
	vr_settings_resolve(&c, &s);
	assert_true(s.compaction);
	assert_true(s.idle_threshold_pct == 2.5);
	c.compaction = false;
	vr_settings_resolve(&c, &s);
	assert_false(s.compaction);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_does_nothing),
		cmocka_unit_test(test_disabled_compacts_on_entry_only),
		cmocka_unit_test(test_dropcache_once_per_period),
		cmocka_unit_test(test_gradual_steps_to_floor),
		cmocka_unit_test(test_auto_is_gradual_for_now),
		cmocka_unit_test(test_gradual_falls_back_to_dropcache),
		cmocka_unit_test(test_pressure_holds_off),
		cmocka_unit_test(test_no_meminfo),
		cmocka_unit_test(test_step_bytes),
		cmocka_unit_test(test_every_mode_has_a_policy),
		cmocka_unit_test(test_settings_resolve),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
