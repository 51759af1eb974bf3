/* SPDX-License-Identifier: MIT */
/* A small file of one number under /run that says what to put back in a
 * kernel setting the daemon changes for a while (the reporting order during
 * a hold, the per-CPU fraction during a drain), so that a daemon killed in
 * between (SIGKILL, an OOM kill, systemd's stop timeout) does not leave the
 * setting changed for good: the next start reads it and puts it back.  A
 * reboot, which resets both settings, empties /run. */
#ifndef VR_STATEFILE_H
#define VR_STATEFILE_H

#include "guest/sys.h"

#include <stdint.h>

/* Write "@value\n" to @path (under the root), replacing the file, through
 * outfile.c: a regular file only, fsynced, never followed through a link.
 * Returns 0 or -errno. */
int vr_state_file_save(const struct vr_sys *s, const char *path, uint64_t value);

/* Read @path: 1 and *@ret when there is a file that holds one number no
 * larger than @max, 0 when there is no file, -EINVAL for any other text
 * (the caller should then remove it), or another -errno. */
int vr_state_file_load(const struct vr_sys *s, const char *path, uint64_t max, uint64_t *ret);

/* Remove @path.  Returns 0 (also when there was none) or -errno. */
int vr_state_file_clear(const struct vr_sys *s, const char *path);

#endif
