/* SPDX-License-Identifier: MIT */
/* vmreclaim run, its first two stages (run.h): parse the arguments, and
 * prepare the VM: settings, paths, kernel, image and the QEMU command
 * line.  Nothing here starts or creates anything. */
#include "host/run.h"
#include "common/config.h"
#include "common/util.h"
#include "host/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmreclaim run [OPTION]...\n"
		"Boot a VM under QEMU with free page reporting and vmreclaimd inside.\n"
		"\n"
		"  -c, --config FILE      settings in .wslconfig syntax ([wsl2], [experimental],\n"
		"                         [vmreclaim]); a real .wslconfig works as it is\n"
		"  -n, --name NAME        the VM's name (default: default)\n"
		"  -m, --memory SIZE      guest RAM (memory)\n"
		"  -p, --processors N     virtual CPUs (processors)\n"
		"      --kernel PATH      guest kernel (kernel)\n"
		"      --image PATH       guest initramfs (image)\n"
		"      --data PATH        ext4 image mounted at /data in the guest (dataDisk)\n"
		"      --page-reporting on|off   free page reporting (pageReporting)\n"
		"  -s, --set KEY=VALUE    any setting; guest ones go to the guest\n"
		"  -w, --workload NAME    run /etc/workloads/NAME.sh in the guest\n"
		"      --console FILE|-   serial console to FILE, or '-' for the terminal\n"
		"                         (default: the terminal in the foreground, else\n"
		"                         console.log in the VM's runtime directory)\n"
		"  -d, --detach           leave the VM running in the background\n"
		"      --accel auto|kvm|tcg\n"
		"  -M, --machine q35|microvm  QEMU's machine (machine): q35 (virtio-pci)\n"
		"                         or microvm (virtio-mmio, no PCI, no ACPI);\n"
		"                         default " VR_RUN_DEFAULT_MACHINE "\n"
		"      --guest-kernel stock|minimal  the image booted when none is set\n"
		"                         (guestKernel): Debian's kernel, or the minimal one\n"
		"                         of \"make kernel\" (the stock one, with a note,\n"
		"                         where it is missing or unusable); default " VR_RUN_DEFAULT_GUEST_KERNEL "\n"
		"      --dry-run          print the QEMU command line and exit\n"
		"  -h, --help\n"
		"\n"
		"Flags override the file.  In the foreground SIGINT, SIGTERM and SIGHUP shut\n"
		"the VM down; on the terminal console Ctrl-A X quits QEMU.  --accel kvm falls\n"
		"back to TCG (with a note) where KVM cannot run a guest.\n");
}

/* "memory" for 'm': the flag's long name, for messages. */
static const char *flag_name(const struct option *opts, int c)
{
	for (; opts->name; opts++)
		if (opts->val == c)
			return opts->name;
	return "?";
}

static int flag_set(struct vr_config *c, const char *key, const char *value, const char *flag)
{
	char err[256];
	int r = vr_config_set(c, key, value, err, sizeof(err));

	if (r < 0) {
		if (r == -ENOENT)
			fprintf(stderr, "vmreclaim run: --%s %s: no such setting\n", flag, key);
		else
			fprintf(stderr, "vmreclaim run: --%s: %s\n", flag, err);
		return -1;
	}
	return 0;
}

