/* SPDX-License-Identifier: MIT */
#include "guest/sys.h"
#include "common/log.h"
#include "common/util.h"
#include "common/wake.h"

#include <limits.h>
#include <string.h>
#include <time.h>

static int real_write(void *user, const char *path, const char *data, size_t len)
{
	(void)user;
	return vr_write_file(path, data, len);
}

static int dry_run_write(void *user, const char *path, const char *data, size_t len)
{
	(void)user;
	vr_info("dry run: would write '%.*s' to %s", (int)len, data, path);
	return 0;
}

static int real_wake(void *user, uint64_t bytes)
{
	(void)user;
	return vr_wake_reporting(bytes);
}

static int dry_run_wake(void *user, uint64_t bytes)
{
	(void)user;
	vr_info("dry run: would touch and free %llu MiB to wake free page reporting",
		(unsigned long long)(bytes / VR_MIB));
	return 0;
}

static uint64_t thread_cpu_usec(void *user)
{
	struct timespec ts;

	(void)user;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int real_cycle(void *user, uint64_t bytes)
{
	(void)user;
	return vr_cycle_pages(bytes);
}

static int dry_run_cycle(void *user, uint64_t bytes)
{
	(void)user;
	vr_info("dry run: would touch and free %llu KiB on each CPU to drain the per-CPU lists",
		(unsigned long long)(bytes / 1024));
	return 0;
}

const struct vr_sys_ops vr_sys_ops_real = { .write = real_write,
					    .wake_reporting = real_wake,
					    .cpu_usec = thread_cpu_usec,
					    .cycle_pages = real_cycle };
const struct vr_sys_ops vr_sys_ops_dry_run = { .write = dry_run_write,
					       .wake_reporting = dry_run_wake,
					       .cpu_usec = thread_cpu_usec,
					       .cycle_pages = dry_run_cycle,
					       .dry_run = true };

int vr_sys_init(struct vr_sys *s, const char *root, const struct vr_sys_ops *ops, void *user)
{
	int r = vr_procfs_init(&s->fs, root);

	if (r < 0)
		return r;
	s->ops = ops;
	s->ops_user = user;
	return 0;
}

int vr_sys_path(const struct vr_sys *s, const char *rel, char *buf, size_t size)
{
	return vr_procfs_path(&s->fs, rel, buf, size);
}

int vr_sys_read(const struct vr_sys *s, const char *rel, char *buf, size_t size, size_t *ret_len)
{
	return vr_procfs_read(&s->fs, rel, buf, size, ret_len);
}

int vr_sys_read_head(const struct vr_sys *s, const char *rel, char *buf, size_t size)
{
	return vr_procfs_read_head(&s->fs, rel, buf, size);
}

int vr_sys_write(const struct vr_sys *s, const char *rel, const char *data)
{
	char path[PATH_MAX];
	int r = vr_sys_path(s, rel, path, sizeof(path));

	return r < 0 ? r : s->ops->write(s->ops_user, path, data, strlen(data));
}

int vr_sys_exists(const struct vr_sys *s, const char *rel)
{
	return vr_procfs_exists(&s->fs, rel);
}

uint64_t vr_sys_cpu_usec(const struct vr_sys *s)
{
	return s->ops->cpu_usec ? s->ops->cpu_usec(s->ops_user) : 0;
}
