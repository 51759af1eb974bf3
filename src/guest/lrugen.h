/* SPDX-License-Identifier: MIT */
/* The kernel's multi-generational LRU (/sys/kernel/mm/lru_gen/enabled),
 * switched off while auto runs when the administrator asks for it
 * (multiGenLru = off).
 *
 * With MGLRU on (Debian's 6.12 reads 0x0007), Active(file) stays 0: a
 * re-read through read() moves no folio between generations, so auto's
 * reserve against the active list is 0 and its reclaim takes a re-read
 * hot set once (measured in the hot-set scenario: 11-23% of the hot set
 * read back per re-read, 3 runs; with MGLRU off at boot 0-1.6%).  The
 * classic lists activate it as on 6.1.  Switching off is a change to the
 * whole guest's memory management, so it is opt-in
 * (docs/mglru-hot-set.md has the measurements). */
#ifndef VR_LRUGEN_H
#define VR_LRUGEN_H

#include "guest/sys.h"

#include <stdbool.h>
#include <stdint.h>

#define VR_LRU_GEN_PATH "/sys/kernel/mm/lru_gen/enabled"

/* The value to put back, kept while the service has MGLRU off, so that a
 * daemon killed meanwhile does not leave it off for good (statefile.h);
 * a reboot, which switches it back to the kernel's default, empties
 * /run. */
#define VR_LRU_GEN_STATE_PATH "/run/vmreclaimd.mglru"

/* LRU_GEN_CORE, bit 0 of the kernel's caps: MGLRU manages the LRU lists
 * (the other bits only tune it: page table walks, non-leaf young bits). */
#define VR_LRU_GEN_CORE 0x1u
/* The kernel prints the caps as "0x%04x"; three bits are defined (6.12). */
#define VR_LRU_GEN_CAPS_MAX 0xffffu

struct vr_lru_gen {
	bool present;       /* the file could be read: the kernel has MGLRU */
	unsigned caps;      /* as last read or written, when present */
	bool switched;      /* the service wrote "n": orig_caps is to go back */
	unsigned orig_caps;
	uint64_t switches;  /* switched off, in all */
};

/* Parse the file's text ("0x0007\n"; a decimal is taken too).  Returns 0
 * or -EINVAL. */
int vr_lru_gen_parse(const char *buf, unsigned *ret);

/* Read the caps.  Returns 0, -ENOENT (no MGLRU in this kernel), or
 * another -errno. */
int vr_lru_gen_read(const struct vr_sys *s, unsigned *ret);

/* Write @caps through the ops: "n" for 0, else "0x%04x".  Returns 0 or
 * -errno. */
int vr_lru_gen_write(const struct vr_sys *s, unsigned caps);

struct vr_guest;

/* At start: read the file once; put back what a killed daemon left in
 * VR_LRU_GEN_STATE_PATH (or keep it off, to go back to the saved value,
 * when the settings want it off); then as vr_guest_lru_gen_apply(). */
void vr_guest_lru_gen_start(struct vr_guest *g);

/* After a reload (and at start): switch MGLRU off when the settings ask
 * for it and it is on, or put it back when they no longer do.  Tried once
 * per call: a failure is logged once (the interface health) and waits
 * for the next reload or the exit. */
void vr_guest_lru_gen_apply(struct vr_guest *g);

/* At exit: put back what the service switched off, saying @why. */
void vr_guest_lru_gen_restore(struct vr_guest *g, const char *why);

/* The line status shows after "lru:", in @buf. */
void vr_guest_lru_gen_describe(const struct vr_guest *g, char *buf, size_t size);

#endif
