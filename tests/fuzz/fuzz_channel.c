/* SPDX-License-Identifier: MIT */
/* The guest channel's lines (common/channel.h): a request as the guest
 * reads it from the host (vr_chan_parse), and a reply as the host reads
 * it from the guest (vr_chan_reply_u64, for every key it asks for). */
#include "fuzz.h"
#include "common/channel.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"total",	     "available", "cache", "reportable", "stranded", "order",
		"released", "reportable_gained", "compacted", "", "t",
	};
	char *buf = malloc(size ? size : 1), *text;
	struct vr_chan_request req;
	char err[256];
	size_t i;
	int r;

	FUZZ_CHECK(buf);
	if (size)
		memcpy(buf, data, size);
	r = vr_chan_parse(buf, size, &req, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0 && req.verb == VR_CHAN_GIVE)
		FUZZ_CHECK(req.bytes >= VR_CHAN_GIVE_MIN_BYTES &&
			   req.bytes <= VR_CHAN_GIVE_MAX_BYTES);
	free(buf);

	text = fuzz_str(data, size);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t v;

		r = vr_chan_reply_u64(text, keys[i], &v);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOENT);
	}
	free(text);
	return 0;
}
