/* SPDX-License-Identifier: MIT */
/* The QEMU command line of a VM that "vmreclaim run" starts: which
 * accelerator, machine, kernel and image, and every argument.  Builds
 * strings only; nothing is started or created. */
#ifndef VR_QEMUARGS_H
#define VR_QEMUARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "host/vm.h"

/* x86's COMMAND_LINE_SIZE */
#define VR_GUEST_CMDLINE_MAX 2048

enum vr_accel { VR_ACCEL_AUTO, VR_ACCEL_KVM, VR_ACCEL_TCG };

/* enum vr_machine is in common/config.h: the host setting "machine". */

/* The host's TSC rate in kHz from /proc/cpuinfo text @buf: the first
 * "cpu MHz" line, trusted only when the first "flags" line has both
 * constant_tsc and tsc_known_freq (the kernel knew the rate rather than
 * measuring a frequency that may change).  Returns 0, -ENOENT (not
 * known), or -EINVAL (a malformed or implausible figure). */
int vr_vm_tsc_khz_parse(const char *buf, uint64_t *ret_khz);

/* "q35" or "microvm" into *ret; -EINVAL for anything else. */

struct vr_run_opts {
	const struct vr_config *cfg;
	const char *name;
	const char *workload;  /* vrinit.workload=, or NULL */
	const char *console;   /* a file, "" for the terminal, NULL for DIR/console.log */
	enum vr_accel accel;
	enum vr_machine machine;
	bool detach;           /* QEMU's -daemonize */
	const char *qemu;      /* the binary; NULL: qemu-system-x86_64 */
	const char *cpuinfo;   /* the host's cpuinfo; NULL: /proc/cpuinfo */
};

/* The accelerator to use: KVM only when the CPU has vmx or svm AND
 * /dev/kvm opens (a /dev/kvm alone is not enough: some hosts have one
 * that cannot run a stock kernel). */
enum vr_accel vr_vm_pick_accel(enum vr_accel want, char *why, size_t why_size);

/* The QEMU argument vector for @o into @argv (at most @max - 1 entries
 * plus NULL; strings live in @store of @store_size bytes).  Returns the
 * count, or -ENOSPC / -ENOENT (no kernel or image found, said in @err). */
int vr_vm_qemu_argv(const struct vr_run_opts *o, const struct vr_vm *vm, char **argv, size_t max,
		    char *store, size_t store_size, char *err, size_t err_size);

/* The guest image directory: image/ beside the running binary, else
 * ../lib/vmreclaim/image (installed). */
int vr_vm_default_image_dir(char *buf, size_t size);

/* Whether kernel configuration text @config (a .config) has what the
 * guest needs on @machine, built in: the balloon with free page
 * reporting, and virtio-mmio and ACPI on microvm or virtio-pci on q35.
 * Returns 0, or -ENOEXEC with the first option missing in @why. */
int vr_vm_kernel_config_check(const char *config, enum vr_machine machine, char *why, size_t why_size);

/* Whether the image directory @dir (build/image/minimal: initrd.img,
 * vmlinuz, and config, stored beside them by scripts/mkimage.sh) can
 * boot a guest on @machine.  Returns 0, or -errno / -ENOEXEC with why
 * (one line, naming the file) in @why. */
int vr_vm_kernel_dir_check(const char *dir, enum vr_machine machine, char *why, size_t why_size);

/* The newest /boot/vmlinuz-* (by version), or -ENOENT. */
int vr_vm_default_kernel(char *buf, size_t size);

#endif
