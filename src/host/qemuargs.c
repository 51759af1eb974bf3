/* SPDX-License-Identifier: MIT */
/* The QEMU command line of our own VMs: the accelerator, the guest image
 * and kernel lookups, and the arguments (q35 or microvm, the balloon, the
 * console, the guest channel, the data disk, TCG's settings).  Nothing
 * here starts anything: "run"'s prepare stage calls it, and so do the
 * unit tests. */
#include "host/qemuargs.h"
#include "common/size.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool cpu_has_virt(void)
{
	char buf[8192];
	FILE *f = fopen("/proc/cpuinfo", "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f)) {
		char *p;

		if (strncmp(buf, "flags", 5) != 0)
			continue;
		for (p = strtok(buf, " \t\n"); p; p = strtok(NULL, " \t\n"))
			if (strcmp(p, "vmx") == 0 || strcmp(p, "svm") == 0)
				found = true;
		break;
	}
	fclose(f);
	return found;
}

enum vr_accel vr_vm_pick_accel(enum vr_accel want, char *why, size_t why_size)
{
	bool virt;
	int fd;

	if (want == VR_ACCEL_TCG) {
		snprintf(why, why_size, "TCG, as asked");
		return VR_ACCEL_TCG;
	}
	virt = cpu_has_virt();
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if (virt && fd >= 0) {
		snprintf(why, why_size, "KVM");
		return VR_ACCEL_KVM;
	}
	snprintf(why, why_size, "%s%s)", want == VR_ACCEL_KVM ? "TCG (KVM asked for, but " : "TCG (",
		 !virt ? "the CPU shows no vmx or svm" : "/dev/kvm cannot be opened");
	return VR_ACCEL_TCG;
}

int vr_vm_default_image_dir(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	/* image/ beside the binary (the build tree), else where "make
	 * install-host" puts it: ../lib/vmreclaim/image. */
	if ((size_t)snprintf(buf, size, "%s/image", exe) >= size)
		return -ENAMETOOLONG;
	if (access(buf, F_OK) == 0)
		return 0;
	return (size_t)snprintf(buf, size, "%s/../lib/vmreclaim/image", exe) < size ? 0 : -ENAMETOOLONG;
}

/* Compare kernel versions the way sort -V roughly does. */
static int version_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);

			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return (*a != 0) - (*b != 0);
}

int vr_vm_default_kernel(char *buf, size_t size)
{
	char best[256] = "";
	struct dirent *de;
	DIR *d = opendir("/boot");

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vmlinuz-", 8) == 0 && strlen(de->d_name) < sizeof(best) &&
		    (!best[0] || version_cmp(de->d_name + 8, best + 8) > 0))
			strcpy(best, de->d_name);
	closedir(d);
	if (!best[0])
		return -ENOENT;
	return (size_t)snprintf(buf, size, "/boot/%s", best) < size ? 0 : -ENAMETOOLONG;
}

/* A kernel's .config: Debian's 6.1 is 260 KB, the minimal one 50 KB;
 * four times Debian's leaves room and still bounds a wrong file. */
#define KERNEL_CONFIG_MAX (1024 * 1024)

int vr_vm_kernel_config_check(const char *config, enum vr_machine machine, char *why, size_t why_size)
{
	/* What the guest cannot do without, and why.  Built in (=y): the
	 * minimal kernel's image loads no modules. */
	static const struct {
		const char *opt;
		int machine; /* -1: every machine */
		const char *what;
	} need[] = {
		{ "CONFIG_VIRTIO_BALLOON", -1, "no balloon" },
		{ "CONFIG_PAGE_REPORTING", -1, "no free page reporting" },
		{ "CONFIG_VIRTIO_PCI", VR_MACHINE_Q35, "no virtio-pci, which q35's devices need" },
		{ "CONFIG_VIRTIO_MMIO", VR_MACHINE_MICROVM, "no virtio-mmio, which microvm's devices need" },
		{ "CONFIG_ACPI", VR_MACHINE_MICROVM, "no ACPI, which is how microvm describes its devices" },
	};
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(need); i++) {
		char line[64];
		const char *p;
		size_t len;

		if (need[i].machine >= 0 && need[i].machine != (int)machine)
			continue;
		len = (size_t)snprintf(line, sizeof(line), "%s=y", need[i].opt);
		for (p = strstr(config, line); p; p = strstr(p + 1, line))
			if ((p == config || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
				break;
		if (!p) {
			snprintf(why, why_size, "%s (%s=y missing)", need[i].what, need[i].opt);
			return -ENOEXEC;
		}
	}
	return 0;
}

int vr_vm_kernel_dir_check(const char *dir, enum vr_machine machine, char *why, size_t why_size)
{
	static const char *const files[] = { "initrd.img", "vmlinuz", "config" };
	char path[VR_PATH_MAX + 16], *config = NULL;
	size_t i, len;
	int r;

	for (i = 0; i < VR_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (access(path, R_OK) < 0) {
			r = -errno;
			snprintf(why, why_size, "%s: %s%s", path, strerror(-r),
				 i == 2 ? " (the kernel's configuration: make kernel)" : " (make kernel)");
			return r;
		}
	}
	config = malloc(KERNEL_CONFIG_MAX);
	if (!config)
		return -ENOMEM;
	r = vr_read_file(path, config, KERNEL_CONFIG_MAX, &len);
	if (r < 0) {
		snprintf(why, why_size, "%s: %s", path, r == -EFBIG ? "larger than a kernel configuration" : vr_strerror(r));
		free(config);
		return r;
	}
	r = vr_vm_kernel_config_check(config, machine, why, why_size);
	free(config);
	if (r < 0) {
		/* "FILE: what is missing". */
		char what[256];

		vr_strlcpy(what, why, sizeof(what));
		snprintf(why, why_size, "%s: %s", path, what);
	}
	return r;
}

/* Argument building: every string is copied into the caller's store. */
struct args {
	char **argv;
	size_t n, max;
	char *store;
	size_t used, size;
	bool full;
};

static void arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg(struct args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->full || a->n + 1 >= a->max) {
		a->full = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->store + a->used, a->size - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->size - a->used) {
		a->full = true;
		return;
	}
	a->argv[a->n++] = a->store + a->used;
	a->used += (size_t)n + 1;
}

