/* SPDX-License-Identifier: MIT */
/* /proc/buddyinfo (vr_buddyinfo_parse), and the split of what it
 * counts into reportable and stranded memory at every order. */
#include "fuzz.h"
#include "procfs/buddyinfo.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	static struct vr_buddyinfo b;
	int r = vr_buddyinfo_parse(text, &b);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ERANGE);
	if (r == 0) {
		unsigned i, o;

		FUZZ_CHECK(b.zones > 0 && b.zones <= VR_BUDDY_ZONES_MAX);
		for (i = 0; i < b.zones; i++)
			FUZZ_CHECK(b.zone[i].orders > 0 && b.zone[i].orders <= VR_BUDDY_ORDERS_MAX);
		for (o = 0; o <= VR_BUDDY_ORDERS_MAX + 1; o++) {
			struct vr_free_split s;

			vr_buddyinfo_split(&b, o, 4096, &s);
			vr_buddyinfo_split(&b, o, 65536, &s);
		}
	} else {
		FUZZ_CHECK(b.zones == 0);
	}
	free(text);
	return 0;
}
