/* SPDX-License-Identifier: MIT */
/* /proc/meminfo (vr_meminfo_parse). */
#include "fuzz.h"
#include "procfs/meminfo.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_meminfo m;
	int r = vr_meminfo_parse(text, &m);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0) {
		FUZZ_CHECK(m.free_bytes <= m.total_bytes);
		(void)vr_meminfo_file_cache(&m);
	}
	free(text);
	return 0;
}
