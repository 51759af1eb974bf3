/* SPDX-License-Identifier: MIT */
/* Logging with syslog levels, to stderr (journald reads the "<N>" prefix
 * when JOURNAL_STREAM is set) or to syslog, plus a rate limiter so that a
 * failing kernel file cannot flood the log. */
#ifndef VR_LOG_H
#define VR_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum vr_log_level {
	VR_LOG_ERR = 3,
	VR_LOG_WARNING = 4,
	VR_LOG_NOTICE = 5,
	VR_LOG_INFO = 6,
	VR_LOG_DEBUG = 7,
};

enum vr_log_target {
	VR_LOG_TARGET_STDERR,
	VR_LOG_TARGET_SYSLOG,
};

/* A sink sees every message that passes the level filter; tests use it to
 * check what was logged.  NULL restores the default output. */
typedef void (*vr_log_sink)(void *user, enum vr_log_level level, const char *msg);

void vr_log_setup(const char *ident, enum vr_log_target target, enum vr_log_level max_level);
void vr_log_set_level(enum vr_log_level max_level);
void vr_log_set_sink(vr_log_sink sink, void *user);

void vr_log(enum vr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vr_logv(enum vr_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define vr_err(...) vr_log(VR_LOG_ERR, __VA_ARGS__)
#define vr_warn(...) vr_log(VR_LOG_WARNING, __VA_ARGS__)
#define vr_notice(...) vr_log(VR_LOG_NOTICE, __VA_ARGS__)
#define vr_info(...) vr_log(VR_LOG_INFO, __VA_ARGS__)
#define vr_debug(...) vr_log(VR_LOG_DEBUG, __VA_ARGS__)

/* Parse "err", "warning", "notice", "info", "debug".  Returns 0 or -EINVAL. */
int vr_log_level_parse(const char *s, enum vr_log_level *ret);
const char *vr_log_level_name(enum vr_log_level level);

/* Write one line to the kernel log through @kmsg_path (normally /dev/kmsg),
 * at @level, so that it shows in dmesg.  Returns 0 or -errno. */
int vr_kmsg(const char *kmsg_path, enum vr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* At most @burst messages per @interval_usec; the first message after a
 * quiet spell is told how many were suppressed. */
struct vr_ratelimit {
	uint64_t interval_usec;
	unsigned burst;
	bool started;
	uint64_t begin_usec;
	unsigned count;
	unsigned missed;
};

#define VR_RATELIMIT_INIT(interval, b) { .interval_usec = (interval), .burst = (b) }

/* True when a message may go out at @now_usec.  *ret_missed (may be NULL)
 * gets the number suppressed since the last one that went out. */
bool vr_ratelimit_ok(struct vr_ratelimit *rl, uint64_t now_usec, unsigned *ret_missed);

#endif
