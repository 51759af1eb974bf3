/* SPDX-License-Identifier: MIT */
/* vmreclaim stop: shut a VM down, through its backend (hv.h): a detached
 * VM of ours (QMP quit, then its runtime directory removed) or a libvirt
 * domain (shutdown, destroyed when it does not go). */
#include "common/util.h"
#include "host/commands.h"
#include "host/hv.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int stop_one(struct vr_hv_vm *vm)
{
	char err[256];

	if (vm->ops->stop(vm, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmreclaim stop: %s%s%s\n", vm->name,
			strcmp(err, "not running") == 0 ? " is " : ": ", err);
		return VR_EXIT_FAILURE;
	}
	printf("%s stopped\n", vm->name);
	return 0;
}

int vr_cmd_stop(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "connect", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "Usage: vmreclaim stop [--connect URI] NAME... | --all\n";
	struct vr_hv_vm *vms = NULL;
	const char *connect = NULL;
	struct vr_hv hv;
	bool all = false;
	int c, i, n, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ac:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'c':
			connect = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return VR_EXIT_USAGE;
		}
	}
	if (!all && optind >= argc) {
		fputs(usage, stderr);
		return VR_EXIT_USAGE;
	}
	/* "--all" is every VM of ours; libvirt's domains only when its URI
	 * is given: stopping every domain of a host is not what "vmreclaim
	 * stop --all" was for. */
	if (vr_hv_open(&hv, "stop", all && !connect ? "" : connect) < 0)
		return VR_EXIT_FAILURE;
	if (all && !connect && !hv.uri_explicit)
		vr_hv_lv_disconnect(&hv);
	n = vr_hv_list_or_name(&hv, argc, argv, all, &vms);
	if (n < 0) {
		vr_hv_close(&hv);
		return n == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_FAILURE;
	}
	for (i = 0; i < n; i++)
		status |= stop_one(&vms[i]);
	vr_hv_free_list(vms, (size_t)n);
	vr_hv_close(&hv);
	return status;
}
