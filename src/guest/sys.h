/* SPDX-License-Identifier: MIT */
/* The kernel as the guest service sees it: the read-only root of
 * src/procfs/ ("/" in a VM, a fake tree in tests) and a small ops table
 * through which every write to a kernel knob goes, so that tests can
 * record or fail them and --dry-run can stand in for them.  The readers
 * take &sys->fs: they cannot write. */
#ifndef VR_SYS_H
#define VR_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procfs/root.h"

struct vr_sys_ops {
	/* Write @len bytes of @data to the file @path (already under the
	 * root).  Returns 0 or -errno. */
	int (*write)(void *user, const char *path, const char *data, size_t len);
	/* Touch and free @bytes of memory so that the kernel's free page
	 * reporting worker runs (vr_wake_reporting()).  May be NULL: nothing
	 * is done.  Returns 0 or -errno. */
	int (*wake_reporting)(void *user, uint64_t bytes);
	/* CPU time of the calling thread so far, in usec: the difference
	 * across an action is the kernel's work for it (compaction,
	 * reclaim, dropping caches all run in the writer's context).  May be
	 * NULL: not measured (0). */
	uint64_t (*cpu_usec)(void *user);
	/* Allocate and free @bytes of base pages on each CPU in turn
	 * (vr_cycle_pages()), during a drain of the per-CPU free lists
	 * (pcp.h).  May be NULL: nothing is done.  Returns 0 or -errno. */
	int (*cycle_pages)(void *user, uint64_t bytes);
	/* Writes are not really done: probes that need a real answer from
	 * the kernel must assume the worst, and nothing goes to the kernel
	 * log. */
	bool dry_run;
};

struct vr_sys {
	struct vr_procfs fs;
	const struct vr_sys_ops *ops;
	void *ops_user;
};

/* Real writes; and writes that are only logged. */
extern const struct vr_sys_ops vr_sys_ops_real;
extern const struct vr_sys_ops vr_sys_ops_dry_run;

/* Set up @s over @root ("" or "/" for the real one).  Returns 0 or
 * -ENAMETOOLONG. */
int vr_sys_init(struct vr_sys *s, const char *root, const struct vr_sys_ops *ops, void *user);

/* The read side, on s->fs: see vr_procfs_path(), vr_procfs_read(),
 * vr_procfs_read_head() and vr_procfs_exists(). */
int vr_sys_path(const struct vr_sys *s, const char *rel, char *buf, size_t size);
int vr_sys_read(const struct vr_sys *s, const char *rel, char *buf, size_t size, size_t *ret_len);
int vr_sys_read_head(const struct vr_sys *s, const char *rel, char *buf, size_t size);
int vr_sys_exists(const struct vr_sys *s, const char *rel);

/* The calling thread's CPU time in usec through the ops, or 0. */
uint64_t vr_sys_cpu_usec(const struct vr_sys *s);

/* Write the string @data to @rel under the root through the ops.  Returns
 * 0 or -errno. */
int vr_sys_write(const struct vr_sys *s, const char *rel, const char *data);

#endif
