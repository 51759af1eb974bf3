/* SPDX-License-Identifier: MIT */
/* The balloon statistics in a QMP reply (vr_qmp_parse_guest_stats: the
 * "return" member of qom-get guest-stats, as QEMU sends it). */
#include "fuzz.h"
#include "host/qmp.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_guest_stats s;
	int r = vr_qmp_parse_guest_stats(text, &s);

	FUZZ_CHECK(r == 0 || r == -EPROTO);
	if (r == 0)
		FUZZ_CHECK(s.last_update >= 0);
	free(text);
	return 0;
}
