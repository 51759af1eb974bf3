/* SPDX-License-Identifier: MIT */
/* "vmreclaim run"'s first two stages, which start and create nothing:
 * parse (the arguments into struct vr_run_args) and prepare (settings,
 * paths, the guest kernel and the QEMU command line), and the check of a
 * kernel's configuration behind the minimal kernel's fallback. */
#include "helpers.h"
#include "common/config.h"
#include "host/commands.h"
#include "host/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the minimal kernel's configuration holds of what the guest needs. */
#define GOOD_CONFIG                                                                          \
	"CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_MMIO=y\n" \
	"CONFIG_ACPI=y\n"

struct t {
	char dir[64];
	char path[256];
	struct vr_run_args a;
	struct vr_run_prep p;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	strcpy(t->dir, "/tmp/vmreclaim-test-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	/* Nothing is made there: prepare only names the VM's paths. */
	snprintf(t->path, sizeof(t->path), "%s/run", t->dir);
	setenv("VMRECLAIM_RUNTIME_DIR", t->path, 1);
	fake_put(t->dir, "/image/initrd.img", "stock");
	fake_put(t->dir, "/image/vmlinuz", "stock");
	fake_put(t->dir, "/image/minimal/initrd.img", "minimal");
	fake_put(t->dir, "/image/minimal/vmlinuz", "minimal");
	fake_put(t->dir, "/image/minimal/config", GOOD_CONFIG);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* parse() of a NULL-terminated list of words after "run". */
static int parse(struct t *t, const char *const *words)
{
	char *argv[32], copy[32][256];
	int argc = 0;

	argv[argc++] = (char *)"run";
	for (; *words; words++, argc++) {
		snprintf(copy[argc], sizeof(copy[argc]), "%s", *words);
		argv[argc] = copy[argc];
	}
	argv[argc] = NULL;
	return vr_run_parse(argc, argv, &t->a);
}

/* The prepared command line joined with '|'. */
static const char *joined(const struct vr_run_prep *p)
{
	static char buf[8192];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < p->argc; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "|" : "", p->argv[i]);
	return buf;
}

static void test_parse(void **state)
{
	struct t *t = *state;

	assert_int_equal(parse(t, (const char *const[]){ NULL }), 0);
	assert_string_equal(t->a.name, "default");
	assert_int_equal(t->a.accel, VR_ACCEL_AUTO);
	assert_int_equal(t->a.n_flags, 0);
	assert_false(t->a.detach || t->a.dry_run || t->a.help);

	/* Flags become settings, in their order, with their names. */
	assert_int_equal(parse(t, (const char *const[]){ "-m", "512MB", "-M", "microvm", "--set", "idleSeconds=30",
							 "--guest-kernel", "minimal", "-n", "vm1", "-w", "demo",
							 "-d", "--dry-run", "--accel", "tcg", NULL }),
			 0);
	assert_int_equal(t->a.n_flags, 4);
	assert_string_equal(t->a.flags[0].key, "memory");
	assert_string_equal(t->a.flags[0].value, "512MB");
	assert_string_equal(t->a.flags[0].flag, "memory");
	assert_string_equal(t->a.flags[1].key, "machine");
	assert_string_equal(t->a.flags[1].value, "microvm");
	assert_string_equal(t->a.flags[2].key, "idleSeconds");
	assert_string_equal(t->a.flags[2].value, "30");
	assert_string_equal(t->a.flags[2].flag, "set");
	assert_string_equal(t->a.flags[3].key, "guestKernel");
	assert_string_equal(t->a.name, "vm1");
	assert_string_equal(t->a.workload, "demo");
	assert_int_equal(t->a.accel, VR_ACCEL_TCG);
	assert_true(t->a.detach && t->a.dry_run);

	/* Paths are made absolute; one that does not exist is refused. */
	snprintf(t->path, sizeof(t->path), "%s/image/../image/vmlinuz", t->dir);
	assert_int_equal(parse(t, (const char *const[]){ "--kernel", t->path, NULL }), 0);
	snprintf(t->path, sizeof(t->path), "%s/image/vmlinuz", t->dir);
	assert_string_equal(t->a.flags[0].value, t->path);
	assert_int_equal(parse(t, (const char *const[]){ "--kernel", "/nonexistent/vmlinuz", NULL }), VR_EXIT_USAGE);

	/* Bad input: usage errors, before anything is looked up. */
	assert_int_equal(parse(t, (const char *const[]){ "-M", "pc", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "--guest-kernel", "tiny", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "-m", "lots", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "--set", "noSuchKey=1", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "--accel", "hvf", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "--set", "noequals", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "-w", "../etc", NULL }), VR_EXIT_USAGE);
	assert_int_equal(parse(t, (const char *const[]){ "stray", NULL }), VR_EXIT_USAGE);
}

static void test_prepare(void **state)
{
	struct t *t = *state;
	char k[256], i[256];
	const char *s;

	/* A file says microvm and 512MB; a flag says 768MB. */
	fake_put(t->dir, "/vm.conf", "[wsl2]\nmemory = 512MB\n[vmreclaim]\nmachine = microvm\n");
	snprintf(t->path, sizeof(t->path), "%s/vm.conf", t->dir);
	snprintf(k, sizeof(k), "%s/image/vmlinuz", t->dir);
	snprintf(i, sizeof(i), "%s/image/initrd.img", t->dir);
	assert_int_equal(parse(t, (const char *const[]){ "-c", t->path, "-m", "768MB", "--kernel", k, "--image", i,
							 "--console", "con.log", "--accel", "tcg", "-n", "p1", NULL }),
			 0);
	assert_int_equal(vr_run_prepare(&t->a, &t->p), 0);
	assert_int_equal(t->p.o.machine, VR_MACHINE_MICROVM);
	assert_string_equal(t->p.vm.name, "p1");
	assert_null(t->p.argv[t->p.argc]);
	s = joined(&t->p);
	assert_non_null(strstr(s, "-machine|microvm,pit=on|"));
	assert_non_null(strstr(s, "|-m|768M|"));
	assert_non_null(strstr(s, "virtio-balloon-device,id=balloon0,free-page-reporting=on"));
	assert_non_null(strstr(s, "-kernel|"));
	assert_non_null(strstr(s, k));
	/* Nothing was made: no runtime directory. */
	snprintf(t->path, sizeof(t->path), "%s/run", t->dir);
	assert_int_equal(access(t->path, F_OK), -1);

	/* The flag wins over the file. */
	snprintf(t->path, sizeof(t->path), "%s/vm.conf", t->dir);
	assert_int_equal(parse(t, (const char *const[]){ "-c", t->path, "-M", "q35", "--image", i, "--console",
							 "con.log", NULL }),
			 0);
	assert_int_equal(vr_run_prepare(&t->a, &t->p), 0);
	assert_non_null(strstr(joined(&t->p), "-machine|q35|"));

	/* A bad machine in the file: file:line, a usage error. */
	fake_put(t->dir, "/bad.conf", "[vmreclaim]\n\nmachine = pc\n");
	snprintf(t->path, sizeof(t->path), "%s/bad.conf", t->dir);
	assert_int_equal(parse(t, (const char *const[]){ "-c", t->path, "--image", i, NULL }), 0);
	assert_int_equal(vr_run_prepare(&t->a, &t->p), VR_EXIT_USAGE);

	/* A missing image is a failure, not a usage error. */
	assert_int_equal(parse(t, (const char *const[]){ "--kernel", k, "--console", "c", "-s", "image=/nonexistent/i",
							 NULL }),
			 0);
	assert_int_equal(vr_run_prepare(&t->a, &t->p), VR_EXIT_FAILURE);
}

/* prepare with --guest-kernel minimal and the test's image directory:
 * the kernel on the command line. */
static const char *kernel_of(struct t *t, const char *machine, int *ret)
{
	static char kernel[256];
	const char *s, *e;

	assert_int_equal(parse(t, (const char *const[]){ "--guest-kernel", "minimal", "-M", machine, "--console", "c",
							 NULL }),
			 0);
	t->a.image_dir = t->path;
	*ret = vr_run_prepare(&t->a, &t->p);
	if (*ret)
		return "";
	s = strstr(joined(&t->p), "|-kernel|");
	assert_non_null(s);
	s += strlen("|-kernel|");
	e = strchr(s, '|');
	assert_non_null(e);
	snprintf(kernel, sizeof(kernel), "%.*s", (int)(e - s), s);
	return kernel;
}

static void test_guest_kernel(void **state)
{
	struct t *t = *state;
	char stock[256], minimal[256];
	int r;

	snprintf(t->path, sizeof(t->path), "%s/image", t->dir);
	snprintf(stock, sizeof(stock), "%s/image/vmlinuz", t->dir);
	snprintf(minimal, sizeof(minimal), "%s/image/minimal/vmlinuz", t->dir);

	/* Usable on both machines. */
	assert_string_equal(kernel_of(t, "microvm", &r), minimal);
	assert_non_null(strstr(joined(&t->p), "/image/minimal/initrd.img|"));
	assert_string_equal(kernel_of(t, "q35", &r), minimal);

	/* Without virtio-mmio: still fine on q35, the stock kernel on microvm. */
	fake_put(t->dir, "/image/minimal/config",
		 "CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=y\nCONFIG_VIRTIO_PCI=y\n"
		 "# CONFIG_VIRTIO_MMIO is not set\nCONFIG_ACPI=y\n");
	assert_string_equal(kernel_of(t, "q35", &r), minimal);
	assert_string_equal(kernel_of(t, "microvm", &r), stock);
	assert_non_null(strstr(joined(&t->p), "/image/initrd.img|"));

	/* No configuration beside it: not known to be usable. */
	fake_rm(t->dir, "/image/minimal/config");
	assert_string_equal(kernel_of(t, "q35", &r), stock);
	fake_put(t->dir, "/image/minimal/config", GOOD_CONFIG);
	/* The kernel itself missing. */
	fake_rm(t->dir, "/image/minimal/vmlinuz");
	assert_string_equal(kernel_of(t, "q35", &r), stock);
	/* ... and no stock image either: a failure. */
	fake_rm(t->dir, "/image/initrd.img");
	kernel_of(t, "q35", &r);
	assert_int_equal(r, VR_EXIT_FAILURE);
}

static void test_config_check(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(vr_vm_kernel_config_check(GOOD_CONFIG, VR_MACHINE_MICROVM, why, sizeof(why)), 0);
	assert_int_equal(vr_vm_kernel_config_check(GOOD_CONFIG, VR_MACHINE_Q35, why, sizeof(why)), 0);
	/* Only the whole line counts: not a module, not a longer name, not
	 * a comment. */
	assert_int_equal(vr_vm_kernel_config_check("CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=m\n"
						   "CONFIG_VIRTIO_PCI=y\n",
						   VR_MACHINE_Q35, why, sizeof(why)),
			 -ENOEXEC);
	assert_string_equal(why, "no free page reporting (CONFIG_PAGE_REPORTING=y missing)");
	assert_int_equal(vr_vm_kernel_config_check("CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=yes\n"
						   "XCONFIG_PAGE_REPORTING=y\n# CONFIG_PAGE_REPORTING=y\n"
						   "CONFIG_VIRTIO_PCI=y",
						   VR_MACHINE_Q35, why, sizeof(why)),
			 -ENOEXEC);
	assert_int_equal(vr_vm_kernel_config_check("CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=y\n"
						   "CONFIG_VIRTIO_PCI=y",
						   VR_MACHINE_Q35, why, sizeof(why)),
			 0);
	/* microvm needs virtio-mmio and ACPI, q35 virtio-pci. */
	assert_int_equal(vr_vm_kernel_config_check("CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=y\n"
						   "CONFIG_VIRTIO_PCI=y\nCONFIG_ACPI=y\n",
						   VR_MACHINE_MICROVM, why, sizeof(why)),
			 -ENOEXEC);
	assert_non_null(strstr(why, "CONFIG_VIRTIO_MMIO=y missing"));
	assert_int_equal(vr_vm_kernel_config_check("CONFIG_VIRTIO_BALLOON=y\nCONFIG_PAGE_REPORTING=y\n"
						   "CONFIG_VIRTIO_MMIO=y\nCONFIG_ACPI=y\n",
						   VR_MACHINE_Q35, why, sizeof(why)),
			 -ENOEXEC);
	assert_non_null(strstr(why, "CONFIG_VIRTIO_PCI=y missing"));
	assert_int_equal(vr_vm_kernel_config_check("", VR_MACHINE_Q35, why, sizeof(why)), -ENOEXEC);
	assert_non_null(strstr(why, "CONFIG_VIRTIO_BALLOON=y missing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_kernel, setup, teardown),
		cmocka_unit_test(test_config_check),
	};

	return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