int vr_run_parse(int argc, char **argv, struct vr_run_args *a)
{
	enum { OPT_KERNEL = 256, OPT_IMAGE, OPT_DATA, OPT_PR, OPT_CONSOLE, OPT_ACCEL, OPT_DRY, OPT_GUEST_KERNEL };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "memory", required_argument, NULL, 'm' },
		{ "processors", required_argument, NULL, 'p' },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "page-reporting", required_argument, NULL, OPT_PR },
		{ "set", required_argument, NULL, 's' },
		{ "workload", required_argument, NULL, 'w' },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "detach", no_argument, NULL, 'd' },
		{ "accel", required_argument, NULL, OPT_ACCEL },
		{ "machine", required_argument, NULL, 'M' },
		{ "guest-kernel", required_argument, NULL, OPT_GUEST_KERNEL },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->name = "default";
	a->accel = VR_ACCEL_AUTO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:n:m:p:s:w:M:dh", longopts, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 'c':
			a->config = optarg;
			continue;
		case 'n':
			a->name = optarg;
			continue;
		case 'm':
			key = "memory";
			break;
		case 'p':
			key = "processors";
			break;
		case OPT_KERNEL:
			key = "kernel";
			break;
		case OPT_IMAGE:
			key = "image";
			break;
		case OPT_DATA:
			key = "dataDisk";
			break;
		case OPT_PR:
			key = "pageReporting";
			break;
		case 's': {
			char *eq = strchr(optarg, '=');

			if (!eq) {
				fprintf(stderr, "vmreclaim run: --set %s: expected KEY=VALUE\n", optarg);
				return VR_EXIT_USAGE;
			}
			*eq = '\0';
			if (a->n_flags == VR_ARRAY_SIZE(a->flags)) {
				fprintf(stderr, "vmreclaim run: more than %zu settings given as flags\n",
					VR_ARRAY_SIZE(a->flags));
				return VR_EXIT_USAGE;
			}
			a->flags[a->n_flags].key = optarg;
			a->flags[a->n_flags].value = eq + 1;
			a->flags[a->n_flags].flag = "set";
			a->n_flags++;
			continue;
		}
		case 'w':
			a->workload = optarg;
			continue;
		case OPT_CONSOLE:
			a->console = optarg;
			continue;
		case 'd':
			a->detach = true;
			continue;
		case OPT_ACCEL:
			if (strcmp(optarg, "auto") == 0)
				a->accel = VR_ACCEL_AUTO;
			else if (strcmp(optarg, "kvm") == 0)
				a->accel = VR_ACCEL_KVM;
			else if (strcmp(optarg, "tcg") == 0)
				a->accel = VR_ACCEL_TCG;
			else {
				fprintf(stderr, "vmreclaim run: --accel %s: auto, kvm or tcg\n", optarg);
				return VR_EXIT_USAGE;
			}
			continue;
		case 'M':
			key = "machine";
			break;
		case OPT_GUEST_KERNEL:
			key = "guestKernel";
			break;
		case OPT_DRY:
			a->dry_run = true;
			continue;
		case 'h':
			usage(stdout);
			a->help = true;
			return 0;
		default:
			usage(stderr);
			return VR_EXIT_USAGE;
		}
		if (c == OPT_KERNEL || c == OPT_IMAGE || c == OPT_DATA) {
			/* Paths on the command line may be relative. */
			char *abs = a->n_paths < VR_ARRAY_SIZE(a->paths) ? realpath(optarg, NULL) : NULL;

			if (!abs) {
				fprintf(stderr, "vmreclaim run: %s: %s\n", optarg,
					a->n_paths < VR_ARRAY_SIZE(a->paths) ? strerror(errno) : "too many paths");
				return VR_EXIT_USAGE;
			}
			vr_strlcpy(a->paths[a->n_paths], abs, sizeof(a->paths[a->n_paths]));
			free(abs);
			optarg = a->paths[a->n_paths++];
		}
		/* Not dropped in silence past the table. */
		if (a->n_flags == VR_ARRAY_SIZE(a->flags)) {
			fprintf(stderr, "vmreclaim run: more than %zu settings given as flags\n",
				VR_ARRAY_SIZE(a->flags));
			return VR_EXIT_USAGE;
		}
		a->flags[a->n_flags].key = key;
		a->flags[a->n_flags].value = optarg;
		a->flags[a->n_flags].flag = flag_name(longopts, c);
		a->n_flags++;
	}
	if (optind < argc) {
		fprintf(stderr, "vmreclaim run: unexpected argument '%s'\n", argv[optind]);
		return VR_EXIT_USAGE;
	}
	/* Every flag's value checked now, on defaults, as prepare will set
	 * it over the file's: a bad one is a usage error before anything is
	 * read. */
	{
		struct vr_config scratch;
		size_t i;

		vr_config_defaults(&scratch);
		for (i = 0; i < a->n_flags; i++)
			if (flag_set(&scratch, a->flags[i].key, a->flags[i].value, a->flags[i].flag) < 0)
				return VR_EXIT_USAGE;
	}
	if (a->workload && !vr_vm_name_ok(a->workload)) {
		fprintf(stderr, "vmreclaim run: --workload %s: not a workload name\n", a->workload);
		return VR_EXIT_USAGE;
	}
	return 0;
}

/* guestKernel = minimal, no image set: the minimal kernel's image when it
 * can boot this guest, else the stock one with a note, else one line and
 * a failure.  Sets p->cfg's image (and kernel, when none is set), which
 * vr_vm_qemu_argv() then takes as it takes the user's. */
