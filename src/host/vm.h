/* SPDX-License-Identifier: MIT */
/* VMs started by vmreclaim: their runtime directories (vm.c).
 *
 * Each VM NAME has a directory BASE/NAME holding
 *   qmp.sock     QMP
 *   guest.sock   the virtio-serial port org.vmreclaim.0
 *   console.log  the serial console, when it is not on the terminal
 *   qemu.pid     QEMU's pid
 *   monitor.sock a second QMP socket, for "top" (QMP serves one client
 *                at a time: "stop" must not wait for "top")
 * where BASE is $VMRECLAIM_RUNTIME_DIR, else /run/vmreclaim for root,
 * else $XDG_RUNTIME_DIR/vmreclaim, else /tmp/vmreclaim-UID. */
#ifndef VR_VM_H
#define VR_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"

#define VR_VM_NAME_MAX 32
#define VR_BALLOON_PATH "/machine/peripheral/balloon0"
#define VR_GUEST_PORT "org.vmreclaim.0"

struct vr_vm {
	char name[VR_VM_NAME_MAX + 1];
	char dir[VR_SOCKET_PATH_MAX];
	char qmp[VR_PATH_MAX];
	char monitor[VR_PATH_MAX];
	char guest[VR_PATH_MAX];
	char console[VR_PATH_MAX]; /* "" when on the terminal */
	char pidfile[VR_PATH_MAX];
	char lock[VR_PATH_MAX];    /* BASE/.NAME.lock: held by "run" while it starts or runs it */
	pid_t pid;                 /* 0 when not known */
};

/* The runtime base directory (created 0700 when @create).  When it
 * exists it must be a directory of ours that nobody else can enter, for
 * every command: -EPERM otherwise.  Returns 0 (also when it does not
 * exist and !@create) or -errno. */
int vr_vm_base(char *buf, size_t size, bool create);

/* A message for an error of vr_vm_base(), vr_vm_paths() or vr_vm_list():
 * for -EPERM, which directory and why. */
const char *vr_vm_strerror(int r);

/* True when @name is a usable VM name: 1-32 of [A-Za-z0-9_.-], not
 * starting with '.' or '-'. */
bool vr_vm_name_ok(const char *name);

/* Fill @vm's paths for @name under the base (nothing is created). */
int vr_vm_paths(struct vr_vm *vm, const char *name, const char *console);

/* Read the pid from vm->pidfile and check that it is a running QEMU.
 * Returns 1 (running, vm->pid set), 0 (not running), or -errno. */
int vr_vm_alive(struct vr_vm *vm);

/* Shut @vm down: QMP quit (SIGTERM at once when QMP does not take it,
 * with a message on stderr); SIGTERM after 5 s and SIGKILL after 10 s,
 * sent only while the pid is still this VM's QEMU.  @child > 0: QEMU is our
 * child and is reaped (its status in *ret_status, may be NULL).  Returns
 * 0 once QEMU is gone, -ETIMEDOUT if it outlived SIGKILL. */
int vr_vm_shutdown(struct vr_vm *vm, pid_t child, int *ret_status);

/* Like vr_vm_shutdown() without QMP: SIGTERM now, again after 5 s,
 * SIGKILL after 10 s (for a QEMU whose QMP does not work). */
int vr_vm_terminate(struct vr_vm *vm, pid_t child, int *ret_status);

/* Remove a VM's runtime directory and what is in it. */
void vr_vm_remove_dir(const struct vr_vm *vm);

/* The same and its lock file, for a caller that holds the lock and lets
 * go of it next (vr_vm_lock() then never keeps a lock on a removed
 * file). */
void vr_vm_remove_all(const struct vr_vm *vm);

/* Take @vm's lock (flock on vm->lock), without waiting: "run" holds it
 * from before it looks for a running VM of that name until QEMU runs
 * detached, or for as long as it runs QEMU in the foreground; so of two
 * "run" of one name exactly one goes on, and nothing removes the
 * directory of a VM being started.  Returns the fd to give to
 * vr_vm_unlock(), -EBUSY when another process holds it, or -errno. */
int vr_vm_lock(const struct vr_vm *vm);
void vr_vm_unlock(int fd);

/* Remove @vm's runtime directory unless a "run" holds its lock (that run
 * removes it when its QEMU ends).  True when it was removed. */
bool vr_vm_remove_dir_if_free(const struct vr_vm *vm);

/* Remove @vm's runtime directory if its QEMU is gone: not while a "run"
 * holds its lock, nor while its pid file names this VM's running QEMU,
 * nor while an older "run" without the lock may be starting one (no pid
 * file yet, the directory made in the last minute), nor for a VM without
 * one (top --pid).  True when it was removed. */
bool vr_vm_remove_if_gone(struct vr_vm *vm);

/* List the VMs in the base directory whose QEMU runs, as many as there
 * are, into *ret_vms (malloc'd, free() it; NULL when none); directories
 * of VMs that are gone are removed (and said so on stderr when
 * @verbose).  Returns the count, or -errno (-EPERM: see vr_vm_base()). */
int vr_vm_list(struct vr_vm **ret_vms, bool verbose);

/* The QEMU command line (qemuargs.c), for the callers that took both from
 * this header. */
#include "host/qemuargs.h"

#endif
