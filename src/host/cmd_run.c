/* SPDX-License-Identifier: MIT */
/* vmreclaim run: boot a lightweight VM under QEMU with free page reporting
 * and vmreclaimd inside. */
#include "common/config.h"
#include "common/log.h"
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU_ARGS_MAX 96
#define QEMU_STORE 16384
/* How long QEMU may take to open its QMP socket. */
#define QMP_WAIT_MS 15000

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
		"  -M, --machine q35|microvm  QEMU's machine: q35 (virtio-pci, the default)\n"
		"                         or microvm (virtio-mmio, no PCI, no ACPI)\n"
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
		fprintf(stderr, "vmreclaim run: --%s: %s\n", flag, r == -ENOENT ? "unknown key" : err);
		return -1;
	}
	return 0;
}

/* SIGINT, SIGTERM or SIGHUP, taken if one is pending (they are blocked
 * while QEMU runs, so none can be lost between two checks); 0 if none
 * came within @timeout_ms. */
static int take_signal(int timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	do
		sig = sigtimedwait(&set, NULL, &ts);
	while (sig < 0 && errno == EINTR);
	return sig > 0 ? sig : 0;
}

/* QMP errors that waiting does not cure: something answers on the
 * socket, but not as QEMU does. */
static bool qmp_error_final(int r)
{
	return r == -EPROTO || r == -EMSGSIZE || r == -EREMOTEIO;
}

/* Wait for QEMU to open its QMP socket, then turn on the balloon's
 * statistics so that "top" has guest figures from the start.  @child is
 * QEMU when it is ours, 0 when it daemonized (then its pid file tells
 * whether it still runs).  Returns 0; -ECHILD when QEMU exited (its status
 * in *ret_status when @child); -EINTR when a signal came (*ret_sig); or,
 * with a message in @err, -ETIMEDOUT after QMP_WAIT_MS or at once the
 * error of a peer that does not speak QMP. */
static int wait_qmp(struct vr_vm *vm, pid_t child, int *ret_sig, int *ret_status, char *err,
		    size_t err_size)
{
	uint64_t deadline = vr_now_usec() + QMP_WAIT_MS * VR_USEC_PER_MSEC;
	char why[256];
	struct vr_qmp *q;
	int r;

	for (;;) {
		r = vr_qmp_connect(vm->qmp, 1000, &q, why, sizeof(why));
		if (r == 0)
			break;
		if (child > 0 ? waitpid(child, ret_status, WNOHANG) == child : vr_vm_alive(vm) != 1)
			return -ECHILD;
		/* The messages of qmp.c start with "QMP: ", but QEMU's own
		 * (an error reply) do not. */
		if (qmp_error_final(r)) {
			snprintf(err, err_size, "%s%s", strncmp(why, "QMP", 3) ? "QMP: " : "", why);
			return r;
		}
		*ret_sig = take_signal(100);
		if (*ret_sig)
			return -EINTR;
		if (vr_now_usec() >= deadline) {
			snprintf(err, err_size, "%s%s; gave up after %d s", strncmp(why, "QMP", 3) ? "QMP: " : "",
				 why, QMP_WAIT_MS / 1000);
			return -ETIMEDOUT;
		}
	}
	r = vr_qmp_set_stats_interval(q, VR_BALLOON_PATH, 1, why, sizeof(why));
	if (r < 0)
		fprintf(stderr, "vmreclaim run: %s: balloon statistics: %s\n", vm->name, why);
	vr_qmp_close(q);
	return 0;
}

/* Say how QEMU ended, unless it exited with status 0. */
static void say_how_qemu_ended(const struct vr_vm *vm, pid_t child, int status, const char *when)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "vmreclaim run: %s: QEMU (pid %d) exited%s with status %d\n", vm->name,
			(int)child, when, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "vmreclaim run: %s: QEMU (pid %d) died%s: %s\n", vm->name, (int)child, when,
			strsignal(WTERMSIG(status)));
}

