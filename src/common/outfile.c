/* SPDX-License-Identifier: MIT */
#include "common/outfile.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_TRIES 16

bool vr_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int fail(char *err, size_t err_size, int r, const char *what)
{
	snprintf(err, err_size, "%s: %s", what, vr_strerror(r));
	return r;
}

/* What lstat() says of the target: 0 and *ret_exists, or -errno.  Only a
 * regular file (or nothing) will do. */
static int check_target(const char *path, const struct stat *not_this, struct stat *st,
			bool *ret_exists, char *err, size_t err_size)
{
	*ret_exists = false;
	if (lstat(path, st) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(err, err_size, -errno, "cannot look at it");
	}
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, err_size,
			 "a symbolic link: it would be replaced, not followed (name the file itself)");
		return -VR_ENOTREG;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, err_size, "not a regular file (a device, FIFO, socket or directory): "
					"left alone");
		return S_ISDIR(st->st_mode) ? -EISDIR : -VR_ENOTREG;
	}
	if (not_this && vr_same_file(st, not_this)) {
		snprintf(err, err_size, "the same file as the input: it would be overwritten");
		return -EEXIST;
	}
	*ret_exists = true;
	return 0;
}

/* DIR/.BASE.XXXXXXXX with random X, in @tmp. */
static int tmp_name(char *tmp, size_t size, const char *path)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
	unsigned char rnd[8];
	char suffix[sizeof(rnd) + 1];
	size_t i;
	int n;

	/* GRND_NONBLOCK: a daemon started early in a guest's boot must not
	 * wait for the entropy pool; the time and pid are enough then, and
	 * O_EXCL does the rest. */
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		uint64_t x = vr_now_usec() ^ ((uint64_t)getpid() << 40);

		memcpy(rnd, &x, sizeof(rnd));
	}
	for (i = 0; i < sizeof(rnd); i++)
		suffix[i] = digits[rnd[i] % (sizeof(digits) - 1)];
	suffix[sizeof(rnd)] = '\0';
	n = snprintf(tmp, size, "%.*s.%s.%s", (int)dir_len, path, path + dir_len, suffix);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int open_replace(struct vr_outfile *o, const struct stat *old, bool exists, char *err,
			size_t err_size)
{
	int i, fd = -1;

	for (i = 0; i < TMP_TRIES && fd < 0; i++) {
		if (tmp_name(o->tmp, sizeof(o->tmp), o->path) < 0) {
			o->tmp[0] = '\0';
			return fail(err, err_size, -ENAMETOOLONG, "temporary file");
		}
		/* O_EXCL: never an existing file, whatever it is (a FIFO, a
		 * link to someone else's file); O_NOFOLLOW and O_NONBLOCK say
		 * the same to a kernel that would think otherwise. */
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
			  0666);
		if (fd < 0 && errno != EEXIST) {
			int r = -errno;

			o->tmp[0] = '\0';
			return fail(err, err_size, r, "cannot create a temporary file beside it");
		}
	}
	if (fd < 0) {
		o->tmp[0] = '\0';
		return fail(err, err_size, -EEXIST, "cannot create a temporary file beside it");
	}
	/* A new file has the mode open() gave it (0666 less the umask), a
	 * replaced one keeps its own. */
	if ((exists && fchmod(fd, old->st_mode & 07777) < 0) || fcntl(fd, F_SETFL, 0) < 0) {
		int r = -errno;

		close(fd);
		unlink(o->tmp);
		o->tmp[0] = '\0';
		return fail(err, err_size, r, "temporary file");
	}
	o->fd = fd;
	return 0;
}

