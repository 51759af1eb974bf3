/* SPDX-License-Identifier: MIT */
/* The hypervisor seam: the VMs the host tool works on, whoever runs them.
 * One ops table per backend:
 *   own      the VMs "vmreclaim run" starts (QEMU with our runtime
 *            directory: QMP, guest.sock, qemu.pid; vm.c), and a --pid/--qmp
 *            pair given by hand
 *   libvirt  libvirt's domains (hv_libvirt.c), over libvirt's C API
 * The commands (top, give, watch, stop, check) see only struct vr_hv_vm and
 * these operations. */
#ifndef VR_HV_H
#define VR_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "host/qmp.h"
#include "host/vm.h"

/* libvirt allows longer domain names; longer ones are not ours to show. */
#define VR_HV_NAME_MAX 63
#define VR_HV_DEFAULT_URI "qemu:///system"

struct vr_hv_vm;

/* How a VM is set up for giving memory back, as its backend sees it. */
struct vr_hv_setup {
	bool balloon;    /* a virtio balloon */
	bool reporting;  /* free page reporting on it */
	bool channel;    /* the port org.vmreclaim.0, with a host socket */
	bool channel_connected_known; /* channel_connected means something */
	bool channel_connected;       /* the guest has the port open (libvirt) */
};

struct vr_hv_ops {
	const char *name; /* "vmreclaim" or "libvirt" */
	/* Resident memory of the VM process in bytes.  -ESRCH: the VM is
	 * gone. */
	int (*rss)(struct vr_hv_vm *vm, uint64_t *ret_bytes);
	/* The balloon's statistics (what the guest reports of itself),
	 * asking the hypervisor for a report every @period_sec when it does
	 * not send them.  Returns 0, -EOPNOTSUPP when the VM has no source
	 * of them (nothing to say), or -errno with a message in @err. */
	int (*guest_stats)(struct vr_hv_vm *vm, unsigned period_sec, struct vr_guest_stats *ret,
			   char *err, size_t err_size);
	/* Shut the VM down.  Returns 0 once it is gone, or -errno with a
	 * message in @err. */
	int (*stop)(struct vr_hv_vm *vm, char *err, size_t err_size);
	/* What the VM is configured with.  Returns 0 or -errno. */
	int (*setup)(struct vr_hv_vm *vm, struct vr_hv_setup *ret, char *err, size_t err_size);
	/* Print to @f what to add so that the VM has what @s lacks. */
	void (*advice)(const struct vr_hv_vm *vm, const struct vr_hv_setup *s, FILE *f);
	/* The VM process is gone: clean up what it left; a line for the
	 * user into @msg ("" when nothing to say). */
	void (*gone)(struct vr_hv_vm *vm, char *msg, size_t size);
	/* Let go of what the backend holds for @vm. */
	void (*release)(struct vr_hv_vm *vm);
};

struct vr_hv_vm {
	char name[VR_HV_NAME_MAX + 1];
	const struct vr_hv_ops *ops;
	pid_t pid;                /* the VM process; 0 when not known */
	char guest[VR_PATH_MAX];  /* host end of org.vmreclaim.0; "" when none */
	struct vr_vm own;         /* the own backend's paths */
	void *priv;               /* backend state (QMP connection, domain) */
	bool stats_checked;       /* the statistics period was looked at (libvirt) */
};

/* What the commands open once: our runtime directory, and a libvirt
 * connection when one is asked for or its daemon answers. */
struct vr_hv {
	const char *cmd;      /* "top", ... for messages */
	char uri[256];        /* libvirt's; "" when libvirt is not in use */
	bool uri_explicit;    /* --connect or LIBVIRT_DEFAULT_URI */
	void *lv;             /* virConnectPtr, NULL when not connected */
	char lv_err[256];     /* why not, when it was tried */
	bool lv_lost;         /* was connected, the daemon went away */
	unsigned lv_backoff_sec;  /* the wait before the next try, when lost */
	uint64_t lv_retry_usec;   /* the next try, when lost */
};

/* Open the seam for command @cmd: the libvirt URI is @connect, else
 * $LIBVIRT_DEFAULT_URI, else qemu:///system.  A URI given (either way)
 * that does not connect is an error (-errno, said on stderr); the default
 * one is used only when its daemon answers. */
int vr_hv_open(struct vr_hv *hv, const char *cmd, const char *connect);
void vr_hv_close(struct vr_hv *hv);

/* Every running VM of every backend: ours first, then libvirt's domains,
 * into *ret_vms (malloc'd; vr_hv_free_list()).  Returns the count, or
 * -errno said on stderr. */
int vr_hv_list(struct vr_hv *hv, struct vr_hv_vm **ret_vms, bool verbose);
void vr_hv_free_list(struct vr_hv_vm *vms, size_t n);

/* The running VM called @name: one of ours, else a libvirt domain.
 * Returns 1 (*ret filled; vr_hv_release() it), 0 when there is none
 * (said on stderr), or -errno said on stderr (-EINVAL: not a name any
 * backend takes). */
int vr_hv_lookup(struct vr_hv *hv, const char *name, struct vr_hv_vm *ret);

/* The own backend's reading of a QEMU command line (/proc/PID/cmdline:
 * @len bytes, NUL-separated, the last byte a NUL).  Returns 0 or -EINVAL. */
int vr_hv_own_setup_parse(const char *cmdline, size_t len, struct vr_hv_setup *ret);

/* The VMs named in @argv from optind on, or every running one with @all,
 * into *ret_vms (vr_hv_free_list()).  Returns the count, or -errno said
 * on stderr (-EINVAL: not a name; -ESRCH: one is not running). */
int vr_hv_list_or_name(struct vr_hv *hv, int argc, char **argv, bool all,
		       struct vr_hv_vm **ret_vms);

/* A QEMU process given by hand (top --pid, with its QMP socket or NULL). */
void vr_hv_own_from_pid(struct vr_hv_vm *ret, pid_t pid, const char *qmp);

void vr_hv_release(struct vr_hv_vm *vm);

/* The backends. */
extern const struct vr_hv_ops vr_hv_own_ops;
extern const struct vr_hv_ops vr_hv_libvirt_ops;

/* Own backend: fill @ret for one of our VMs (paths and pid set). */
void vr_hv_own_wrap(struct vr_hv_vm *ret, const struct vr_vm *vm);

/* libvirt backend (hv_libvirt.c). */
int vr_hv_lv_connect(struct vr_hv *hv);
void vr_hv_lv_disconnect(struct vr_hv *hv);
int vr_hv_lv_list(struct vr_hv *hv, struct vr_hv_vm **vms, size_t *n, size_t *cap);
/* Whether the libvirt connection is up, for a command that runs on
 * (top): a connection that was up and went down (libvirtd stopped or
 * restarted) is said once on stderr and tried again, first after 1 s,
 * then at twice the wait each time up to 30 s.  Returns 1 when it has
 * just come back (the domains must be looked up again:
 * vr_hv_lv_rebind()), 0 when up, -ENOTCONN while down or never up. */
int vr_hv_lv_check(struct vr_hv *hv);
/* Look libvirt's domain @vm up again on a new connection, by name.
 * Returns 1, 0 when it no longer runs, -errno. */
int vr_hv_lv_rebind(struct vr_hv *hv, struct vr_hv_vm *vm);
/* 1 found, 0 none, -errno with @err. */
int vr_hv_lv_lookup(struct vr_hv *hv, const char *name, struct vr_hv_vm *ret, char *err,
		    size_t err_size);

#endif
