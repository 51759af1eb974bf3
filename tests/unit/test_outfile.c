/* SPDX-License-Identifier: MIT */
/* Unit tests for the one way of writing an output file (common/outfile.c)
 * and of opening an input that must be a regular file (vr_open_regular,
 * vr_read_file): what an outside probe did to `plot -o`, the metrics file
 * and `run -c` - a device, a FIFO, a symbolic link or a hard link at the
 * path, the input named another way - must neither be replaced, nor be
 * written through, nor block us. */
#include "helpers.h"

#include "common/outfile.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct dir {
	char path[128];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/vr-outfile-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static void path_in(const struct dir *d, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", d->path, name);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *get(const char *path)
{
	static char buf[256];
	size_t len;

	if (vr_read_file(path, buf, sizeof(buf), &len) < 0)
		return NULL;
	return buf;
}

/* A character device node of our own at @path that no driver serves
 * (0:0, so opening it fails with ENXIO): what a device at the output
 * path looks like, without any test writing through a real device (as
 * root, the probe's `plot -o /dev/null` turned /dev/null into a regular
 * file).  Only root can make one: false otherwise. */
static bool dead_device(const char *path)
{
	return geteuid() == 0 && mknod(path, S_IFCHR | 0600, makedev(0, 0)) == 0;
}

/* Entries in the directory: nothing temporary is left behind. */
static int entries(const struct dir *d)
{
	DIR *dd = opendir(d->path);
	struct dirent *de;
	int n = 0;

	assert_non_null(dd);
	while ((de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dd);
	return n;
}

static void write_all(struct vr_outfile *o, const char *text)
{
	assert_int_equal(write(o->fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void test_outfile_replace(void **state)
{
	const struct dir *d = *state;
	char path[PATH_MAX], err[256];
	struct vr_outfile o;
	struct stat st;

	path_in(d, "out.svg", path, sizeof(path));
	/* A new file. */
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err)), 0);
	write_all(&o, "one");
	/* Not there until committed. */
	assert_null(get(path));
	assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), 0);
	assert_string_equal(get(path), "one");
	/* An old one keeps its mode, and is replaced whole. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err)), 0);
	write_all(&o, "two");
	assert_string_equal(get(path), "one");
	assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), 0);
	assert_string_equal(get(path), "two");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(entries(d), 1);
	/* Given up: the old file stays, the temporary file goes. */
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err)), 0);
	write_all(&o, "three");
	vr_outfile_abort(&o);
	assert_string_equal(get(path), "two");
	assert_int_equal(entries(d), 1);
}

/* A FIFO, a symbolic link (to a file or to a device), a directory: none
 * replaced, none opened (a FIFO would block), each said. */
static void test_outfile_not_regular(void **state)
{
	const struct dir *d = *state;
	char fifo[PATH_MAX], link_dev[PATH_MAX], link_file[PATH_MAX], target[PATH_MAX],
		sub[PATH_MAX], dev[PATH_MAX], err[256];
	enum vr_outfile_how how;
	struct vr_outfile o;
	struct stat st;
	bool have_dev;

	path_in(d, "fifo", fifo, sizeof(fifo));
	path_in(d, "stdout", link_dev, sizeof(link_dev));
	path_in(d, "link", link_file, sizeof(link_file));
	path_in(d, "target", target, sizeof(target));
	path_in(d, "sub", sub, sizeof(sub));
	path_in(d, "dev", dev, sizeof(dev));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	have_dev = dead_device(dev);
	/* A link to a device (-o /dev/stdout), or to the FIFO without root. */
	assert_int_equal(symlink(have_dev ? dev : fifo, link_dev), 0);
	put(target, "keep");
	assert_int_equal(symlink(target, link_file), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	for (how = VR_OUTFILE_REPLACE; how <= VR_OUTFILE_IN_PLACE; how++) {
		assert_int_equal(vr_outfile_open(&o, fifo, how, 0, NULL, err, sizeof(err)), -VR_ENOTREG);
		assert_non_null(strstr(err, "not a regular file"));
		assert_int_equal(vr_outfile_open(&o, link_dev, how, 0, NULL, err, sizeof(err)),
				 -VR_ENOTREG);
		assert_non_null(strstr(err, "symbolic link"));
		assert_int_equal(vr_outfile_open(&o, link_file, how, 0, NULL, err, sizeof(err)),
				 -VR_ENOTREG);
		assert_int_equal(vr_outfile_open(&o, sub, how, 0, NULL, err, sizeof(err)), -EISDIR);
		/* A device named outright. */
		if (have_dev)
			assert_int_equal(vr_outfile_open(&o, dev, how, 0, NULL, err, sizeof(err)),
					 -VR_ENOTREG);
		/* "-" is a file name unless the caller lets it mean stdout. */
		assert_int_equal(vr_outfile_open(&o, "-", how, VR_OUTFILE_STDOUT, NULL, err, sizeof(err)),
				 0);
		assert_true(o.is_stdout);
		assert_int_equal(o.fd, STDOUT_FILENO);
		assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), 0);
		assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
	}
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(lstat(link_dev, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	if (have_dev) {
		assert_int_equal(lstat(dev, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
	}
	assert_string_equal(get(target), "keep");
	assert_int_equal(entries(d), have_dev ? 6 : 5);
}

/* Something other than a regular file takes the name while we write: the
 * rename does not replace it. */
static void test_outfile_swapped_before_commit(void **state)
{
	const struct dir *d = *state;
	char path[PATH_MAX], err[256];
	struct vr_outfile o;
	struct stat st;

	path_in(d, "out", path, sizeof(path));
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err)), 0);
	write_all(&o, "x");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), -VR_ENOTREG);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(entries(d), 1);
}

