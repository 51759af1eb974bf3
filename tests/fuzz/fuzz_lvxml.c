/* SPDX-License-Identifier: MIT */
/* A libvirt domain's XML as vmreclaim reads it (vr_lvxml_parse: the
 * balloon and the guest channel): libvirt writes it, but a domain's
 * <metadata> and names hold anyone's text. */
#include "fuzz.h"
#include "host/lvxml.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_lvxml x;
	int r = vr_lvxml_parse(text, &x);

	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		/* every string terminated within its field */
		FUZZ_CHECK(strlen(x.balloon_model) < sizeof(x.balloon_model));
		FUZZ_CHECK(strlen(x.channel_path) < sizeof(x.channel_path));
		FUZZ_CHECK(strlen(x.channel_state) < sizeof(x.channel_state));
		FUZZ_CHECK(!x.reporting || x.balloon);
		FUZZ_CHECK(!x.channel_unix || x.channel);
	}
	free(text);
	return 0;
}
