/* SPDX-License-Identifier: MIT */
/* The settings' value types: one parser and one formatter each, in one
 * table, so that a new type is a row and the key table (config.c) says
 * only which type a key has. */
#include "common/config_types.h"
#include "common/size.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_percent(const char *v, double *ret)
{
	char *end;
	double x;

	/* Digits and at most one dot: strtod alone would take "inf", hex and
	 * exponents. */
	if (!*v || strspn(v, "0123456789.") != strlen(v))
		return -EINVAL;
	errno = 0;
	x = strtod(v, &end);
	if (errno || *end || !isfinite(x))
		return -EINVAL;
	if (x < 0 || x > 100)
		return -ERANGE;
	*ret = x;
	return 0;
}

/* One parser and one formatter per key type: each parser writes its
 * destination only on success and otherwise says what is wrong in @err. */
#define PARSER(name) \
	static int name(const struct key *k, const char *v, void *dst, char *err, size_t err_size)
#define FORMATTER(name) \
	static void name(const struct key *k, const void *src, char *buf, size_t size)

PARSER(p_bool)
{
	if (parse_bool(v, (bool *)dst) < 0) {
		snprintf(err, err_size, "%s = %s: must be true or false", k->name, v);
		return -EINVAL;
	}
	return 0;
}

FORMATTER(f_bool)
{
	(void)k;
	snprintf(buf, size, "%s", *(const bool *)src ? "true" : "false");
}

PARSER(p_percent)
{
	int r = parse_percent(v, (double *)dst);

	if (r == -ERANGE)
		snprintf(err, err_size, "%s = %s: must be between 0 and 100", k->name, v);
	else if (r < 0)
		snprintf(err, err_size, "%s = %s: must be a number from 0 to 100", k->name, v);
	return r < 0 ? -EINVAL : 0;
}

FORMATTER(f_percent)
{
	(void)k;
	snprintf(buf, size, "%g", *(const double *)src);
}

PARSER(p_seconds)
{
	uint64_t n;

	if (vr_parse_u64(v, NULL, &n) < 0) {
		snprintf(err, err_size, "%s = %s: must be a whole number of seconds", k->name, v);
		return -EINVAL;
	}
	if (n < k->min || n > k->max) {
		snprintf(err, err_size, "%s = %s: must be between %llu and %llu seconds", k->name, v,
			 (unsigned long long)k->min, (unsigned long long)k->max);
		return -EINVAL;
	}
	*(uint64_t *)dst = n * VR_USEC_PER_SEC;
	return 0;
}

FORMATTER(f_seconds)
{
	(void)k;
	snprintf(buf, size, "%llu", (unsigned long long)(*(const uint64_t *)src / VR_USEC_PER_SEC));
}

PARSER(p_size)
{
	char sz1[VR_SIZE_STR_MAX], sz2[VR_SIZE_STR_MAX];
	uint64_t n;

	if (vr_parse_size(v, &n) < 0) {
		snprintf(err, err_size, "%s = %s: not a size (e.g. 512MB, 1GB, 65536)", k->name, v);
		return -EINVAL;
	}
	if (n < k->min || n > k->max) {
		snprintf(err, err_size, "%s = %s: must be between %s and %s", k->name, v,
			 vr_format_size(k->min, sz1, sizeof(sz1)), vr_format_size(k->max, sz2, sizeof(sz2)));
		return -EINVAL;
	}
	*(uint64_t *)dst = n;
	return 0;
}

FORMATTER(f_size)
{
	uint64_t n = *(const uint64_t *)src;

	(void)k;
	if (n && n % VR_GIB == 0)
		snprintf(buf, size, "%lluGB", (unsigned long long)(n / VR_GIB));
	else if (n && n % VR_MIB == 0)
		snprintf(buf, size, "%lluMB", (unsigned long long)(n / VR_MIB));
	else
		snprintf(buf, size, "%llu", (unsigned long long)n);
}