static int pick_kernel(const struct vr_run_args *a, struct vr_run_prep *p)
{
	char dir[VR_PATH_MAX], minimal[VR_PATH_MAX + 16], stock[VR_PATH_MAX + 16], why[VR_PATH_MAX + 160];

	if (p->cfg.image[0] || p->cfg.guest_kernel != VR_GUEST_KERNEL_MINIMAL)
		return 0;
	if (a->image_dir)
		vr_strlcpy(dir, a->image_dir, sizeof(dir));
	else if (vr_vm_default_image_dir(dir, sizeof(dir)) < 0)
		dir[0] = '\0';
	snprintf(minimal, sizeof(minimal), "%s/minimal", dir);
	if (vr_vm_kernel_dir_check(minimal, p->cfg.machine, why, sizeof(why)) == 0) {
		if ((size_t)snprintf(p->cfg.image, sizeof(p->cfg.image), "%s/initrd.img", minimal) >=
			    sizeof(p->cfg.image) ||
		    (!p->cfg.kernel[0] && (size_t)snprintf(p->cfg.kernel, sizeof(p->cfg.kernel), "%s/vmlinuz",
							    minimal) >= sizeof(p->cfg.kernel))) {
			fprintf(stderr, "vmreclaim run: %s: path too long\n", minimal);
			return VR_EXIT_USAGE;
		}
		return 0;
	}
	snprintf(stock, sizeof(stock), "%s/initrd.img", dir);
	if (access(stock, R_OK) < 0) {
		fprintf(stderr, "vmreclaim run: minimal kernel unusable: %s; no stock image to fall back to (make image)\n",
			why);
		return VR_EXIT_FAILURE;
	}
	fprintf(stderr, "vmreclaim run: minimal kernel unusable: %s; booting the stock kernel\n", why);
	vr_strlcpy(p->cfg.image, stock, sizeof(p->cfg.image));
	return 0;
}

int vr_run_prepare(const struct vr_run_args *a, struct vr_run_prep *p)
{
	struct vr_diags diags = { 0 };
	const char *console;
	char err[512];
	size_t i;
	int n, r;

	memset(p, 0, sizeof(*p));
	vr_config_defaults(&p->cfg);
	if (a->config) {
		r = vr_config_parse_file(&p->cfg, a->config, VR_SCOPE_HOST | VR_SCOPE_GUEST, &diags);
		vr_diags_print(&diags, stderr);
		if (r < 0 && r != -EINVAL) {
			fprintf(stderr, "vmreclaim run: %s: %s\n", a->config, vr_strerror(r));
			return VR_EXIT_USAGE;
		}
		if (r < 0)
			return VR_EXIT_USAGE;
	}
	for (i = 0; i < a->n_flags; i++)
		if (flag_set(&p->cfg, a->flags[i].key, a->flags[i].value, a->flags[i].flag) < 0)
			return VR_EXIT_USAGE;
	p->o.cfg = &p->cfg;
	p->o.name = a->name;
	p->o.workload = a->workload;
	p->o.accel = a->accel;
	p->o.machine = p->cfg.machine;
	p->o.detach = a->detach;
	console = a->console;

	/* The console: the terminal only in the foreground on a terminal. */
	if (console && strcmp(console, "-") == 0) {
		if (a->detach) {
			fprintf(stderr, "vmreclaim run: --console - and --detach do not go together\n");
			return VR_EXIT_USAGE;
		}
		console = "";
	} else if (!console && !a->detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		console = "";
	}
	r = vr_vm_paths(&p->vm, a->name, console);
	if (r < 0) {
		fprintf(stderr, "vmreclaim run: --name %s: %s\n", a->name,
			r == -EINVAL ? "use 1-32 of A-Z a-z 0-9 _ . -, not starting with . or -"
				     : vr_vm_strerror(r));
		return VR_EXIT_USAGE;
	}
	p->console = console;
	r = pick_kernel(a, p);
	if (r)
		return r;
	n = vr_vm_qemu_argv(&p->o, &p->vm, p->argv, VR_ARRAY_SIZE(p->argv), p->store, sizeof(p->store), err,
			    sizeof(err));
	if (n < 0) {
		fprintf(stderr, "vmreclaim run: %s\n", err);
		return n == -ENOENT ? VR_EXIT_FAILURE : VR_EXIT_USAGE;
	}
	p->argc = n;
	/* Read the guest's command line as the guest will, to say here what
	 * it would only log: a key set twice (kernelCommandLine and
	 * --set), or one it does not take. */
	for (i = 0; i + 1 < (size_t)n; i++) {
		struct vr_diags cd = { 0 };
		struct vr_config scratch;

		if (strcmp(p->argv[i], "-append") != 0)
			continue;
		vr_config_defaults(&scratch);
		(void)vr_config_parse_cmdline(&scratch, p->argv[i + 1], "guest kernel command line", &cd);
		vr_diags_print(&cd, stderr);
		break;
	}
	return 0;
}
