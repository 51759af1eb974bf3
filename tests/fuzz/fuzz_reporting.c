/* SPDX-License-Identifier: MIT */
/* The free page reporting files in sysfs: page_reporting_order
 * (vr_reporting_order_parse) and a virtio device's features string
 * (vr_virtio_feature). */
#include "fuzz.h"
#include "guest/reporting.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	unsigned order, bit;
	int r = vr_reporting_order_parse(text, &order);

	FUZZ_CHECK(r == 0 || r == -EINVAL);
	for (bit = 0; bit < 80; bit++) {
		bool set = vr_virtio_feature(text, bit);

		FUZZ_CHECK(!set || (bit < size && text[bit] == '1'));
	}
	(void)vr_virtio_feature(text, UINT32_MAX);
	free(text);
	return 0;
}
