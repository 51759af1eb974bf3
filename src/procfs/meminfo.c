/* SPDX-License-Identifier: MIT */
#include "procfs/meminfo.h"
#include "common/util.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	size_t offset;
} fields[] = {
	{ "MemTotal", offsetof(struct vr_meminfo, total_bytes) },
	{ "MemFree", offsetof(struct vr_meminfo, free_bytes) },
	{ "MemAvailable", offsetof(struct vr_meminfo, available_bytes) },
	{ "Cached", offsetof(struct vr_meminfo, cached_bytes) },
	{ "Active(file)", offsetof(struct vr_meminfo, active_file_bytes) },
	{ "Inactive(file)", offsetof(struct vr_meminfo, inactive_file_bytes) },
	{ "SReclaimable", offsetof(struct vr_meminfo, sreclaimable_bytes) },
	{ "Dirty", offsetof(struct vr_meminfo, dirty_bytes) },
	{ "SwapTotal", offsetof(struct vr_meminfo, swap_total_bytes) },
	{ "SwapFree", offsetof(struct vr_meminfo, swap_free_bytes) },
};

/* Index of the fields that must be there. */
enum { F_TOTAL = 0, F_FREE = 1 };

#define MEMINFO_MAX (16 * 1024)

int vr_meminfo_parse(const char *buf, struct vr_meminfo *ret)
{
	struct vr_meminfo m = { 0 };
	unsigned seen = 0;
	const char *line = buf;

	while (*line) {
		const char *eol = strchr(line, '\n'), *colon, *num, *end;
		uint64_t v;
		size_t i, klen;
		int r;

		if (!eol)
			eol = line + strlen(line);
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			goto next;
		klen = (size_t)(colon - line);
		for (i = 0; i < VR_ARRAY_SIZE(fields); i++)
			if (strlen(fields[i].name) == klen && memcmp(fields[i].name, line, klen) == 0)
				break;
		if (i == VR_ARRAY_SIZE(fields))
			goto next;
		num = vr_skip_blanks(colon + 1);
		for (end = num; end < eol && *end >= '0' && *end <= '9'; end++)
			;
		r = vr_parse_u64(num, end, &v);
		if (r < 0)
			return r;
		end = vr_skip_blanks(end);
		if (end + 2 <= eol && memcmp(end, "kB", 2) == 0) {
			if (v > UINT64_MAX / 1024)
				return -ERANGE;
			v *= 1024;
			end += 2;
		}
		if (vr_skip_blanks(end) != eol)
			return -EINVAL;
		*(uint64_t *)(void *)((char *)&m + fields[i].offset) = v;
		seen |= 1u << i;
next:
		line = *eol ? eol + 1 : eol;
	}
	if (!(seen & (1u << F_TOTAL)) || !(seen & (1u << F_FREE)))
		return -EINVAL;
	if (m.free_bytes > m.total_bytes)
		return -EINVAL;
	*ret = m;
	return 0;
}

int vr_meminfo_read(const struct vr_procfs *fs, struct vr_meminfo *ret)
{
	char buf[MEMINFO_MAX];
	int r = vr_procfs_read(fs, "/proc/meminfo", buf, sizeof(buf), NULL);

	return r < 0 ? r : vr_meminfo_parse(buf, ret);
}

uint64_t vr_meminfo_file_cache(const struct vr_meminfo *m)
{
	return vr_sat_add(vr_sat_add(m->active_file_bytes, m->inactive_file_bytes),
			  m->sreclaimable_bytes);
}
