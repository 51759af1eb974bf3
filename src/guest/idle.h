/* SPDX-License-Identifier: MIT */
/* Idle tracking over /proc/stat samples: the VM is idle once every sample
 * for the last @window has shown busy CPU below the threshold. */
#ifndef VR_IDLE_H
#define VR_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "procfs/cpustat.h"

struct vr_idle {
	/* settings */
	double threshold_pct;
	uint64_t window_usec;
	/* state */
	bool have_prev;
	struct vr_cpustat prev;
	uint64_t quiet_since_usec; /* start of the current run of quiet samples */
	bool idle;
	bool have_busy;
	double last_busy_pct; /* of the latest sample interval */
	uint64_t periods;     /* idle periods entered */
	uint64_t resets;      /* counters or clock that went backwards */
};

enum vr_idle_event {
	VR_IDLE_NONE,
	VR_IDLE_ENTER,
	VR_IDLE_LEAVE,
};

void vr_idle_init(struct vr_idle *t, double threshold_pct, uint64_t window_usec);

/* Change the settings; the current window starts again. */
void vr_idle_configure(struct vr_idle *t, double threshold_pct, uint64_t window_usec,
		       uint64_t now_usec);

/* Feed one sample taken at @now_usec.  @self_ticks is the CPU time the
 * service itself used since the last sample (compaction, drop_caches and
 * memory.reclaim run in its context): it does not count as busy, or the
 * service's own work would end the idle period it was started by.
 * Returns what changed. */
enum vr_idle_event vr_idle_update(struct vr_idle *t, uint64_t now_usec, const struct vr_cpustat *s,
				  uint64_t self_ticks);

/* Forget the history (after /proc/stat could not be read): not idle, and
 * the window starts again at the next sample. */
enum vr_idle_event vr_idle_reset(struct vr_idle *t);

/* How long the CPU has been quiet at @now_usec (0 when the last sample was
 * busy). */
uint64_t vr_idle_quiet_usec(const struct vr_idle *t, uint64_t now_usec);

#endif
