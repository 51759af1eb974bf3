/* SPDX-License-Identifier: MIT */
#include "host/pressure.h"
#include "common/size.h"

#include <stdio.h>
#include <stdlib.h>

bool vr_pressure_short(const struct vr_host_mem *m, const struct vr_pressure_settings *s,
		       uint64_t *ret_deficit, char *why, size_t why_size)
{
	char a[VR_SIZE_STR_MAX], b[VR_SIZE_STR_MAX];
	uint64_t deficit = 0;
	bool is_short = false;

	if (m->available_bytes < s->min_available_bytes) {
		deficit = s->min_available_bytes - m->available_bytes;
		is_short = true;
		snprintf(why, why_size, "MemAvailable %s below %s",
			 vr_format_size(m->available_bytes, a, sizeof(a)),
			 vr_format_size(s->min_available_bytes, b, sizeof(b)));
	} else if (s->psi_some_pct > 0 && m->have_psi && m->psi_some_avg10 >= s->psi_some_pct) {
		/* Stalls with memory seemingly free: the cache is thrashing. */
		deficit = m->total_bytes / 64;
		is_short = true;
		snprintf(why, why_size, "memory pressure some avg10 %.2f%% >= %.2f%%",
			 m->psi_some_avg10, s->psi_some_pct);
	} else {
		snprintf(why, why_size, "MemAvailable %s, not short",
			 vr_format_size(m->available_bytes, a, sizeof(a)));
	}
	if (is_short && deficit < VR_PRESSURE_DEFICIT_MIN)
		deficit = VR_PRESSURE_DEFICIT_MIN;
	*ret_deficit = deficit;
	return is_short;
}

static int by_stranded(const void *pa, const void *pb)
{
	const struct vr_guest_mem *a = pa, *b = pb;

	if (a->known != b->known)
		return a->known ? -1 : 1;
	if (a->stranded_bytes != b->stranded_bytes)
		return a->stranded_bytes > b->stranded_bytes ? -1 : 1;
	return 0;
}

void vr_pressure_rank(struct vr_guest_mem *g, size_t n)
{
	if (n > 1)
		qsort(g, n, sizeof(*g), by_stranded);
}
