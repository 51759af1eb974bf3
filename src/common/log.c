/* SPDX-License-Identifier: MIT */
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

/* Logging is process-wide by nature; this is the one piece of global
 * state in the library. */
static struct {
	const char *ident;
	enum vr_log_target target;
	enum vr_log_level max_level;
	bool journal;
	vr_log_sink sink;
	void *sink_user;
} log_state = {
	.ident = "vmreclaim",
	.target = VR_LOG_TARGET_STDERR,
	.max_level = VR_LOG_INFO,
};

static const char *const level_names[] = {
	[VR_LOG_ERR] = "err",
	[VR_LOG_WARNING] = "warning",
	[VR_LOG_NOTICE] = "notice",
	[VR_LOG_INFO] = "info",
	[VR_LOG_DEBUG] = "debug",
};

void vr_log_setup(const char *ident, enum vr_log_target target, enum vr_log_level max_level)
{
	if (log_state.target == VR_LOG_TARGET_SYSLOG && target != VR_LOG_TARGET_SYSLOG)
		closelog();
	log_state.ident = ident;
	log_state.target = target;
	log_state.max_level = max_level;
	log_state.journal = getenv("JOURNAL_STREAM") != NULL;
	if (target == VR_LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void vr_log_set_level(enum vr_log_level max_level)
{
	log_state.max_level = max_level;
}

void vr_log_set_sink(vr_log_sink sink, void *user)
{
	log_state.sink = sink;
	log_state.sink_user = user;
}

void vr_logv(enum vr_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_state.max_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_state.sink) {
		log_state.sink(log_state.sink_user, level, msg);
		return;
	}
	if (log_state.target == VR_LOG_TARGET_SYSLOG)
		syslog((int)level, "%s", msg);
	else if (log_state.journal)
		fprintf(stderr, "<%d>%s\n", (int)level, msg);
	else if (level <= VR_LOG_WARNING)
		fprintf(stderr, "%s: %s: %s\n", log_state.ident, level_names[level], msg);
	else
		fprintf(stderr, "%s: %s\n", log_state.ident, msg);
}

void vr_log(enum vr_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vr_logv(level, fmt, ap);
	va_end(ap);
}

int vr_log_level_parse(const char *s, enum vr_log_level *ret)
{
	size_t i;

	for (i = VR_LOG_ERR; i < VR_ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*ret = (enum vr_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "error") == 0) {
		*ret = VR_LOG_ERR;
		return 0;
	}
	return -EINVAL;
}

const char *vr_log_level_name(enum vr_log_level level)
{
	return level >= VR_LOG_ERR && level <= VR_LOG_DEBUG ? level_names[level] : "?";
}

int vr_kmsg(const char *kmsg_path, enum vr_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t len;
	int fd, n, r;

	n = snprintf(line, sizeof(line), "<%d>", (int)level);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* O_APPEND: harmless on /dev/kmsg, and keeps every line in a test's
	 * plain file. */
	fd = open(kmsg_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	len = strlen(line);
	n = (int)write(fd, line, len);
	r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return r;
}

bool vr_ratelimit_ok(struct vr_ratelimit *rl, uint64_t now_usec, unsigned *ret_missed)
{
	if (!rl->started || now_usec < rl->begin_usec ||
	    now_usec - rl->begin_usec >= rl->interval_usec) {
		rl->started = true;
		rl->begin_usec = now_usec;
		rl->count = 0;
	}
	if (rl->count < rl->burst) {
		rl->count++;
		if (ret_missed)
			*ret_missed = rl->missed;
		rl->missed = 0;
		return true;
	}
	rl->missed++;
	return false;
}
