/* SPDX-License-Identifier: MIT */
#include "common/channel.h"
#include "common/size.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int vr_chan_parse(const char *buf, size_t len, struct vr_chan_request *ret, char *err,
		  size_t err_size)
{
	struct vr_chan_request req = { 0 };
	char line[VR_CHAN_REQUEST_MAX];
	char *arg;

	if (vr_request_line(buf, len, true, line, sizeof(line), err, err_size) < 0)
		return -EINVAL;
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	if (strcmp(line, "status") == 0 || strcmp(line, "counters") == 0) {
		req.verb = line[0] == 's' ? VR_CHAN_STATUS : VR_CHAN_COUNTERS;
		if (arg) {
			snprintf(err, err_size, "%s takes no argument", line);
			return -EINVAL;
		}
	} else if (strcmp(line, "give") == 0) {
		req.verb = VR_CHAN_GIVE;
		if (!arg || vr_parse_size(arg, &req.bytes) < 0) {
			snprintf(err, err_size, "give needs a size in bytes");
			return -EINVAL;
		}
		if (req.bytes < VR_CHAN_GIVE_MIN_BYTES || req.bytes > VR_CHAN_GIVE_MAX_BYTES) {
			snprintf(err, err_size, "give: %llu bytes is out of range",
				 (unsigned long long)req.bytes);
			return -EINVAL;
		}
	} else {
		snprintf(err, err_size, "unknown request (status, counters, give BYTES)");
		return -EINVAL;
	}
	*ret = req;
	return 0;
}

/* The value of @key in an "ok KEY=VALUE ..." reply: [*ret_val, *ret_end).
 * Returns 0, -EINVAL for a reply that is not "ok", or -ENOENT. */
static int reply_find(const char *reply, const char *key, const char **ret_val,
		      const char **ret_end)
{
	size_t klen = strlen(key);
	const char *p;

	if (strncmp(reply, "ok", 2) != 0 || (reply[2] != ' ' && reply[2] != '\n' && reply[2]))
		return -EINVAL;
	for (p = reply + 2; *p && *p != '\n';) {
		const char *end;

		while (*p == ' ')
			p++;
		end = p + strcspn(p, " \n");
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			*ret_val = p + klen + 1;
			*ret_end = end;
			return 0;
		}
		p = end;
	}
	return -ENOENT;
}

int vr_chan_reply_u64(const char *reply, const char *key, uint64_t *ret)
{
	const char *v, *end;
	int r = reply_find(reply, key, &v, &end);

	if (r < 0)
		return r;
	return vr_parse_u64(v, end, ret) < 0 ? -EINVAL : 0;
}

int vr_chan_reply_word(const char *reply, const char *key, char *buf, size_t size)
{
	const char *v, *end;
	size_t n, i;
	int r = reply_find(reply, key, &v, &end);

	if (r < 0)
		return r;
	n = (size_t)(end - v);
	if (n == 0 || n >= size)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '_' || v[i] == '-'))
			return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

