/* SPDX-License-Identifier: MIT */
/* One sample of a VM as the host sees it: host RSS of the VM process and
 * the guest's own figures from the balloon statistics.  `vmreclaim top
 * --record` writes them as CSV; `vmreclaim plot` reads them back.
 *
 * Definitions (docs/vmreclaim.1 repeats them):
 *   guest used  = total - available   (memory the guest cannot give up
 *                                      without losing data or paging)
 *   stranded    = max(0, host RSS - guest used)
 *                 host memory the VM process holds beyond what the guest
 *                 needs: free guest memory not yet returned, reclaimable
 *                 cache, and the VMM's own overhead. */
#ifndef VR_SAMPLE_H
#define VR_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VR_CSV_HEADER                                                                        \
	"time_s,vm,pid,rss_bytes,guest_total_bytes,guest_free_bytes,guest_available_bytes," \
	"guest_cache_bytes,guest_used_bytes,stranded_bytes,event"

struct vr_sample {
	double t_sec; /* since the recording started */
	char vm[64];
	int pid;
	uint64_t rss_bytes;
	bool have_guest; /* the guest fields below mean something */
	uint64_t guest_total_bytes;
	uint64_t guest_free_bytes;
	uint64_t guest_available_bytes;
	uint64_t guest_cache_bytes;
	uint64_t guest_used_bytes;
	uint64_t stranded_bytes;
	char event[96]; /* "" for none; no commas, quotes or newlines */
};

/* Fill guest_used_bytes and stranded_bytes from the other fields. */
void vr_sample_derive(struct vr_sample *s);

/* Write the CSV header line / one sample as a CSV line (guest fields empty
 * when !have_guest; the event is cleaned of commas, quotes and control
 * characters). */
void vr_sample_write_header(FILE *f);
void vr_sample_write_csv(FILE *f, const struct vr_sample *s);

/* Parse one CSV line (no header).  Returns 0, or -EINVAL for a line that
 * is not a sample. */
int vr_sample_parse_csv(const char *line, struct vr_sample *ret);

#endif
