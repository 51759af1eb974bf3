/* SPDX-License-Identifier: MIT */
/* Host memory pressure: when the host is short, and which guests to ask
 * for memory back (vmreclaim watch).  Pure functions. */
#ifndef VR_PRESSURE_H
#define VR_PRESSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vr_host_mem {
	uint64_t total_bytes;     /* MemTotal */
	uint64_t available_bytes; /* MemAvailable */
	bool have_psi;
	double psi_some_avg10;    /* /proc/pressure/memory, percent */
};

struct vr_pressure_settings {
	uint64_t min_available_bytes; /* short below this */
	double psi_some_pct;          /* or at this much "some" stall (0: off) */
};

/* The least a shortage asks for. */
#define VR_PRESSURE_DEFICIT_MIN (64 * 1024 * 1024ULL)

/* True when the host is short of memory; then *ret_deficit is how much to
 * ask the guests for, and @why says why. */
bool vr_pressure_short(const struct vr_host_mem *m, const struct vr_pressure_settings *s,
		       uint64_t *ret_deficit, char *why, size_t why_size);

struct vr_guest_mem {
	const char *name;
	bool known;              /* the guest answered "status" */
	uint64_t rss_bytes;      /* host RSS of its QEMU process */
	uint64_t used_bytes;     /* guest total - available */
	uint64_t stranded_bytes; /* max(0, rss - used) */
};

/* Order @g by stranded memory, most first; guests that did not answer
 * last. */
void vr_pressure_rank(struct vr_guest_mem *g, size_t n);

#endif
