/* SPDX-License-Identifier: MIT */
#include "common/wake.h"
#include "common/util.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int vr_wake_reporting(uint64_t bytes)
{
	const uint64_t huge = 2 * VR_MIB;
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t page = ps > 0 ? (uint64_t)ps : 4096, len = bytes + huge, off;
	uintptr_t start;
	char *p;

	/* Huge pages where the kernel gives them: each comes from, and goes
	 * back to, a block of order 9 and so crosses any reporting order.
	 * Without them (THP "never") base pages from the smallest free
	 * blocks first: at 32 MiB most go on past the per-CPU lists, but
	 * one huge page's worth may merge only into blocks below the order
	 * and wake nothing. */
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	start = ((uintptr_t)p + (uintptr_t)huge - 1) & ~((uintptr_t)huge - 1);
	(void)madvise((void *)start, (size_t)bytes, MADV_HUGEPAGE);
	for (off = 0; off < bytes; off += page)
		((volatile char *)start)[off] = 1;
	if (munmap(p, (size_t)len) < 0)
		return -errno;
	return 0;
}

/* Allocate and free @bytes worth of base pages, one page at a time: each
 * free is a separate free to the per-CPU list, and the service's own
 * memory grows by one page, not by @bytes. */
static int cycle_here(uint64_t bytes, uint64_t page)
{
	uint64_t off;
	int r = 0;
	char *p;

	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (off = 0; off < bytes; off += page) {
		((volatile char *)p)[0] = 1;
		if (madvise(p, (size_t)page, MADV_DONTNEED) < 0) {
			r = -errno;
			break;
		}
	}
	if (munmap(p, (size_t)page) < 0 && r == 0)
		r = -errno;
	return r;
}

int vr_cycle_pages(uint64_t bytes)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t page = ps > 0 ? (uint64_t)ps : 4096;
	cpu_set_t old, one;
	int cpu, r = 0, r2;

	/* Without the mask (or the right to change it): the CPU we are on. */
	if (sched_getaffinity(0, sizeof(old), &old) < 0)
		return cycle_here(bytes, page);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &old))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) < 0) {
			r = -errno;
			break;
		}
		r2 = cycle_here(bytes, page);
		if (r2 < 0 && r == 0)
			r = r2;
	}
	if (sched_setaffinity(0, sizeof(old), &old) < 0 && r == 0)
		r = -errno;
	/* Not allowed to move: at least the CPU we are on. */
	if (r == -EPERM || r == -EINVAL)
		r = cycle_here(bytes, page);
	return r;
}
