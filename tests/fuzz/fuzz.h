/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c; docs/fuzzing.md):
 * a NUL-terminated copy of the input for the string parsers, a log that
 * says nothing, and /dev/null. */
#ifndef VR_FUZZ_H
#define VR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A malloc'd copy of @data with a NUL after it (inputs may hold NULs of
 * their own: the parsers then see the text up to the first). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static inline void fuzz_log_sink(void *user, enum vr_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	(void)msg;
}

/* Every message is formatted (so its arguments are checked) and dropped. */
static inline void fuzz_quiet(void)
{
	vr_log_set_level(VR_LOG_DEBUG);
	vr_log_set_sink(fuzz_log_sink, NULL);
}

/* A check of the harness's own: a property that must hold.  Aborts, which
 * libFuzzer reports as a crash with the input. */
#define FUZZ_CHECK(cond)                                                                    \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* /dev/null, opened at the first call: where a harness sends the output
 * it makes the code under test write. */
static inline FILE *fuzz_devnull(void)
{
	static FILE *devnull;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		FUZZ_CHECK(devnull);
	}
	return devnull;
}

#endif
