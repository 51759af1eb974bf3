/* SPDX-License-Identifier: MIT */
/* The key table's row and its value types; for config.c and
 * config_types.c only. */
#ifndef VR_CONFIG_TYPES_H
#define VR_CONFIG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

enum key_type {
	T_BOOL,
	T_PERCENT,
	T_SECONDS,
	T_SIZE,
	T_SIZE_AUTO, /* a size, or "auto" stored as 0 */
	T_MODE,
	T_DROP_VALUE,
	T_LOG_LEVEL,
	T_LOG_TARGET,
	T_MACHINE,
	T_GUEST_KERNEL,
	T_MULTI_GEN_LRU,
	T_SOCKET_PATH,
	T_COUNT,   /* a whole number in [min, max] */
	T_PATH,    /* a path on this machine, or "" */
	T_STRING,  /* free text */
	T_FOREIGN, /* known to WSL or to the other side; not read here */
};

struct key {
	const char *section; /* where .wslconfig has it; [vmreclaim] also works */
	const char *name;
	enum key_type type;
	size_t offset;
	const char *def;
	uint64_t min, max; /* T_SECONDS (seconds) and T_SIZE (bytes) */
	unsigned scope;
	const char *help;
};

/* Parse @v for key @k into @dst (the key's field).  Returns 0, or -EINVAL
 * with "KEY = VALUE: what is wrong" in @err; @dst is written only on
 * success. */
int vr_config_type_parse(const struct key *k, const char *v, void *dst, char *err, size_t err_size);

/* Format the key's field @src as the configuration file spells it. */
void vr_config_type_format(const struct key *k, const void *src, char *buf, size_t size);

#endif
