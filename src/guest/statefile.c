/* SPDX-License-Identifier: MIT */
#include "guest/statefile.h"
#include "common/outfile.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int vr_state_file_save(const struct vr_sys *s, const char *path, uint64_t value)
{
	char full[PATH_MAX], err[256], text[32];
	struct vr_outfile o;
	ssize_t w;
	int n, r;

	r = vr_sys_path(s, path, full, sizeof(full));
	if (r < 0)
		return r;
	n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)value);
	r = vr_outfile_open(&o, full, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err));
	if (r < 0)
		return r;
	w = write(o.fd, text, (size_t)n);
	if (w != n) {
		r = w < 0 ? -errno : -EIO; /* a short write sets no errno */
		vr_outfile_abort(&o);
		return r;
	}
	return vr_outfile_commit(&o, err, sizeof(err));
}

int vr_state_file_load(const struct vr_sys *s, const char *path, uint64_t max, uint64_t *ret)
{
	char buf[32];
	size_t len;
	int r = vr_sys_read(s, path, buf, sizeof(buf), &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (vr_parse_u64_line(buf, max, ret) < 0)
		return -EINVAL;
	return 1;
}

int vr_state_file_clear(const struct vr_sys *s, const char *path)
{
	char full[PATH_MAX];
	int r = vr_sys_path(s, path, full, sizeof(full));

	if (r < 0)
		return r;
	if (unlink(full) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
