/* SPDX-License-Identifier: MIT */
/* Idle tracking over /proc/stat samples: the VM is idle once the busy CPU,
 * judged at every sample over the last VR_IDLE_SPAN_USEC or more, has stayed
 * below the threshold for the last @window. */
#ifndef VR_IDLE_H
#define VR_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "procfs/cpustat.h"

/* The shortest span a judgement of busy covers.  /proc/stat counts in
 * ticks of 10 ms (USER_HZ 100): over one second of a 2-CPU guest, 1% is 2
 * ticks, which a single wake-up of any sampler or timer reaches, so at a
 * sampleInterval of 1 s one such blip ended every quiet stretch (measured:
 * a 6.1 guest after the benchmark's build, under WSL's own test of 0.5%
 * over 2 s and over 24 s idle within the recording, was never quiet for
 * 24 s at 1 s samples in 2 runs of 2).  Over 4 s, 1% is 8 ticks: 80 ms of
 * CPU.  Work that starts still shows at its first sample (a job at 50% of
 * one CPU: 6% over the span).  At the default 5 s interval each sample
 * spans more than this, so the judgement is that sample's alone. */
#define VR_IDLE_SPAN_USEC (4 * 1000000ULL)

/* Timer jitter allowed in "at least the span old": a sample a few ms
 * short of 4 s after the last (at sampleInterval 4, or at 5 after a tick
 * delayed by a long compaction) is still judged over its own interval,
 * not over two, which would halve its busy share. */
#define VR_IDLE_SPAN_SLACK_USEC (VR_IDLE_SPAN_USEC / 8)

/* Samples held to cover the span: at intervals of 0.5 s and up. */
#define VR_IDLE_POINTS 9

struct vr_idle_point {
	uint64_t usec;
	uint64_t busy, total; /* ticks since the history started, own work out */
};

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
	double last_busy_pct; /* of the latest judgement (its span) */
	/* the samples of the last span or more, oldest first */
	struct vr_idle_point point[VR_IDLE_POINTS];
	unsigned n_points;
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