static int open_in_place(struct vr_outfile *o, const struct stat *not_this, char *err,
			 size_t err_size)
{
	struct stat st;
	int fd, r;

	fd = open(o->path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0)
		return fail(err, err_size, errno == ELOOP ? -VR_ENOTREG : -errno, "cannot open it");
	if (fstat(fd, &st) < 0) {
		r = fail(err, err_size, -errno, "cannot look at it");
		goto close_fd;
	}
	/* Checked again on what was opened: the path may have changed
	 * since lstat(). */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "not a regular file: left alone");
		r = -VR_ENOTREG;
		goto close_fd;
	}
	if (not_this && vr_same_file(&st, not_this)) {
		snprintf(err, err_size, "the same file as the input: it would be overwritten");
		r = -EEXIST;
		goto close_fd;
	}
	/* Truncating a file with another name would empty that one too (a
	 * hard link planted in a shared directory). */
	if (st.st_nlink > 1) {
		snprintf(err, err_size, "has %llu hard links: truncating it would empty the others",
			 (unsigned long long)st.st_nlink);
		r = -EMLINK;
		goto close_fd;
	}
	if (ftruncate(fd, 0) < 0 || fcntl(fd, F_SETFL, 0) < 0) {
		r = fail(err, err_size, -errno, "cannot truncate it");
		goto close_fd;
	}
	o->fd = fd;
	return 0;
close_fd:
	close(fd);
	return r;
}

int vr_outfile_open(struct vr_outfile *o, const char *path, enum vr_outfile_how how,
		    unsigned flags, const struct stat *not_this, char *err, size_t err_size)
{
	struct stat st;
	bool exists;
	int r;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->how = how;
	o->nosync = (flags & VR_OUTFILE_NOSYNC) != 0;
	if (!path[0])
		return fail(err, err_size, -ENOENT, "empty path");
	if ((flags & VR_OUTFILE_STDOUT) && strcmp(path, "-") == 0) {
		if (not_this && fstat(STDOUT_FILENO, &st) == 0 && vr_same_file(&st, not_this)) {
			snprintf(err, err_size, "standard output is the input: it would be overwritten");
			return -EEXIST;
		}
		o->is_stdout = true;
		o->fd = STDOUT_FILENO;
		vr_strlcpy(o->path, "-", sizeof(o->path));
		return 0;
	}
	if (!vr_strlcpy(o->path, path, sizeof(o->path)))
		return fail(err, err_size, -ENAMETOOLONG, "path");
	r = check_target(path, not_this, &st, &exists, err, err_size);
	if (r < 0)
		return r;
	if (how == VR_OUTFILE_IN_PLACE)
		return open_in_place(o, not_this, err, err_size);
	return open_replace(o, &st, exists, err, err_size);
}

FILE *vr_outfile_stream(struct vr_outfile *o)
{
	int fd = dup(o->fd), e;
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

void vr_outfile_abort(struct vr_outfile *o)
{
	if (o->fd >= 0 && !o->is_stdout)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
}

/* The directory entry is durable too: after a crash the name is the old
 * file or the new one. */
static void sync_dir(const char *path)
{
	char dir[VR_OUTFILE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		vr_strlcpy(dir, ".", sizeof(dir));
	else if (slash == path)
		vr_strlcpy(dir, "/", sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int vr_outfile_commit(struct vr_outfile *o, char *err, size_t err_size)
{
	struct stat st;
	bool exists;
	int r = 0;

	if (o->fd < 0)
		return fail(err, err_size, -EBADF, "not open");
	if (o->is_stdout) {
		o->fd = -1;
		return 0;
	}
	/* A device (stdout's pipe aside) has nothing to sync; a regular
	 * file must be on disk before it takes the name. */
	if (!o->nosync && fsync(o->fd) < 0)
		r = fail(err, err_size, -errno, "cannot write it to disk");
	if (close(o->fd) < 0 && r == 0 && errno != EINTR)
		r = fail(err, err_size, -errno, "cannot write it");
	o->fd = -1;
	if (r < 0 || o->how == VR_OUTFILE_IN_PLACE)
		goto out;
	/* Something other than a regular file may have taken the name since
	 * open: rename() would replace it (as root, /dev/null itself). */
	r = check_target(o->path, NULL, &st, &exists, err, err_size);
	if (r == 0 && rename(o->tmp, o->path) < 0)
		r = fail(err, err_size, -errno, "cannot rename the temporary file to it");
	if (r == 0) {
		o->tmp[0] = '\0';
		if (!o->nosync)
			sync_dir(o->path);
	}
out:
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
	return r;
}
