/* SPDX-License-Identifier: MIT */
/* The guest reclaim service, apart from its event loop: settings, what the
 * kernel offers, idle tracking, the actions and their history.  The daemon
 * feeds it ticks, control requests and pressure events; tests drive it
 * with a fake clock and a fake /proc + /sys tree. */
#ifndef VR_GUEST_H
#define VR_GUEST_H

/* The daemon's version, in status and in the guest channel's status reply. */
#define VERSION_STRING "0.1.0"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/util.h"
#include "guest/auto.h"
#include "guest/cgroup.h"
#include "guest/idle.h"
#include "guest/lrugen.h"
#include "guest/pcp.h"
#include "guest/policy.h"
#include "guest/reporting.h"
#include "guest/settings.h"
#include "guest/sys.h"
#include "procfs/buddyinfo.h"
#include "procfs/meminfo.h"
#include "procfs/vmstat.h"

/* Kernel interfaces the service uses; each failure is logged once, and
 * status says what degraded. */
enum vr_iface {
	VR_IF_STAT,
	VR_IF_MEMINFO,
	VR_IF_BUDDYINFO,
	VR_IF_COMPACT,
	VR_IF_DROP_CACHES,
	VR_IF_MEMORY_RECLAIM,
	VR_IF_PSI,
	VR_IF_KMSG,
	VR_IF_VMSTAT,
	VR_IF_REPORTING_ORDER,
	VR_IF_METRICS,
	VR_IF_CHANNEL,
	VR_IF_PCP,
	VR_IF_ORDER_STATE,
	VR_IF_LRU_GEN,
	VR_IF_LRU_GEN_STATE,
	VR_IF_COUNT
};

struct vr_iface_state {
	int error; /* 0, or the last failure as -errno */
	uint64_t failures;
};

/* Memory as an action saw it. */
struct vr_memsnap {
	bool valid;       /* meminfo was read */
	bool buddy_valid; /* and buddyinfo: the last two fields mean something */
	uint64_t free_bytes;
	uint64_t file_cache_bytes;
	uint64_t reportable_bytes;
	uint64_t stranded_bytes;
};

struct vr_action_record {
	enum vr_action_kind kind;
	enum vr_trigger trigger;
	int64_t wall_sec;
	uint64_t duration_usec;
	uint64_t cpu_usec;       /* CPU spent in it: the kernel's work, see vr_sys_ops.cpu_usec */
	int error;               /* 0 or -errno; a partial reclaim is 0 */
	bool partial;            /* memory.reclaim said EAGAIN */
	uint64_t requested_bytes; /* reclaim */
	struct vr_memsnap before, after;
	char note[96];
};

struct vr_action_totals {
	uint64_t runs;
	uint64_t failures;
	/* compaction: reportable memory gained; dropcache and reclaim: file
	 * cache released */
	uint64_t bytes;
	/* CPU the actions took in the service's context: the kernel's
	 * compaction and reclaim, apart from the service's own work */
	uint64_t cpu_usec;
};

#define VR_HISTORY_MAX 16

/* How long idle reclaim holds off after the guest's own memory pressure
 * trigger fires. */
#define VR_PRESSURE_HOLDOFF_USEC (60 * VR_USEC_PER_SEC)

/* A "reclaim all" request. */
#define VR_RECLAIM_ALL UINT64_MAX

/* memory.reclaim is written in chunks of this size, so that a large
 * request can stop between them when the service is asked to exit. */
#define VR_RECLAIM_CHUNK_BYTES (256 * VR_MIB)

struct vr_guest {
	struct vr_config cfg;    /* as loaded (the daemon's keys, status) */
	struct vr_settings set;  /* what the service reads, resolved from cfg */
	struct vr_sys sys;
	uint64_t page_size;
	uint64_t (*clock)(void); /* monotonic usec; a fake one in tests */
	/* CPU time this process has used, usec (getrusage; a fake in tests) */
	uint64_t (*self_cpu_usec)(void);
	/* True when a long action should stop early (SIGTERM pending); may
	 * be NULL. */
	bool (*interrupted)(void);
	uint64_t self_cpu_prev_usec;
	uint64_t clk_tck; /* USER_HZ, the unit of /proc/stat */

	/* what the kernel offers, probed at start */
	struct vr_reporting reporting;
	struct vr_cgroup cgroup;
	bool psi_available; /* a trigger could be opened (set by the loop) */
	struct vr_iface_state iface[VR_IF_COUNT];

	/* the per-CPU free lists (pcp.h): drained after actions and after
	 * large frees; acted_runs counts actions that did not fail, and
	 * pcp_seen_runs is what the last tick saw */
	bool pcp_available; /* percpu_pagelist_high_fraction and stat_refresh exist */
	struct vr_pcp pcp;
	uint64_t acted_runs, pcp_seen_runs;

	/* the multi-gen LRU, switched off while auto runs under
	 * multiGenLru = off (lrugen.h) */
	struct vr_lru_gen lru_gen;

	/* The reporting order to go back to after auto lowered it: the
	 * kernel's own, read when a driver registered. */
	bool base_order_known;
	unsigned base_order;
	/* page_reporting_order is below base_order: the kernel's side,
	 * written by vr_guest_set_order() alone (auto keeps its own hold,
	 * autost.lowered, and mends it from its steps' results) */
	bool order_lowered;

