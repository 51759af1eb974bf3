/* SPDX-License-Identifier: MIT */
/* A QMP client (QEMU Machine Protocol) on a unix socket, with jansson for
 * the JSON.  Every call has a deadline: a QEMU that dies or a socket that
 * sends garbage gives an error, never a hang. */
#ifndef VR_QMP_H
#define VR_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vr_qmp;

/* What a "not reported" statistic reads as. */
#define VR_QMP_STAT_NONE UINT64_MAX

/* The balloon driver's statistics (qom-get guest-stats), in bytes.  A
 * field the guest did not report (-1 or 2^64-1 from QEMU) is
 * VR_QMP_STAT_NONE. */
struct vr_guest_stats {
	int64_t last_update; /* guest's report time, seconds; 0 = never */
	uint64_t total_bytes;     /* stat-total-memory */
	uint64_t free_bytes;      /* stat-free-memory */
	uint64_t available_bytes; /* stat-available-memory */
	uint64_t cache_bytes;     /* stat-disk-caches */
};

/* Connect to the QMP socket at @path and do the capabilities handshake.
 * Returns 0 and sets *ret, or -errno (-ETIMEDOUT after @timeout_ms,
 * -EPROTO for a peer that does not speak QMP).  @err (may be NULL) gets a
 * message. */
int vr_qmp_connect(const char *path, int timeout_ms, struct vr_qmp **ret, char *err,
		   size_t err_size);

/* Connect over an already connected socket (for tests). */
int vr_qmp_connect_fd(int fd, int timeout_ms, struct vr_qmp **ret, char *err, size_t err_size);

void vr_qmp_close(struct vr_qmp *q);

/* Run @command (with optional @args_json, a JSON object as text, or NULL)
 * and return the "return" member as JSON text in a malloc'd *ret_json
 * (may be NULL to ignore it).  Asynchronous events that arrive in between
 * are skipped.  Returns 0, -EREMOTEIO when QEMU answered with an "error"
 * (its "desc" in @err), or -errno. */
int vr_qmp_command(struct vr_qmp *q, const char *command, const char *args_json,
		   char **ret_json, char *err, size_t err_size);

/* qom-set guest-stats-polling-interval on @balloon_path (e.g.
 * "/machine/peripheral/balloon0"). */
int vr_qmp_set_stats_interval(struct vr_qmp *q, const char *balloon_path, unsigned seconds,
			      char *err, size_t err_size);

/* qom-get guest-stats. */
int vr_qmp_guest_stats(struct vr_qmp *q, const char *balloon_path, struct vr_guest_stats *ret,
		       char *err, size_t err_size);

/* query-balloon: the balloon's actual size (guest RAM minus what is
 * ballooned out). */
int vr_qmp_query_balloon(struct vr_qmp *q, uint64_t *ret_actual_bytes, char *err,
			 size_t err_size);

/* quit: QEMU exits. */
int vr_qmp_quit(struct vr_qmp *q, char *err, size_t err_size);

/* Parse a guest-stats reply ("return" member, as text).  Returns 0 or
 * -EPROTO. */
int vr_qmp_parse_guest_stats(const char *json, struct vr_guest_stats *ret);

#endif