int vr_cmd_run(int argc, char **argv)
{
	enum { OPT_KERNEL = 256, OPT_IMAGE, OPT_DATA, OPT_PR, OPT_CONSOLE, OPT_ACCEL, OPT_DRY };
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
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* Flags are applied after the file, in order. */
	struct {
		const char *key, *value, *flag;
	} flags[64];
	size_t n_flags = 0, n_paths = 0, i;
	static char paths[3 * 8][VR_PATH_MAX];
	struct vr_run_opts o = { .name = "default", .accel = VR_ACCEL_AUTO };
	struct vr_diags diags = { 0 };
	const char *config = NULL, *console = NULL;
	char *qargv[QEMU_ARGS_MAX], *store = NULL, err[512], why[128];
	struct vr_config cfg;
	struct vr_vm vm;
	bool dry = false;
	sigset_t block, old_mask;
	pid_t child, parent;
	int c, n, r, sig = 0, status = 0, lock_fd = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:n:m:p:s:w:M:dh", longopts, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 'c':
			config = optarg;
			continue;
		case 'n':
			o.name = optarg;
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
			if (n_flags == VR_ARRAY_SIZE(flags)) {
				fprintf(stderr, "vmreclaim run: more than %zu settings given as flags\n",
					VR_ARRAY_SIZE(flags));
				return VR_EXIT_USAGE;
			}
			flags[n_flags].key = optarg;
			flags[n_flags].value = eq + 1;
			flags[n_flags].flag = "set";
			n_flags++;
			continue;
		}
		case 'w':
			o.workload = optarg;
			continue;
		case OPT_CONSOLE:
			console = optarg;
			continue;
		case 'd':
			o.detach = true;
			continue;
		case OPT_ACCEL:
			if (strcmp(optarg, "auto") == 0)
				o.accel = VR_ACCEL_AUTO;
			else if (strcmp(optarg, "kvm") == 0)
				o.accel = VR_ACCEL_KVM;
			else if (strcmp(optarg, "tcg") == 0)
				o.accel = VR_ACCEL_TCG;
			else {
				fprintf(stderr, "vmreclaim run: --accel %s: auto, kvm or tcg\n", optarg);
				return VR_EXIT_USAGE;
			}
			continue;
		case 'M':
			if (vr_vm_machine_parse(optarg, &o.machine) < 0) {
				fprintf(stderr, "vmreclaim run: --machine %s: q35 or microvm\n", optarg);
				return VR_EXIT_USAGE;
			}
			continue;
		case OPT_DRY:
			dry = true;
			continue;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return VR_EXIT_USAGE;
		}
		if (c == OPT_KERNEL || c == OPT_IMAGE || c == OPT_DATA) {
			/* Paths on the command line may be relative. */
			char *abs = n_paths < VR_ARRAY_SIZE(paths) ? realpath(optarg, NULL) : NULL;

			if (!abs) {
				fprintf(stderr, "vmreclaim run: %s: %s\n", optarg,
					n_paths < VR_ARRAY_SIZE(paths) ? strerror(errno) : "too many paths");
				return VR_EXIT_USAGE;
			}
			vr_strlcpy(paths[n_paths], abs, sizeof(paths[n_paths]));
			free(abs);
			optarg = paths[n_paths++];
		}
		/* Not dropped in silence past the table. */
		if (n_flags == VR_ARRAY_SIZE(flags)) {
			fprintf(stderr, "vmreclaim run: more than %zu settings given as flags\n",
				VR_ARRAY_SIZE(flags));
			return VR_EXIT_USAGE;
		}
		flags[n_flags].key = key;
		flags[n_flags].value = optarg;
		flags[n_flags].flag = flag_name(longopts, c);
		n_flags++;
	}
	if (optind < argc) {
		fprintf(stderr, "vmreclaim run: unexpected argument '%s'\n", argv[optind]);
		return VR_EXIT_USAGE;
	}
	if (o.workload && !vr_vm_name_ok(o.workload)) {
		fprintf(stderr, "vmreclaim run: --workload %s: not a workload name\n", o.workload);
		return VR_EXIT_USAGE;
	}

	vr_config_defaults(&cfg);
	if (config) {
		r = vr_config_parse_file(&cfg, config, VR_SCOPE_HOST | VR_SCOPE_GUEST, &diags);
		vr_diags_print(&diags, stderr);
		if (r < 0 && r != -EINVAL) {
			fprintf(stderr, "vmreclaim run: %s: %s\n", config, vr_strerror(r));
			return VR_EXIT_USAGE;
		}
		if (r < 0)
			return VR_EXIT_USAGE;
	}
	for (i = 0; i < n_flags; i++)
		if (flag_set(&cfg, flags[i].key, flags[i].value, flags[i].flag) < 0)
			return VR_EXIT_USAGE;
	o.cfg = &cfg;

	/* The console: the terminal only in the foreground on a terminal. */
	if (console && strcmp(console, "-") == 0) {
		if (o.detach) {
			fprintf(stderr, "vmreclaim run: --console - and --detach do not go together\n");
			return VR_EXIT_USAGE;
		}
		console = "";
	} else if (!console && !o.detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		console = "";
	}
	r = vr_vm_paths(&vm, o.name, console);
	if (r < 0) {
		fprintf(stderr, "vmreclaim run: --name %s: %s\n", o.name,
			r == -EINVAL ? "use 1-32 of A-Z a-z 0-9 _ . -, not starting with . or -"
				     : vr_vm_strerror(r));
		return VR_EXIT_USAGE;
	}
	store = malloc(QEMU_STORE);
	if (!store)
		return VR_EXIT_FAILURE;
	n = vr_vm_qemu_argv(&o, &vm, qargv, QEMU_ARGS_MAX, store, QEMU_STORE, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "vmreclaim run: %s\n", err);
		free(store);
		return n == -ENOENT ? VR_EXIT_FAILURE : VR_EXIT_USAGE;
	}
	/* Read the guest's command line as the guest will, to say here what
	 * it would only log: a key set twice (kernelCommandLine and
	 * --set), or one it does not take. */
	for (i = 0; i + 1 < (size_t)n; i++) {
		struct vr_diags cd = { 0 };
		struct vr_config scratch;

		if (strcmp(qargv[i], "-append") != 0)
			continue;
		vr_config_defaults(&scratch);
		(void)vr_config_parse_cmdline(&scratch, qargv[i + 1], "guest kernel command line", &cd);
		vr_diags_print(&cd, stderr);
		break;
	}
	if (dry) {
		for (i = 0; i < (size_t)n; i++)
			printf("%s%s", i ? " " : "", qargv[i]);
		printf("\n");
		free(store);
		return 0;
	}

	/* Signals are blocked from here on, before anything is made, and
	 * taken with sigtimedwait(): one that comes while QEMU starts is
	 * not lost, and none leaves a directory or a QEMU behind. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old_mask);

	/* A directory left by a VM that crashed is removed; a live one wins. */
	r = vr_vm_base(err, sizeof(err), true);
	if (r < 0) {
		fprintf(stderr, "vmreclaim run: runtime directory %s: %s\n", err,
			r == -EPERM ? vr_vm_strerror(r) : strerror(-r));
		free(store);
		return VR_EXIT_FAILURE;
	}
	/* The name's lock, held until QEMU runs detached or, in the
	 * foreground, until it ends: of two "run" of one name at once
	 * exactly one goes on, and no listing takes the directory of the VM
	 * being started for a stale one.  Closed on exec (QEMU does not
	 * hold it) and at exit. */
	/* A listing holds the lock for a moment while it looks at a
	 * directory: a run is refused only when it stays held. */
	for (i = 0; (lock_fd = vr_vm_lock(&vm)) == -EBUSY && i < 50; i++)
		usleep(10 * 1000);
	if (lock_fd < 0) {
		if (lock_fd == -EBUSY)
			fprintf(stderr, "vmreclaim run: a VM named %s is being started or run by another "
					"\"vmreclaim run\"\n",
				vm.name);
		else
			fprintf(stderr, "vmreclaim run: %s: %s\n", vm.lock, strerror(-lock_fd));
		free(store);
		return VR_EXIT_FAILURE;
	}
	if (vr_vm_alive(&vm) == 1) {
		fprintf(stderr, "vmreclaim run: a VM named %s is running (pid %d)\n", vm.name, (int)vm.pid);
		free(store);
		return VR_EXIT_FAILURE;
	}
	if (access(vm.dir, F_OK) == 0) {
		fprintf(stderr, "vmreclaim run: removing the stale runtime directory %s\n", vm.dir);
		/* Not the lock file: we hold it. */
		vr_vm_remove_dir(&vm);
	}
	if (mkdir(vm.dir, 0700) < 0) {
		fprintf(stderr, "vmreclaim run: %s: %s\n", vm.dir, strerror(errno));
		free(store);
		return VR_EXIT_FAILURE;
	}
	if (console && console[0]) {
		/* "top" reads the console for the guest's events where it
		 * always looks: DIR/console.log, here a link to the file. */
		char abs[VR_PATH_MAX], link[VR_PATH_MAX + 16], cwd[VR_PATH_MAX];

		if (console[0] == '/' || !getcwd(cwd, sizeof(cwd)))
			snprintf(abs, sizeof(abs), "%s", console);
		else if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, console) >= sizeof(abs))
			abs[0] = '\0';
		snprintf(link, sizeof(link), "%s/console.log", vm.dir);
		if (abs[0] && symlink(abs, link) < 0)
			fprintf(stderr, "vmreclaim run: %s: %s\n", link, strerror(errno));
	}
	vr_vm_pick_accel(o.accel, why, sizeof(why));
	fprintf(stderr, "vmreclaim run: %s: %llu MiB, %u CPUs, %s, %s, free page reporting %s\n", vm.name,
		(unsigned long long)(cfg.memory_bytes / VR_MIB), cfg.processors, vr_vm_machine_name(o.machine), why,
		cfg.page_reporting ? "on" : "off");

	parent = getpid();
	child = fork();
	if (child < 0) {
		fprintf(stderr, "vmreclaim run: fork: %s\n", strerror(errno));
		vr_vm_remove_all(&vm);
		free(store);
		return VR_EXIT_FAILURE;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		/* In the foreground the VM lives as long as "run": if run
		 * is killed outright (SIGKILL, no chance to shut down),
		 * QEMU gets SIGTERM and quits; its runtime directory goes
		 * at the next listing.  (The getppid() check covers a run
		 * that died before the prctl.)  -daemonize outlives us by
		 * design. */
		if (!o.detach) {
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(127);
		}
		execvp(qargv[0], qargv);
		fprintf(stderr, "vmreclaim run: %s: %s\n", qargv[0], strerror(errno));
		_exit(127);
	}
	free(store);

	if (o.detach) {
		/* -daemonize: the first QEMU process exits once the VM is
		 * set up; the one that runs the VM is in the pid file. */
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "vmreclaim run: QEMU failed to start\n");
			vr_vm_remove_all(&vm);
			return VR_EXIT_FAILURE;
		}
		r = wait_qmp(&vm, 0, &sig, NULL, err, sizeof(err));
		if (r == 0 && vr_vm_alive(&vm) == 1) {
			printf("%s %d %s\n", vm.name, (int)vm.pid, vm.console[0] ? vm.console : "-");
			return 0;
		}
		/* Never leave a QEMU that nobody can find. */
		if (r == -EINTR) {
			if (vr_vm_alive(&vm) == 1)
				vr_vm_shutdown(&vm, 0, NULL);
			fprintf(stderr, "vmreclaim run: %s while starting: %s shut down\n", strsignal(sig), vm.name);
		} else if (r == -ECHILD || r == 0) {
			fprintf(stderr, "vmreclaim run: %s: QEMU exited while starting\n", vm.name);
		} else {
			fprintf(stderr, "vmreclaim run: %s: %s; stopping QEMU\n", vm.name, err);
			if (vr_vm_alive(&vm) == 1 && vr_vm_terminate(&vm, 0, NULL) < 0)
				fprintf(stderr, "vmreclaim run: QEMU (pid %d) would not exit\n", (int)vm.pid);
		}
		vr_vm_remove_all(&vm);
		return r == -EINTR ? 0 : VR_EXIT_FAILURE;
	}

	r = wait_qmp(&vm, child, &sig, &status, err, sizeof(err));
	if (r == -ECHILD) {
		say_how_qemu_ended(&vm, child, status, " while starting");
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			fprintf(stderr, "vmreclaim run: %s: QEMU exited while starting\n", vm.name);
		vr_vm_remove_all(&vm);
		return VR_EXIT_FAILURE;
	}
	if (r < 0 && r != -EINTR) {
		/* A QEMU that vmreclaim cannot talk to: "stop" could not
		 * quit it, "top" would show no guest figures. */
		fprintf(stderr, "vmreclaim run: %s: %s; stopping QEMU\n", vm.name, err);
		if (vr_vm_terminate(&vm, child, &status) < 0)
			fprintf(stderr, "vmreclaim run: QEMU (pid %d) would not exit\n", (int)child);
		vr_vm_remove_all(&vm);
		return VR_EXIT_FAILURE;
	}
	for (sig = r == -EINTR ? sig : 0;;) {
		if (sig) {
			fprintf(stderr, "vmreclaim run: %s: shutting %s down\n", strsignal(sig), vm.name);
			if (vr_vm_shutdown(&vm, child, &status) < 0)
				fprintf(stderr, "vmreclaim run: QEMU (pid %d) would not exit\n", (int)child);
			break;
		}
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		sig = take_signal(200);
	}
	vr_vm_remove_all(&vm);
	if (sig)
		return 0;
	say_how_qemu_ended(&vm, child, status, "");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : VR_EXIT_FAILURE;
}
