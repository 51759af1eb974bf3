/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every part of vmreclaim: file access with -errno
 * returns, strict number parsing, monotonic time. */
#ifndef VR_UTIL_H
#define VR_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define VR_KIB ((uint64_t)1024)
#define VR_MIB (VR_KIB * 1024)
#define VR_GIB (VR_MIB * 1024)

#define VR_USEC_PER_SEC ((uint64_t)1000000)
#define VR_USEC_PER_MSEC ((uint64_t)1000)

/* -VR_ENOTREG: "not a regular file" (Linux has no errno for it; say it
 * with vr_strerror()). */
#define VR_ENOTREG EMEDIUMTYPE

/* strerror(-@r), but "not a regular file" for -VR_ENOTREG. */
const char *vr_strerror(int r);

/* Open @path for reading (O_RDONLY | O_CLOEXEC | @flags) only if it is a
 * regular file: with O_NONBLOCK, so that a FIFO or a device put at the
 * path (another user's mkfifo, a config replaced by a FIFO) cannot block
 * us in open(), then checked with fstat() and made blocking again.
 * Returns the fd, -VR_ENOTREG, -EISDIR, or -errno. */
int vr_open_regular(const char *path, int flags);

/* Read the whole of @path (at most @size - 1 bytes) into @buf and
 * NUL-terminate it.  @path must be a regular file (procfs and sysfs files
 * are): anything else is -VR_ENOTREG, without blocking.  Returns 0 and
 * sets *ret_len, -errno on failure, or -EFBIG when the file does not fit
 * (the buffer is then undefined). */
int vr_read_file(const char *path, char *buf, size_t size, size_t *ret_len);

/* Read the start of @path: at most @size - 1 bytes, NUL-terminated, with
 * a single read(2) (procfs files are generated whole per read).  Returns
 * 0 or -errno. */
int vr_read_head(const char *path, char *buf, size_t size);

/* Write @len bytes of @data to the existing file @path in one write(2),
 * as the kernel's sysctl and cgroup files expect.  Returns 0 or -errno
 * (a short write is -EIO). */
int vr_write_file(const char *path, const char *data, size_t len);

/* Join @root (may be "" for the real root) and the absolute @path into
 * @buf.  Returns 0, or -ENAMETOOLONG. */
int vr_path_join(char *buf, size_t size, const char *root, const char *path);

/* Parse an unsigned decimal number that fills [s, end) or, when @end is
 * NULL, all of @s.  No sign, no spaces, no overflow.  Returns 0 and sets
 * *ret, or -EINVAL / -ERANGE. */
int vr_parse_u64(const char *s, const char *end, uint64_t *ret);

/* Parse the text of a file that holds one unsigned decimal number at most
 * @max, and at most one newline after it (a sysctl, a module parameter, a
 * state file).  Returns 0 and sets *ret, or -EINVAL. */
int vr_parse_u64_line(const char *buf, uint64_t max, uint64_t *ret);

/* Skip spaces and tabs. */
const char *vr_skip_blanks(const char *s);

/* Monotonic clock in microseconds. */
uint64_t vr_now_usec(void);

/* Wall clock, seconds since the epoch (for status output only). */
int64_t vr_wall_sec(void);

/* a + b, saturating at UINT64_MAX. */
uint64_t vr_sat_add(uint64_t a, uint64_t b);

/* a - b, or 0 when b > a. */
uint64_t vr_sat_sub(uint64_t a, uint64_t b);

/* Copy @src into @dst of @size bytes, always terminated.  Returns true
 * when it fitted. */
bool vr_strlcpy(char *dst, const char *src, size_t size);

/* Connect a stream socket to the unix socket @path.  Returns the fd
 * (close-on-exec) or -errno. */
int vr_unix_connect(const char *path);

/* Take one protocol request line of @len bytes from @buf (a trailing
 * "\n" dropped, and "\r" before it when @crlf) into @line, NUL-terminated:
 * it must be non-empty, shorter than @size, and printable ASCII only.
 * Returns 0, or -EINVAL with the reason in @err. */
int vr_request_line(const char *buf, size_t len, bool crlf, char *line, size_t size, char *err,
		    size_t err_size);

#endif
