/* SPDX-License-Identifier: MIT */
/* Test helpers: a fake /proc + /sys tree in a temporary directory, kernel
 * write ops that record and fail on demand, a fake clock, and a log
 * catcher. */
#ifndef VR_TEST_HELPERS_H
#define VR_TEST_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "guest/sys.h"

/* /proc/buddyinfo of a 2 GiB guest after 768 MiB was touched and all but
 * one page in 64 freed: about 740 MiB in blocks of order 0-5, stranded
 * below order 9; and the same with twice the fragments. */
#define BUDDYINFO_FRAGMENTED \
	"Node 0, zone    DMA32   3000   3000   3000   3000   3000   3000      0      0      0      0    283 \n"
#define BUDDYINFO_FRAGMENTED_MORE \
	"Node 0, zone    DMA32   6000   6000   6000   6000   6000   6000      0      0      0      0    100 \n"

/* Where the checked-in fixtures are (tests/unit/fixtures, or
 * $VR_FIXTURES). */
const char *fixture_dir(void);

/* Read fixture @name into a malloc'd string (asserts on failure). */
char *fixture_read(const char *name);

/* A fake tree like a 6.1 guest with free page reporting at order 9, cgroup
 * v2 with memory.reclaim, a bound balloon with reporting, and PSI.  The
 * /proc files come from fixtures (*.guest).  Returns a malloc'd path. */
char *fake_tree_new(void);
void fake_tree_free(char *root);

/* Write @content to @rel under @root, creating directories. */
void fake_put(const char *root, const char *rel, const char *content);
/* Remove @rel under @root. */
void fake_rm(const char *root, const char *rel);
/* Read @rel under @root; a malloc'd string, or NULL when missing. */
char *fake_get(const char *root, const char *rel);

/* Set the aggregate cpu line of fake /proc/stat. */
void fake_cpu(const char *root, uint64_t busy, uint64_t idle);

/* Kernel write ops that record every write (path relative to the root)
 * and fail the writes whose path ends in a given suffix. */
#define REC_MAX 256

struct rec_write {
	char path[256];
	char data[128];
	int result;
};

struct rec_fail {
	const char *suffix;
	const char *data_prefix; /* NULL: any data */
	int error;               /* -errno */
	int times;               /* -1: always */
};

struct rec {
	const char *root;
	bool passthrough; /* also write the file (so the tree shows it) */
	unsigned n;
	struct rec_write w[REC_MAX];
	struct rec_fail fail[8];
	unsigned n_fail;
	/* The fake thread CPU clock (vr_sys_ops.cpu_usec): each write
	 * advances it by cpu_per_write. */
	uint64_t cpu_usec, cpu_per_write;
};

extern const struct vr_sys_ops rec_ops;

void rec_init(struct rec *r, const char *root);
void rec_fail_on(struct rec *r, const char *suffix, const char *data_prefix, int error, int times);
void rec_clear(struct rec *r);
/* "path=data" of every write, joined by ";", for compact assertions. */
const char *rec_summary(const struct rec *r, char *buf, size_t size);
/* Number of writes to paths ending in @suffix. */
unsigned rec_count(const struct rec *r, const char *suffix);

/* A fake monotonic clock. */
extern uint64_t fake_now_usec;
uint64_t fake_clock(void);

/* Catch log messages: keeps the first LOG_CATCH_MAX (tests that count
 * messages fail if there were more), counts all. */
#define LOG_CATCH_MAX 1024
struct log_catch {
	unsigned count;
	unsigned by_level[8];
	char msgs[LOG_CATCH_MAX][200];
};
void log_catch_start(struct log_catch *c);
void log_catch_stop(void);
/* Messages containing @needle. */
unsigned log_catch_count(const struct log_catch *c, const char *needle);

#endif