/* The input named another way is still the input. */
static void test_outfile_same_file(void **state)
{
	const struct dir *d = *state;
	char path[PATH_MAX], other[PATH_MAX], cwd[PATH_MAX], err[256];
	enum vr_outfile_how how;
	struct vr_outfile o;
	struct stat in;

	path_in(d, "rec.csv", path, sizeof(path));
	put(path, "recording");
	assert_int_equal(stat(path, &in), 0);
	snprintf(other, sizeof(other), "%s/./rec.csv", d->path);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(d->path), 0);
	for (how = VR_OUTFILE_REPLACE; how <= VR_OUTFILE_IN_PLACE; how++) {
		assert_int_equal(vr_outfile_open(&o, "rec.csv", how, 0, &in, err, sizeof(err)), -EEXIST);
		assert_non_null(strstr(err, "same file as the input"));
		assert_int_equal(vr_outfile_open(&o, other, how, 0, &in, err, sizeof(err)), -EEXIST);
	}
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(get(path), "recording");
	/* Another file is fine. */
	path_in(d, "rec.svg", path, sizeof(path));
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, &in, err, sizeof(err)), 0);
	assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), 0);
}

/* In place: the file itself, emptied first; never one with another hard
 * link (truncating it would empty the other name). */
static void test_outfile_in_place(void **state)
{
	const struct dir *d = *state;
	char path[PATH_MAX], hard[PATH_MAX], err[256];
	struct vr_outfile o;

	path_in(d, "rec.csv", path, sizeof(path));
	put(path, "an old recording that is longer");
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_IN_PLACE, 0, NULL, err, sizeof(err)), 0);
	write_all(&o, "new");
	/* Seen as it grows. */
	assert_string_equal(get(path), "new");
	assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), 0);
	assert_string_equal(get(path), "new");

	path_in(d, "victim", hard, sizeof(hard));
	put(hard, "somebody's data");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(link(hard, path), 0);
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_IN_PLACE, 0, NULL, err, sizeof(err)),
			 -EMLINK);
	assert_string_equal(get(hard), "somebody's data");
	assert_int_equal(entries(d), 2);
}

/* What the metrics file of a root daemon met in a shared directory: a
 * FIFO planted at the old fixed temporary name (PATH.tmp) must not block
 * the write, and a hard link planted at the target must not make us
 * write into the file it links to: replacing renames over the name. */
static void test_outfile_planted(void **state)
{
	const struct dir *d = *state;
	char path[PATH_MAX], fifo[PATH_MAX], victim[PATH_MAX], err[256];
	struct vr_outfile o;

	path_in(d, "metrics", path, sizeof(path));
	path_in(d, "metrics.tmp", fifo, sizeof(fifo));
	path_in(d, "victim", victim, sizeof(victim));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	put(victim, "somebody's data");
	assert_int_equal(link(victim, path), 0);
	assert_int_equal(vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, 0, NULL, err, sizeof(err)), 0);
	write_all(&o, "vmreclaim_up 1\n");
	assert_int_equal(vr_outfile_commit(&o, err, sizeof(err)), 0);
	assert_string_equal(get(path), "vmreclaim_up 1\n");
	assert_string_equal(get(victim), "somebody's data");
	assert_int_equal(entries(d), 3);
}

/* A FIFO where a file is read (a config, a pid file): refused at once. */
static void test_read_regular_only(void **state)
{
	const struct dir *d = *state;
	char fifo[PATH_MAX], buf[64];
	int fd;

	path_in(d, "fifo", fifo, sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(vr_read_file(fifo, buf, sizeof(buf), NULL), -VR_ENOTREG);
	assert_int_equal(vr_open_regular(fifo, 0), -VR_ENOTREG);
	path_in(d, "dev", fifo, sizeof(fifo));
	if (dead_device(fifo))
		assert_int_equal(vr_read_file(fifo, buf, sizeof(buf), NULL), -VR_ENOTREG);
	path_in(d, "fifo", fifo, sizeof(fifo));
	assert_int_equal(vr_read_file(d->path, buf, sizeof(buf), NULL), -EISDIR);
	assert_string_equal(vr_strerror(-VR_ENOTREG), "not a regular file");
	assert_string_equal(vr_strerror(-ENOENT), strerror(ENOENT));
	/* What it opens reads as usual, blocking again. */
	path_in(d, "file", fifo, sizeof(fifo));
	put(fifo, "x");
	fd = vr_open_regular(fifo, 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outfile_replace, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_outfile_not_regular, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_outfile_swapped_before_commit, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_outfile_same_file, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_outfile_in_place, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_outfile_planted, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_read_regular_only, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
