/* SPDX-License-Identifier: MIT */
/* "vmreclaim run" in four stages, each with what it hands the next:
 *
 *   parse      argv                 -> struct vr_run_args (run.c)
 *   prepare    vr_run_args          -> struct vr_run_prep: the settings,
 *                                      the VM's paths, kernel, image and
 *                                      the QEMU command line (run.c)
 *   launch     vr_run_prep          -> struct vr_run_proc: the runtime
 *                                      directory made, the name locked,
 *                                      QEMU forked (cmd_run.c)
 *   supervise  vr_run_prep, _proc   -> the exit status: QMP up, signals,
 *                                      QEMU's end (cmd_run.c)
 *
 * parse and prepare start nothing and create nothing, so the unit tests
 * call them; launch and supervise are covered by the black-box tests
 * with a fake QEMU. */
#ifndef VR_RUN_H
#define VR_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/config.h"
#include "host/qemuargs.h"
#include "host/vm.h"

/* Settings given as flags, applied after the file in their order: more
 * than anyone types; past it "run" refuses rather than drops one. */
#define VR_RUN_FLAGS_MAX 64
/* Path flags (--kernel, --image, --data) made absolute, a few each. */
#define VR_RUN_PATHS_MAX 24
/* The QEMU command line: about 50 words today, with room to grow. */
#define VR_RUN_QEMU_ARGS_MAX 96
/* Its strings: four socket paths and a 2 KiB guest command line fit
 * many times over. */
#define VR_RUN_QEMU_STORE 16384

/* What the command line asked for; nothing looked up yet. */
struct vr_run_args {
	const char *config;   /* -c FILE, or NULL */
	const char *name;
	const char *workload;
	const char *console;  /* --console: FILE, "-", or NULL */
	enum vr_accel accel;
	bool detach;
	bool dry_run;
	bool help;            /* -h: usage printed, nothing else to do */
	const char *image_dir; /* NULL: vr_vm_default_image_dir() (the tests set it) */
	struct {
		const char *key, *value, *flag;
	} flags[VR_RUN_FLAGS_MAX];
	size_t n_flags;
	char paths[VR_RUN_PATHS_MAX][VR_PATH_MAX];
	size_t n_paths;
};

/* The VM ready to start: settings merged, paths filled, the command
 * line built.  o.cfg points at cfg: do not copy the struct. */
struct vr_run_prep {
	struct vr_config cfg;
	struct vr_run_opts o;
	struct vr_vm vm;
	const char *console;  /* "" the terminal, a file, NULL DIR/console.log */
	char *argv[VR_RUN_QEMU_ARGS_MAX];
	int argc;
	char store[VR_RUN_QEMU_STORE];
};

/* QEMU started: our child (the one that daemonizes when detached), and
 * what launch holds until supervise is done. */
struct vr_run_proc {
	pid_t child;
	int lock_fd;
	sigset_t old_mask;    /* the signal mask before launch blocked ours */
};

/* Parse "run"'s arguments (getopt: @argv's --set words are split in
 * place).  Returns 0, or VR_EXIT_USAGE after saying why on stderr; with
 * -h the usage is printed and a->help set. */
int vr_run_parse(int argc, char **argv, struct vr_run_args *a);

/* Settings (defaults, the file, the flags), the console, the VM's paths
 * and the QEMU command line, with the guest command line checked as
 * the guest will read it.  Starts and creates nothing.  Returns 0, or an
 * exit status after saying why on stderr. */
int vr_run_prepare(const struct vr_run_args *a, struct vr_run_prep *p);

/* Launch: the runtime directory, the name's lock, the stale directory,
 * the console link, then QEMU forked with SIGINT, SIGTERM and SIGHUP
 * blocked.  Returns 0, or an exit status after saying why. */
int vr_run_launch(struct vr_run_prep *p, struct vr_run_proc *proc);

/* Supervise: wait for QMP, then (detached) print "NAME PID CONSOLE" and
 * return, or (foreground) run until QEMU ends or a signal shuts it down.
 * Returns the exit status; the runtime directory is gone unless the VM
 * runs detached. */
int vr_run_supervise(struct vr_run_prep *p, struct vr_run_proc *proc);

#endif
