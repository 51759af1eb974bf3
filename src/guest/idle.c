/* SPDX-License-Identifier: MIT */
#include "guest/idle.h"
#include "common/util.h"

#include <string.h>

void vr_idle_init(struct vr_idle *t, double threshold_pct, uint64_t window_usec)
{
	memset(t, 0, sizeof(*t));
	t->threshold_pct = threshold_pct;
	t->window_usec = window_usec;
}

void vr_idle_configure(struct vr_idle *t, double threshold_pct, uint64_t window_usec,
		       uint64_t now_usec)
{
	if (t->threshold_pct == threshold_pct && t->window_usec == window_usec)
		return;
	t->threshold_pct = threshold_pct;
	t->window_usec = window_usec;
	t->quiet_since_usec = now_usec;
	t->idle = false;
}

enum vr_idle_event vr_idle_reset(struct vr_idle *t)
{
	bool was_idle = t->idle;

	t->have_prev = false;
	t->idle = false;
	t->have_busy = false;
	return was_idle ? VR_IDLE_LEAVE : VR_IDLE_NONE;
}

/* Append a sample's ticks; returns the point the judgement starts from:
 * the newest at least VR_IDLE_SPAN_USEC old, or the oldest held. */
static const struct vr_idle_point *add_point(struct vr_idle *t, uint64_t now_usec, uint64_t dbusy,
					     uint64_t dtotal)
{
	struct vr_idle_point p = t->point[t->n_points - 1];
	unsigned i;

	p.usec = now_usec;
	p.busy += dbusy;
	p.total += dtotal;
	if (t->n_points == VR_IDLE_POINTS) {
		memmove(t->point, t->point + 1, (VR_IDLE_POINTS - 1) * sizeof(t->point[0]));
		t->n_points--;
	}
	t->point[t->n_points++] = p;
	for (i = t->n_points - 1; i-- > 0;)
		if (now_usec - t->point[i].usec + VR_IDLE_SPAN_SLACK_USEC >= VR_IDLE_SPAN_USEC)
			return &t->point[i];
	return &t->point[0];
}

enum vr_idle_event vr_idle_update(struct vr_idle *t, uint64_t now_usec, const struct vr_cpustat *s,
				  uint64_t self_ticks)
{
	const struct vr_idle_point *base, *last;
	bool was_idle = t->idle;
	uint64_t dbusy, dtotal;

	if (!t->have_prev || s->total < t->prev.total || s->busy < t->prev.busy ||
	    now_usec < t->quiet_since_usec) {
		/* First sample, or counters / clock went backwards (CPU
		 * hot-unplug, a restored snapshot): start the window again. */
		if (t->have_prev)
			t->resets++;
		t->have_prev = true;
		t->prev = *s;
		t->point[0] = (struct vr_idle_point){ .usec = now_usec };
		t->n_points = 1;
		t->quiet_since_usec = now_usec;
		t->idle = false;
		t->have_busy = false;
		return was_idle ? VR_IDLE_LEAVE : VR_IDLE_NONE;
	}
	dtotal = s->total - t->prev.total;
	if (dtotal == 0)
		return VR_IDLE_NONE; /* no tick passed: nothing learned */
	dbusy = vr_sat_sub(s->busy - t->prev.busy, self_ticks);
	if (dbusy > dtotal)
		dbusy = dtotal;
	t->prev = *s;
	base = add_point(t, now_usec, dbusy, dtotal);
	last = &t->point[t->n_points - 1];
	t->last_busy_pct = 100.0 * (double)(last->busy - base->busy) /
			   (double)(last->total - base->total);
	t->have_busy = true;
	if (t->last_busy_pct >= t->threshold_pct) {
		t->quiet_since_usec = now_usec;
		t->idle = false;
		return was_idle ? VR_IDLE_LEAVE : VR_IDLE_NONE;
	}
	if (!t->idle && now_usec - t->quiet_since_usec >= t->window_usec) {
		t->idle = true;
		t->periods++;
		return VR_IDLE_ENTER;
	}
	return VR_IDLE_NONE;
}

uint64_t vr_idle_quiet_usec(const struct vr_idle *t, uint64_t now_usec)
{
	if (!t->have_prev || now_usec < t->quiet_since_usec)
		return 0;
	return now_usec - t->quiet_since_usec;
}
