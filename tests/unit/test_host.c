/* SPDX-License-Identifier: MIT */
/* The host tool's pieces that need no VM: host RSS parsing, VM names and
 * paths, the QEMU command line, and which pid counts as a VM's QEMU. */
#include "helpers.h"
#include "common/config.h"
#include "common/util.h"
#include "procfs/proc.h"
#include "host/vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_rss_parse(void **state)
{
	uint64_t b = 7;

	(void)state;
	assert_int_equal(vr_proc_rss_parse("55d0-66 ---p 0 00:00 0 [rollup]\nRss:              123456 kB\nPss: 1 kB\n", &b), 0);
	assert_int_equal(b, 123456ull * 1024);
	assert_int_equal(vr_proc_rss_parse("Name:\tqemu\nVmRSS:\t  2048 kB\n", &b), 0);
	assert_int_equal(b, 2048ull * 1024);
	b = 7;
	assert_int_equal(vr_proc_rss_parse("Pss: 1 kB\n", &b), -EINVAL);
	assert_int_equal(vr_proc_rss_parse("Rss: 12\n", &b), -EINVAL);
	assert_int_equal(vr_proc_rss_parse("Rss: x kB\n", &b), -EINVAL);
	assert_int_equal(vr_proc_rss_parse("Rss: 99999999999999999999 kB\n", &b), -EINVAL);
	assert_int_equal(vr_proc_rss_parse("Rss: 18014398509481984 kB\n", &b), -EINVAL);
	assert_int_equal(b, 7);
	/* This very process. */
	assert_int_equal(vr_proc_rss(getpid(), &b), 0);
	assert_true(b > 0);
	assert_int_equal(vr_proc_rss(0x7ffffff0, &b), -ESRCH);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(vr_vm_name_ok("default"));
	assert_true(vr_vm_name_ok("a.b-c_9"));
	assert_false(vr_vm_name_ok(""));
	assert_false(vr_vm_name_ok(".hidden"));
	assert_false(vr_vm_name_ok("a/b"));
	assert_false(vr_vm_name_ok("../x"));
	assert_false(vr_vm_name_ok("a b"));
	assert_false(vr_vm_name_ok("123456789012345678901234567890123"));
	/* Read as an option by the next command given the name. */
	assert_false(vr_vm_name_ok("-x"));
	assert_false(vr_vm_name_ok("--all"));
	assert_true(vr_vm_name_ok("x-"));
}

