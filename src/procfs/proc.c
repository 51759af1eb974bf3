/* SPDX-License-Identifier: MIT */
#include "procfs/proc.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int vr_proc_rss_parse(const char *buf, uint64_t *ret_bytes)
{
	static const char *const keys[] = { "Rss:", "VmRSS:" };
	const char *line;
	size_t i;

	for (line = buf; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
		for (i = 0; i < VR_ARRAY_SIZE(keys); i++) {
			const char *p, *end;
			uint64_t kib;

			if (strncmp(line, keys[i], strlen(keys[i])) != 0)
				continue;
			p = vr_skip_blanks(line + strlen(keys[i]));
			for (end = p; *end >= '0' && *end <= '9'; end++)
				;
			if (vr_parse_u64(p, end, &kib) < 0 || strncmp(vr_skip_blanks(end), "kB", 2) != 0 ||
			    kib > UINT64_MAX / 1024)
				return -EINVAL;
			*ret_bytes = kib * 1024;
			return 0;
		}
	}
	return -EINVAL;
}

int vr_proc_rss_read(const struct vr_procfs *fs, pid_t pid, uint64_t *ret_bytes)
{
	char rel[64], buf[4096];
	int r;

	snprintf(rel, sizeof(rel), "/proc/%d/smaps_rollup", (int)pid);
	r = vr_procfs_read_head(fs, rel, buf, sizeof(buf));
	if (r == -ENOENT) {
		snprintf(rel, sizeof(rel), "/proc/%d/status", (int)pid);
		r = vr_procfs_read_head(fs, rel, buf, sizeof(buf));
	}
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	return vr_proc_rss_parse(buf, ret_bytes);
}

int vr_proc_rss(pid_t pid, uint64_t *ret_bytes)
{
	return vr_proc_rss_read(&vr_procfs_real, pid, ret_bytes);
}
