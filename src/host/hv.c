/* SPDX-License-Identifier: MIT */
/* The hypervisor seam (hv.h): the list of VMs over every backend, and the
 * own backend, the VMs "vmreclaim run" starts (vm.c, qmp.c). */
#include "host/hv.h"

#include "common/channel.h"
#include "common/util.h"
#include "procfs/proc.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* --- own backend ------------------------------------------------------ */

/* A process whose RSS cannot be read is taken as gone, as top always
 * did. */
static int own_rss(struct vr_hv_vm *vm, uint64_t *ret_bytes)
{
	return vr_proc_rss(vm->pid, ret_bytes) < 0 ? -ESRCH : 0;
}

/* QMP on the second socket (monitor.sock: "stop" keeps qmp.sock), opened
 * at the first call and kept; closed on an error, so that the next call
 * connects again. */
static int own_guest_stats(struct vr_hv_vm *vm, unsigned period_sec, struct vr_guest_stats *ret,
			   char *err, size_t err_size)
{
	struct vr_qmp *q = vm->priv;
	int r;

	if (!vm->own.monitor[0]) {
		snprintf(err, err_size, "no QMP socket (--qmp)");
		return -EOPNOTSUPP;
	}
	if (!q) {
		r = vr_qmp_connect(vm->own.monitor, 2000, &q, err, err_size);
		if (r < 0)
			return r;
		r = vr_qmp_set_stats_interval(q, VR_BALLOON_PATH, period_sec, err, err_size);
		if (r < 0) {
			vr_qmp_close(q);
			return r;
		}
		vm->priv = q;
	}
	r = vr_qmp_guest_stats(q, VR_BALLOON_PATH, ret, err, err_size);
	if (r < 0) {
		vr_qmp_close(q);
		vm->priv = NULL;
	}
	return r;
}

static int own_stop(struct vr_hv_vm *vm, char *err, size_t err_size)
{
	if (vr_vm_alive(&vm->own) != 1) {
		snprintf(err, err_size, "not running");
		/* What a dead VM left goes; not a VM that a "run" is
		 * starting. */
		vr_vm_remove_if_gone(&vm->own);
		return -ESRCH;
	}
	if (vr_vm_shutdown(&vm->own, 0, NULL) < 0) {
		/* Keep the directory: it is how the VM can still be found. */
		snprintf(err, err_size, "QEMU (pid %d) would not exit", (int)vm->own.pid);
		return -ETIMEDOUT;
	}
	/* A "run" in the foreground removes it itself. */
	vr_vm_remove_dir_if_free(&vm->own);
	return 0;
}

int vr_hv_own_setup_parse(const char *cmdline, size_t len, struct vr_hv_setup *ret)
{
	struct vr_hv_setup s = { 0 };
	size_t i;

	if (len == 0 || cmdline[len - 1] != '\0')
		return -EINVAL;
	for (i = 0; i < len; i += strlen(cmdline + i) + 1) {
		const char *a = cmdline + i;

		if (strncmp(a, "virtio-balloon", 14) == 0 || strstr(a, "\"virtio-balloon")) {
			s.balloon = true;
			if (strstr(a, "free-page-reporting=on") ||
			    strstr(a, "\"free-page-reporting\":true"))
				s.reporting = true;
		}
		if (strncmp(a, "virtserialport", 14) == 0 && strstr(a, "name=" VR_CHAN_PORT_NAME))
			s.channel = true;
	}
	*ret = s;
	return 0;
}

static int own_setup(struct vr_hv_vm *vm, struct vr_hv_setup *ret, char *err, size_t err_size)
{
	char path[64], buf[16384];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)vm->pid);
	r = vr_read_file(path, buf, sizeof(buf), &len);
	if (r == 0)
		r = vr_hv_own_setup_parse(buf, len, ret);
	if (r < 0)
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
	return r;
}