/* A size, or "auto" stored as 0. */
PARSER(p_size_auto)
{
	if (strcasecmp(v, "auto") == 0) {
		*(uint64_t *)dst = 0;
		return 0;
	}
	return p_size(k, v, dst, err, err_size);
}

FORMATTER(f_size_auto)
{
	if (*(const uint64_t *)src == 0)
		snprintf(buf, size, "auto");
	else
		f_size(k, src, buf, size);
}

PARSER(p_mode)
{
	char names[128];

	if (vr_mode_parse(v, (enum vr_mode *)dst) < 0) {
		vr_mode_list(names, sizeof(names));
		snprintf(err, err_size, "%s = %s: must be %s", k->name, v, names);
		return -EINVAL;
	}
	return 0;
}

FORMATTER(f_mode)
{
	(void)k;
	snprintf(buf, size, "%s", vr_mode_name(*(const enum vr_mode *)src));
}

PARSER(p_drop_value)
{
	uint64_t n;

	if (vr_parse_u64(v, NULL, &n) < 0 || n < 1 || n > 3) {
		snprintf(err, err_size, "%s = %s: must be 1, 2 or 3", k->name, v);
		return -EINVAL;
	}
	*(unsigned *)dst = (unsigned)n;
	return 0;
}

FORMATTER(f_unsigned)
{
	(void)k;
	snprintf(buf, size, "%u", *(const unsigned *)src);
}

PARSER(p_log_level)
{
	if (vr_log_level_parse(v, (enum vr_log_level *)dst) < 0) {
		snprintf(err, err_size, "%s = %s: must be err, warning, notice, info or debug", k->name,
			 v);
		return -EINVAL;
	}
	return 0;
}

FORMATTER(f_log_level)
{
	(void)k;
	snprintf(buf, size, "%s", vr_log_level_name(*(const enum vr_log_level *)src));
}

/* The types that are one of a few words (any case), each stored as its
 * enum, whose values count from 0 in the order of the words. */
static const char *const word_names[][2] = {
	[T_LOG_TARGET] = { "stderr", "syslog" },
	[T_MACHINE] = { "q35", "microvm" },
	[T_GUEST_KERNEL] = { "stock", "minimal" },
	[T_MULTI_GEN_LRU] = { "keep", "off" },
};
_Static_assert(VR_LOG_TARGET_STDERR == 0 && VR_LOG_TARGET_SYSLOG == 1 && VR_MACHINE_Q35 == 0 &&
		       VR_MACHINE_MICROVM == 1 && VR_GUEST_KERNEL_STOCK == 0 &&
		       VR_GUEST_KERNEL_MINIMAL == 1 && VR_MULTI_GEN_LRU_KEEP == 0 &&
		       VR_MULTI_GEN_LRU_OFF == 1,
	       "word_names lists each enum's words in the order of its values");
_Static_assert(sizeof(enum vr_log_target) == sizeof(int) && sizeof(enum vr_machine) == sizeof(int) &&
		       sizeof(enum vr_guest_kernel) == sizeof(int) &&
		       sizeof(enum vr_multi_gen_lru) == sizeof(int),
	       "a word type's enum is stored as an int");

const char *vr_machine_name(enum vr_machine m)
{
	return word_names[T_MACHINE][m == VR_MACHINE_MICROVM];
}

PARSER(p_word)
{
	const char *const *w = word_names[k->type];
	int i;

	for (i = 0; i < 2; i++) {
		if (strcasecmp(v, w[i]) == 0) {
			memcpy(dst, &i, sizeof(i));
			return 0;
		}
	}
	snprintf(err, err_size, "%s = %s: must be %s or %s", k->name, v, w[0], w[1]);
	return -EINVAL;
}

FORMATTER(f_word)
{
	int i;

	memcpy(&i, src, sizeof(i));
	snprintf(buf, size, "%s", word_names[k->type][i == 1]);
}

