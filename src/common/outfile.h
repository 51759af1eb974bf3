/* SPDX-License-Identifier: MIT */
/* The one way vmreclaim writes a file that a user named: plot's SVG,
 * top's recording, the daemon's metrics file.
 *
 * The path may sit in a directory others can write (/tmp), and we may be
 * root.  So:
 *   - only a regular file is written or replaced: a device node, a FIFO, a
 *     socket, a directory or a symbolic link at the path is refused, never
 *     replaced by a rename nor opened (a FIFO would block us); "-" is
 *     standard output when the caller allows it, the one way to name a
 *     device on purpose;
 *   - a whole file (VR_OUTFILE_REPLACE) goes by way of a temporary file
 *     created with O_EXCL | O_NOFOLLOW | O_NONBLOCK, under a random name
 *     in the target's directory (so that rename() is atomic and nothing
 *     planted at a fixed ".tmp" name is followed, truncated or waited
 *     on), made durable with fsync() before it takes the name: a reader
 *     sees the old file or the new one, never half of one;
 *   - a file written as it grows (VR_OUTFILE_IN_PLACE, a recording that
 *     must survive a kill of its writer) is opened with O_NOFOLLOW |
 *     O_NONBLOCK, and must be a regular file with no other hard link;
 *   - "the same file" is decided by device and inode, not by the spelling
 *     of the path (./rec.csv and /home/u/rec.csv are one file). */
#ifndef VR_OUTFILE_H
#define VR_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define VR_OUTFILE_PATH_MAX 4096

enum vr_outfile_how {
	VR_OUTFILE_REPLACE,  /* whole or not at all: temporary file, fsync, rename */
	VR_OUTFILE_IN_PLACE, /* the file itself, truncated, written as it grows */
};

/* vr_outfile_open() flags */
#define VR_OUTFILE_STDOUT 1u /* "-" means standard output */
/* No fsync before the rename: for a file written again every few seconds
 * (the metrics file), where a crash may lose the last copy but a disk
 * write each time would cost the guest more than the file is worth; the
 * rename still shows readers a whole file. */
#define VR_OUTFILE_NOSYNC 2u

struct vr_outfile {
	int fd;                          /* -1 when closed */
	enum vr_outfile_how how;
	bool is_stdout;
	bool nosync; /* VR_OUTFILE_NOSYNC */
	char path[VR_OUTFILE_PATH_MAX];
	char tmp[VR_OUTFILE_PATH_MAX];   /* "" unless a temporary file is open */
};

/* True when @a and @b are the same file (device and inode). */
bool vr_same_file(const struct stat *a, const struct stat *b);

/* Open @path for writing as @how says.  @not_this (may be NULL): a file
 * that must not be the target (an input).  New files get mode 0666 less
 * the umask; a replaced file keeps its mode.  Returns 0, or -errno with
 * what is wrong in @err (without the path): -EEXIST when the target is
 * @not_this, VR_ENOTREG (common/util.h) for a target that is not a regular
 * file, -EMLINK for an in-place target with other hard links. */
int vr_outfile_open(struct vr_outfile *o, const char *path, enum vr_outfile_how how,
		    unsigned flags, const struct stat *not_this, char *err, size_t err_size);

/* Finish: flush to disk and, for VR_OUTFILE_REPLACE, give the temporary
 * file the target's name (unless something other than a regular file
 * took the name meanwhile: then VR_ENOTREG, and that entry stays).  Closes the file either way; on failure the temporary
 * file is removed.  Returns 0 or -errno with @err set. */
int vr_outfile_commit(struct vr_outfile *o, char *err, size_t err_size);

/* A stdio stream on a copy of @o's fd, so that fclose() leaves the fd for
 * vr_outfile_commit() (and standard output open).  Returns NULL with errno
 * set; @o is then as it was. */
FILE *vr_outfile_stream(struct vr_outfile *o);

/* Give up: close, and remove the temporary file (the target is left as
 * it was; an in-place file keeps what was written). */
void vr_outfile_abort(struct vr_outfile *o);

#endif
