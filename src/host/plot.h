/* SPDX-License-Identifier: MIT */
/* `vmreclaim plot`: read a recording of `vmreclaim top --record` (CSV, see
 * sample.h) and draw it as an SVG, with no tool but stdio.  Reading and
 * drawing work on streams and arrays, so tests need no files. */
#ifndef VR_PLOT_H
#define VR_PLOT_H

#include "host/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The picture is 960x540 (16:9, readable on a laptop and in a README),
 * growing downwards by one caption line for each VM past the third. */
#define VR_PLOT_WIDTH 960
#define VR_PLOT_HEIGHT 540

/* More VMs than this make a plot nobody can read (and the palette has 8
 * colours, which repeat). */
#define VR_PLOT_MAX_VMS 32

/* A recording of a day at one sample a second for a dozen VMs; keeps
 * memory bounded (about 230 MB of samples) whatever file we are given. */
#define VR_PLOT_MAX_SAMPLES ((size_t)1 << 20)

/* One axis: from lo to hi in steps of step, both multiples of it, with
 * `intervals` steps between them. */
struct vr_plot_axis {
	double lo, hi, step;
	unsigned intervals;
};

/* Choose an axis that covers [lo, hi] with round steps (1, 2 or 5 times a
 * power of ten) and at most @max_intervals (at least 1) of them, taking
 * the smallest such step.  An empty or reversed range is widened to one
 * unit from lo. */
void vr_plot_axis_nice(double lo, double hi, unsigned max_intervals, struct vr_plot_axis *ret);

/* Draw @n samples as an SVG into @out: x time in seconds, y memory in MiB;
 * per VM (the vm field) one colour, host RSS as a solid polyline
 * (class "rss"), guest used memory as a dashed path (class "used") and
 * stranded memory as a light band between them (class "stranded"), the
 * last two only for VMs with guest figures; events as thin vertical lines
 * with labels; a legend and, per VM, RSS at the first sample, its peak and
 * at the last sample.  Samples of one VM are drawn in array order.  @title
 * (may be NULL) heads the picture.  Returns 0, -EINVAL when @n is 0,
 * -E2BIG for more than VR_PLOT_MAX_VMS VMs, -ENOMEM, or -EIO when writing
 * to @out failed (the output is then incomplete). */
int vr_plot_svg(const struct vr_sample *s, size_t n, const char *title, FILE *out);

/* Samples read from a recording. */
struct vr_recording {
	struct vr_sample *samples; /* malloc'd */
	size_t n;
	/* 0, or the number of the last line when it had no newline and was
	 * not a sample - a recorder that died mid-line - and was left out. */
	unsigned long cut_line;
};

/* Read a recording from @in: the header line VR_CSV_HEADER, then samples.
 * Returns 0 and fills *ret (free it with vr_recording_free); or -EINVAL
 * for content that is not a recording, with *ret_line set to the line at
 * fault (0 when it is the file as a whole, e.g. no samples) and @err to
 * what is wrong; -EFBIG past VR_PLOT_MAX_SAMPLES samples (also with
 * *ret_line and @err); -EIO when reading failed; -ENOMEM.  Each VM's time
 * must not go backwards, and there may be at most VR_PLOT_MAX_VMS VMs. */
int vr_recording_read(FILE *in, struct vr_recording *ret, unsigned long *ret_line, char *err,
		      size_t err_size);

void vr_recording_free(struct vr_recording *r);

#endif
