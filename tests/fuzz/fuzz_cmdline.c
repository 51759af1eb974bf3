/* SPDX-License-Identifier: MIT */
/* The "vmreclaim.KEY=VALUE" words of the guest's kernel command line
 * (/proc/cmdline, as vmreclaimd reads it). */
#include "fuzz.h"
#include "common/config.h"

#include <errno.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct vr_diags d = { 0 };
	struct vr_config c;
	int r;

	vr_config_defaults(&c);
	r = vr_config_parse_cmdline(&c, text, "/proc/cmdline", &d);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	FUZZ_CHECK((r == 0) == (d.errors == 0));
	vr_diags_log(&d);
	free(text);
	return 0;
}
