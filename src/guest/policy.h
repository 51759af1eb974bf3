/* SPDX-License-Identifier: MIT */
/* Reclaim policies: what the service does on a tick, behind one ops table.
 *
 * Each autoMemoryReclaim mode is one file (policy_disabled.c,
 * policy_dropcache.c, policy_gradual.c, policy_auto.c) that fills a
 * struct vr_policy_ops, and one row of the table in policy.c; a new mode
 * also needs its enum vr_mode value and name (common/config.[ch]), which
 * the host tool shares to check the guest's settings.  A policy
 * decides from inputs the service has read once (struct vr_tick) and
 * answers with a plan of steps; the service runs the steps (actions.c)
 * and hands each result back to the policy.  Host requests go through
 * the same ops.
 *
 * The WSL modes' decisions are also a pure function of the settings, the
 * idle state and a memory snapshot (vr_policy_decide()), so that they can
 * be tested with scripted input. */
#ifndef VR_POLICY_H
#define VR_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "guest/idle.h"
#include "guest/settings.h"
#include "procfs/buddyinfo.h"
#include "procfs/meminfo.h"

enum vr_action_kind {
	VR_ACTION_COMPACT,
	VR_ACTION_DROPCACHE,
	VR_ACTION_RECLAIM,
	VR_ACTION_KINDS
};

const char *vr_action_name(enum vr_action_kind k);

/* What a policy can ask for: the three actions (with totals and history)
 * and a write to page_reporting_order. */
enum vr_step_kind {
	VR_STEP_COMPACT = VR_ACTION_COMPACT,
	VR_STEP_DROPCACHE = VR_ACTION_DROPCACHE,
	VR_STEP_RECLAIM = VR_ACTION_RECLAIM,
	VR_STEP_SET_ORDER = VR_ACTION_KINDS, /* not an action: no totals, no history */
};

enum vr_trigger {
	VR_TRIGGER_IDLE,
	VR_TRIGGER_MANUAL,
	VR_TRIGGER_AUTO, /* the auto policy, idle or not */
	VR_TRIGGER_HOST, /* the host asked over the guest channel */
};

struct vr_step {
	enum vr_step_kind kind;
	enum vr_trigger trigger; /* whose rule asked for it */
	/* VR_STEP_RECLAIM; VR_STEP_DROPCACHE: the value written (1-3), or 0
	 * for dropCacheValue */
	uint64_t bytes;
	unsigned order;          /* VR_STEP_SET_ORDER */
	const char *why;         /* VR_STEP_SET_ORDER: for the log; owned by the policy */
};

#define VR_PLAN_MAX 4

struct vr_plan {
	unsigned n;
	struct vr_step step[VR_PLAN_MAX];
	bool exhausted; /* gradual has nothing more to do this period */
	char why[192];  /* the reason for this plan, or for doing nothing */
};

/* Append a step (ignored when the plan is full). */
void vr_plan_add(struct vr_plan *p, enum vr_step_kind kind, enum vr_trigger trigger,
		 uint64_t bytes, unsigned order, const char *why);

/* What has been done in the current idle period. */
struct vr_period {
	bool dropped;        /* dropcache ran */
	bool exhausted;      /* gradual reached the floor, or the kernel gave nothing */
	bool reclaim_failed; /* memory.reclaim failed: dropcache for the rest of it */
};

/* The WSL modes' input. */
struct vr_policy_input {
	enum vr_mode mode;
	bool compaction; /* compaction = true and idleThreshold > 0 */
	bool idle;
	bool idle_entered; /* on this tick */
	bool pressure;     /* the guest itself is short of memory */
	/* memory.reclaim can be used; otherwise gradual falls back to
	 * dropcache for the reason given */
	bool reclaim_usable;
	const char *reclaim_unusable_why;
	bool have_meminfo;
	uint64_t file_cache_bytes;
	uint64_t floor_bytes;
	uint64_t step_bytes;
	struct vr_period period;
};

/* Gradual steps smaller than this are not worth a reclaim pass. */
#define VR_RECLAIM_MIN_BYTES (1024 * 1024)

/* The WSL modes' plan for @in (auto: gradual's, its fallback). */
void vr_policy_decide(const struct vr_policy_input *in, struct vr_plan *out);

/* The reclaim step: @configured, or when 0 (auto) MemTotal/32 clamped to
 * [256 MiB, 1 GiB], as WSL computes it. */
uint64_t vr_policy_step_bytes(uint64_t configured, uint64_t mem_total_bytes);

/* What a policy asks the service to read before it decides. */
enum {
	VR_NEED_MEMINFO = 1u << 0,
	VR_NEED_VMSTAT = 1u << 1,
	VR_NEED_BUDDYINFO = 1u << 2,
};

