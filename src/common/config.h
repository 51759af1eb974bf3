/* SPDX-License-Identifier: MIT */
/* vmreclaim settings: one table of keys (name, section, parser, default),
 * read from INI files in .wslconfig syntax and from "vmreclaim.KEY=VALUE"
 * words on the kernel command line. */
#ifndef VR_CONFIG_H
#define VR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

#define VR_CONFIG_PATH "/etc/vmreclaim.conf"
#define VR_CONTROL_SOCKET "/run/vmreclaimd.sock"
#define VR_SOCKET_PATH_MAX 108 /* sizeof(sun_path) */
#define VR_PATH_MAX 512
#define VR_CMDLINE_MAX 1024

/* autoMemoryReclaim; each value has a name in config.c (mode_names) and
 * a policy in the guest (src/guest/policy.c). */
enum vr_mode {
	VR_MODE_DISABLED,
	VR_MODE_DROPCACHE,
	VR_MODE_GRADUAL,
	VR_MODE_AUTO,
};

/* QEMU's machine for "vmreclaim run": q35 (PCI; virtio-pci devices) or
 * microvm (no PCI, no firmware beyond qboot: virtio-mmio devices,
 * described in its ACPI tables, so the kernel needs ACPI and
 * virtio_mmio).  [vmreclaim] machine, or run -M. */
enum vr_machine { VR_MACHINE_Q35, VR_MACHINE_MICROVM };

/* The guest kernel "run" boots when no image is set: the stock one (the
 * image of Debian's kernel, build/image/) or the minimal one ("make
 * kernel": build/image/minimal/).  [vmreclaim] guestKernel. */
enum vr_guest_kernel { VR_GUEST_KERNEL_STOCK, VR_GUEST_KERNEL_MINIMAL };

/* [vmreclaim] multiGenLru: keep the guest kernel's multi-gen LRU as it is,
 * or switch it off while auto runs (docs/mglru-hot-set.md says why). */
enum vr_multi_gen_lru { VR_MULTI_GEN_LRU_KEEP, VR_MULTI_GEN_LRU_OFF };

/* The combination "run" boots by default, as the key table's defaults
 * (the README's "The lightweight VM" says why, with the table): the
 * minimal kernel on q35, measured on 2026-12-06 at 1.5 s to init against
 * 6.3 s and a floor of 128 MiB against 231 MiB for Debian's kernel, with
 * the same reclaim results; microvm saved no memory over q35 (131 MiB)
 * and 0.4 s of boot.  Without a usable minimal kernel, run says so and
 * boots the stock one. */
#define VR_RUN_DEFAULT_GUEST_KERNEL "minimal"
#define VR_RUN_DEFAULT_MACHINE "q35"

struct vr_config {
	/* [wsl2] idleThreshold: busy percent of all CPUs below which the VM
	 * counts as idle.  0 turns idle compaction off (WSL 19013). */
	double idle_threshold_pct;
	/* [experimental] autoMemoryReclaim */
	enum vr_mode mode;
	/* [vmreclaim] */
	uint64_t idle_usec;            /* idleSeconds */
	uint64_t sample_usec;          /* sampleInterval */
	bool compaction;               /* compaction */
	unsigned drop_cache_value;     /* dropCacheValue: 1, 2 or 3 */
	uint64_t reclaim_step_bytes;   /* reclaimStep: 0 = RAM/32 in [256 MiB, 1 GiB] */
	uint64_t reclaim_floor_bytes;  /* reclaimFloor */
	unsigned reporting_order_min;  /* reportingOrderMin */
	enum vr_multi_gen_lru multi_gen_lru; /* multiGenLru */
	enum vr_log_level log_level;   /* logLevel */
	enum vr_log_target log_target; /* logTarget */
	char control_socket[VR_SOCKET_PATH_MAX]; /* controlSocket */
	char metrics_file[VR_PATH_MAX];          /* metricsFile */

