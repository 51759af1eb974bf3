/* SPDX-License-Identifier: MIT */
/* /proc/vmstat (vr_vmstat_parse). */
#include "fuzz.h"
#include "procfs/vmstat.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_vmstat v;
	int r = vr_vmstat_parse(text, &v);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0 && !v.have_refault)
		FUZZ_CHECK(v.refault_file_pages == 0);
	free(text);
	return 0;
}