	/* state */
	uint64_t started_usec;
	uint64_t now_usec; /* the time of the tick or request being handled */
	struct vr_auto autost; /* the auto policy's own (policy_auto.c) */
	uint64_t ticks;
	struct vr_idle idle;
	struct vr_period period; /* reset on entering idle; the WSL policies' record */
	uint64_t pressure_until_usec;
	uint64_t pressure_events;
	bool channel_open; /* the guest channel's device is open (set by the loop) */
	uint64_t host_requests, host_refused; /* over the guest channel */
	uint64_t host_last_give_usec;
	struct vr_plan last_plan; /* the policy's, on the last tick */
	struct vr_action_totals totals[VR_ACTION_KINDS];
	struct vr_action_record history[VR_HISTORY_MAX];
	unsigned history_next, history_count;
};

/* Set the service up over @root with @ops for kernel writes, and probe the
 * kernel.  Returns 0 or -errno (only for a root path too long). */
int vr_guest_init(struct vr_guest *g, const struct vr_config *cfg, const char *root,
		  const struct vr_sys_ops *ops, void *ops_user, uint64_t (*clock)(void));

/* Take new settings (a reload). */
void vr_guest_reconfigure(struct vr_guest *g, const struct vr_config *cfg);

/* One sample: idle tracking, the policy's plan, and its actions. */
void vr_guest_tick(struct vr_guest *g);

/* The guest's own memory pressure trigger fired. */
void vr_guest_pressure(struct vr_guest *g);

/* Run an action now, whatever the mode (vmreclaimctl).  @bytes for
 * VR_ACTION_RECLAIM, or VR_RECLAIM_ALL.  Fills *ret (may be NULL) and
 * returns its error. */
int vr_guest_act(struct vr_guest *g, enum vr_action_kind kind, uint64_t bytes,
		 enum vr_trigger trigger, struct vr_action_record *ret);

/* The service is stopping: put back what it changed (the reporting
 * order, the multi-gen LRU). */
void vr_guest_shutdown(struct vr_guest *g);

/* Host requests over the guest channel: they come no closer than this. */
#define VR_HOST_GIVE_INTERVAL_USEC (5 * VR_USEC_PER_SEC)

/* Answer one request line from the host (common/channel.h) into @reply
 * (one line, newline-ended). */
void vr_guest_channel(struct vr_guest *g, const char *line, size_t len, char *reply, size_t size);

/* The service's gauges and counters in Prometheus text format (for
 * node_exporter's textfile collector). */
void vr_guest_metrics(struct vr_guest *g, FILE *f);

/* Write them to @path atomically (a temporary file renamed over it).
 * Returns 0 or -errno; the failure is also recorded and logged once. */
int vr_guest_metrics_file(struct vr_guest *g, const char *path);

/* Describe the service to people (@json false) or machines. */
void vr_guest_status(struct vr_guest *g, FILE *f, bool json);

/* Record the outcome @r of using @iface: the first failure (or a new kind
 * of failure) is logged, as is the recovery. */
void vr_guest_iface(struct vr_guest *g, enum vr_iface iface, int r);

const char *vr_iface_name(enum vr_iface iface);
/* The file (or setting) behind @iface, and what its failure costs. */
const char *vr_iface_path(enum vr_iface iface);
const char *vr_iface_consequence(enum vr_iface iface);

/* Run one step of a plan (actions.c): an action, recorded, or a write to
 * page_reporting_order; the policy hears what it did.  Fills *ret (may be
 * NULL; only for actions) and returns the error. */
int vr_guest_step(struct vr_guest *g, const struct vr_step *s, struct vr_action_record *ret);

/* Run the steps of @p in order. */
void vr_guest_run(struct vr_guest *g, const struct vr_plan *p);

/* Write page_reporting_order (after lowering it, wake the worker), saying
 * @why in the log.  Returns 0 or -errno. */
int vr_guest_set_order(struct vr_guest *g, unsigned order, const char *why);

/* One Prometheus sample, with HELP and TYPE when @help is given. */
void vr_metric(FILE *f, const char *name, const char *type, const char *help, const char *labels,
	       double value);

/* Shared by the service's files (guest.c, actions.c, report.c,
 * hostreq.c, policy*.c). */

/* Memory now: meminfo and, when readable, buddyinfo split at the
 * reporting order; meminfo itself in *ret_mem (may be NULL). */
void vr_guest_snapshot(struct vr_guest *g, struct vr_memsnap *s, struct vr_meminfo *ret_mem);

/* Why memory.reclaim cannot be used, or NULL when it can (@m may be
 * NULL: meminfo unread). */
const char *vr_guest_reclaim_unusable(const struct vr_guest *g, const struct vr_meminfo *m);

/* The reporting order, or the x86_64 default when no driver registered. */
unsigned vr_guest_reporting_order(const struct vr_guest *g);

/* Read the reporting state again, saying when it changed. */
void vr_guest_refresh_reporting(struct vr_guest *g);

/* The @i-th most recent history record (i < g->history_count). */
const struct vr_action_record *vr_guest_history_at(const struct vr_guest *g, unsigned i);

const char *vr_trigger_name(enum vr_trigger t);

/* Format one history record as a log line. */
void vr_action_record_format(const struct vr_action_record *a, char *buf, size_t size);

#endif
