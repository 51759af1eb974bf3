/* SPDX-License-Identifier: MIT */
/* vmreclaim stop: shut a detached VM down (QMP quit) and remove its
 * runtime directory. */
#include "common/util.h"
#include "host/commands.h"
#include "host/qmp.h"
#include "host/vm.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stop_one(struct vr_vm *vm)
{
	if (vr_vm_alive(vm) != 1) {
		fprintf(stderr, "vmreclaim stop: %s is not running\n", vm->name);
		/* What a dead VM left goes; not a VM that a "run" is
		 * starting. */
		vr_vm_remove_if_gone(vm);
		return VR_EXIT_FAILURE;
	}
	if (vr_vm_shutdown(vm, 0, NULL) < 0) {
		/* Keep the directory: it is how the VM can still be found. */
		fprintf(stderr, "vmreclaim stop: %s: QEMU (pid %d) would not exit\n", vm->name, (int)vm->pid);
		return VR_EXIT_FAILURE;
	}
	/* A "run" in the foreground removes it itself. */
	vr_vm_remove_dir_if_free(vm);
	printf("%s stopped\n", vm->name);
	return 0;
}

int vr_cmd_stop(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vr_vm *vms = NULL;
	bool all = false;
	int c, i, n, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ah", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			printf("Usage: vmreclaim stop NAME... | --all\n");
			return 0;
		default:
			return VR_EXIT_USAGE;
		}
	}
	if (all) {
		/* Every one of them: no fixed limit. */
		n = vr_vm_list(&vms, true);
		if (n < 0) {
			fprintf(stderr, "vmreclaim stop: %s\n", vr_vm_strerror(n));
			return VR_EXIT_FAILURE;
		}
		for (i = 0; i < n; i++)
			status |= stop_one(&vms[i]);
		free(vms);
		return status;
	}
	if (optind >= argc) {
		fprintf(stderr, "Usage: vmreclaim stop NAME... | --all\n");
		return VR_EXIT_USAGE;
	}
	for (; optind < argc; optind++) {
		struct vr_vm vm;
		int r = vr_vm_paths(&vm, argv[optind], NULL);

		if (r == -EINVAL) {
			fprintf(stderr, "vmreclaim stop: %s: not a VM name\n", argv[optind]);
			return VR_EXIT_USAGE;
		}
		if (r < 0) {
			fprintf(stderr, "vmreclaim stop: %s: %s\n", argv[optind], vr_vm_strerror(r));
			return VR_EXIT_FAILURE;
		}
		status |= stop_one(&vm);
	}
	return status;
}