struct tmp {
	char dir[64];
	char image[128], kernel[128], data[128];
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	strcpy(t->dir, "/tmp/vmreclaim-test-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->image, sizeof(t->image), "%s/initrd,1.img", t->dir);
	snprintf(t->kernel, sizeof(t->kernel), "%s/vmlinuz", t->dir);
	snprintf(t->data, sizeof(t->data), "%s/data.img", t->dir);
	fake_put(t->dir, "/initrd,1.img", "x");
	fake_put(t->dir, "/vmlinuz", "x");
	fake_put(t->dir, "/data.img", "x");
	setenv("VMRECLAIM_RUNTIME_DIR", t->dir, 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char *d = strdup(t->dir);

	fake_tree_free(d);
	free(t);
	return 0;
}

static char *joined(char **argv, int n)
{
	static char buf[8192];
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "|" : "", argv[i]);
	return buf;
}

static void test_qemu_argv(void **state)
{
	struct tmp *t = *state;
	struct vr_run_opts o = { .name = "t", .accel = VR_ACCEL_TCG, .workload = "demo" };
	struct vr_config c;
	struct vr_vm vm;
	char *argv[96], store[16384], err[256], e[256], *s;
	int n;

	vr_config_defaults(&c);
	assert_int_equal(vr_config_set(&c, "image", t->image, e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "kernel", t->kernel, e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "dataDisk", t->data, e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "autoMemoryReclaim", "dropcache", e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "kernelCommandLine", "quiet2", e, sizeof(e)), 0);
	o.cfg = &c;
	assert_int_equal(vr_vm_paths(&vm, "t", NULL), 0);
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	assert_true(n > 10);
	assert_null(argv[n]);
	s = joined(argv, n);
	assert_non_null(strstr(s, "-accel|tcg,tb-size=64|-cpu|max|-m|1024M|-smp|2|"));
	assert_non_null(strstr(s, "virtio-balloon-pci,id=balloon0,free-page-reporting=on"));
	/* Guest settings that were set, and only those, travel on the
	 * kernel command line; THP madvise unless the user says otherwise. */
	assert_non_null(strstr(s, "vrinit.data=/dev/vda vrinit.workload=demo vmreclaim.autoMemoryReclaim=dropcache "
				  "transparent_hugepage=madvise quiet2"));
	assert_null(strstr(s, "vmreclaim.idleSeconds"));
	/* A ',' in a path is doubled for QEMU's option parser. */
	assert_non_null(strstr(s, "initrd,1.img"));
	assert_non_null(strstr(s, "-qmp|unix:"));
	assert_non_null(strstr(s, "/monitor.sock,server=on,wait=off"));
	assert_non_null(strstr(s, "virtserialport,bus=vser0.0,chardev=vrguest,name=org.vmreclaim.0"));
	assert_non_null(strstr(s, "format=raw,readonly=on"));

	/* pageReporting off, THP chosen by the user. */
	assert_int_equal(vr_config_set(&c, "pageReporting", "false", e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "kernelCommandLine", "transparent_hugepage=always", e, sizeof(e)), 0);
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	s = joined(argv, n);
	assert_null(strstr(s, "free-page-reporting"));
	assert_null(strstr(s, "madvise"));

	/* A writable data disk: no read-only flag for QEMU, and the guest's
	 * init is told to mount it read-write. */
	assert_null(strstr(s, "vrinit.data_rw"));
	assert_int_equal(vr_config_set(&c, "dataDiskWritable", "true", e, sizeof(e)), 0);
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	s = joined(argv, n);
	assert_non_null(strstr(s, "vrinit.data=/dev/vda vrinit.data_rw=1 vrinit.workload=demo"));
	assert_non_null(strstr(s, ",if=none,id=data0,format=raw|-device|virtio-blk-pci,drive=data0|"));
	assert_null(strstr(s, "readonly"));

	/* Too small a store or vector: an error, not an overflow. */
	assert_int_equal(vr_vm_qemu_argv(&o, &vm, argv, 10, store, sizeof(store), err, sizeof(err)), -ENOSPC);
	assert_int_equal(vr_vm_qemu_argv(&o, &vm, argv, 96, store, 100, err, sizeof(err)), -ENOSPC);

	/* A newline in a guest setting (-s KEY=VALUE) or kernelCommandLine
	 * never reaches the kernel command line. */
	assert_int_equal(vr_config_set(&c, "kernelCommandLine", "quiet\ninit=/bin/sh", e, sizeof(e)), 0);
	assert_int_equal(vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "control character (0x0a)"));
	assert_int_equal(vr_config_set(&c, "kernelCommandLine", "", e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "metricsFile", "/run/m\nvmreclaim.mode=x", e, sizeof(e)), 0);
	assert_int_equal(vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_config_set(&c, "metricsFile", "/run/m", e, sizeof(e)), 0);
	assert_true(vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err)) > 0);

	/* A missing image says what to do. */
	assert_int_equal(vr_config_set(&c, "image", "/nonexistent/initrd.img", e, sizeof(e)), 0);
	assert_int_equal(vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "make image"));
}

