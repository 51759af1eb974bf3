/* SPDX-License-Identifier: MIT */
#include "procfs/buddyinfo.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define BUDDYINFO_MAX (16 * 1024)

static int parse_line(const char *p, const char *eol, struct vr_buddy_zone *z)
{
	const char *end;
	uint64_t v;
	size_t n;
	int r;

	if (strncmp(p, "Node ", 5) != 0)
		return -EINVAL;
	p += 5;
	for (end = p; end < eol && *end >= '0' && *end <= '9'; end++)
		;
	r = vr_parse_u64(p, end, &v);
	if (r < 0 || v > 1u << 20)
		return -EINVAL;
	z->node = (unsigned)v;
	p = end;
	if (strncmp(p, ", zone", 6) != 0)
		return -EINVAL;
	p = vr_skip_blanks(p + 6);
	n = strcspn(p, " \t\n");
	if (n == 0 || n >= sizeof(z->name) || p + n > eol)
		return -EINVAL;
	memcpy(z->name, p, n);
	z->name[n] = '\0';
	p += n;
	z->orders = 0;
	for (;;) {
		p = vr_skip_blanks(p);
		if (p >= eol)
			break;
		for (end = p; end < eol && *end >= '0' && *end <= '9'; end++)
			;
		r = vr_parse_u64(p, end, &v);
		if (r < 0)
			return r;
		if (z->orders == VR_BUDDY_ORDERS_MAX)
			return -E2BIG;
		z->blocks[z->orders++] = v;
		p = end;
	}
	return z->orders ? 0 : -EINVAL;
}

int vr_buddyinfo_parse(const char *buf, struct vr_buddyinfo *ret)
{
	/* The struct is large (8 KiB): parse in place and mark it empty on
	 * failure rather than copy it. */
	const char *line = buf;
	unsigned zones = 0;
	int r;

	while (*line) {
		const char *eol = strchr(line, '\n');

		if (!eol)
			eol = line + strlen(line);
		if (eol != line) {
			if (zones == VR_BUDDY_ZONES_MAX) {
				r = -E2BIG;
				goto fail;
			}
			r = parse_line(line, eol, &ret->zone[zones]);
			if (r < 0)
				goto fail;
			zones++;
		}
		line = *eol ? eol + 1 : eol;
	}
	if (zones == 0) {
		r = -EINVAL;
		goto fail;
	}
	ret->zones = zones;
	return 0;
fail:
	ret->zones = 0;
	return r;
}

int vr_buddyinfo_read(const struct vr_procfs *fs, struct vr_buddyinfo *ret)
{
	char buf[BUDDYINFO_MAX];
	int r = vr_procfs_read(fs, "/proc/buddyinfo", buf, sizeof(buf), NULL);

	return r < 0 ? r : vr_buddyinfo_parse(buf, ret);
}

void vr_buddyinfo_split(const struct vr_buddyinfo *b, unsigned order, uint64_t page_size,
			struct vr_free_split *ret)
{
	struct vr_free_split sp = { 0, 0 };
	unsigned i, o;

	if (page_size == 0) {
		*ret = sp;
		return;
	}
	for (i = 0; i < b->zones; i++) {
		const struct vr_buddy_zone *z = &b->zone[i];

		for (o = 0; o < z->orders; o++) {
			uint64_t bytes = z->blocks[o] > (UINT64_MAX >> o) / page_size
						 ? UINT64_MAX
						 : (z->blocks[o] << o) * page_size;

			if (o >= order)
				sp.reportable_bytes = vr_sat_add(sp.reportable_bytes, bytes);
			else
				sp.stranded_bytes = vr_sat_add(sp.stranded_bytes, bytes);
		}
	}
	*ret = sp;
}
