/* SPDX-License-Identifier: MIT */
/* Host metrics in Prometheus's text exposition format (hostmetrics.h). */
#include "host/hostmetrics.h"

#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct family {
	const char *name;
	const char *help;
	bool guest; /* needs the guest's figures */
	size_t offset; /* of the uint64_t in struct vr_sample */
};

static const struct family families[] = {
	{ "vmreclaim_host_rss_bytes", "Resident memory of the VM process on the host.", false,
	  offsetof(struct vr_sample, rss_bytes) },
	{ "vmreclaim_guest_total_bytes", "Memory the guest sees (MemTotal).", true,
	  offsetof(struct vr_sample, guest_total_bytes) },
	{ "vmreclaim_guest_available_bytes", "Memory the guest could use without paging (MemAvailable).",
	  true, offsetof(struct vr_sample, guest_available_bytes) },
	{ "vmreclaim_guest_free_bytes", "Memory the guest does not use at all (MemFree).", true,
	  offsetof(struct vr_sample, guest_free_bytes) },
	{ "vmreclaim_guest_cache_bytes", "The guest's page cache.", true,
	  offsetof(struct vr_sample, guest_cache_bytes) },
	{ "vmreclaim_guest_used_bytes", "Guest used: total - available.", true,
	  offsetof(struct vr_sample, guest_used_bytes) },
	{ "vmreclaim_stranded_bytes",
	  "Host memory the VM process holds beyond what its guest uses: max(0, host RSS - guest used).",
	  true, offsetof(struct vr_sample, stranded_bytes) },
};

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

int vr_hostmetrics_write(FILE *f, const struct vr_sample *s, const char *const *backend, size_t n)
{
	size_t i, k;

	fprintf(f, "# HELP vmreclaim_vms VMs seen by vmreclaim top.\n# TYPE vmreclaim_vms gauge\n"
		   "vmreclaim_vms %zu\n",
		n);
	for (k = 0; k < VR_ARRAY_SIZE(families); k++) {
		const struct family *m = &families[k];

		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", m->name, m->help, m->name);
		for (i = 0; i < n; i++) {
			uint64_t v;

			if (m->guest && !s[i].have_guest)
				continue;
			v = *(const uint64_t *)(const void *)((const char *)&s[i] + m->offset);
			fprintf(f, "%s{vm=\"", m->name);
			label(f, s[i].vm);
			fputs("\",backend=\"", f);
			label(f, backend[i]);
			fprintf(f, "\"} %llu\n", (unsigned long long)v);
		}
	}
	return ferror(f) ? -EIO : 0;
}
