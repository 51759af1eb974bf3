/* SPDX-License-Identifier: MIT */
#include "common/config.h"
#include "common/config_types.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFF(field) offsetof(struct vr_config, field)
#define G VR_SCOPE_GUEST
#define H VR_SCOPE_HOST

static const struct key keys[] = {
	{ "wsl2", "idleThreshold", T_PERCENT, OFF(idle_threshold_pct), "1", 0, 0, G,
	  "Busy CPU percent (user+nice+system+irq+softirq+steal of all CPUs) below which\n"
	  "the VM counts as idle, judged at each sample over its last 4 s or more.\n"
	  "0 turns idle compaction off, as in WSL 19013." },
	{ "experimental", "autoMemoryReclaim", T_MODE, OFF(mode), "auto", 0, 0, G,
	  "disabled: compaction only; dropcache: drop the page cache once per idle period;\n"
	  "gradual: reclaim a step of cache per idle tick down to reclaimFloor;\n"
	  "auto: reclaim cold cache once it has stopped growing for 30 s (idleSeconds\n"
	  "if shorter, a quarter of it if longer), idle or not, backing off when reclaimed pages are read back (refaults); when idle,\n"
	  "compact and, if that is not enough, lower page_reporting_order for a while." },
	{ "vmreclaim", "idleSeconds", T_SECONDS, OFF(idle_usec), "120", 1, 86400, G,
	  "How long the CPU must stay below idleThreshold before the VM is idle;\n"
	  "above 120, auto waits a quarter of it for the cache to stop growing." },
	{ "vmreclaim", "sampleInterval", T_SECONDS, OFF(sample_usec), "5", 1, 3600, G,
	  "Seconds between samples of /proc/stat; also the gradual reclaim tick." },
	{ "vmreclaim", "compaction", T_BOOL, OFF(compaction), "true", 0, 0, G,
	  "Compact memory on entering an idle period and after each reclaim, so that\n"
	  "free memory forms blocks large enough for free page reporting." },
	{ "vmreclaim", "dropCacheValue", T_DROP_VALUE, OFF(drop_cache_value), "1", 0, 0, G,
	  "What dropcache writes to /proc/sys/vm/drop_caches: 1 page cache,\n"
	  "2 reclaimable slab (dentries, inodes), 3 both." },
	{ "vmreclaim", "reclaimStep", T_SIZE_AUTO, OFF(reclaim_step_bytes), "auto", VR_MIB,
	  64 * VR_GIB, G,
	  "Bytes asked of memory.reclaim per gradual tick; auto = MemTotal/32\n"
	  "clamped to 256MB..1GB, as WSL does." },
	{ "vmreclaim", "reclaimFloor", T_SIZE, OFF(reclaim_floor_bytes), "128MB", 0, 1024 * VR_GIB, G,
	  "Gradual reclaim stops when file cache + reclaimable slab is at or below this." },
	{ "vmreclaim", "reportingOrderMin", T_COUNT, OFF(reporting_order_min), "2", 0, 10, G,
	  "auto: the lowest page_reporting_order used to hand back free memory that\n"
	  "compaction cannot merge into blocks of the kernel's order (2 = 16 KiB blocks\n"
	  "on x86_64); the order goes back up once it is reported. A value at or above\n"
	  "the kernel's order turns this off." },
	{ "vmreclaim", "multiGenLru", T_MULTI_GEN_LRU, OFF(multi_gen_lru), "keep", 0, 0, G,
	  "keep: leave the kernel's multi-gen LRU (/sys/kernel/mm/lru_gen/enabled) as\n"
	  "it is; off: while autoMemoryReclaim = auto, switch it off (the classic\n"
	  "active/inactive lists, as Linux 6.1 runs) and put it back at exit, so that\n"
	  "auto sees a re-read hot set as active and keeps it; the cost is MGLRU's own\n"
	  "aging and refault protection, for the whole guest." },
	{ "vmreclaim", "metricsFile", T_PATH, OFF(metrics_file), "", 0, 0, G,
	  "Write the service's gauges here in Prometheus text format after every\n"
	  "sample (for node_exporter's textfile collector); empty: none." },
	{ "vmreclaim", "logLevel", T_LOG_LEVEL, OFF(log_level), "info", 0, 0, G | H,
	  "err, warning, notice, info or debug." },
	{ "vmreclaim", "logTarget", T_LOG_TARGET, OFF(log_target), "stderr", 0, 0, G,
	  "stderr (the journal under systemd) or syslog." },
	{ "vmreclaim", "controlSocket", T_SOCKET_PATH, OFF(control_socket), VR_CONTROL_SOCKET, 0, 0,
	  G, "Unix socket for vmreclaimctl." },

	/* .wslconfig keys for the VM itself: the host side reads them. */
	{ "wsl2", "memory", T_SIZE, OFF(memory_bytes), "1GB", 64 * VR_MIB, 1024 * VR_GIB, H,
	  "Guest RAM." },
	{ "wsl2", "processors", T_COUNT, OFF(processors), "2", 1, 256, H, "Virtual CPUs." },
	{ "wsl2", "pageReporting", T_BOOL, OFF(page_reporting), "true", 0, 0, H,
	  "Free page reporting on the balloon device: the guest hands free memory back." },
	{ "wsl2", "kernel", T_PATH, OFF(kernel), "", 0, 0, H,
	  "Guest kernel; empty: vmlinuz beside the image (the kernel its modules\n"
	  "came from), else the newest /boot/vmlinuz-*." },
	{ "wsl2", "kernelCommandLine", T_STRING, OFF(kernel_cmdline), "", 0, 0, H,
	  "Added to the guest kernel's command line." },
	{ "vmreclaim", "image", T_PATH, OFF(image), "", 0, 0, H,
	  "The guest initramfs; empty: image/initrd.img beside the vmreclaim binary\n"
	  "(build/image/initrd.img, made by \"make image\")." },
	{ "vmreclaim", "dataDisk", T_PATH, OFF(data_disk), "", 0, 0, H,
	  "An ext4 disk image the guest mounts read-only at /data; empty: none." },
	{ "vmreclaim", "dataDiskWritable", T_BOOL, OFF(data_disk_writable), "false", 0, 0, H,
	  "Attach dataDisk writable and mount it read-write: what the guest writes\n"
	  "there stays in the image (one VM at a time)." },
	{ "vmreclaim", "machine", T_MACHINE, OFF(machine), VR_RUN_DEFAULT_MACHINE, 0, 0, H,
	  "QEMU's machine: q35 (virtio-pci) or microvm (virtio-mmio, no PCI, no\n"
	  "legacy devices). run -M overrides it." },
	{ "vmreclaim", "guestKernel", T_GUEST_KERNEL, OFF(guest_kernel), VR_RUN_DEFAULT_GUEST_KERNEL, 0, 0,
	  H,
	  "stock: the image of Debian's kernel (make image); minimal: the minimal\n"
	  "kernel's image (make kernel), or the stock one, with a note, when the\n"
	  "minimal one is missing or lacks what the guest needs. image overrides it." },
	/* WSL keys that have no meaning for vmreclaim at all. */
	{ "wsl2", "swap", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "swapFile", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "localhostForwarding", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "nestedVirtualization", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "vmIdleTimeout", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "guiApplications", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "debugConsole", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "safeMode", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "networkingMode", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "firewall", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "dnsTunneling", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "dnsProxy", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "autoProxy", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "kernelModules", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "wsl2", "defaultVhdSize", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "experimental", "sparseVhd", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "experimental", "hostAddressLoopback", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "experimental", "bestEffortDnsParsing", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "experimental", "initialAutoProxyTimeout", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
	{ "experimental", "ignoredPorts", T_FOREIGN, 0, NULL, 0, 0, 0, NULL },
};

#undef G
#undef H

_Static_assert(VR_ARRAY_SIZE(keys) <= 64, "set_mask has a bit per key");

static const char *const mode_names[] = {
	[VR_MODE_DISABLED] = "disabled",
	[VR_MODE_DROPCACHE] = "dropcache",
	[VR_MODE_GRADUAL] = "gradual",
	[VR_MODE_AUTO] = "auto",
};

const char *vr_mode_name(enum vr_mode m)
{
	return (size_t)m < VR_ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

void vr_mode_list(char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < VR_ARRAY_SIZE(mode_names) && len < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == VR_ARRAY_SIZE(mode_names) ? " or " : ", ";
		int n = snprintf(buf + len, size - len, "%s%s", sep, mode_names[i]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

int vr_mode_parse(const char *s, enum vr_mode *ret)
{
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(mode_names); i++) {
		if (strcasecmp(s, mode_names[i]) == 0) {
			*ret = (enum vr_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_value(const struct key *k, const char *v, struct vr_config *c, char *err,
		       size_t err_size)
{
	return vr_config_type_parse(k, v, (char *)c + k->offset, err, err_size);
}

static void format_value(const struct key *k, const struct vr_config *c, char *buf, size_t size)
{
	vr_config_type_format(k, (const char *)c + k->offset, buf, size);
}

static const struct key *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(keys); i++)
		if (strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

void vr_config_defaults(struct vr_config *c)
{
	char err[256];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < VR_ARRAY_SIZE(keys); i++) {
		if (keys[i].type == T_FOREIGN)
			continue;
		/* The defaults are in the table as text so that the sample
		 * file and the man page say exactly what the code does. */
		if (parse_value(&keys[i], keys[i].def, c, err, sizeof(err)) < 0)
			abort(); /* a bad default in the table above */
	}
}

/* Parse @value into @c and remember that the key was set. */
static int set_value(const struct key *k, const char *value, struct vr_config *c, char *err,
		     size_t err_size)
{
	int r = parse_value(k, value, c, err, err_size);

	if (r == 0)
		c->set_mask |= UINT64_C(1) << (size_t)(k - keys);
	return r;
}

int vr_config_set(struct vr_config *c, const char *key, const char *value, char *err,
		  size_t err_size)
{
	const struct key *k = key_find(key);

	if (!k || k->type == T_FOREIGN)
		return -ENOENT;
	return set_value(k, value, c, err, err_size);
}

struct ini_ctx {
	struct vr_config *c;
	const char *file;
	unsigned scope;
	struct vr_diags *d;
	unsigned line;
	/* Reader state. */
	const char *pos;
	bool failed;
	/* Line of each key's last setting, to warn about repeats. */
	unsigned seen[VR_ARRAY_SIZE(keys)];
	/* Keys of the other side (a real .wslconfig has a dozen or more):
	 * said in one line at the end, not one each. */
	unsigned foreign_n, foreign_line, foreign_last_line, foreign_unlisted;
	char foreign_first[64];
	char foreign_list[110];
};

/* Feed inih one line at a time so that we know the line number of every
 * key it hands us (the packaged inih is built without
 * INI_HANDLER_LINENO). */
static char *line_reader(char *str, int num, void *stream)
{
	struct ini_ctx *x = stream;
	const char *nl;
	size_t len, max;

	if (!*x->pos)
		return NULL;
	x->line++;
	nl = strchr(x->pos, '\n');
	len = nl ? (size_t)(nl - x->pos) : strlen(x->pos);
	max = num > 3 ? (size_t)num - 3 : 0;
	if (len > max) {
		vr_diags_add(x->d, x->file, x->line, true, "line longer than %zu characters", max);
		x->failed = true;
		/* Hand inih a comment in its place. */
		str[0] = ';';
		str[1] = '\n';
		str[2] = '\0';
	} else {
		memcpy(str, x->pos, len);
		str[len] = '\n';
		str[len + 1] = '\0';
		if (memchr(x->pos, '\0', len)) {
			str[0] = ';';
			str[1] = '\0';
		}
	}
	x->pos += len + (nl ? 1 : 0);
	return str;
}

static int key_handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *x = user;
	const struct key *k = key_find(name);
	char err[256];
	size_t idx;

	if (!k) {
		/* The guest daemon refuses what it does not know; the host
		 * tool, like WSL, warns (a .wslconfig grows new keys). */
		bool strict = x->scope == VR_SCOPE_GUEST;

		vr_diags_add(x->d, x->file, x->line, strict, "unknown key '%s' in [%s]", name,
			     section);
		if (strict)
			x->failed = true;
		return 1;
	}
	if (strcasecmp(section, k->section) != 0 && strcasecmp(section, "vmreclaim") != 0) {
		/* WSL has moved keys between sections over time (e.g.
		 * networkingMode from [experimental] to [wsl2]): the host
		 * tool warns and goes on, the guest daemon refuses. */
		bool strict = x->scope == VR_SCOPE_GUEST && (k->scope & VR_SCOPE_GUEST);

		if (strcmp(k->section, "vmreclaim") == 0)
			vr_diags_add(x->d, x->file, x->line, strict, "'%s' belongs in [vmreclaim], not [%s]",
				     k->name, section);
		else
			vr_diags_add(x->d, x->file, x->line, strict,
				     "'%s' belongs in [%s] (or [vmreclaim]), not [%s]", k->name,
				     k->section, section);
		if (strict) {
			x->failed = true;
			return 1;
		}
	}
	if (!(k->scope & x->scope)) {
		/* Foreign keys are the point of accepting a .wslconfig as it
		 * is; say once that they do nothing here. */
		size_t used = strlen(x->foreign_list);

		if (x->foreign_n++ == 0) {
			x->foreign_line = x->line;
			vr_strlcpy(x->foreign_first, k->name, sizeof(x->foreign_first));
		}
		x->foreign_last_line = x->line;
		if (used + 2 + strlen(k->name) < sizeof(x->foreign_list))
			snprintf(x->foreign_list + used, sizeof(x->foreign_list) - used, "%s%s",
				 used ? ", " : "", k->name);
		else
			x->foreign_unlisted++;
		return 1;
	}
	idx = (size_t)(k - keys);
	if (x->seen[idx])
		vr_diags_add(x->d, x->file, x->line, false,
			     "'%s' is set again (line %u); this value wins", k->name, x->seen[idx]);
	x->seen[idx] = x->line;
	if (set_value(k, value, x->c, err, sizeof(err)) < 0) {
		if (k->type == T_PATH && value[0] != '/') {
			/* A Windows path in a real .wslconfig: not ours to
			 * fail on. */
			vr_diags_add(x->d, x->file, x->line, false, "%s; ignored", err);
			return 1;
		}
		vr_diags_add(x->d, x->file, x->line, true, "%s", err);
		x->failed = true;
	}
	return 1;
}

int vr_config_parse_string(struct vr_config *c, const char *text, const char *file,
			   unsigned scope, struct vr_diags *d)
{
	struct ini_ctx x = { .c = c, .file = file, .scope = scope, .d = d, .pos = text };
	int r;

	/* Python-style continuation lines would make an indented key part of
	 * the previous value; .wslconfig has none. */
	ini_allow_multiline = false;
	r = ini_parse_stream(line_reader, &x, key_handler, &x);
	if (r > 0) {
		vr_diags_add(d, file, (unsigned)r, true,
			     "syntax error: expected [section] or key = value");
		x.failed = true;
	} else if (r < 0) {
		vr_diags_add(d, file, 0, true, "out of memory while parsing");
		x.failed = true;
	}
	/* Foreign keys are the point of accepting a .wslconfig as it is;
	 * say once that they do nothing here. */
	if (x.foreign_n == 1)
		vr_diags_add(d, file, x.foreign_line, false, "'%s' is not used by %s; ignored",
			     x.foreign_first, scope == VR_SCOPE_GUEST ? "the guest daemon" : "vmreclaim");
	else if (x.foreign_n > 1)
		vr_diags_add(d, file, x.foreign_line, false,
			     "%u settings not used by %s, ignored (lines %u-%u): %s%s%.0u%s",
			     x.foreign_n, scope == VR_SCOPE_GUEST ? "the guest daemon" : "vmreclaim",
			     x.foreign_line, x.foreign_last_line, x.foreign_list,
			     x.foreign_unlisted ? " and " : "", x.foreign_unlisted,
			     x.foreign_unlisted ? " more" : "");
	return x.failed ? -EINVAL : 0;
}

/* Configuration files are small; this bounds what a mistaken path (a log
 * file, a device) can make us read. */
#define CONFIG_FILE_MAX (256 * 1024)

int vr_config_parse_file(struct vr_config *c, const char *path, unsigned scope,
			 struct vr_diags *d)
{
	char *buf = malloc(CONFIG_FILE_MAX);
	const char *nul;
	size_t len;
	int r;

	if (!buf)
		return -ENOMEM;
	r = vr_read_file(path, buf, CONFIG_FILE_MAX, &len);
	if (r < 0)
		goto out;
	/* The parser reads a C string: a NUL byte would end the file there
	 * and drop, in silence, every setting after it. */
	nul = memchr(buf, '\0', len);
	if (nul) {
		unsigned line = 1;
		const char *q;

		for (q = buf; q < nul; q++)
			line += *q == '\n';
		vr_diags_add(d, path, line, true, "a NUL byte: not a text file (nothing after it would be read)");
		r = -EINVAL;
		goto out;
	}
	r = vr_config_parse_string(c, buf, path, scope, d);
out:
	free(buf);
	return r;
}

#define CMDLINE_PREFIX "vmreclaim."
#define CMDLINE_WORD_MAX 512

int vr_config_parse_cmdline(struct vr_config *c, const char *cmdline, const char *file,
			    struct vr_diags *d)
{
	const char *p = cmdline;
	bool failed = false;
	unsigned word = 0, seen[VR_ARRAY_SIZE(keys)] = { 0 };

	for (;;) {
		char buf[CMDLINE_WORD_MAX];
		size_t len = 0;
		bool quoted = false, too_long = false;
		const struct key *k;
		char *eq, err[256];
		int r;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		word++;
		/* The kernel's own rule (next_arg()): double quotes group, and
		 * are not part of the value. */
		for (; *p; p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
				break;
			if (len + 1 < sizeof(buf))
				buf[len++] = *p;
			else
				too_long = true;
		}
		buf[len] = '\0';
		if (len < strlen(CMDLINE_PREFIX) || memcmp(buf, CMDLINE_PREFIX, strlen(CMDLINE_PREFIX)) != 0)
			continue;
		if (too_long) {
			vr_diags_add(d, file, 0, true, "word %u: longer than %d characters", word,
				     CMDLINE_WORD_MAX - 1);
			failed = true;
			continue;
		}
		eq = strchr(buf, '=');
		if (!eq) {
			vr_diags_add(d, file, 0, true, "'%s': expected vmreclaim.KEY=VALUE", buf);
			failed = true;
			continue;
		}
		*eq = '\0';
		k = key_find(buf + strlen(CMDLINE_PREFIX));
		if (k && !(k->scope & VR_SCOPE_GUEST)) {
			vr_diags_add(d, file, 0, true,
				     (k->scope & VR_SCOPE_HOST) ? "'%s': a setting of the host, not the guest"
								: "'%s': not a vmreclaim setting",
				     buf);
			failed = true;
			continue;
		}
		/* As in a file: the last one wins, and is said to. */
		if (k && seen[k - keys])
			vr_diags_add(d, file, 0, false, "'%s' is set again (word %u, first word %u); this value wins",
				     buf, word, seen[k - keys]);
		if (k)
			seen[k - keys] = word;
		r = vr_config_set(c, buf + strlen(CMDLINE_PREFIX), eq + 1, err, sizeof(err));
		if (r == -ENOENT) {
			vr_diags_add(d, file, 0, true, "'%s': unknown key", buf);
			failed = true;
		} else if (r < 0) {
			vr_diags_add(d, file, 0, true, "%s", err);
			failed = true;
		}
	}
	return failed ? -EINVAL : 0;
}

int vr_config_guest_cmdline(const struct vr_config *c, char *buf, size_t size)
{
	size_t len = strlen(buf), i;

	for (i = 0; i < VR_ARRAY_SIZE(keys); i++) {
		char v[VR_CMDLINE_MAX];
		int n;

		if (!(keys[i].scope & VR_SCOPE_GUEST) || keys[i].type == T_FOREIGN ||
		    !(c->set_mask & (UINT64_C(1) << i)))
			continue;
		format_value(&keys[i], c, v, sizeof(v));
		/* The kernel's quotes only group: a value that holds one
		 * would come out cut, its rest as words of their own. */
		if (strchr(v, '"'))
			return -EINVAL;
		n = snprintf(buf + len, size - len, strpbrk(v, " \t") ? " \"vmreclaim.%s=%s\"" : " vmreclaim.%s=%s",
			     keys[i].name, v);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
	}
	return 0;
}

void vr_config_write_sample(FILE *f, unsigned scope)
{
	const char *section = NULL;
	size_t i;

	fprintf(f, "# vmreclaim configuration. Every key is shown at its default.\n"
		   "# Keys may also stand in [vmreclaim]; vmreclaim.KEY=VALUE on the\n"
		   "# kernel command line overrides this file.\n");
	for (i = 0; i < VR_ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];
		const char *h;

		if (k->type == T_FOREIGN || !(k->scope & scope))
			continue;
		if (!section || strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, "\n[%s]\n", section);
		}
		fputc('\n', f);
		for (h = k->help; *h;) {
			size_t n = strcspn(h, "\n");

			fprintf(f, "# %.*s\n", (int)n, h);
			h += n + (h[n] ? 1 : 0);
		}
		fprintf(f, "#%s = %s\n", k->name, k->def);
	}
}

void vr_config_write(FILE *f, const struct vr_config *c, unsigned scope)
{
	char buf[VR_CMDLINE_MAX]; /* the longest value (kernelCommandLine) */
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(keys); i++) {
		if (keys[i].type == T_FOREIGN || !(keys[i].scope & scope))
			continue;
		format_value(&keys[i], c, buf, sizeof(buf));
		fprintf(f, "%s = %s\n", keys[i].name, buf);
	}
}