/* microvm: every device on virtio-mmio, no PCI device; q35 by default. */
static void test_qemu_argv_microvm(void **state)
{
	struct tmp *t = *state;
	struct vr_run_opts o = { .name = "t", .accel = VR_ACCEL_TCG };
	struct vr_config c;
	struct vr_vm vm;
	char *argv[96], store[16384], err[256], e[256], *s;
	int n;

	vr_config_defaults(&c);
	assert_int_equal(vr_config_set(&c, "image", t->image, e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "kernel", t->kernel, e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "dataDisk", t->data, e, sizeof(e)), 0);
	o.cfg = &c;
	assert_int_equal(vr_vm_paths(&vm, "t", NULL), 0);
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	s = joined(argv, n);
	assert_non_null(strstr(s, "-machine|q35|"));

	assert_int_equal(vr_config_set(&c, "machine", "pc-i440fx", e, sizeof(e)), -EINVAL);
	assert_int_equal(vr_config_set(&c, "machine", "MicroVM", e, sizeof(e)), 0);
	assert_int_equal(c.machine, VR_MACHINE_MICROVM);
	assert_string_equal(vr_machine_name(c.machine), "microvm");
	assert_string_equal(vr_machine_name(VR_MACHINE_Q35), "q35");
	o.machine = VR_MACHINE_MICROVM;
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	assert_true(n > 10);
	s = joined(argv, n);
	assert_non_null(strstr(s, "-machine|microvm,pit=on|"));
	assert_non_null(strstr(s, "virtio-balloon-device,id=balloon0,free-page-reporting=on"));
	assert_non_null(strstr(s, "virtio-serial-device,id=vser0|"));
	assert_non_null(strstr(s, "virtserialport,bus=vser0.0,chardev=vrguest,name=org.vmreclaim.0"));
	assert_non_null(strstr(s, "if=none,id=data0,format=raw,readonly=on|-device|virtio-blk-device,drive=data0"));
	assert_null(strstr(s, "-pci"));
	assert_null(strstr(s, "if=virtio"));
}

/* The host's TSC rate, for microvm under TCG: only a rate the host kernel
 * knew, only a plausible one. */
static void test_tsc_khz(void **state)
{
	struct tmp *t = *state;
	const char *good = "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.128\n"
			   "flags\t\t: fpu tsc constant_tsc nonstop_tsc tsc_known_freq hypervisor\n"
			   "processor\t: 1\ncpu MHz\t\t: 1.000\n";
	struct vr_run_opts o = { .name = "t", .accel = VR_ACCEL_TCG, .machine = VR_MACHINE_MICROVM };
	char *argv[96], store[16384], err[256], e[256], path[512], *s;
	struct vr_config c;
	struct vr_vm vm;
	uint64_t khz = 7;
	int n;

	assert_int_equal(vr_vm_tsc_khz_parse(good, &khz), 0);
	assert_int_equal(khz, 2596128);
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 3000\nflags\t: constant_tsc tsc_known_freq\n", &khz), 0);
	assert_int_equal(khz, 3000000);
	/* A frequency that may change, or no flags: not trusted. */
	khz = 7;
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 3000.1\nflags\t: constant_tsc\n", &khz), -ENOENT);
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 3000.1\n", &khz), -ENOENT);
	/* A flag is a word, not a substring. */
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 3000\nflags\t: xconstant_tsc tsc_known_freqs\n", &khz),
			 -ENOENT);
	assert_int_equal(vr_vm_tsc_khz_parse("", &khz), -ENOENT);
	/* Malformed or implausible. */
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: -5\nflags\t: constant_tsc tsc_known_freq\n", &khz), -EINVAL);
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 12\nflags\t: constant_tsc tsc_known_freq\n", &khz), -EINVAL);
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 99999999999999999999\nflags\t: constant_tsc tsc_known_freq\n",
					     &khz),
			 -EINVAL);
	assert_int_equal(vr_vm_tsc_khz_parse("cpu MHz\t: 2600 MHz\nflags\t: constant_tsc tsc_known_freq\n", &khz),
			 -EINVAL);
	assert_int_equal(khz, 7);

	/* On microvm under TCG the rate goes on the guest's command line; not
	 * when the user gave one, not on q35. */
	snprintf(path, sizeof(path), "%s/cpuinfo", t->dir);
	fake_put(t->dir, "/cpuinfo", good);
	o.cpuinfo = path;
	vr_config_defaults(&c);
	assert_int_equal(vr_config_set(&c, "image", t->image, e, sizeof(e)), 0);
	assert_int_equal(vr_config_set(&c, "kernel", t->kernel, e, sizeof(e)), 0);
	o.cfg = &c;
	assert_int_equal(vr_vm_paths(&vm, "t", NULL), 0);
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	s = joined(argv, n);
	assert_non_null(strstr(s, " tsc_early_khz=2596128"));
	assert_int_equal(vr_config_set(&c, "kernelCommandLine", "tsc_early_khz=1000000", e, sizeof(e)), 0);
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	s = joined(argv, n);
	assert_null(strstr(s, "tsc_early_khz=2596128"));
	assert_non_null(strstr(s, "tsc_early_khz=1000000"));
	assert_int_equal(vr_config_set(&c, "kernelCommandLine", "", e, sizeof(e)), 0);
	o.machine = VR_MACHINE_Q35;
	n = vr_vm_qemu_argv(&o, &vm, argv, 96, store, sizeof(store), err, sizeof(err));
	s = joined(argv, n);
	assert_null(strstr(s, "tsc_early_khz"));
}

