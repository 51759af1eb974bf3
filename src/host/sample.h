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

/* The layout both the writer and the readers rely on. */
#define VR_CSV_FIELDS 11
#define VR_CSV_GUEST_FIRST 4 /* guest_total_bytes ... stranded_bytes (0-based) */
#define VR_CSV_GUEST_LAST 9
#define VR_CSV_LINE_MAX 512

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

/* Fill guest_used_bytes and stranded_bytes from the other fields: both 0
 * without guest figures; an available figure of 0 or UINT64_MAX (a guest
 * that does not report MemAvailable) counts as missing and free is used
 * instead.  Differences saturate at 0. */
void vr_sample_derive(struct vr_sample *s);

/* Write the CSV header line / one sample as a CSV line: numbers as
 * integers (bytes), time with one decimal, the six guest fields (through
 * stranded_bytes) empty when !have_guest.  In vm and event, commas,
 * double quotes, control characters and bytes outside ASCII become
 * spaces, and each is cut to its array.  Whatever the struct holds, the
 * line parses: a negative pid is written as 0, a time that is negative,
 * NaN or past 10^9 s is clamped. */
void vr_sample_write_header(FILE *f);
void vr_sample_write_csv(FILE *f, const struct vr_sample *s);

/* Parse one CSV line (no header), with or without its "\n".  Strict: 11
 * fields; time as digits with an optional point and decimals; pid a
 * number up to INT_MAX; numbers as plain decimal digits that fit 64 bits;
 * the guest fields all numbers or all empty; vm and event within their
 * arrays and free of what the writer replaces; at most 512 bytes.
 * Returns 0 and fills *ret, or -EINVAL for a line that is not a sample
 * (*ret untouched). */
int vr_sample_parse_csv(const char *line, struct vr_sample *ret);

#endif
