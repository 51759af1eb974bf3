/* SPDX-License-Identifier: MIT */
/* The configuration file parser (/etc/vmreclaim.conf in the guest, the
 * host tool's file, real .wslconfig files): the text as the guest, as the
 * host, and as the host tool reads it (both scopes).  What the host tool
 * then puts on the guest's kernel command line must read back the same. */
#include "fuzz.h"
#include "common/config.h"

#include <errno.h>
#include <stdio.h>

static void effective(const struct vr_config *c, unsigned scope, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	FUZZ_CHECK(f);
	vr_config_write(f, c, scope);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned scopes[] = { VR_SCOPE_GUEST, VR_SCOPE_HOST,
					   VR_SCOPE_HOST | VR_SCOPE_GUEST };
	char *text = fuzz_str(data, size);
	size_t i;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		struct vr_diags d = { 0 };
		struct vr_config c, back;
		struct vr_diags d2 = { 0 };
		char line[4 * VR_CMDLINE_MAX] = "", line2[4 * VR_CMDLINE_MAX] = "";
		static char w1[16384], w2[16384];
		int r;

		vr_config_defaults(&c);
		r = vr_config_parse_string(&c, text, "fuzz.conf", scopes[i], &d);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		FUZZ_CHECK((r == 0) == (d.errors == 0));
		FUZZ_CHECK(d.count <= VR_DIAG_MAX);
		vr_diags_print(&d, fuzz_devnull());
		vr_diags_log(&d);
		if (r < 0 || scopes[i] != (VR_SCOPE_HOST | VR_SCOPE_GUEST))
			continue;
		/* vm.c: the guest keys that were set, on the kernel command
		 * line, read by vmreclaimd in the guest. */
		if (vr_config_guest_cmdline(&c, line, sizeof(line)) < 0)
			continue;
		vr_config_defaults(&back);
		r = vr_config_parse_cmdline(&back, line, "cmdline", &d2);
		if (r != 0) {
			fprintf(stderr, "cmdline '%s' refused: %s\n", line,
				d2.count ? d2.items[0].msg : "?");
			FUZZ_CHECK(r == 0);
		}
		effective(&c, VR_SCOPE_GUEST, w1, sizeof(w1));
		effective(&back, VR_SCOPE_GUEST, w2, sizeof(w2));
		if (strcmp(w1, w2) != 0) {
			fprintf(stderr, "cmdline '%s' reads back differently:\n%s---\n%s", line, w1, w2);
			FUZZ_CHECK(strcmp(w1, w2) == 0);
		}
		FUZZ_CHECK(vr_config_guest_cmdline(&back, line2, sizeof(line2)) == 0);
		FUZZ_CHECK(strcmp(line, line2) == 0);
	}
	free(text);
	return 0;
}
