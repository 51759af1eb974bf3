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
	if (strcmp(line, "status") == 0) {
		req.verb = VR_CHAN_STATUS;
		if (arg) {
			snprintf(err, err_size, "status takes no argument");
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
		snprintf(err, err_size, "unknown request (status, give BYTES)");
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