/* QEMU's option syntax uses ',' as a separator: a path holding one must
 * double it. */
static const char *qemu_escape(const char *s, char *buf, size_t size)
{
	size_t j = 0;

	for (; *s && j + 2 < size; s++) {
		buf[j++] = *s;
		if (*s == ',')
			buf[j++] = ',';
	}
	buf[j] = '\0';
	return buf;
}

/* The value of the first line of @buf that starts with @key followed by
 * blanks and ':', into @val (NUL-terminated, cut at @size - 1); false if
 * there is none. */
static bool cpuinfo_field(const char *buf, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *line = buf;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > klen && strncmp(line, key, klen) == 0 && (line[klen] == '\t' || line[klen] == ' ' ||
								       line[klen] == ':')) {
			const char *p = line + klen, *stop = line + len;
			size_t n;

			while (p < stop && (*p == '\t' || *p == ' '))
				p++;
			if (p == stop || *p != ':')
				return false;
			p++;
			while (p < stop && *p == ' ')
				p++;
			n = (size_t)(stop - p);
			if (n >= size)
				n = size - 1;
			memcpy(val, p, n);
			val[n] = '\0';
			return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* True when the space-separated list @words holds @word. */
static bool has_word(const char *words, const char *word)
{
	size_t wlen = strlen(word);
	const char *p = words;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == words || p[-1] == ' ') && (p[wlen] == ' ' || p[wlen] == '\0'))
			return true;
		p += wlen;
	}
	return false;
}

int vr_vm_tsc_khz_parse(const char *buf, uint64_t *ret_khz)
{
	char flags[4096], mhz[32], *p;
	uint64_t whole = 0, frac = 0;
	int digits = 0;

	if (!cpuinfo_field(buf, "flags", flags, sizeof(flags)) || !has_word(flags, "constant_tsc") ||
	    !has_word(flags, "tsc_known_freq") || !cpuinfo_field(buf, "cpu MHz", mhz, sizeof(mhz)))
		return -ENOENT;
	p = mhz;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 100000)
			return -EINVAL;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits < 3) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				digits++;
			}
	}
	if (*p != '\0')
		return -EINVAL;
	for (; digits < 3; digits++)
		frac *= 10;
	/* 100 MHz to 10 GHz: anything else is not a TSC. */
	if (whole < 100 || whole >= 10000)
		return -EINVAL;
	*ret_khz = whole * 1000 + frac;
	return 0;
}

