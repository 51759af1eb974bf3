/* SPDX-License-Identifier: MIT */
#include "procfs/cpustat.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

enum { USER, NICE, SYSTEM, IDLE, IOWAIT, IRQ, SOFTIRQ, STEAL, NFIELDS };

int vr_cpustat_parse(const char *buf, struct vr_cpustat *ret)
{
	uint64_t f[NFIELDS] = { 0 };
	const char *p = buf, *end;
	unsigned n = 0;
	int r;

	if (strncmp(p, "cpu ", 4) != 0)
		return -EINVAL;
	p += 4;
	while (n < NFIELDS) {
		p = vr_skip_blanks(p);
		if (*p == '\n' || *p == '\0')
			break;
		for (end = p; *end >= '0' && *end <= '9'; end++)
			;
		r = vr_parse_u64(p, end, &f[n]);
		if (r < 0)
			return r;
		n++;
		p = end;
	}
	if (n < 4)
		return -EINVAL;
	/* Each field is far below 2^60 in practice; saturate rather than
	 * wrap if a broken kernel says otherwise. */
	ret->busy = vr_sat_add(vr_sat_add(vr_sat_add(f[USER], f[NICE]), vr_sat_add(f[SYSTEM], f[IRQ])),
			       vr_sat_add(f[SOFTIRQ], f[STEAL]));
	ret->total = vr_sat_add(ret->busy, vr_sat_add(f[IDLE], f[IOWAIT]));
	return 0;
}

int vr_cpustat_read(const struct vr_procfs *fs, struct vr_cpustat *ret)
{
	/* The first line is all we need; the rest (per-CPU lines, the intr
	 * line) runs to tens of KiB on a large guest. */
	char buf[1024];
	int r = vr_procfs_read_head(fs, "/proc/stat", buf, sizeof(buf));

	return r < 0 ? r : vr_cpustat_parse(buf, ret);
}
