/* SPDX-License-Identifier: MIT */
/* vmreclaim: the host side.  Runs lightweight VMs that give their memory
 * back, and shows host memory against what the guests use. */
#include "common/util.h"
#include "host/commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} verbs[] = {
	{ "run", vr_cmd_run, "boot a VM with free page reporting and vmreclaimd" },
	{ "stop", vr_cmd_stop, "shut a detached VM down" },
	{ "top", vr_cmd_top, "host RSS against guest memory, once a second" },
	{ "plot", vr_cmd_plot, "draw a recording as SVG" },
	{ "give", vr_cmd_give, "ask running guests to give memory back now" },
	{ "watch", vr_cmd_watch, "when the host is short of memory, ask the guests holding most" },
	{ "check", vr_cmd_check, "whether each VM is set up to give memory back, and what to add" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: vmreclaim COMMAND [OPTION]...\n\nCommands:\n");
	for (i = 0; i < VR_ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-6s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\n\"vmreclaim COMMAND --help\" for a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? VR_EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("vmreclaim 0.1.0\n");
		return 0;
	}
	for (i = 0; i < VR_ARRAY_SIZE(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vmreclaim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return VR_EXIT_USAGE;
}