static void own_advice(const struct vr_hv_vm *vm, const struct vr_hv_setup *s, FILE *f)
{
	(void)vm;
	if (!s->balloon || !s->reporting)
		fprintf(f, "    QEMU: -device virtio-balloon-pci,id=balloon0,free-page-reporting=on\n");
	if (!s->channel)
		fprintf(f,
			"    QEMU: -device virtio-serial-pci,id=vser0\n"
			"          -chardev socket,id=vrguest,path=SOCKET,server=on,wait=off\n"
			"          -device virtserialport,bus=vser0.0,chardev=vrguest,name=%s\n",
			VR_CHAN_PORT_NAME);
}

static void own_gone(struct vr_hv_vm *vm, char *msg, size_t size)
{
	/* Its directory too (a --pid VM has none), unless "run" (in the
	 * foreground) removed it first or started the VM again. */
	if (vr_vm_remove_if_gone(&vm->own))
		snprintf(msg, size, "the VM process is gone; removed %s", vm->own.dir);
	else
		snprintf(msg, size, "the VM process is gone");
}

static void own_release(struct vr_hv_vm *vm)
{
	if (vm->priv)
		vr_qmp_close(vm->priv);
	vm->priv = NULL;
}

const struct vr_hv_ops vr_hv_own_ops = {
	.name = "vmreclaim",
	.rss = own_rss,
	.guest_stats = own_guest_stats,
	.stop = own_stop,
	.setup = own_setup,
	.advice = own_advice,
	.gone = own_gone,
	.release = own_release,
};

void vr_hv_own_wrap(struct vr_hv_vm *ret, const struct vr_vm *vm)
{
	memset(ret, 0, sizeof(*ret));
	vr_strlcpy(ret->name, vm->name, sizeof(ret->name));
	ret->ops = &vr_hv_own_ops;
	ret->pid = vm->pid;
	vr_strlcpy(ret->guest, vm->guest, sizeof(ret->guest));
	ret->own = *vm;
}

void vr_hv_own_from_pid(struct vr_hv_vm *ret, pid_t pid, const char *qmp)
{
	struct vr_vm vm;

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "pid%d", (int)pid);
	vm.pid = pid;
	if (qmp)
		vr_strlcpy(vm.monitor, qmp, sizeof(vm.monitor));
	vr_hv_own_wrap(ret, &vm);
}

/* --- the seam ------------------------------------------------------------ */

int vr_hv_open(struct vr_hv *hv, const char *cmd, const char *connect)
{
	const char *env = getenv("LIBVIRT_DEFAULT_URI");
	int r;

	memset(hv, 0, sizeof(*hv));
	hv->cmd = cmd;
	if (connect && connect[0])
		r = vr_strlcpy(hv->uri, connect, sizeof(hv->uri)) ? 0 : -ENAMETOOLONG;
	else if (env && env[0])
		r = vr_strlcpy(hv->uri, env, sizeof(hv->uri)) ? 0 : -ENAMETOOLONG;
	else
		r = vr_strlcpy(hv->uri, VR_HV_DEFAULT_URI, sizeof(hv->uri)) ? 0 : -ENAMETOOLONG;
	if (r < 0) {
		fprintf(stderr, "vmreclaim %s: libvirt URI too long\n", cmd);
		return r;
	}
	hv->uri_explicit = (connect && connect[0]) || (env && env[0]);
	r = vr_hv_lv_connect(hv);
	if (r < 0 && hv->uri_explicit) {
		fprintf(stderr, "vmreclaim %s: libvirt %s: %s\n", cmd, hv->uri, hv->lv_err);
		return r;
	}
	return 0;
}

void vr_hv_close(struct vr_hv *hv)
{
	vr_hv_lv_disconnect(hv);
}

void vr_hv_release(struct vr_hv_vm *vm)
{
	if (vm->ops && vm->ops->release)
		vm->ops->release(vm);
}

void vr_hv_free_list(struct vr_hv_vm *vms, size_t n)
{
	size_t i;

	for (i = 0; vms && i < n; i++)
		vr_hv_release(&vms[i]);
	free(vms);
}

