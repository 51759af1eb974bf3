/* SPDX-License-Identifier: MIT */
/* vmreclaimctl: ask vmreclaimd what it is doing, or to act now. */
#include "common/config.h"
#include "common/size.h"
#include "guest/control.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2

struct verb {
	const char *name;
	const char *args;
	enum vr_ctl_verb verb;
	int min_args, max_args;
	const char *help;
};

static const struct verb verbs[] = {
	{ "status", "[--json]", VR_CTL_STATUS, 0, 0, "what the service is doing, and why" },
	{ "compact", "", VR_CTL_COMPACT, 0, 0, "compact memory now" },
	{ "dropcache", "", VR_CTL_DROPCACHE, 0, 0, "drop the page cache now" },
	{ "reclaim", "SIZE|all", VR_CTL_RECLAIM, 1, 1, "reclaim SIZE of file cache (or all) now" },
	{ "reload", "", VR_CTL_RELOAD, 0, 0, "re-read the settings" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: vmreclaimctl [OPTION]... COMMAND [ARG]\n"
		   "Talk to vmreclaimd.\n\nCommands:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %-9s %s\n", verbs[i].name, verbs[i].args, verbs[i].help);
	fprintf(f, "\nOptions:\n"
		   "  -s, --socket PATH   the daemon's socket (default: controlSocket in\n"
		   "                      " VR_CONFIG_PATH ", else " VR_CONTROL_SOCKET ")\n"
		   "  -j, --json          status as JSON\n"
		   "  -t, --timeout SEC   how long to wait for an answer (default 120)\n"
		   "  -h, --help          this text\n"
		   "      --version       the version\n"
		   "\nExit status: 0 done, 1 the daemon refused or failed, or cannot be reached,\n"
		   "2 usage.\n");
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256 };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	const char *socket_path = NULL;
	struct vr_config cfg;
	struct vr_ctl_request req = { 0 };
	const struct verb *v = NULL;
	unsigned long timeout_sec = 120;
	char *reply, *end;
	int c, nargs, r;
	size_t i;

	while ((c = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'j':
			req.json = true;
			break;
		case 't':
			errno = 0;
			timeout_sec = strtoul(optarg, &end, 10);
			if (errno || *end || timeout_sec == 0 || timeout_sec > 3600) {
				fprintf(stderr, "vmreclaimctl: --timeout %s: seconds from 1 to 3600\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("vmreclaimctl 0.1.0\n");
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			v = &verbs[i];
	/* "status --json" as well as "--json status". */
	if (v && v->verb == VR_CTL_STATUS && optind + 1 < argc && strcmp(argv[optind + 1], "--json") == 0) {
		req.json = true;
		optind++;
	}
	nargs = argc - optind - 1;
	if (!v) {
		fprintf(stderr, "vmreclaimctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (nargs < v->min_args || nargs > v->max_args) {
		fprintf(stderr, "vmreclaimctl: usage: vmreclaimctl %s %s\n", v->name, v->args);
		return EXIT_USAGE;
	}
	req.verb = v->verb;
	if (v->verb == VR_CTL_RECLAIM) {
		const char *arg = argv[optind + 1];

		if (strcmp(arg, "all") == 0)
			req.all = true;
		else if (vr_parse_size(arg, &req.bytes) < 0 || req.bytes == 0) {
			fprintf(stderr, "vmreclaimctl: reclaim: '%s' is not a size (e.g. 512MB, 1GB) or 'all'\n",
				arg);
			return EXIT_USAGE;
		}
	}

	if (!socket_path) {
		/* Where the daemon listens, as its settings say; problems in
		 * the file are the daemon's to report. */
		struct vr_diags diags = { 0 };

		vr_config_defaults(&cfg);
		/* An error elsewhere in the file leaves controlSocket as
		 * parsed; only an unreadable file means the default. */
		if (vr_config_parse_file(&cfg, VR_CONFIG_PATH, VR_SCOPE_GUEST, &diags) < 0 &&
		    diags.errors == 0)
			vr_config_defaults(&cfg);
		socket_path = cfg.control_socket;
	}
	reply = malloc(VR_CTL_REPLY_MAX);
	if (!reply) {
		fprintf(stderr, "vmreclaimctl: out of memory\n");
		return 1;
	}
	r = vr_ctl_call(socket_path, &req, reply, VR_CTL_REPLY_MAX, (int)(timeout_sec * 1000));
	if (r < 0) {
		fprintf(stderr, "vmreclaimctl: %s: %s%s\n", socket_path, strerror(-r),
			r == -ENOENT || r == -ECONNREFUSED ? " (is vmreclaimd running?)"
			: r == -EACCES		      ? " (root only)"
						      : "");
		free(reply);
		return 1;
	}
	if (strncmp(reply, "ok\n", 3) == 0) {
		fputs(reply + 3, stdout);
		free(reply);
		return 0;
	}
	fprintf(stderr, "vmreclaimctl: %s", strncmp(reply, "error: ", 7) == 0 ? reply + 7 : reply);
	if (!*reply || reply[strlen(reply) - 1] != '\n')
		fprintf(stderr, "%s\n", *reply ? "" : "no answer from vmreclaimd");
	free(reply);
	return 1;
}
