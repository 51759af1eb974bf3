/* SPDX-License-Identifier: MIT */
#include "procfs/psi.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* "12.34" -> 1234.  The kernel prints exactly two decimals. */
static int parse_x100(const char *p, const char *end, uint32_t *ret)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));
	uint64_t whole, frac;
	int r;

	if (!dot || end - dot != 3)
		return -EINVAL;
	r = vr_parse_u64(p, dot, &whole);
	if (r < 0)
		return r;
	r = vr_parse_u64(dot + 1, end, &frac);
	if (r < 0)
		return r;
	/* A share of time: 100.00 at most. */
	if (whole > 100 || whole * 100 + frac > 10000)
		return -ERANGE;
	*ret = (uint32_t)(whole * 100 + frac);
	return 0;
}

static int parse_line(const char *p, const char *eol, struct vr_psi_line *ret)
{
	static const char *const names[] = { "avg10=", "avg60=", "avg300=", "total=" };
	struct vr_psi_line l = { 0 };
	unsigned i;
	int r;

	for (i = 0; i < VR_ARRAY_SIZE(names); i++) {
		const char *end;
		size_t n = strlen(names[i]);

		p = vr_skip_blanks(p);
		if (p + n > eol || memcmp(p, names[i], n) != 0)
			return -EINVAL;
		p += n;
		end = p;
		while (end < eol && *end != ' ')
			end++;
		if (i == 3)
			r = vr_parse_u64(p, end, &l.total_usec);
		else
			r = parse_x100(p, end, i == 0 ? &l.avg10_x100 : i == 1 ? &l.avg60_x100 : &l.avg300_x100);
		if (r < 0)
			return r;
		p = end;
	}
	if (vr_skip_blanks(p) != eol)
		return -EINVAL;
	*ret = l;
	return 0;
}

int vr_psi_parse(const char *buf, struct vr_psi *ret)
{
	struct vr_psi psi = { 0 };
	bool has_some = false;
	const char *line = buf;
	int r;

	while (*line) {
		const char *eol = strchr(line, '\n');

		if (!eol)
			eol = line + strlen(line);
		if (strncmp(line, "some ", 5) == 0) {
			r = parse_line(line + 5, eol, &psi.some);
			if (r < 0)
				return r;
			has_some = true;
		} else if (strncmp(line, "full ", 5) == 0) {
			r = parse_line(line + 5, eol, &psi.full);
			if (r < 0)
				return r;
			psi.has_full = true;
		}
		/* Other lines: a later kernel's addition; not ours to judge. */
		line = *eol ? eol + 1 : eol;
	}
	if (!has_some)
		return -EINVAL;
	*ret = psi;
	return 0;
}

int vr_psi_read(const struct vr_procfs *fs, struct vr_psi *ret)
{
	char buf[512];
	int r = vr_procfs_read(fs, "/proc/pressure/memory", buf, sizeof(buf), NULL);

	return r < 0 ? r : vr_psi_parse(buf, ret);
}
