/* SPDX-License-Identifier: MIT */
#include "guest/reporting.h"
#include "common/util.h"
#include "procfs/buddyinfo.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* include/uapi/linux/virtio_balloon.h */
#define VIRTIO_BALLOON_F_REPORTING 5
#define VIRTIO_ID_BALLOON "0x0005"

int vr_reporting_order_parse(const char *buf, unsigned *ret)
{
	uint64_t v;

	if (vr_parse_u64_line(buf, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

bool vr_virtio_feature(const char *features, unsigned bit)
{
	size_t n = strcspn(features, "\n");

	return bit < n && features[bit] == '1';
}

const char *vr_balloon_state_name(enum vr_balloon_state b)
{
	switch (b) {
	case VR_BALLOON_NONE:
		return "none";
	case VR_BALLOON_UNBOUND:
		return "driver not bound";
	case VR_BALLOON_NO_REPORTING:
		return "no free page reporting";
	case VR_BALLOON_REPORTING:
		return "free page reporting";
	}
	return "?";
}

static enum vr_balloon_state probe_balloon(const struct vr_sys *s)
{
	enum vr_balloon_state best = VR_BALLOON_NONE;
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (vr_sys_path(s, "/sys/bus/virtio/devices", dir, sizeof(dir)) < 0)
		return best;
	d = opendir(dir);
	if (!d)
		return best;
	while ((de = readdir(d))) {
		char rel[PATH_MAX], buf[256];
		enum vr_balloon_state st;

		if (de->d_name[0] == '.' || strlen(de->d_name) > 64)
			continue;
		snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/device", de->d_name);
		if (vr_sys_read(s, rel, buf, sizeof(buf), NULL) < 0 ||
		    strncmp(buf, VIRTIO_ID_BALLOON, strlen(VIRTIO_ID_BALLOON)) != 0)
			continue;
		snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/driver", de->d_name);
		if (!vr_sys_exists(s, rel)) {
			st = VR_BALLOON_UNBOUND;
		} else {
			/* The features file lists what the driver negotiated. */
			snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/features", de->d_name);
			st = vr_sys_read(s, rel, buf, sizeof(buf), NULL) == 0 &&
					     vr_virtio_feature(buf, VIRTIO_BALLOON_F_REPORTING)
				     ? VR_BALLOON_REPORTING
				     : VR_BALLOON_NO_REPORTING;
		}
		if (st > best)
			best = st;
	}
	closedir(d);
	return best;
}

/* Orders the buddy allocator has on x86_64 (0..10): what is assumed when
 * /proc/buddyinfo cannot be read. */
#define BUDDY_ORDERS_X86_64 11

/* Orders the buddy allocator has: the columns of /proc/buddyinfo's first
 * zone, read by the one buddyinfo parser. */
static unsigned buddy_orders(const struct vr_sys *s)
{
	struct vr_buddyinfo b;

	if (vr_buddyinfo_read(&s->fs, &b) < 0)
		return BUDDY_ORDERS_X86_64;
	return b.zone[0].orders;
}

void vr_reporting_probe(const struct vr_sys *s, struct vr_reporting *ret)
{
	char buf[32], path[PATH_MAX];

	memset(ret, 0, sizeof(*ret));
	if (vr_sys_read(s, VR_REPORTING_ORDER_PATH, buf, sizeof(buf), NULL) == 0 &&
	    vr_reporting_order_parse(buf, &ret->order) == 0) {
		ret->order_known = true;
		ret->registered = ret->order < buddy_orders(s);
		ret->order_writable = vr_sys_path(s, VR_REPORTING_ORDER_PATH, path, sizeof(path)) == 0 &&
				      access(path, W_OK) == 0;
	}
	ret->balloon = probe_balloon(s);
}
