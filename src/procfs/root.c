/* SPDX-License-Identifier: MIT */
#include "procfs/root.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

const struct vr_procfs vr_procfs_real = { .root = "" };

int vr_procfs_init(struct vr_procfs *r, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		n = 0;
	if (n >= sizeof(r->root))
		return -ENAMETOOLONG;
	memcpy(r->root, root, n);
	r->root[n] = '\0';
	return 0;
}

int vr_procfs_path(const struct vr_procfs *r, const char *rel, char *buf, size_t size)
{
	return vr_path_join(buf, size, r->root, rel);
}

int vr_procfs_read(const struct vr_procfs *r, const char *rel, char *buf, size_t size, size_t *ret_len)
{
	char path[PATH_MAX];
	int e = vr_procfs_path(r, rel, path, sizeof(path));

	return e < 0 ? e : vr_read_file(path, buf, size, ret_len);
}

int vr_procfs_read_head(const struct vr_procfs *r, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	int e = vr_procfs_path(r, rel, path, sizeof(path));

	return e < 0 ? e : vr_read_head(path, buf, size);
}

int vr_procfs_exists(const struct vr_procfs *r, const char *rel)
{
	char path[PATH_MAX];

	if (vr_procfs_path(r, rel, path, sizeof(path)) < 0)
		return 0;
	return access(path, F_OK) == 0;
}
