/* SPDX-License-Identifier: MIT */
/* A process's resident memory, as /proc/PID says it (the host tool of
 * a VM's QEMU, the benchmark of the guest service). */
#ifndef VR_PROC_H
#define VR_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "procfs/root.h"

/* Parse the "Rss:" line of /proc/PID/smaps_rollup or the "VmRSS:" line of
 * /proc/PID/status (whichever @buf holds).  Returns 0 and sets *ret_bytes,
 * or -EINVAL. */
int vr_proc_rss_parse(const char *buf, uint64_t *ret_bytes);

/* Resident memory of @pid in bytes: smaps_rollup (Linux 4.14+), else
 * status, under @fs.  Returns 0 or -errno (-ESRCH: the process is gone). */
int vr_proc_rss_read(const struct vr_procfs *fs, pid_t pid, uint64_t *ret_bytes);

/* vr_proc_rss_read() on this machine's own /proc. */
int vr_proc_rss(pid_t pid, uint64_t *ret_bytes);

#endif