int vr_vm_qemu_argv(const struct vr_run_opts *o, const struct vr_vm *vm, char **argv, size_t max,
		    char *store, size_t store_size, char *err, size_t err_size)
{
	const struct vr_config *c = o->cfg;
	struct args a = { .argv = argv, .max = max, .store = store, .size = store_size };
	char kernel[VR_PATH_MAX], image[VR_PATH_MAX], dir[VR_PATH_MAX], cmdline[VR_GUEST_CMDLINE_MAX];
	char e1[2 * VR_PATH_MAX], why[128], tsc[48] = "";
	/* The transport of every virtio device: "pci" on q35, "device"
	 * (virtio-mmio) on microvm. */
	const char *vio = o->machine == VR_MACHINE_MICROVM ? "device" : "pci";
	enum vr_accel accel;
	int r;

	if (c->image[0]) {
		vr_strlcpy(image, c->image, sizeof(image));
	} else {
		if (vr_vm_default_image_dir(dir, sizeof(dir)) < 0)
			dir[0] = '\0';
		if ((size_t)snprintf(image, sizeof(image), "%.*s/initrd.img", (int)(sizeof(image) - 12), dir) >=
			    sizeof(image) ||
		    strlen(dir) + sizeof("/initrd.img") > sizeof(image)) {
			snprintf(err, err_size, "image directory path too long");
			return -ENAMETOOLONG;
		}
	}
	if (access(image, R_OK) < 0) {
		snprintf(err, err_size, "guest image %s: %s (run \"make image\")", image, strerror(errno));
		return -ENOENT;
	}
	if (c->kernel[0]) {
		vr_strlcpy(kernel, c->kernel, sizeof(kernel));
	} else {
		/* The kernel the image's modules were taken from. */
		char *slash;

		vr_strlcpy(kernel, image, sizeof(kernel));
		slash = strrchr(kernel, '/');
		if (slash)
			strcpy(slash + 1, "vmlinuz");
		if (access(kernel, R_OK) < 0 && vr_vm_default_kernel(kernel, sizeof(kernel)) < 0) {
			snprintf(err, err_size, "no guest kernel beside %s nor in /boot", image);
			return -ENOENT;
		}
	}
	if (access(kernel, R_OK) < 0) {
		snprintf(err, err_size, "kernel %s: %s", kernel, strerror(errno));
		return -ENOENT;
	}
	if (c->data_disk[0] && access(c->data_disk, c->data_disk_writable ? R_OK | W_OK : R_OK) < 0) {
		snprintf(err, err_size, "dataDisk %s: %s", c->data_disk, strerror(errno));
		return -ENOENT;
	}

	/* The guest's command line: console, quiet boot, our init's words,
	 * the guest settings that were set, then the user's. */
	snprintf(cmdline, sizeof(cmdline), "console=ttyS0 quiet loglevel=4 panic=-1%s%s%s%s",
		 c->data_disk[0] ? " vrinit.data=/dev/vda" : "",
		 c->data_disk[0] && c->data_disk_writable ? " vrinit.data_rw=1" : "",
		 o->workload ? " vrinit.workload=" : "",
		 o->workload ? o->workload : "");
	r = vr_config_guest_cmdline(c, cmdline, sizeof(cmdline));
	if (r == -EINVAL) {
		snprintf(err, err_size,
			 "a guest setting holds a double quote, which the guest kernel command line cannot carry");
		return -EINVAL;
	}
	accel = vr_vm_pick_accel(o->accel, why, sizeof(why));
	/* microvm under TCG has no clock to calibrate the TSC against but
	 * the PIT, and that calibration failed under load: Debian's 6.1 then
	 * hung right after "tsc: Unable to calibrate against PIT" in 2 boots
	 * of 2 (measured on a loaded 2-core host), and booted in 6-8 s with
	 * the rate given.  Under TCG the guest's TSC runs at the host's rate,
	 * so the host's is given, when the host knows it. */
	if (o->machine == VR_MACHINE_MICROVM && accel != VR_ACCEL_KVM && !strstr(c->kernel_cmdline, "tsc_early_khz=")) {
		/* The first CPU's lines are all that is read. */
		char info[8192];
		uint64_t khz;

		if (vr_read_head(o->cpuinfo ? o->cpuinfo : "/proc/cpuinfo", info, sizeof(info)) == 0 &&
		    vr_vm_tsc_khz_parse(info, &khz) == 0)
			snprintf(tsc, sizeof(tsc), " tsc_early_khz=%llu", (unsigned long long)khz);
	}
	if (r < 0 ||
	    strlen(cmdline) + strlen(c->kernel_cmdline) + strlen(tsc) + sizeof(" transparent_hugepage=madvise") + 2 >
		    VR_GUEST_CMDLINE_MAX) {
		snprintf(err, err_size, "the guest kernel command line is too long");
		return -ENOSPC;
	}
	/* Measured on Debian's 6.1 kernel with THP "always" (its default):
	 * after a 512 MiB allocate-and-free, about 46 MiB stayed out of
	 * MemFree, the buddy lists and free page reporting, and compaction,
	 * drop_caches and a pcp high change did not bring it back; with
	 * "madvise" all of it came back.  So our VMs default to madvise;
	 * kernelCommandLine can say otherwise. */
	if (!strstr(c->kernel_cmdline, "transparent_hugepage="))
		strcat(cmdline, " transparent_hugepage=madvise");
	strcat(cmdline, tsc);
	if (c->kernel_cmdline[0]) {
		strcat(cmdline, " ");
		strcat(cmdline, c->kernel_cmdline);
	}

	/* A newline or another control character would end or split a word
	 * where the guest does not expect it (a newline in "-s KEY=VALUE" is
	 * not quoted by vr_config_guest_cmdline()): refused, not passed. */
	for (r = 0; cmdline[r]; r++) {
		unsigned char ch = (unsigned char)cmdline[r];

		if (ch < 0x20 || ch == 0x7f) {
			snprintf(err, err_size,
				 "a guest setting or kernelCommandLine holds a control character (0x%02x), "
				 "which the guest kernel command line cannot carry",
				 ch);
			return -EINVAL;
		}
	}
	arg(&a, "%s", o->qemu ? o->qemu : "qemu-system-x86_64");
	arg(&a, "-name");
	arg(&a, "vmreclaim-%s", vm->name);
	arg(&a, "-machine");
	/* microvm keeps its ACPI tables: they are how it tells a kernel
	 * about its CPUs and virtio-mmio devices (Debian's kernel has no
	 * virtio_mmio.device= parameter).  The PIT is asked for: under TCG
	 * "auto" leaves it out, and the kernel then found nothing to
	 * calibrate the TSC against and hung (measured on Debian's 6.1). */
	arg(&a, "%s", o->machine == VR_MACHINE_MICROVM ? "microvm,pit=on" : "q35");
	arg(&a, "-accel");
	/* A small translation cache: TCG's default of 1 GiB would be host
	 * memory that has nothing to do with the guest. */
	arg(&a, "%s", accel == VR_ACCEL_KVM ? "kvm" : "tcg,tb-size=64");
	arg(&a, "-cpu");
	arg(&a, "%s", accel == VR_ACCEL_KVM ? "host" : "max");
	arg(&a, "-m");
	arg(&a, "%lluM", (unsigned long long)(c->memory_bytes / VR_MIB));
	arg(&a, "-smp");
	arg(&a, "%u", c->processors);
	arg(&a, "-nodefaults");
	arg(&a, "-no-user-config");
	arg(&a, "-no-reboot");
	arg(&a, "-display");
	arg(&a, "none");
	arg(&a, "-kernel");
	arg(&a, "%s", kernel);
	arg(&a, "-initrd");
	arg(&a, "%s", image);
	arg(&a, "-append");
	arg(&a, "%s", cmdline);
	arg(&a, "-device");
	arg(&a, "virtio-balloon-%s,id=balloon0%s", vio, c->page_reporting ? ",free-page-reporting=on" : "");
	arg(&a, "-qmp");
	arg(&a, "unix:%s,server=on,wait=off", qemu_escape(vm->qmp, e1, sizeof(e1)));
	arg(&a, "-qmp");
	arg(&a, "unix:%s,server=on,wait=off", qemu_escape(vm->monitor, e1, sizeof(e1)));
	arg(&a, "-device");
	arg(&a, "virtio-serial-%s,id=vser0", vio);
	arg(&a, "-chardev");
	arg(&a, "socket,id=vrguest,path=%s,server=on,wait=off", qemu_escape(vm->guest, e1, sizeof(e1)));
	arg(&a, "-device");
	arg(&a, "virtserialport,bus=vser0.0,chardev=vrguest,name=" VR_GUEST_PORT);
	arg(&a, "-chardev");
	if (vm->console[0]) {
		arg(&a, "file,id=con,path=%s", qemu_escape(vm->console, e1, sizeof(e1)));
		arg(&a, "-serial");
		arg(&a, "chardev:con");
	} else {
		/* The terminal: Ctrl-A X quits, Ctrl-A C is QEMU's monitor,
		 * Ctrl-C goes to the guest. */
		arg(&a, "stdio,id=con,mux=on,signal=off");
		arg(&a, "-serial");
		arg(&a, "chardev:con");
		arg(&a, "-mon");
		arg(&a, "chardev=con,mode=readline");
	}
	if (c->data_disk[0]) {
		arg(&a, "-drive");
		/* Writable: QEMU takes a write lock on the image, so a second
		 * VM on the same file fails to start instead of corrupting it. */
		arg(&a, "file=%s,if=none,id=data0,format=raw%s", qemu_escape(c->data_disk, e1, sizeof(e1)),
		    c->data_disk_writable ? "" : ",readonly=on");
		arg(&a, "-device");
		arg(&a, "virtio-blk-%s,drive=data0", vio);
	}
	arg(&a, "-pidfile");
	arg(&a, "%s", vm->pidfile);
	if (o->detach)
		arg(&a, "-daemonize");
	if (a.full) {
		snprintf(err, err_size, "QEMU command line too long");
		return -ENOSPC;
	}
	argv[a.n] = NULL;
	return (int)a.n;
}
