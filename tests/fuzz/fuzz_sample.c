/* SPDX-License-Identifier: MIT */
/* One line of a recording (vr_sample_parse_csv, `vmreclaim plot`).  A line
 * that parses is written again (vr_sample_write_csv) and must read back
 * to the same sample, and write the same line again. */
#include "fuzz.h"
#include "host/sample.h"

#include <errno.h>
#include <stdio.h>

static void write_line(const struct vr_sample *s, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	FUZZ_CHECK(f);
	vr_sample_write_csv(f, s);
	FUZZ_CHECK(fclose(f) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	char line[2 * VR_CSV_LINE_MAX], line2[2 * VR_CSV_LINE_MAX];
	struct vr_sample s, back;
	int r = vr_sample_parse_csv(text, &s);

	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r < 0)
		goto out;
	FUZZ_CHECK(s.pid >= 0 && s.t_sec >= 0);
	write_line(&s, line, sizeof(line));
	FUZZ_CHECK(strlen(line) <= VR_CSV_LINE_MAX);
	r = vr_sample_parse_csv(line, &back);
	if (r != 0) {
		fprintf(stderr, "written line refused: %s", line);
		FUZZ_CHECK(r == 0);
	}
	FUZZ_CHECK(strcmp(back.vm, s.vm) == 0 && strcmp(back.event, s.event) == 0);
	FUZZ_CHECK(back.pid == s.pid && back.rss_bytes == s.rss_bytes &&
		   back.have_guest == s.have_guest);
	if (s.have_guest)
		FUZZ_CHECK(back.guest_total_bytes == s.guest_total_bytes &&
			   back.guest_free_bytes == s.guest_free_bytes &&
			   back.guest_available_bytes == s.guest_available_bytes &&
			   back.guest_cache_bytes == s.guest_cache_bytes &&
			   back.guest_used_bytes == s.guest_used_bytes &&
			   back.stranded_bytes == s.stranded_bytes);
	write_line(&back, line2, sizeof(line2));
	FUZZ_CHECK(strcmp(line, line2) == 0);
out:
	free(text);
	return 0;
}