const char *const vr_chan_counter_keys[VR_CC_COUNT] = {
	[VR_CC_COMPACT_RUNS] = "compact_runs",
	[VR_CC_DROPCACHE_RUNS] = "dropcache_runs",
	[VR_CC_RECLAIM_RUNS] = "reclaim_runs",
	[VR_CC_COMPACT_FAILURES] = "compact_failures",
	[VR_CC_DROPCACHE_FAILURES] = "dropcache_failures",
	[VR_CC_RECLAIM_FAILURES] = "reclaim_failures",
	[VR_CC_COMPACT_BYTES] = "compact_bytes",
	[VR_CC_DROPCACHE_BYTES] = "dropcache_bytes",
	[VR_CC_RECLAIM_BYTES] = "reclaim_bytes",
	[VR_CC_COMPACT_CPU_USEC] = "compact_cpu_usec",
	[VR_CC_DROPCACHE_CPU_USEC] = "dropcache_cpu_usec",
	[VR_CC_RECLAIM_CPU_USEC] = "reclaim_cpu_usec",
	[VR_CC_IDLE_PERIODS] = "idle_periods",
	[VR_CC_PRESSURE_EVENTS] = "pressure_events",
	[VR_CC_PCP_DRAINS] = "pcp_drains",
	[VR_CC_AUTO_REFAULT_EVENTS] = "refault_events",
	[VR_CC_AUTO_REFAULTED_BYTES] = "refaulted_bytes",
	[VR_CC_AUTO_SLAB_RETURNED_BYTES] = "slab_returned_bytes",
	[VR_CC_AUTO_SLAB_DROPS] = "slab_drops",
	[VR_CC_AUTO_SLAB_REUSE_EVENTS] = "slab_reuse_events",
	[VR_CC_AUTO_ORDER_LOWERINGS] = "order_lowerings",
	[VR_CC_PCP_CPU_USEC] = "pcp_cpu_usec",
};

_Static_assert(VR_CC_COUNT <= 32, "struct vr_chan_counters.have holds a bit per counter");

int vr_chan_counters_format(const struct vr_chan_counters *c, char *buf, size_t size)
{
	size_t len, i;
	int n;

	n = snprintf(buf, size, "ok");
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	len = (size_t)n;
	for (i = 0; i < VR_CC_COUNT; i++) {
		if (!(c->have & (1u << i)))
			continue;
		n = snprintf(buf + len, size - len, " %s=%llu", vr_chan_counter_keys[i],
			     (unsigned long long)c->value[i]);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
	}
	if (len + 2 > size)
		return -ENOSPC;
	buf[len++] = '\n';
	buf[len] = '\0';
	return 0;
}

int vr_chan_counters_parse(const char *reply, struct vr_chan_counters *ret)
{
	static const enum vr_chan_counter pairs[][2] = {
		{ VR_CC_COMPACT_RUNS, VR_CC_COMPACT_FAILURES },
		{ VR_CC_DROPCACHE_RUNS, VR_CC_DROPCACHE_FAILURES },
		{ VR_CC_RECLAIM_RUNS, VR_CC_RECLAIM_FAILURES },
	};
	struct vr_chan_counters c = { .have = 0 };
	size_t i;

	for (i = 0; i < VR_CC_COUNT; i++) {
		int r = vr_chan_reply_u64(reply, vr_chan_counter_keys[i], &c.value[i]);

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return -EINVAL;
		c.have |= 1u << i;
	}
	/* A failed action is counted in its runs too (guest/actions.c). */
	for (i = 0; i < VR_ARRAY_SIZE(pairs); i++) {
		uint32_t both = (1u << pairs[i][0]) | (1u << pairs[i][1]);

		if ((c.have & both) == both && c.value[pairs[i][1]] > c.value[pairs[i][0]])
			return -EINVAL;
	}
	*ret = c;
	return 0;
}

int vr_chan_out_flush(struct vr_chan_out *o, int fd)
{
	while (o->len > 0) {
		ssize_t n = write(fd, o->buf, o->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			o->len = 0;
			return n < 0 ? -errno : -EIO;
		}
		memmove(o->buf, o->buf + n, o->len - (size_t)n);
		o->len -= (size_t)n;
	}
	return 0;
}

int vr_chan_out_send(struct vr_chan_out *o, int fd, const char *reply)
{
	size_t len = strnlen(reply, sizeof(o->buf));
	int r = vr_chan_out_flush(o, fd);

	if (r < 0)
		return r;
	if (o->len > 0)
		return -EAGAIN;
	memcpy(o->buf, reply, len);
	o->len = len;
	r = vr_chan_out_flush(o, fd);
	if (r == 0 && o->len == len) {
		o->len = 0; /* none of it went out: dropped whole */
		return -EAGAIN;
	}
	return r;
}
