/* SPDX-License-Identifier: MIT */
/* The kernel interfaces the service uses: what each failure costs, and
 * the record of failures that status shows. */
#include "guest/guest.h"
#include "guest/orderstate.h"
#include "common/channel.h"
#include "common/log.h"
#include "common/util.h"

static const struct {
	const char *name;
	const char *path;
	const char *consequence;
} ifaces[VR_IF_COUNT] = {
	[VR_IF_STAT] = { "stat", "/proc/stat", "idle tracking stopped: the VM never counts as idle" },
	[VR_IF_MEMINFO] = { "meminfo", "/proc/meminfo", "gradual reclaim cannot size its steps" },
	[VR_IF_BUDDYINFO] = { "buddyinfo", "/proc/buddyinfo",
			      "reportable and stranded free memory unknown" },
	[VR_IF_COMPACT] = { "compact_memory", "/proc/sys/vm/compact_memory", "no compaction" },
	[VR_IF_DROP_CACHES] = { "drop_caches", "/proc/sys/vm/drop_caches", "no cache drops" },
	[VR_IF_MEMORY_RECLAIM] = { "memory.reclaim", VR_MEMORY_RECLAIM_PATH,
				   "gradual reclaim falls back to dropcache" },
	[VR_IF_PSI] = { "psi", "/proc/pressure/memory", "no reaction to the guest's memory pressure" },
	[VR_IF_KMSG] = { "kmsg", "/dev/kmsg", "compaction is not noted in the kernel log" },
	[VR_IF_VMSTAT] = { "vmstat", "/proc/vmstat",
			   "refaults unknown: auto reclaim cannot see the working set, and holds off" },
	[VR_IF_REPORTING_ORDER] = { "page_reporting_order", VR_REPORTING_ORDER_PATH,
				    "stranded free memory is not handed back at a lower order" },
	[VR_IF_METRICS] = { "metrics", "metricsFile", "the metrics file is not updated" },
	[VR_IF_CHANNEL] = { "channel", VR_CHAN_GUEST_PATH, "the host cannot ask for memory back" },
	[VR_IF_PCP] = { "pcp_drain", "/proc/sys/vm/{percpu_pagelist_high_fraction,stat_refresh}",
			"memory freed into the per-CPU lists is not handed back" },
	[VR_IF_ORDER_STATE] = { "order_state", VR_ORDER_STATE_PATH,
				"a daemon killed while the order is lowered would leave it lowered" },
	[VR_IF_LRU_GEN] = { "lru_gen", VR_LRU_GEN_PATH,
			    "the multi-gen LRU stays as it is: auto may lose a re-read set once" },
	[VR_IF_LRU_GEN_STATE] = { "lru_gen_state", VR_LRU_GEN_STATE_PATH,
				  "the multi-gen LRU is not switched off (a daemon killed meanwhile "
				  "could not put it back)" },
};

const char *vr_iface_name(enum vr_iface iface)
{
	return ifaces[iface].name;
}

void vr_guest_iface(struct vr_guest *g, enum vr_iface iface, int r)
{
	struct vr_iface_state *st = &g->iface[iface];

	if (r < 0) {
		st->failures++;
		if (st->error != r)
			vr_warn("%s: %s; %s", ifaces[iface].path, vr_strerror(r),
				ifaces[iface].consequence);
		st->error = r;
	} else if (st->error < 0) {
		vr_notice("%s works again", ifaces[iface].path);
		st->error = 0;
	}
}

const char *vr_iface_path(enum vr_iface iface)
{
	return ifaces[iface].path;
}

const char *vr_iface_consequence(enum vr_iface iface)
{
	return ifaces[iface].consequence;
}
