/* SPDX-License-Identifier: MIT */
/* vmreclaim check: for each VM (ours and libvirt's domains), whether it is
 * set up to give memory back (a balloon with free page reporting, the
 * guest channel org.vmreclaim.0) and whether vmreclaimd answers on that
 * channel, with its version and mode; for what is missing, what to add
 * (libvirt XML, or QEMU's flags). */
#include "common/channel.h"
#include "common/sanitize.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/guestchan.h"
#include "host/hv.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vmreclaimd reads its channel once per sample (sampleInterval, 5 s by
 * default): two of them and some room. */
#define CHECK_TIMEOUT_MS 12000

/* Check @vm, print what was found.  True when all is well. */
static bool check_one(struct vr_hv_vm *vm, int timeout_ms)
{
	struct vr_hv_setup s;
	char err[256], reply[VR_CHAN_REPLY_MAX], version[32], mode[32];
	bool ok = true, answered = false;
	int r;

	printf("%s (%s%s%d):\n", vm->name, vm->ops->name, vm->pid ? ", pid " : "",
	       vm->pid ? (int)vm->pid : 0);
	if (vm->ops->setup(vm, &s, err, sizeof(err)) < 0) {
		printf("  configuration   unknown: %s\n", err);
		return false;
	}
	printf("  balloon         %s\n",
	       !s.balloon ? "MISSING: no virtio balloon"
	       : s.reporting ? "ok, free page reporting on"
			     : "NO FREE PAGE REPORTING: freed guest memory stays on the host");
	ok &= s.balloon && s.reporting;
	if (!s.channel) {
		printf("  guest channel   MISSING: no %s port with a host socket\n", VR_CHAN_PORT_NAME);
		ok = false;
	} else if (s.channel_connected_known && !s.channel_connected) {
		printf("  guest channel   configured, not opened in the guest (vmreclaimd not running?)\n");
		ok = false;
	} else {
		r = vr_gchan_call(vm->guest, "status", "total", reply, sizeof(reply), timeout_ms);
		if (r < 0) {
			printf("  guest channel   configured, no answer: %s\n", vr_gchan_strerror(r));
			ok = false;
		} else if (strncmp(reply, "ok ", 3) != 0) {
			char shown[VR_SANITIZE_SIZE(VR_CHAN_REPLY_MAX)];

			printf("  guest channel   answered: %s\n", vr_sanitize_str(reply, shown, sizeof(shown)));
			ok = false;
		} else {
			printf("  guest channel   ok, answered\n");
			answered = true;
		}
	}
	if (answered) {
		/* A vmreclaimd before 0.1.0's status keys says neither. */
		if (vr_chan_reply_word(reply, "version", version, sizeof(version)) < 0)
			snprintf(version, sizeof(version), "unknown");
		if (vr_chan_reply_word(reply, "mode", mode, sizeof(mode)) < 0)
			snprintf(mode, sizeof(mode), "unknown");
		printf("  vmreclaimd      version %s, mode %s\n", version, mode);
	} else {
		printf("  vmreclaimd      not reached\n");
	}
	if (!s.balloon || !s.reporting || !s.channel)
		vm->ops->advice(vm, &s, stdout);
	return ok;
}

int vr_cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"Usage: vmreclaim check [--connect URI] [--timeout SEC] [NAME]...\n"
		"Whether each VM (default: every running one, ours and libvirt's domains) can\n"
		"give memory back: a balloon with free page reporting, the guest channel\n"
		"org.vmreclaim.0, and vmreclaimd answering on it; what to add where not.\n"
		"Exit status 0 when all is well, 1 otherwise, 2 for bad usage.\n";
	struct vr_hv_vm *vms = NULL;
	const char *connect = NULL;
	int timeout_ms = CHECK_TIMEOUT_MS;
	struct vr_hv hv;
	int c, i, n, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			connect = optarg;
			break;
		case 't': {
			uint64_t v;

			if (vr_parse_u64(optarg, NULL, &v) < 0 || v < 1 || v > 600) {
				fprintf(stderr, "vmreclaim check: --timeout %s: 1 to 600 seconds\n", optarg);
				return VR_EXIT_USAGE;
			}
			timeout_ms = (int)v * 1000;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return VR_EXIT_USAGE;
		}
	}
	if (vr_hv_open(&hv, "check", connect) < 0)
		return VR_EXIT_FAILURE;
	n = vr_hv_list_or_name(&hv, argc, argv, optind >= argc, &vms);
	if (n < 0) {
		vr_hv_close(&hv);
		return n == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_FAILURE;
	}
	if (n == 0) {
		fprintf(stderr, "vmreclaim check: no VM running%s%s%s\n", hv.lv ? "" : " (libvirt ",
			hv.lv ? "" : hv.uri, hv.lv ? "" : " not reached)");
		status = VR_EXIT_FAILURE;
	}
	for (i = 0; i < n; i++)
		if (!check_one(&vms[i], timeout_ms))
			status = VR_EXIT_FAILURE;
	vr_hv_free_list(vms, (size_t)n);
	vr_hv_close(&hv);
	return status;
}
