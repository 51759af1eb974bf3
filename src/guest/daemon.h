/* SPDX-License-Identifier: MIT */
/* vmreclaimd's configuration loading and event loop: one poll(2) over a
 * timerfd (samples), a signalfd (SIGTERM, SIGINT, SIGHUP), the control
 * socket and, where the kernel has PSI, a memory pressure trigger. */
#ifndef VR_DAEMON_H
#define VR_DAEMON_H

#include <stdbool.h>

#include "common/config.h"
#include "guest/sys.h"

struct vr_daemon_opts {
	const char *config_path;
	bool config_explicit;  /* given on the command line: it must exist */
	const char *root;      /* "/" normally; a fake tree in tests */
	bool use_cmdline;      /* apply vmreclaim.KEY=VALUE from /proc/cmdline */
	bool dry_run;          /* log kernel writes instead of doing them */
	const char *socket;    /* overrides controlSocket */
	const char *metrics_file; /* overrides metricsFile */
	bool verbose;          /* debug logging, whatever logLevel says */
};

/* Defaults, then the file, then the kernel command line, then
 * opts->socket.  Returns 0, -EINVAL when @d holds errors, or -errno when
 * the file could not be read. */
int vr_daemon_load_config(const struct vr_daemon_opts *o, struct vr_config *ret,
			  struct vr_diags *d);

/* Run until SIGTERM or SIGINT.  Returns the exit status. */
int vr_daemon_run(const struct vr_daemon_opts *o, const struct vr_config *cfg);

#endif
