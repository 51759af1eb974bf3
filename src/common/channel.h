/* SPDX-License-Identifier: MIT */
/* The guest channel: the virtio-serial port org.vmreclaim.0 between the
 * host tool and vmreclaimd.  The host asks, the guest answers, one line
 * each; nothing else crosses it.
 *
 *   host:  "status"                 what the guest holds
 *          "counters"               what vmreclaimd has done since it started
 *          "give BYTES"             give back up to BYTES now (host pressure)
 *   guest: "ok KEY=VALUE ..."       figures in bytes (see below)
 *          "refused REASON"         the guest keeps its memory (its own
 *                                   pressure comes first, or too soon)
 *          "error: MESSAGE"         a malformed request
 *
 * status keys: total, available, cache, reportable, stranded, order,
 *              version (vmreclaimd's), mode (its mode setting).
 * give keys:   released (page cache), reportable_gained, stranded (after),
 *              order (page_reporting_order after), compacted (0 or 1).
 * counters keys: vr_chan_counter_keys[] below, cumulative since vmreclaimd
 *              started (the counters of its own metrics file); the auto
 *              policy's (refault_events to order_lowerings) only in mode
 *              auto.  A guest older than the verb
 *              answers "error: ...": the host goes without them.
 *
 * A reply to status or give stays within 511 bytes, newline included, the
 * line limit of hosts older than "counters"; only a "counters" reply,
 * which they never ask for, may be longer. */
#ifndef VR_CHANNEL_H
#define VR_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request and reply lines, newline included: a counters reply of
 * every key with a 20-digit value is about 820 bytes. */
#define VR_CHAN_REQUEST_MAX 64
#define VR_CHAN_REPLY_MAX 1024

/* The guest's side of the port; the host's is guest.sock in the VM's
 * runtime directory. */
#define VR_CHAN_PORT_NAME "org.vmreclaim.0"
#define VR_CHAN_GUEST_PATH "/dev/virtio-ports/" VR_CHAN_PORT_NAME

/* A give asks for at least this much and at most this much: bounds on
 * what the other side can make the guest do. */
#define VR_CHAN_GIVE_MIN_BYTES (1024 * 1024ULL)
#define VR_CHAN_GIVE_MAX_BYTES (1ULL << 50)

enum vr_chan_verb {
	VR_CHAN_STATUS,
	VR_CHAN_COUNTERS,
	VR_CHAN_GIVE,
};

/* vmreclaimd's cumulative counters, as a counters reply carries them. */
enum vr_chan_counter {
	/* per action (compaction, drop_caches, memory.reclaim): runs,
	 * failures, bytes (compaction: reportable memory gained; the others:
	 * file cache released), and the kernel's CPU time for them in
	 * microseconds */
	VR_CC_COMPACT_RUNS,
	VR_CC_DROPCACHE_RUNS,
	VR_CC_RECLAIM_RUNS,
	VR_CC_COMPACT_FAILURES,
	VR_CC_DROPCACHE_FAILURES,
	VR_CC_RECLAIM_FAILURES,
	VR_CC_COMPACT_BYTES,
	VR_CC_DROPCACHE_BYTES,
	VR_CC_RECLAIM_BYTES,
	VR_CC_COMPACT_CPU_USEC,
	VR_CC_DROPCACHE_CPU_USEC,
	VR_CC_RECLAIM_CPU_USEC,
	VR_CC_IDLE_PERIODS,
	VR_CC_PRESSURE_EVENTS,
	VR_CC_PCP_DRAINS,
	/* the auto policy's */
	VR_CC_AUTO_REFAULT_EVENTS,
	VR_CC_AUTO_REFAULTED_BYTES,
	VR_CC_AUTO_SLAB_RETURNED_BYTES,
	VR_CC_AUTO_SLAB_DROPS,
	VR_CC_AUTO_SLAB_REUSE_EVENTS,
	VR_CC_AUTO_ORDER_LOWERINGS,
	/* every mode's again, after the auto policy's so that the keys
	 * before it keep their order: the CPU of the per-CPU list drains
	 * and the reporting wake-ups, microseconds */
	VR_CC_PCP_CPU_USEC,
	VR_CC_COUNT
};

struct vr_chan_counters {
	uint64_t value[VR_CC_COUNT];
	uint32_t have; /* bit i: value[i] was sent */
};

/* The reply key of each counter ("compact_runs", ...). */
extern const char *const vr_chan_counter_keys[VR_CC_COUNT];

/* "ok KEY=VALUE ...\n" with the counters @c->have has, in the order of
 * enum vr_chan_counter.  Returns 0, or -ENOSPC when @size is too small. */
int vr_chan_counters_format(const struct vr_chan_counters *c, char *buf, size_t size);

/* The counters in a counters reply (the other side wrote it): every known
 * key present is taken, unknown keys are skipped, a missing key is not
 * had.  Returns 0, or -EINVAL when the reply is not "ok", a known key's
 * value is not a whole number that fits 64 bits, or the failures of an
 * action exceed its runs (*ret untouched). */
int vr_chan_counters_parse(const char *reply, struct vr_chan_counters *ret);

struct vr_chan_request {
	enum vr_chan_verb verb;
	uint64_t bytes; /* give */
};

/* Parse one request of @len bytes (trailing newline optional).  Printable
 * ASCII only.  Returns 0, or -EINVAL with a reason in @err. */
int vr_chan_parse(const char *buf, size_t len, struct vr_chan_request *ret, char *err,
		  size_t err_size);

/* The value of KEY=VALUE in an "ok ..." reply, as a whole number.
 * Returns 0, -ENOENT when the key is not there, -EINVAL when the reply is
 * not "ok" or the value is not a number. */
int vr_chan_reply_u64(const char *reply, const char *key, uint64_t *ret);

/* The value of KEY=VALUE in an "ok ..." reply, as a word of at most
 * @size - 1 bytes of [A-Za-z0-9._-] (the other side wrote it).  Returns 0,
 * -ENOENT when the key is not there, -EINVAL when the reply is not "ok"
 * or the value is empty, too long or holds other bytes. */
int vr_chan_reply_word(const char *reply, const char *key, char *buf, size_t size);

/* The guest's replies on the port: whole lines or nothing.  A port may
 * take part of a line when its buffer is nearly full (a pty does; the
 * virtio-serial port takes a write whole or not at all); the rest is kept
 * and goes out first once the port is writable, and replies meanwhile are
 * dropped.  So a host that does not read loses answers rather than stall
 * the service, and never reads half of one joined to the next. */
struct vr_chan_out {
	char buf[VR_CHAN_REPLY_MAX];
	size_t len; /* the rest of a reply still to send */
};

/* Send @reply (one line, cut to VR_CHAN_REPLY_MAX bytes) on @fd, which is
 * non-blocking.  Returns 0 when it went out or its rest is kept in @o,
 * -EAGAIN when it was dropped (the port is full), or -errno when the port
 * fails (what was kept is dropped). */
int vr_chan_out_send(struct vr_chan_out *o, int fd, const char *reply);

/* Send what @o kept.  Returns 0 (and @o->len says whether some is left),
 * or -errno when the port fails (what was kept is dropped). */
int vr_chan_out_flush(struct vr_chan_out *o, int fd);

#endif
