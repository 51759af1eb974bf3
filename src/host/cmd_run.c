/* SPDX-License-Identifier: MIT */
/* vmreclaim run: boot a lightweight VM under QEMU with free page reporting
 * and vmreclaimd inside.  Its last two stages, launch and supervise, and
 * the command that runs all four (run.h). */
#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/qmp.h"
#include "host/run.h"
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

/* How long QEMU may take to open its QMP socket. */
#define QMP_WAIT_MS 15000

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

int vr_run_launch(struct vr_run_prep *p, struct vr_run_proc *proc)
{
	char base[VR_PATH_MAX], why[128];
	sigset_t block;
	pid_t parent;
	size_t i;
	int r;

	proc->child = 0;
	proc->lock_fd = -1;
	/* Signals are blocked from here on, before anything is made, and
	 * taken with sigtimedwait(): one that comes while QEMU starts is
	 * not lost, and none leaves a directory or a QEMU behind. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &proc->old_mask);

	/* A directory left by a VM that crashed is removed; a live one wins. */
	r = vr_vm_base(base, sizeof(base), true);
	if (r < 0) {
		fprintf(stderr, "vmreclaim run: runtime directory %s: %s\n", base,
			r == -EPERM ? vr_vm_strerror(r) : strerror(-r));
		return VR_EXIT_FAILURE;
	}
	/* The name's lock, held until QEMU runs detached or, in the
	 * foreground, until it ends: of two "run" of one name at once
	 * exactly one goes on, and no listing takes the directory of the VM
	 * being started for a stale one.  Closed on exec (QEMU does not
	 * hold it) and at exit. */
	/* A listing holds the lock for a moment while it looks at a
	 * directory: a run is refused only when it stays held. */
	for (i = 0; (proc->lock_fd = vr_vm_lock(&p->vm)) == -EBUSY && i < 50; i++)
		usleep(10 * 1000);
	if (proc->lock_fd < 0) {
		if (proc->lock_fd == -EBUSY)
			fprintf(stderr, "vmreclaim run: a VM named %s is being started or run by another "
					"\"vmreclaim run\"\n",
				p->vm.name);
		else
			fprintf(stderr, "vmreclaim run: %s: %s\n", p->vm.lock, strerror(-proc->lock_fd));
		return VR_EXIT_FAILURE;
	}
	if (vr_vm_alive(&p->vm) == 1) {
		fprintf(stderr, "vmreclaim run: a VM named %s is running (pid %d)\n", p->vm.name, (int)p->vm.pid);
		return VR_EXIT_FAILURE;
	}
	if (access(p->vm.dir, F_OK) == 0) {
		fprintf(stderr, "vmreclaim run: removing the stale runtime directory %s\n", p->vm.dir);
		/* Not the lock file: we hold it. */
		vr_vm_remove_dir(&p->vm);
	}
	if (mkdir(p->vm.dir, 0700) < 0) {
		fprintf(stderr, "vmreclaim run: %s: %s\n", p->vm.dir, strerror(errno));
		return VR_EXIT_FAILURE;
	}
	if (p->console && p->console[0]) {
		/* "top" reads the console for the guest's events where it
		 * always looks: DIR/console.log, here a link to the file. */
		char abs[VR_PATH_MAX], link[VR_PATH_MAX + 16], cwd[VR_PATH_MAX];

		if (p->console[0] == '/' || !getcwd(cwd, sizeof(cwd)))
			snprintf(abs, sizeof(abs), "%s", p->console);
		else if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, p->console) >= sizeof(abs))
			abs[0] = '\0';
		snprintf(link, sizeof(link), "%s/console.log", p->vm.dir);
		if (abs[0] && symlink(abs, link) < 0)
			fprintf(stderr, "vmreclaim run: %s: %s\n", link, strerror(errno));
	}
	vr_vm_pick_accel(p->o.accel, why, sizeof(why));
	fprintf(stderr, "vmreclaim run: %s: %llu MiB, %u CPUs, %s, %s, free page reporting %s\n", p->vm.name,
		(unsigned long long)(p->cfg.memory_bytes / VR_MIB), p->cfg.processors, vr_machine_name(p->o.machine), why,
		p->cfg.page_reporting ? "on" : "off");

	parent = getpid();
	proc->child = fork();
	if (proc->child < 0) {
		fprintf(stderr, "vmreclaim run: fork: %s\n", strerror(errno));
		vr_vm_remove_all(&p->vm);
		return VR_EXIT_FAILURE;
	}
	if (proc->child == 0) {
		sigprocmask(SIG_SETMASK, &proc->old_mask, NULL);
		/* In the foreground the VM lives as long as "run": if run
		 * is killed outright (SIGKILL, no chance to shut down),
		 * QEMU gets SIGTERM and quits; its runtime directory goes
		 * at the next listing.  (The getppid() check covers a run
		 * that died before the prctl.)  -daemonize outlives us by
		 * design. */
		if (!p->o.detach) {
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(127);
		}
		execvp(p->argv[0], p->argv);
		fprintf(stderr, "vmreclaim run: %s: %s\n", p->argv[0], strerror(errno));
		_exit(127);
	}

	return 0;
}

