/* SPDX-License-Identifier: MIT */
#include "guest/pcp.h"
#include "guest/statefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int vr_pcp_fraction_parse(const char *buf, unsigned *ret)
{
	uint64_t v;

	if (vr_parse_u64_line(buf, INT32_MAX, &v) < 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int read_fraction(const struct vr_sys *s, unsigned *ret)
{
	char buf[32];
	int r = vr_sys_read_head(s, VR_PCP_FRACTION_PATH, buf, sizeof(buf));

	if (r < 0)
		return r;
	return vr_pcp_fraction_parse(buf, ret);
}

static int write_fraction(const struct vr_sys *s, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return vr_sys_write(s, VR_PCP_FRACTION_PATH, buf);
}

/* The fraction a drain cut short meant to put back: the state file's, or
 * the kernel's default 0 when there is none or it is not a fraction. */
static unsigned saved_fraction(const struct vr_sys *s)
{
	uint64_t v;

	return vr_state_file_load(s, VR_PCP_STATE_PATH, INT32_MAX, &v) > 0 ? (unsigned)v : 0;
}

static int drain(const struct vr_sys *s, uint64_t wake_bytes, int *ret_wake)
{
	bool saved = false;
	unsigned old, i;
	int r, r2;

	r = read_fraction(s, &old);
	if (r < 0)
		return r;
	if (old == VR_PCP_DRAIN_FRACTION)
		old = saved_fraction(s);
	/* 0 needs no file: it is what a start after a kill puts back. */
	if (old != 0) {
		r = vr_state_file_save(s, VR_PCP_STATE_PATH, old);
		if (r < 0)
			return r; /* not drained: the value could be lost */
		saved = true;
	}
	r = write_fraction(s, VR_PCP_DRAIN_FRACTION);
	if (r < 0) {
		if (saved)
			vr_state_file_clear(s, VR_PCP_STATE_PATH);
		return r;
	}
	for (i = 0; i < VR_PCP_DRAIN_PASSES; i++) {
		r = vr_sys_write(s, VR_STAT_REFRESH_PATH, "1");
		if (r < 0)
			break;
	}
	/* Before 6.7 the frees are what cut the lists (pcp.h); after, they
	 * take what the refresh left. */
	if (s->ops->cycle_pages) {
		int r3 = s->ops->cycle_pages(s->ops_user, VR_PCP_CYCLE_BYTES);

		if (r == 0)
			r = r3;
	}
	/* The lists are at their floor now: the huge page's free overflows
	 * its list and goes on to the buddy allocator, which wakes the
	 * reporting worker.  The second cycle is needed: a list refilled by
	 * the huge page's fault takes two blocks of order 9, and the one not
	 * used stays on the list until frees push it out. */
	if (wake_bytes && s->ops->wake_reporting) {
		*ret_wake = s->ops->wake_reporting(s->ops_user, wake_bytes);
		if (*ret_wake == 0 && s->ops->cycle_pages) {
			int r3 = s->ops->cycle_pages(s->ops_user, VR_PCP_CYCLE_BYTES);

			if (r == 0)
				r = r3;
		}
	}
	/* Back at once, whatever the refresh did: a small high mark left in
	 * place would cost every allocation a trip to the zone lock. */
	r2 = write_fraction(s, old);
	/* Once more if that failed: nothing else puts it back before the
	 * next drain or start (the state file keeps the value for those). */
	if (r2 < 0)
		r2 = write_fraction(s, old);
	/* The file stays while the fraction may still be the drain's. */
	if (saved && r2 == 0)
		r2 = vr_state_file_clear(s, VR_PCP_STATE_PATH);
	return r < 0 ? r : r2;
}

int vr_pcp_drain(const struct vr_sys *s)
{
	int unused;

	return drain(s, 0, &unused);
}

void vr_pcp_record(struct vr_pcp *p, uint64_t now_usec, int r)
{
	p->last_usec = now_usec ? now_usec : 1; /* 0 is "none yet" */
	if (r < 0)
		p->failures++;
	else
		p->drains++;
}

int vr_pcp_drain_wake(const struct vr_sys *s, uint64_t wake_bytes, int *ret_wake)
{
	*ret_wake = -ECANCELED;
	return drain(s, wake_bytes, ret_wake);
}

int vr_pcp_recover(const struct vr_sys *s, unsigned *ret_back)
{
	unsigned v;
	int r = read_fraction(s, &v);

	*ret_back = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (v != VR_PCP_DRAIN_FRACTION) {
		/* killed after the fraction was back, before the file went */
		r = vr_state_file_clear(s, VR_PCP_STATE_PATH);
		return r < 0 ? r : 0;
	}
	*ret_back = saved_fraction(s);
	r = write_fraction(s, *ret_back);
	if (r < 0)
		return r;
	r = vr_state_file_clear(s, VR_PCP_STATE_PATH);
	return r < 0 ? r : 1;
}

bool vr_pcp_due(struct vr_pcp *p, uint64_t now_usec, bool acted, bool have_free,
		uint64_t free_bytes)
{
	bool rose = have_free && p->have_free && free_bytes > p->prev_free_bytes &&
		    free_bytes - p->prev_free_bytes >= VR_PCP_DRAIN_RISE_BYTES;

	p->have_free = have_free;
	if (have_free)
		p->prev_free_bytes = free_bytes;
	if (rose || acted)
		p->pending = true;
	/* A free still under way would refill the lists; an action is over
	 * when it returns. */
	if (!p->pending || (rose && !acted))
		return false;
	if (p->last_usec != 0 && now_usec - p->last_usec < VR_PCP_DRAIN_GAP_USEC)
		return false; /* still pending: drained once the gap has passed */
	p->pending = false;
	return true;
}
