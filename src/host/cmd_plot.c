/* SPDX-License-Identifier: MIT */
/* vmreclaim plot: a recording of `vmreclaim top --record` as an SVG. */
#include "host/commands.h"
#include "host/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: vmreclaim plot FILE.csv -o FILE.svg [--title TEXT]\n"
		   "Draw a recording of 'vmreclaim top --record' as an SVG: host RSS of each VM\n"
		   "(solid), the guest's used memory (dashed), the stranded memory between them\n"
		   "(band) and the events, with RSS at the start, peak and end of each VM.\n"
		   "\nOptions:\n"
		   "  -o, --output FILE   the SVG to write (required; replaced whole or not at all)\n"
		   "      --title TEXT    the title (default: the name of the CSV file)\n"
		   "  -h, --help          this text\n"
		   "\nExit status: 0 done, 1 I/O failure, 2 usage or a bad recording.\n");
}

/* Write the SVG to @path by way of @path.tmp, so that a reader never sees
 * half a picture and a failure leaves the old file, if any, alone.
 * Returns 0 or -errno; @what gets the step that failed. */
static int write_svg(const char *path, const struct vr_recording *rec, const char *title,
		     const char **what)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		*what = "temporary file";
		return -ENAMETOOLONG;
	}
	/* O_NOFOLLOW: a planted symlink at the .tmp name must not make us
	 * write somewhere else. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		*what = "create";
		return -errno;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		*what = "create";
		goto remove_tmp;
	}
	r = vr_plot_svg(rec->samples, rec->n, title, f);
	if (r == 0 && fflush(f) != 0)
		r = -errno;
	/* Durable before it takes the real name. */
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		*what = "write";
		goto remove_tmp;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		*what = "rename";
		goto remove_tmp;
	}
	return 0;

remove_tmp:
	unlink(tmp);
	return r;
}

int vr_cmd_plot(int argc, char **argv)
{
	enum { OPT_TITLE = 256 };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *input, *output = NULL, *title = NULL, *what = "";
	struct vr_recording rec;
	unsigned long line = 0;
	char err[256];
	FILE *in;
	int c, r;

	/* 0, not 1: glibc then forgets the state of any earlier parse, as
	 * the top-level command line was parsed before us. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_TITLE:
			title = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return VR_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !output || !*output) {
		fprintf(stderr, "vmreclaim plot: %s\n",
			argc - optind != 1 ? "needs exactly one recording (FILE.csv)"
					   : "needs the SVG to write (-o FILE.svg)");
		usage(stderr);
		return VR_EXIT_USAGE;
	}
	input = argv[optind];
	if (strcmp(input, output) == 0) {
		fprintf(stderr, "vmreclaim plot: the SVG would replace the recording %s\n", input);
		return VR_EXIT_USAGE;
	}
	if (!title) {
		const char *slash = strrchr(input, '/');

		title = slash && slash[1] ? slash + 1 : input;
	}

	in = fopen(input, "re");
	if (!in) {
		fprintf(stderr, "vmreclaim plot: %s: %s\n", input, strerror(errno));
		return VR_EXIT_FAILURE;
	}
	r = vr_recording_read(in, &rec, &line, err, sizeof(err));
	fclose(in);
	if (r == -EINVAL || r == -EFBIG) {
		/* The compiler's form, which editors can jump to. */
		if (line)
			fprintf(stderr, "%s:%lu: %s\n", input, line, err);
		else
			fprintf(stderr, "%s: %s\n", input, err);
		return VR_EXIT_USAGE;
	}
	if (r < 0) {
		fprintf(stderr, "vmreclaim plot: %s: %s\n", input, strerror(-r));
		return VR_EXIT_FAILURE;
	}
	if (rec.cut_line)
		fprintf(stderr, "%s:%lu: incomplete last line left out\n", input, rec.cut_line);

	r = write_svg(output, &rec, title, &what);
	vr_recording_free(&rec);
	if (r < 0) {
		fprintf(stderr, "vmreclaim plot: %s: %s: %s\n", output, what, strerror(-r));
		return VR_EXIT_FAILURE;
	}
	return 0;
}
