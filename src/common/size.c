/* SPDX-License-Identifier: MIT */
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *suffix;
	unsigned shift;
} units[] = {
	{ "", 0 },    { "b", 0 },    { "k", 10 },  { "kb", 10 }, { "kib", 10 },
	{ "m", 20 },  { "mb", 20 },  { "mib", 20 }, { "g", 30 }, { "gb", 30 },
	{ "gib", 30 }, { "t", 40 },  { "tb", 40 },  { "tib", 40 }, { "p", 50 },
	{ "pb", 50 },  { "pib", 50 }, { "e", 60 },  { "eb", 60 },  { "eib", 60 },
};

int vr_parse_size(const char *s, uint64_t *ret_bytes)
{
	const char *p, *unit, *end;
	uint64_t n;
	size_t i, unit_len;
	int r;

	/* Blanks around the value and before the unit are all taken alike:
	 * " 2GB", "2 GB" and "2GB " are the same size. */
	s = vr_skip_blanks(s);
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (p = s; p < end && *p >= '0' && *p <= '9'; p++)
		;
	r = vr_parse_u64(s, p, &n);
	if (r < 0)
		return r;
	for (unit = p; unit < end && (*unit == ' ' || *unit == '\t'); unit++)
		;
	unit_len = (size_t)(end - unit);
	for (i = 0; i < VR_ARRAY_SIZE(units); i++) {
		if (strlen(units[i].suffix) != unit_len ||
		    strncasecmp(unit, units[i].suffix, unit_len) != 0)
			continue;
		if (units[i].shift && n > (UINT64_MAX >> units[i].shift))
			return -ERANGE;
		*ret_bytes = n << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

const char *vr_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned i = 0;
	uint64_t whole = bytes, rem = 0;

	while (whole >= 1024 && i + 1 < VR_ARRAY_SIZE(names)) {
		rem = whole % 1024;
		whole /= 1024;
		i++;
	}
	/* One decimal below 10 units, where it says something. */
	if (i > 0 && whole < 10) {
		uint64_t tenth = (rem * 10 + 512) / 1024;

		if (tenth == 10) {
			whole++;
			tenth = 0;
		}
		if (tenth)
			snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
				 (unsigned long long)tenth, names[i]);
		else
			snprintf(buf, size, "%llu %s", (unsigned long long)whole, names[i]);
	} else {
		if (i > 0 && rem >= 512)
			whole++;
		/* 1023.6 KiB rounds to 1 MiB, not to "1024 KiB". */
		if (whole == 1024 && i + 1 < VR_ARRAY_SIZE(names)) {
			whole = 1;
			i++;
		}
		snprintf(buf, size, "%llu %s", (unsigned long long)whole, names[i]);
	}
	return buf;
}
