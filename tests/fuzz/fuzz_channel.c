/* SPDX-License-Identifier: MIT */
/* The guest channel's lines (common/channel.h): a request as the guest
 * reads it from the host (vr_chan_parse), and a reply as the host reads
 * it from the guest (vr_chan_reply_u64, for every key it asks for;
 * vr_chan_counters_parse). */
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
	struct vr_chan_counters c;
	char err[256], again[VR_CHAN_REPLY_MAX];
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
	r = vr_chan_counters_parse(text, &c);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		struct vr_chan_counters c2;

		/* What was taken is written back and read again the same. */
		FUZZ_CHECK(vr_chan_counters_format(&c, again, sizeof(again)) == 0);
		FUZZ_CHECK(vr_chan_counters_parse(again, &c2) == 0 && c2.have == c.have);
		for (i = 0; i < VR_CC_COUNT; i++)
			FUZZ_CHECK(!(c.have & (1u << i)) || c2.value[i] == c.value[i]);
	}
	free(text);
	return 0;
}
