/* SPDX-License-Identifier: MIT */
#include "guest/lrugen.h"
#include "guest/guest.h"
#include "guest/statefile.h"
#include "common/log.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vr_lru_gen_parse(const char *buf, unsigned *ret)
{
	unsigned long v;
	char *end;

	/* strtoul alone would take blanks and a sign first */
	if (!isdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || end == buf || v > VR_LRU_GEN_CAPS_MAX)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int vr_lru_gen_read(const struct vr_sys *s, unsigned *ret)
{
	char buf[32];
	int r = vr_sys_read_head(s, VR_LRU_GEN_PATH, buf, sizeof(buf));

	if (r < 0)
		return r;
	return vr_lru_gen_parse(buf, ret);
}

int vr_lru_gen_write(const struct vr_sys *s, unsigned caps)
{
	char buf[16];

	if (caps == 0)
		snprintf(buf, sizeof(buf), "n");
	else
		snprintf(buf, sizeof(buf), "0x%04x", caps);
	return vr_sys_write(s, VR_LRU_GEN_PATH, buf);
}

static bool want_off(const struct vr_guest *g)
{
	return g->set.multi_gen_lru_off;
}

/* Switch MGLRU off: the value to go back to on disk first (not switched
 * when it cannot be kept: a kill would leave MGLRU off for good), then
 * "n". */
static void switch_off(struct vr_guest *g)
{
	struct vr_lru_gen *l = &g->lru_gen;
	unsigned caps;
	int r = vr_lru_gen_read(&g->sys, &caps);

	if (r == -ENOENT) {
		l->present = false;
		return; /* no MGLRU: nothing to switch, and no fault */
	}
	vr_guest_iface(g, VR_IF_LRU_GEN, r);
	if (r < 0)
		return;
	l->present = true;
	l->caps = caps;
	if (!(caps & VR_LRU_GEN_CORE))
		return; /* the classic lists already */
	if (!g->sys.ops->dry_run) {
		r = vr_state_file_save(&g->sys, VR_LRU_GEN_STATE_PATH, caps);
		vr_guest_iface(g, VR_IF_LRU_GEN_STATE, r);
		if (r < 0)
			return;
	}
	r = vr_lru_gen_write(&g->sys, 0);
	vr_guest_iface(g, VR_IF_LRU_GEN, r);
	if (r < 0) {
		if (!g->sys.ops->dry_run)
			vr_guest_iface(g, VR_IF_LRU_GEN_STATE,
				       vr_state_file_clear(&g->sys, VR_LRU_GEN_STATE_PATH));
		return;
	}
	l->switched = true;
	l->orig_caps = caps;
	l->caps = 0;
	l->switches++;
	vr_notice("multi-gen LRU 0x%04x switched off (multiGenLru = off): auto keeps what the "
		  "classic lists see as active",
		  caps);
}

void vr_guest_lru_gen_restore(struct vr_guest *g, const char *why)
{
	struct vr_lru_gen *l = &g->lru_gen;
	int r;

	if (!l->switched)
		return;
	r = vr_lru_gen_write(&g->sys, l->orig_caps);
	vr_guest_iface(g, VR_IF_LRU_GEN, r);
	if (r < 0)
		return; /* still off: the file stays for the next start */
	l->switched = false;
	l->caps = l->orig_caps;
	vr_notice("multi-gen LRU back to 0x%04x: %s", l->orig_caps, why);
	if (!g->sys.ops->dry_run)
		vr_guest_iface(g, VR_IF_LRU_GEN_STATE,
			       vr_state_file_clear(&g->sys, VR_LRU_GEN_STATE_PATH));
}

void vr_guest_lru_gen_apply(struct vr_guest *g)
{
	if (want_off(g) && !g->lru_gen.switched)
		switch_off(g);
	else if (!want_off(g))
		vr_guest_lru_gen_restore(g, "multiGenLru = keep or the mode is not auto");
}

/* A daemon killed while MGLRU was off left the value to go back to. */
static void recover(struct vr_guest *g)
{
	struct vr_lru_gen *l = &g->lru_gen;
	uint64_t saved;
	int r = vr_state_file_load(&g->sys, VR_LRU_GEN_STATE_PATH, VR_LRU_GEN_CAPS_MAX, &saved);

	if (r == 0)
		return;
	if (r < 0 && r != -EINVAL) {
		vr_guest_iface(g, VR_IF_LRU_GEN_STATE, r);
		return;
	}
	if (r == -EINVAL) {
		vr_warn("%s: not a multi-gen LRU value: removed", VR_LRU_GEN_STATE_PATH);
	} else if (!l->present) {
		return; /* unreadable now: the file stays for a later start */
	} else if (l->present && !(l->caps & VR_LRU_GEN_CORE) && (saved & VR_LRU_GEN_CORE)) {
		/* Still off, as that daemon left it: keep it off when the
		 * settings want it so (a second switch would lose what the
		 * classic lists learnt since), else put it back. */
		l->switched = true;
		l->orig_caps = (unsigned)saved;
		if (want_off(g)) {
			vr_notice("multi-gen LRU left off by a daemon stopped while it was off: kept "
				  "off, 0x%04x to go back to",
				  l->orig_caps);
			return; /* the file stays: it is this daemon's now */
		}
		vr_notice("multi-gen LRU left off by a daemon stopped while it was off");
		vr_guest_lru_gen_restore(g, "multiGenLru = keep or the mode is not auto");
		return;
	}
	/* Back on already (by hand, or the kill came before the switch),
	 * or a bad file: only the file goes. */
	vr_guest_iface(g, VR_IF_LRU_GEN_STATE, vr_state_file_clear(&g->sys, VR_LRU_GEN_STATE_PATH));
}

void vr_guest_lru_gen_start(struct vr_guest *g)
{
	struct vr_lru_gen *l = &g->lru_gen;
	unsigned caps;
	int r = vr_lru_gen_read(&g->sys, &caps);

	if (r == 0) {
		l->present = true;
		l->caps = caps;
	} else if (r != -ENOENT) {
		vr_guest_iface(g, VR_IF_LRU_GEN, r);
	}
	if (!g->sys.ops->dry_run)
		recover(g);
	vr_guest_lru_gen_apply(g);
}

void vr_guest_lru_gen_describe(const struct vr_guest *g, char *buf, size_t size)
{
	const struct vr_lru_gen *l = &g->lru_gen;

	if (!l->present && g->iface[VR_IF_LRU_GEN].error < 0)
		snprintf(buf, size, "unknown (%s unreadable)", VR_LRU_GEN_PATH);
	else if (!l->present)
		snprintf(buf, size, "classic (no multi-gen LRU in this kernel)");
	else if (l->switched)
		snprintf(buf, size, "classic (multi-gen LRU 0x%04x switched off by the service)",
			 l->orig_caps);
	else if (!(l->caps & VR_LRU_GEN_CORE))
		snprintf(buf, size, "classic (multi-gen LRU off: 0x%04x)", l->caps);
	else if (want_off(g))
		snprintf(buf, size, "multi-gen 0x%04x (switching off failed: see degraded)", l->caps);
	else
		snprintf(buf, size, "multi-gen 0x%04x (kept%s)", l->caps,
			 g->cfg.multi_gen_lru == VR_MULTI_GEN_LRU_OFF ? ": mode is not auto"
								       : ": multiGenLru = keep");
}