	/* The VM, for the host tool: [wsl2] */
	uint64_t memory_bytes;              /* memory */
	unsigned processors;                /* processors */
	bool page_reporting;                /* pageReporting */
	char kernel[VR_PATH_MAX];           /* kernel: "" = the newest in /boot */
	char kernel_cmdline[VR_CMDLINE_MAX]; /* kernelCommandLine: appended */
	/* [vmreclaim] */
	char image[VR_PATH_MAX];            /* image: initramfs; "" = the built one */
	char data_disk[VR_PATH_MAX];        /* dataDisk: ext4 image for /data */
	bool data_disk_writable;            /* dataDiskWritable */
	enum vr_machine machine;            /* machine */
	enum vr_guest_kernel guest_kernel;  /* guestKernel */

	/* Which keys were set (by a file, the command line or a flag), by
	 * their place in the key table: the guest keys among them travel to
	 * the guest on its kernel command line. */
	uint64_t set_mask;
};

/* Who reads a key: the guest daemon, the host tool, or (a WSL key that
 * vmreclaim accepts for compatibility but does not use) nobody. */
enum {
	VR_SCOPE_GUEST = 1u << 0,
	VR_SCOPE_HOST = 1u << 1,
};

/* Diagnostics from parsing, each tied to a file and line. */
#define VR_DIAG_MAX 32

struct vr_diag {
	char file[128];
	unsigned line; /* 0: not tied to a line */
	bool error;
	char msg[192];
};

struct vr_diags {
	struct vr_diag items[VR_DIAG_MAX];
	unsigned count;   /* stored in items */
	unsigned dropped; /* beyond VR_DIAG_MAX */
	unsigned errors;  /* all errors, stored or not */
	unsigned warnings;
};

void vr_diags_add(struct vr_diags *d, const char *file, unsigned line, bool error,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Print "FILE:LINE: message" (and "warning: " for warnings), sorted by
 * line, to @f. */
void vr_diags_print(const struct vr_diags *d, FILE *f);

/* Send the same lines to the log (errors at err, warnings at warning). */
void vr_diags_log(const struct vr_diags *d);

void vr_config_defaults(struct vr_config *c);

/* Parse INI @text, named @file in diagnostics, over @c.  Keys outside
 * @scope that vmreclaim knows are warned about and ignored; unknown keys
 * are errors for the guest and warnings for the host (as in WSL).
 * Returns 0 when no error was found, -EINVAL otherwise; @c may then hold
 * some of the new values, so parse into a copy. */
int vr_config_parse_string(struct vr_config *c, const char *text, const char *file,
			   unsigned scope, struct vr_diags *d);

/* The same for a file.  Returns -errno when it cannot be read (no
 * diagnostic is added for that: the caller decides whether a missing file
 * matters). */
int vr_config_parse_file(struct vr_config *c, const char *path, unsigned scope,
			 struct vr_diags *d);

/* Apply the "vmreclaim.KEY=VALUE" words of a kernel command line.
 * Returns 0, or -EINVAL when a word was wrong (see @d). */
int vr_config_parse_cmdline(struct vr_config *c, const char *cmdline, const char *file,
			    struct vr_diags *d);

/* Set one key by name.  Returns 0, -ENOENT for an unknown key, or -EINVAL
 * with a reason in @err. */
int vr_config_set(struct vr_config *c, const char *key, const char *value, char *err,
		  size_t err_size);

/* Write every key of @scope, commented out, at its default, with its help
 * text: the sample configuration file. */
void vr_config_write_sample(FILE *f, unsigned scope);

/* Append " vmreclaim.KEY=VALUE" to @buf for every guest key that was set
 * (quoted when the value holds a blank).  Returns 0, -ENOSPC, or -EINVAL
 * for a value holding a double quote (a kernel command line cannot carry
 * one). */
int vr_config_guest_cmdline(const struct vr_config *c, char *buf, size_t size);

/* Write the effective settings as "key = value" lines. */
void vr_config_write(FILE *f, const struct vr_config *c, unsigned scope);

const char *vr_mode_name(enum vr_mode m);
/* "q35" or "microvm": the word the setting "machine" takes. */
const char *vr_machine_name(enum vr_machine m);
int vr_mode_parse(const char *s, enum vr_mode *ret);
/* The modes' names as a list for people: "a, b, c or d". */
void vr_mode_list(char *buf, size_t size);

#endif
