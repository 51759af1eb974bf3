/* SPDX-License-Identifier: MIT */
/* vmreclaimd: gives a VM's free memory and cold page cache back to the
 * host, through free page reporting. */
#include "common/config.h"
#include "common/log.h"
#include "guest/daemon.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_CONFIG 2

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmreclaimd [OPTION]...\n"
		"Give a VM's free memory and cold page cache back to the host.\n"
		"\n"
		"  -c, --config FILE     settings (default " VR_CONFIG_PATH ")\n"
		"      --no-cmdline      ignore vmreclaim.KEY=VALUE on /proc/cmdline\n"
		"      --socket PATH     control socket (overrides controlSocket)\n"
		"      --metrics-file PATH  gauges in Prometheus text format (metricsFile)\n"
		"      --root DIR        read and write kernel files under DIR (for tests)\n"
		"  -n, --dry-run         log the writes to kernel files instead of doing them\n"
		"      --check-config    check the settings, print problems, exit\n"
		"      --print-config    print the effective settings and exit\n"
		"      --sample-config   print every key at its default and exit\n"
		"  -v, --verbose         log at debug level\n"
		"  -h, --help            this text\n"
		"      --version         the version\n"
		"\n"
		"Exit status: 0 clean exit, 1 failure at run time, 2 bad settings or usage.\n");
}

int main(int argc, char **argv)
{
	enum { OPT_NO_CMDLINE = 256, OPT_SOCKET, OPT_METRICS, OPT_ROOT, OPT_CHECK, OPT_PRINT, OPT_SAMPLE,
	       OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "no-cmdline", no_argument, NULL, OPT_NO_CMDLINE },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "metrics-file", required_argument, NULL, OPT_METRICS },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "print-config", no_argument, NULL, OPT_PRINT },
		{ "sample-config", no_argument, NULL, OPT_SAMPLE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	struct vr_daemon_opts o = {
		.config_path = VR_CONFIG_PATH,
		.root = "/",
		.use_cmdline = true,
	};
	struct vr_diags diags = { 0 };
	struct vr_config cfg;
	bool check = false, print = false;
	int c, r;

	vr_log_setup("vmreclaimd", VR_LOG_TARGET_STDERR, VR_LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:nvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			o.config_explicit = true;
			break;
		case OPT_NO_CMDLINE:
			o.use_cmdline = false;
			break;
		case OPT_SOCKET:
			o.socket = optarg;
			break;
		case OPT_METRICS:
			o.metrics_file = optarg;
			break;
		case OPT_ROOT:
			o.root = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_PRINT:
			print = true;
			break;
		case OPT_SAMPLE:
			vr_config_write_sample(stdout, VR_SCOPE_GUEST);
			return 0;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("vmreclaimd 0.1.0\n");
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmreclaimd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}

	r = vr_daemon_load_config(&o, &cfg, &diags);
	if (check || print) {
		vr_diags_print(&diags, stderr);
		if (r < 0)
			return EXIT_CONFIG;
		if (print)
			vr_config_write(stdout, &cfg, VR_SCOPE_GUEST);
		else if (access(o.config_path, F_OK) != 0)
			printf("%s: not found; the defaults apply\n", o.config_path);
		else
			printf("%s: OK\n", o.config_path);
		return 0;
	}
	if (r < 0) {
		if (getenv("JOURNAL_STREAM")) {
			/* Under systemd: each line at its own priority, so
			 * that "journalctl -p err" shows the errors. */
			vr_log_setup("vmreclaimd", VR_LOG_TARGET_STDERR, VR_LOG_INFO);
			vr_diags_log(&diags);
			vr_err("not started: fix the settings above");
		} else {
			vr_diags_print(&diags, stderr);
			fprintf(stderr, "vmreclaimd: not started: fix the settings above\n");
		}
		return EXIT_CONFIG;
	}
	vr_log_setup("vmreclaimd", cfg.log_target, o.verbose ? VR_LOG_DEBUG : cfg.log_level);
	vr_diags_log(&diags); /* warnings */
	return vr_daemon_run(&o, &cfg);
}