/* One tick's inputs, read once by the service. */
struct vr_tick {
	const struct vr_settings *set;
	uint64_t now_usec;
	enum vr_idle_event ev;
	bool idle;
	bool pressure;        /* the guest's own memory pressure */
	bool compact_failing; /* compact_memory failed last time */
	bool read_meminfo; /* VR_NEED_MEMINFO: it was asked for */
	bool have_meminfo; /* and read */
	struct vr_meminfo mem;
	bool have_refault;     /* VR_NEED_VMSTAT: the refault counter was read */
	uint64_t refault_bytes; /* cumulative */
	bool read_buddy; /* VR_NEED_BUDDYINFO: it was asked for */
	bool have_buddy; /* and read */
	struct vr_buddyinfo buddy;
	/* Why memory.reclaim cannot be used as far as the kernel goes
	 * (cgroup, swap), or NULL; only with VR_NEED_MEMINFO. */
	const char *reclaim_unusable_why;
	/* page_reporting_order can be written: writable, and not failing
	 * (or a new idle period, when a failure is tried again) */
	bool order_writable;
};

/* A host request as the policy sees it: memory before, and what was asked. */
struct vr_host_give {
	const struct vr_settings *set;
	uint64_t now_usec;
	uint64_t bytes;
	const struct vr_meminfo *mem;
	uint64_t file_cache_bytes;
	bool reclaim_usable;
	/* after the cache step (for host_compact), and after compaction
	 * (for host_order) */
	bool buddy_valid;
	uint64_t stranded_bytes;
};

struct vr_guest;
struct vr_json;
struct vr_action_record;

struct vr_policy_ops {
	enum vr_mode mode;
	/* It may lower page_reporting_order; under any other policy the
	 * service puts a lowered order back. */
	bool lowers_order;
	/* Set its own state up, once at start (it lasts across reloads, so
	 * that a mode switched back to finds it); may be NULL. */
	void (*init)(struct vr_guest *g);
	/* The WSL-style plan from the pure input (vr_policy_decide()). */
	void (*plan)(const struct vr_policy_input *in, struct vr_plan *out);
	/* The inputs decide() needs this tick (VR_NEED_*); may be NULL. */
	unsigned (*needs)(const struct vr_guest *g, const struct vr_tick *t);
	/* This tick's plan; the policy updates its own state. */
	void (*decide)(struct vr_guest *g, const struct vr_tick *t, struct vr_plan *out);
	/* What a step of its plan (or of its host plan) did: @a is the
	 * action's record (NULL for VR_STEP_SET_ORDER), @r its result. */
	void (*result)(struct vr_guest *g, const struct vr_step *s, const struct vr_action_record *a,
		       int r);
	/* A host request, in three rounds, each after the steps of the one
	 * before have run: the cache step, the compaction step, the order
	 * step; each may be NULL (nothing). */
	void (*host_cache)(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out);
	void (*host_compact)(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out);
	void (*host_order)(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out);
	/* The policy's own lines of the report; each may be NULL. */
	void (*status_text)(const struct vr_guest *g, FILE *f);
	void (*status_json)(const struct vr_guest *g, struct vr_json *j);
	void (*metrics)(const struct vr_guest *g, FILE *f);
};

/* The policy for @mode (the table in policy.c). */
const struct vr_policy_ops *vr_policy_for(enum vr_mode mode);

/* Call every policy's init. */
void vr_policies_init(struct vr_guest *g);

/* The policies, one file each. */
extern const struct vr_policy_ops vr_policy_disabled;
extern const struct vr_policy_ops vr_policy_dropcache;
extern const struct vr_policy_ops vr_policy_gradual;
extern const struct vr_policy_ops vr_policy_auto;

/* For the WSL modes' files (policy_*.c) and auto's fallback. */
void vr_plan_disabled(const struct vr_policy_input *in, struct vr_plan *p);
void vr_plan_dropcache(const struct vr_policy_input *in, struct vr_plan *p,
		       const char *instead_of_gradual);
void vr_plan_gradual(const struct vr_policy_input *in, struct vr_plan *p);
/* The WSL modes' share of a guest: the input from a tick, a decision,
 * what a step did, and the host's cache step. */
unsigned vr_wsl_needs(const struct vr_guest *g, const struct vr_tick *t);
void vr_wsl_input(const struct vr_guest *g, const struct vr_tick *t, enum vr_mode mode,
		  struct vr_policy_input *in);
void vr_wsl_decide(struct vr_guest *g, const struct vr_tick *t, struct vr_plan *out);
void vr_wsl_result(struct vr_guest *g, const struct vr_step *s, const struct vr_action_record *a,
		   int r);
/* The host's cache step: reclaim from @have down to @keep, at most what
 * it asked for. */
void vr_host_reclaim_to(const struct vr_host_give *h, uint64_t have, uint64_t keep,
			struct vr_plan *out);
/* The host's compaction step: when compaction is on and enough free
 * memory is stranded below the reporting order. */
void vr_host_compact(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out);
void vr_wsl_host_cache(struct vr_guest *g, const struct vr_host_give *h, struct vr_plan *out);

#endif
