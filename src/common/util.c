/* SPDX-License-Identifier: MIT */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

const char *vr_strerror(int r)
{
	return r == -VR_ENOTREG ? "not a regular file" : strerror(r < 0 ? -r : r);
}

int vr_open_regular(const char *path, int flags)
{
	struct stat st;
	int fd, r;

	/* Not even opened when it is a device: a driver's open may do
	 * something (a tape rewinds).  Checked again below on what was
	 * opened, as the path may change in between. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -VR_ENOTREG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -VR_ENOTREG;
		goto close_fd;
	}
	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto close_fd;
	}
	return fd;
close_fd:
	close(fd);
	return r;
}

int vr_read_file(const char *path, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	int fd, r = 0;

	if (size == 0)
		return -EINVAL;
	fd = vr_open_regular(path, 0);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n;

		if (len == size - 1) {
			/* Full: only fine if the file ends exactly here. */
			char extra;

			n = read(fd, &extra, 1);
			if (n > 0)
				r = -EFBIG;
			else if (n < 0 && errno != EINTR)
				r = -errno;
			else if (n < 0)
				continue;
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return 0;
}

int vr_read_head(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, r = 0;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return r;
}

int vr_write_file(const char *path, const char *data, size_t len)
{
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

int vr_path_join(char *buf, size_t size, const char *root, const char *path)
{
	size_t rl = strlen(root), pl = strlen(path);

	/* "/" as root means the real root: avoid "//proc". */
	if (rl == 1 && root[0] == '/')
		rl = 0;
	if (rl + pl + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	memcpy(buf + rl, path, pl + 1);
	return 0;
}

int vr_parse_u64(const char *s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p;

	if (!end)
		end = s + strlen(s);
	if (s == end)
		return -EINVAL;
	for (p = s; p < end; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int vr_parse_u64_line(const char *buf, uint64_t max, uint64_t *ret)
{
	const char *end = buf + strcspn(buf, "\n");
	uint64_t v;

	if (end[0] == '\n' && end[1] != '\0')
		return -EINVAL;
	if (vr_parse_u64(buf, end, &v) < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

const char *vr_skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

uint64_t vr_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * VR_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

int64_t vr_wall_sec(void)
{
	return (int64_t)time(NULL);
}

uint64_t vr_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t vr_sat_sub(uint64_t a, uint64_t b)
{
	return b > a ? 0 : a - b;
}

bool vr_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size == 0)
		return false;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

int vr_request_line(const char *buf, size_t len, bool crlf, char *line, size_t size, char *err,
		    size_t err_size)
{
	size_t i;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (crlf && len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0) {
		snprintf(err, err_size, "empty request");
		return -EINVAL;
	}
	if (len >= size) {
		snprintf(err, err_size, "request longer than %zu bytes", size - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch < 0x20 || ch > 0x7e) {
			snprintf(err, err_size, "request holds a control or non-ASCII byte");
			return -EINVAL;
		}
	}
	memcpy(line, buf, len);
	line[len] = '\0';
	return 0;
}

int vr_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (!vr_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}
