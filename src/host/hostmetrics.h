/* SPDX-License-Identifier: MIT */
/* top --metrics-file: every VM's host and guest figures in Prometheus's
 * text format, for node_exporter's textfile collector, so that a fleet's
 * Prometheus sees the host side beside the guests' own metrics files. */
#ifndef VR_HOSTMETRICS_H
#define VR_HOSTMETRICS_H

#include <stddef.h>
#include <stdio.h>

#include "host/sample.h"

/* Write the @n samples of @s (the backend of each in @backend[i]:
 * "vmreclaim", "libvirt") to @f: one family per figure, each with HELP
 * and TYPE, a sample per VM labelled vm="..." and backend="..." (label
 * values escaped as the format asks: backslash, double quote, newline);
 * the guest figures only for VMs that have them.  Returns 0, or -EIO when
 * @f reports an error. */
int vr_hostmetrics_write(FILE *f, const struct vr_sample *s, const char *const *backend, size_t n);

#endif