int vr_run_supervise(struct vr_run_prep *p, struct vr_run_proc *proc)
{
	char err[512];
	int r, sig = 0, status = 0;

	if (p->o.detach) {
		/* -daemonize: the first QEMU process exits once the VM is
		 * set up; the one that runs the VM is in the pid file. */
		while (waitpid(proc->child, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "vmreclaim run: QEMU failed to start\n");
			vr_vm_remove_all(&p->vm);
			return VR_EXIT_FAILURE;
		}
		r = wait_qmp(&p->vm, 0, &sig, NULL, err, sizeof(err));
		if (r == 0 && vr_vm_alive(&p->vm) == 1) {
			printf("%s %d %s\n", p->vm.name, (int)p->vm.pid, p->vm.console[0] ? p->vm.console : "-");
			return 0;
		}
		/* Never leave a QEMU that nobody can find. */
		if (r == -EINTR) {
			if (vr_vm_alive(&p->vm) == 1)
				vr_vm_shutdown(&p->vm, 0, NULL);
			fprintf(stderr, "vmreclaim run: %s while starting: %s shut down\n", strsignal(sig), p->vm.name);
		} else if (r == -ECHILD || r == 0) {
			fprintf(stderr, "vmreclaim run: %s: QEMU exited while starting\n", p->vm.name);
		} else {
			fprintf(stderr, "vmreclaim run: %s: %s; stopping QEMU\n", p->vm.name, err);
			if (vr_vm_alive(&p->vm) == 1 && vr_vm_terminate(&p->vm, 0, NULL) < 0)
				fprintf(stderr, "vmreclaim run: QEMU (pid %d) would not exit\n", (int)p->vm.pid);
		}
		vr_vm_remove_all(&p->vm);
		return r == -EINTR ? 0 : VR_EXIT_FAILURE;
	}

	r = wait_qmp(&p->vm, proc->child, &sig, &status, err, sizeof(err));
	if (r == -ECHILD) {
		say_how_qemu_ended(&p->vm, proc->child, status, " while starting");
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			fprintf(stderr, "vmreclaim run: %s: QEMU exited while starting\n", p->vm.name);
		vr_vm_remove_all(&p->vm);
		return VR_EXIT_FAILURE;
	}
	if (r < 0 && r != -EINTR) {
		/* A QEMU that vmreclaim cannot talk to: "stop" could not
		 * quit it, "top" would show no guest figures. */
		fprintf(stderr, "vmreclaim run: %s: %s; stopping QEMU\n", p->vm.name, err);
		if (vr_vm_terminate(&p->vm, proc->child, &status) < 0)
			fprintf(stderr, "vmreclaim run: QEMU (pid %d) would not exit\n", (int)proc->child);
		vr_vm_remove_all(&p->vm);
		return VR_EXIT_FAILURE;
	}
	for (sig = r == -EINTR ? sig : 0;;) {
		if (sig) {
			fprintf(stderr, "vmreclaim run: %s: shutting %s down\n", strsignal(sig), p->vm.name);
			if (vr_vm_shutdown(&p->vm, proc->child, &status) < 0)
				fprintf(stderr, "vmreclaim run: QEMU (pid %d) would not exit\n", (int)proc->child);
			break;
		}
		if (waitpid(proc->child, &status, WNOHANG) == proc->child)
			break;
		sig = take_signal(200);
	}
	vr_vm_remove_all(&p->vm);
	if (sig)
		return 0;
	say_how_qemu_ended(&p->vm, proc->child, status, "");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : VR_EXIT_FAILURE;
}

int vr_cmd_run(int argc, char **argv)
{
	struct vr_run_args *a = calloc(1, sizeof(*a));
	struct vr_run_prep *p = calloc(1, sizeof(*p));
	struct vr_run_proc proc;
	int r, i;

	if (!a || !p) {
		free(a);
		free(p);
		return VR_EXIT_FAILURE;
	}
	r = vr_run_parse(argc, argv, a);
	if (r == 0 && !a->help)
		r = vr_run_prepare(a, p);
	if (r == 0 && !a->help && a->dry_run) {
		for (i = 0; i < p->argc; i++)
			printf("%s%s", i ? " " : "", p->argv[i]);
		printf("\n");
	} else if (r == 0 && !a->help) {
		r = vr_run_launch(p, &proc);
		if (r == 0)
			r = vr_run_supervise(p, &proc);
	}
	free(a);
	free(p);
	return r;
}
