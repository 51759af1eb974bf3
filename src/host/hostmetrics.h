/* SPDX-License-Identifier: MIT */
/* top --metrics-file: every VM's host and guest figures in Prometheus's
 * text format, for node_exporter's textfile collector, so that a fleet's
 * Prometheus sees the host side beside the guests' own metrics files. */
#ifndef VR_HOSTMETRICS_H
#define VR_HOSTMETRICS_H

#include <stddef.h>
#include <stdio.h>

#include "common/channel.h"
#include "host/sample.h"

/* One VM's row of the file. */
struct vr_hostmetrics_row {
	struct vr_sample s;
	const char *backend; /* "vmreclaim", "libvirt" */
	/* vmreclaimd's counters, as its last answer on the guest channel
	 * gave them; have == 0 when none came (no channel, an older
	 * vmreclaimd) */
	struct vr_chan_counters counters;
};

/* Write the @n rows to @f: one family per figure, each with HELP and
 * TYPE, a sample per VM labelled vm="..." and backend="..." (label
 * values escaped as the format asks: backslash, double quote, newline);
 * the guest figures only for VMs that have them, and each of vmreclaimd's
 * counters (as counters, the per-action ones labelled action="...") only
 * for VMs whose guest sent it.  Returns 0, or -EIO when @f reports an
 * error. */
int vr_hostmetrics_write(FILE *f, const struct vr_hostmetrics_row *rows, size_t n);

#endif
