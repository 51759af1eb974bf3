/* SPDX-License-Identifier: MIT */
#include "common/wake.h"
#include "common/util.h"

#include <errno.h>
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
	 * Without them the base pages still add up to far more than the
	 * per-CPU lists hold, so frees reach the buddy allocator. */
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
