/* SPDX-License-Identifier: MIT */
#include "procfs/vmstat.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* /proc/vmstat is about 10 KiB on 6.x; room to grow. */
#define VMSTAT_MAX (32 * 1024)

int vr_vmstat_parse(const char *buf, struct vr_vmstat *ret)
{
	struct vr_vmstat v = { 0 };
	bool have_new = false;
	const char *line = buf;

	while (*line) {
		const char *eol = strchr(line, '\n'), *sp, *num, *end;
		bool is_new, is_old;
		uint64_t n;
		size_t klen;
		int r;

		if (!eol)
			eol = line + strlen(line);
		sp = memchr(line, ' ', (size_t)(eol - line));
		if (!sp)
			goto next;
		klen = (size_t)(sp - line);
		is_new = klen == strlen("workingset_refault_file") &&
			 memcmp(line, "workingset_refault_file", klen) == 0;
		is_old = klen == strlen("workingset_refault") &&
			 memcmp(line, "workingset_refault", klen) == 0;
		if (!is_new && !is_old)
			goto next;
		num = vr_skip_blanks(sp);
		for (end = num; end < eol && *end >= '0' && *end <= '9'; end++)
			;
		r = vr_parse_u64(num, end, &n);
		if (r < 0)
			return r;
		if (vr_skip_blanks(end) != eol)
			return -EINVAL;
		/* The split counter wins over the old combined one. */
		if (is_new || !have_new) {
			v.refault_file_pages = n;
			v.have_refault = true;
			have_new = have_new || is_new;
		}
next:
		line = *eol ? eol + 1 : eol;
	}
	*ret = v;
	return 0;
}

int vr_vmstat_read(const struct vr_procfs *fs, struct vr_vmstat *ret)
{
	char buf[VMSTAT_MAX];
	int r = vr_procfs_read(fs, "/proc/vmstat", buf, sizeof(buf), NULL);

	return r < 0 ? r : vr_vmstat_parse(buf, ret);
}
