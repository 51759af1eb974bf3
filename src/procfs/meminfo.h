/* SPDX-License-Identifier: MIT */
/* /proc/meminfo */
#ifndef VR_MEMINFO_H
#define VR_MEMINFO_H

#include <stdint.h>

#include "procfs/root.h"

struct vr_meminfo {
	uint64_t total_bytes;         /* MemTotal (required) */
	uint64_t free_bytes;          /* MemFree (required) */
	uint64_t available_bytes;     /* MemAvailable */
	uint64_t cached_bytes;        /* Cached */
	uint64_t active_file_bytes;   /* Active(file) */
	uint64_t inactive_file_bytes; /* Inactive(file) */
	uint64_t sreclaimable_bytes;  /* SReclaimable */
	uint64_t dirty_bytes;         /* Dirty */
	uint64_t swap_total_bytes;    /* SwapTotal */
	uint64_t swap_free_bytes;     /* SwapFree */
};

/* Parse the text of /proc/meminfo.  Keys are matched whole ("Cached" is
 * not "SwapCached"); unknown keys are skipped.  MemTotal and MemFree are
 * required and MemFree may not exceed MemTotal.  Returns 0 and fills
 * *ret, or -EINVAL / -ERANGE (then *ret is untouched). */
int vr_meminfo_parse(const char *buf, struct vr_meminfo *ret);

int vr_meminfo_read(const struct vr_procfs *fs, struct vr_meminfo *ret);

/* What cache reclaim can work on, as WSL counts it:
 * Active(file) + Inactive(file) + SReclaimable. */
uint64_t vr_meminfo_file_cache(const struct vr_meminfo *m);

#endif
