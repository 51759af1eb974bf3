/* SPDX-License-Identifier: MIT */
/* The control socket's request line (vr_ctl_parse), as vmreclaimd reads it
 * from any local client.  A request that parses is formatted again
 * (vr_ctl_format, what vmreclaimctl sends) and must parse to the same. */
#include "fuzz.h"
#include "guest/control.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The exact bytes, no NUL after them: the parser takes a length. */
	char *buf = malloc(size ? size : 1);
	struct vr_ctl_request req, again;
	char err[256], line[VR_CTL_REQUEST_MAX];
	int r, n;

	FUZZ_CHECK(buf);
	if (size)
		memcpy(buf, data, size);
	r = vr_ctl_parse(buf, size, &req, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r < 0) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		goto out;
	}
	n = vr_ctl_format(&req, line, sizeof(line));
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(vr_ctl_parse(line, (size_t)n, &again, err, sizeof(err)) == 0);
	FUZZ_CHECK(again.verb == req.verb && again.json == req.json && again.all == req.all &&
		   again.bytes == req.bytes);
out:
	free(buf);
	return 0;
}
