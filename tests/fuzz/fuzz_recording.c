/* SPDX-License-Identifier: MIT */
/* A whole recording as `vmreclaim plot` reads it (vr_recording_read, from
 * a stream), and, when it is one, drawn (vr_plot_svg). */
#include "fuzz.h"
#include "host/plot.h"

#include <errno.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_recording rec;
	unsigned long line = 0;
	char err[256] = "";
	FILE *in;
	int r;

	/* fmemopen refuses an empty buffer. */
	if (size == 0)
		return 0;
	in = fmemopen((void *)(uintptr_t)data, size, "r");
	FUZZ_CHECK(in);
	r = vr_recording_read(in, &rec, &line, err, sizeof(err));
	fclose(in);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EFBIG);
	if (r < 0) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(rec.n > 0);
	r = vr_plot_svg(rec.samples, rec.n, "fuzz", fuzz_devnull());
	FUZZ_CHECK(r == 0 || r == -E2BIG);
	vr_recording_free(&rec);
	return 0;
}