/* Only a process started with "-pidfile <this VM's pid file>" is the VM:
 * a reused pid, even another VM's QEMU, is not. */
static void test_alive(void **state)
{
	struct tmp *t = *state;
	struct vr_vm vm;
	char pid[32];

	(void)t;
	assert_int_equal(vr_vm_paths(&vm, "t", NULL), 0);
	assert_int_equal(vr_vm_alive(&vm), 0); /* no pid file */
	fake_put(t->dir, "/t/qemu.pid", "");
	assert_int_equal(vr_vm_alive(&vm), 0);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fake_put(t->dir, "/t/qemu.pid", pid);
	assert_int_equal(vr_vm_alive(&vm), 0); /* alive, but not this VM's QEMU */
	fake_put(t->dir, "/t/qemu.pid", "garbage\n");
	assert_int_equal(vr_vm_alive(&vm), 0);
	fake_put(t->dir, "/t/qemu.pid", "999999999999\n");
	assert_int_equal(vr_vm_alive(&vm), 0);
}

static void test_base_must_be_ours(void **state)
{
	struct tmp *t = *state;
	char buf[256], dir[200];

	snprintf(dir, sizeof(dir), "%s/base", t->dir);
	setenv("VMRECLAIM_RUNTIME_DIR", dir, 1);
	assert_int_equal(vr_vm_base(buf, sizeof(buf), true), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(vr_vm_base(buf, sizeof(buf), true), -EPERM);
	/* Every command checks, not only "run": top, give, stop and watch
	 * find VMs by vr_vm_paths() and vr_vm_list(). */
	assert_int_equal(vr_vm_base(buf, sizeof(buf), false), -EPERM);
	{
		struct vr_vm vm, *vms = NULL;

		assert_int_equal(vr_vm_paths(&vm, "t", NULL), -EPERM);
		assert_int_equal(vr_vm_list(&vms, false), -EPERM);
		assert_null(vms);
		assert_non_null(strstr(vr_vm_strerror(-EPERM), "is not ours"));
	}
	/* Not there yet: nothing to list, nothing wrong. */
	snprintf(dir, sizeof(dir), "%s/none", t->dir);
	setenv("VMRECLAIM_RUNTIME_DIR", dir, 1);
	assert_int_equal(vr_vm_base(buf, sizeof(buf), false), 0);
	setenv("VMRECLAIM_RUNTIME_DIR", t->dir, 1);
}

/* Two "run" of one name: the lock lets one through; a directory whose
 * lock is held is never taken for a stale one. */
static void test_lock(void **state)
{
	struct tmp *t = *state;
	struct vr_vm vm;
	int a, b;

	assert_int_equal(vr_vm_paths(&vm, "locked", NULL), 0);
	assert_non_null(strstr(vm.lock, "/.locked.lock"));
	a = vr_vm_lock(&vm);
	assert_true(a >= 0);
	assert_int_equal(vr_vm_lock(&vm), -EBUSY);
	/* A starting VM: its directory, a pid file not yet naming QEMU. */
	fake_put(t->dir, "/locked/qemu.pid", "garbage\n");
	assert_false(vr_vm_remove_if_gone(&vm));
	assert_false(vr_vm_remove_dir_if_free(&vm));
	assert_int_equal(access(vm.dir, F_OK), 0);
	vr_vm_unlock(a);
	/* Its run is gone: stale now. */
	assert_true(vr_vm_remove_if_gone(&vm));
	assert_int_equal(access(vm.dir, F_OK), -1);
	b = vr_vm_lock(&vm);
	assert_true(b >= 0);
	vr_vm_unlock(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_qemu_argv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_argv_microvm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_khz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_base_must_be_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
