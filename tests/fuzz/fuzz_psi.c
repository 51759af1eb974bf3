/* SPDX-License-Identifier: MIT */
/* /proc/pressure/memory (vr_psi_parse). */
#include "fuzz.h"
#include "procfs/psi.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_psi p;
	int r = vr_psi_parse(text, &p);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0) {
		FUZZ_CHECK(p.some.avg10_x100 <= 10000 && p.some.avg60_x100 <= 10000 &&
			   p.some.avg300_x100 <= 10000);
		FUZZ_CHECK(p.full.avg10_x100 <= 10000 && p.full.avg60_x100 <= 10000 &&
			   p.full.avg300_x100 <= 10000);
	}
	free(text);
	return 0;
}
