/* SPDX-License-Identifier: MIT */
#include "guest/orderstate.h"
#include "common/outfile.h"
#include "common/util.h"
#include "procfs/buddyinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int vr_order_state_parse(const char *buf, unsigned *ret)
{
	uint64_t v;

	if (vr_parse_u64_line(buf, VR_BUDDY_ORDERS_MAX - 1, &v) < 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int vr_order_state_save(const struct vr_sys *s, unsigned base_order)
{
	char path[PATH_MAX], err[256], text[16];
	struct vr_outfile o;
	ssize_t w;
	int n, r;

	r = vr_sys_path(s, VR_ORDER_STATE_PATH, path, sizeof(path));
	if (r < 0)
		return r;
	n = snprintf(text, sizeof(text), "%u\n", base_order);
	r = vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err));
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

int vr_order_state_clear(const struct vr_sys *s)
{
	char path[PATH_MAX];
	int r = vr_sys_path(s, VR_ORDER_STATE_PATH, path, sizeof(path));

	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int vr_order_state_load(const struct vr_sys *s, unsigned *ret)
{
	char buf[32];
	size_t len;
	int r = vr_sys_read(s, VR_ORDER_STATE_PATH, buf, sizeof(buf), &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = vr_order_state_parse(buf, ret);
	return r < 0 ? r : 1;
}
