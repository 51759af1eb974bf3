/* SPDX-License-Identifier: MIT */
/* The read-only layer below the guest service and the host tool: where
 * /proc and /sys are ("/" on a real machine, a fake tree in tests), and
 * nothing that writes.  Each file in src/procfs/ owns one kernel file:
 * x_parse(buf, ret) on its text, x_read(root, ret) on the file under a
 * root.  A new reader of a kernel file both sides may read goes here; what
 * writes a knob stays in src/guest/ behind struct vr_sys's ops. */
#ifndef VR_PROCFS_ROOT_H
#define VR_PROCFS_ROOT_H

#include <limits.h>
#include <stddef.h>

struct vr_procfs {
	char root[PATH_MAX]; /* "" for the real one */
};

/* The machine's own /proc and /sys (the host tool reads these). */
extern const struct vr_procfs vr_procfs_real;

/* Set up @r over @root ("" or "/" for the real one; trailing slashes
 * dropped).  Returns 0 or -ENAMETOOLONG. */
int vr_procfs_init(struct vr_procfs *r, const char *root);

/* @rel (absolute, e.g. "/proc/meminfo") under the root.  Returns 0 or
 * -ENAMETOOLONG. */
int vr_procfs_path(const struct vr_procfs *r, const char *rel, char *buf, size_t size);

/* Read @rel under the root; see vr_read_file(). */
int vr_procfs_read(const struct vr_procfs *r, const char *rel, char *buf, size_t size, size_t *ret_len);

/* Read at most the first @size - 1 bytes of @rel; see vr_read_head(). */
int vr_procfs_read_head(const struct vr_procfs *r, const char *rel, char *buf, size_t size);

/* True when @rel exists under the root. */
int vr_procfs_exists(const struct vr_procfs *r, const char *rel);

#endif