int vr_hv_list(struct vr_hv *hv, struct vr_hv_vm **ret_vms, bool verbose)
{
	struct vr_vm *own = NULL;
	struct vr_hv_vm *vms;
	size_t n = 0, cap;
	int k, i, r;

	*ret_vms = NULL;
	k = vr_vm_list(&own, verbose);
	if (k < 0) {
		fprintf(stderr, "vmreclaim %s: %s\n", hv->cmd, vr_vm_strerror(k));
		return k;
	}
	cap = (size_t)k + 1;
	vms = calloc(cap, sizeof(*vms));
	if (!vms) {
		free(own);
		fprintf(stderr, "vmreclaim %s: out of memory\n", hv->cmd);
		return -ENOMEM;
	}
	for (i = 0; i < k; i++)
		vr_hv_own_wrap(&vms[n++], &own[i]);
	free(own);
	if (hv->lv) {
		r = vr_hv_lv_list(hv, &vms, &n, &cap);
		if (r < 0) {
			/* Our own VMs still count. */
			fprintf(stderr, "vmreclaim %s: libvirt %s: %s\n", hv->cmd, hv->uri, hv->lv_err);
		}
	}
	if (n > INT32_MAX) {
		vr_hv_free_list(vms, n);
		return -E2BIG;
	}
	*ret_vms = vms;
	return (int)n;
}

int vr_hv_lookup(struct vr_hv *hv, const char *name, struct vr_hv_vm *ret)
{
	char err[256];
	struct vr_vm vm;
	int r;

	/* One of ours first: a name that is not ours may still be a
	 * domain's (libvirt takes more characters). */
	r = vr_vm_paths(&vm, name, NULL);
	if (r < 0 && r != -EINVAL) {
		fprintf(stderr, "vmreclaim %s: %s: %s\n", hv->cmd, name, vr_vm_strerror(r));
		return r;
	}
	if (r == 0 && vr_vm_alive(&vm) == 1) {
		vr_hv_own_wrap(ret, &vm);
		return 1;
	}
	if (hv->lv) {
		r = vr_hv_lv_lookup(hv, name, ret, err, sizeof(err));
		if (r != 0) {
			if (r < 0)
				fprintf(stderr, "vmreclaim %s: %s: libvirt: %s\n", hv->cmd, name, err);
			return r;
		}
	}
	if (!vr_vm_name_ok(name) && !hv->lv) {
		fprintf(stderr, "vmreclaim %s: %s: not a VM name\n", hv->cmd, name);
		return -EINVAL;
	}
	if (vr_vm_name_ok(name))
		/* As "stop" did: what a dead VM of ours left goes. */
		vr_vm_remove_if_gone(&vm);
	fprintf(stderr, "vmreclaim %s: %s is not running%s%s%s\n", hv->cmd, name,
		hv->lv ? "" : " (libvirt ", hv->lv ? "" : hv->uri, hv->lv ? "" : " not reached)");
	return 0;
}

/* The VMs named on the command line, or every running one with @all,
 * into *ret_vms (vr_hv_free_list()): as many as there are, no fixed
 * limit.  Returns the count, or -errno said on stderr (-EINVAL: not a
 * name). */
int vr_hv_list_or_name(struct vr_hv *hv, int argc, char **argv, bool all,
		       struct vr_hv_vm **ret_vms)
{
	struct vr_hv_vm *vms;
	int n = 0, r;

	*ret_vms = NULL;
	if (all)
		return vr_hv_list(hv, ret_vms, false);
	vms = calloc((size_t)(argc - optind) + 1, sizeof(*vms));
	if (!vms) {
		fprintf(stderr, "vmreclaim %s: out of memory\n", hv->cmd);
		return -ENOMEM;
	}
	for (; optind < argc; optind++) {
		r = vr_hv_lookup(hv, argv[optind], &vms[n]);
		if (r != 1) {
			vr_hv_free_list(vms, (size_t)n);
			return r < 0 ? r : -ESRCH;
		}
		n++;
	}
	*ret_vms = vms;
	return n;
}