PARSER(p_socket_path)
{
	if (v[0] != '/') {
		snprintf(err, err_size, "%s = %s: must be an absolute path", k->name, v);
		return -EINVAL;
	}
	if (strlen(v) >= VR_SOCKET_PATH_MAX) {
		snprintf(err, err_size, "%s: path longer than %d characters", k->name,
			 VR_SOCKET_PATH_MAX - 1);
		return -EINVAL;
	}
	vr_strlcpy(dst, v, VR_SOCKET_PATH_MAX);
	return 0;
}

FORMATTER(f_string)
{
	(void)k;
	snprintf(buf, size, "%s", (const char *)src);
}

PARSER(p_count)
{
	uint64_t n;

	if (vr_parse_u64(v, NULL, &n) < 0 || n < k->min || n > k->max) {
		snprintf(err, err_size, "%s = %s: must be a whole number from %llu to %llu", k->name, v,
			 (unsigned long long)k->min, (unsigned long long)k->max);
		return -EINVAL;
	}
	*(unsigned *)dst = (unsigned)n;
	return 0;
}

/* Free text of up to @max - 1 characters. */
static int copy_text(const struct key *k, const char *v, void *dst, size_t max, char *err,
		     size_t err_size)
{
	if (strlen(v) >= max) {
		snprintf(err, err_size, "%s: longer than %zu characters", k->name, max - 1);
		return -EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

PARSER(p_path)
{
	if (v[0] && v[0] != '/') {
		/* A .wslconfig names Windows paths (C:\\...): say so rather
		 * than fail on a file that was never here. */
		snprintf(err, err_size, "%s = %s: not an absolute path on this machine", k->name, v);
		return -EINVAL;
	}
	return copy_text(k, v, dst, VR_PATH_MAX, err, err_size);
}

PARSER(p_string)
{
	return copy_text(k, v, dst, VR_CMDLINE_MAX, err, err_size);
}

PARSER(p_foreign)
{
	(void)k;
	(void)v;
	(void)dst;
	(void)err;
	(void)err_size;
	return 0;
}

FORMATTER(f_foreign)
{
	(void)k;
	(void)src;
	(void)size;
	buf[0] = '\0';
}

static const struct {
	int (*parse)(const struct key *k, const char *v, void *dst, char *err, size_t err_size);
	void (*format)(const struct key *k, const void *src, char *buf, size_t size);
} types[] = {
	[T_BOOL] = { p_bool, f_bool },
	[T_PERCENT] = { p_percent, f_percent },
	[T_SECONDS] = { p_seconds, f_seconds },
	[T_SIZE] = { p_size, f_size },
	[T_SIZE_AUTO] = { p_size_auto, f_size_auto },
	[T_MODE] = { p_mode, f_mode },
	[T_DROP_VALUE] = { p_drop_value, f_unsigned },
	[T_LOG_LEVEL] = { p_log_level, f_log_level },
	[T_LOG_TARGET] = { p_word, f_word },
	[T_MACHINE] = { p_word, f_word },
	[T_GUEST_KERNEL] = { p_word, f_word },
	[T_MULTI_GEN_LRU] = { p_word, f_word },
	[T_SOCKET_PATH] = { p_socket_path, f_string },
	[T_COUNT] = { p_count, f_unsigned },
	[T_PATH] = { p_path, f_string },
	[T_STRING] = { p_string, f_string },
	[T_FOREIGN] = { p_foreign, f_foreign },
};

_Static_assert(VR_ARRAY_SIZE(types) == T_FOREIGN + 1, "a parser and a formatter per key type");

int vr_config_type_parse(const struct key *k, const char *v, void *dst, char *err, size_t err_size)
{
	return types[k->type].parse(k, v, dst, err, err_size);
}

void vr_config_type_format(const struct key *k, const void *src, char *buf, size_t size)
{
	types[k->type].format(k, src, buf, size);
}
