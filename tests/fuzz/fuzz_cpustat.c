/* SPDX-License-Identifier: MIT */
/* The aggregate cpu line of /proc/stat (vr_cpustat_parse). */
#include "fuzz.h"
#include "procfs/cpustat.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_cpustat c;
	int r = vr_cpustat_parse(text, &c);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0)
		FUZZ_CHECK(c.busy <= c.total);
	free(text);
	return 0;
}
