/* SPDX-License-Identifier: MIT */
/* vmreclaim plot: a recording of `vmreclaim top --record` as an SVG. */
#include "common/outfile.h"
#include "common/util.h"
#include "host/commands.h"
#include "host/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: vmreclaim plot FILE.csv -o FILE.svg [--title TEXT]\n"
		   "Draw a recording of 'vmreclaim top --record' as an SVG: host RSS of each VM\n"
		   "(solid), the guest's used memory (dashed), the stranded memory between them\n"
		   "(band) and the events, with RSS at the start, peak and end of each VM.\n"
		   "\nOptions:\n"
		   "  -o, --output FILE   the SVG to write (required; replaced whole or not at all;\n"
		   "                      a regular file, or - for standard output)\n"
		   "      --title TEXT    the title (default: the name of the CSV file)\n"
		   "  -h, --help          this text\n"
		   "\nExit status: 0 done, 1 I/O failure, 2 usage or a bad recording.\n");
}

/* Write the SVG to @path whole or not at all (common/outfile.h: only a
 * regular file is replaced, "-" is standard output, never the recording
 * @in_st itself).  Returns 0 or -errno with what failed in @err. */
static int write_svg(const char *path, const struct vr_recording *rec, const char *title,
		     const struct stat *in_st, char *err, size_t err_size)
{
	struct vr_outfile o;
	FILE *f;
	int r;

	r = vr_outfile_open(&o, path, VR_OUTFILE_REPLACE, VR_OUTFILE_STDOUT, in_st, err, err_size);
	if (r < 0)
		return r;
	f = vr_outfile_stream(&o);
	if (!f) {
		r = -errno;
		snprintf(err, err_size, "write: %s", strerror(-r));
		vr_outfile_abort(&o);
		return r;
	}
	r = vr_plot_svg(rec->samples, rec->n, title, f);
	if (r == 0 && fflush(f) != 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, err_size, "write: %s", strerror(-r));
		vr_outfile_abort(&o);
		return r;
	}
	return vr_outfile_commit(&o, err, err_size);
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
	const char *input, *output = NULL, *title = NULL;
	struct vr_recording rec;
	unsigned long line = 0;
	struct stat in_st;
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
	if (!title) {
		const char *slash = strrchr(input, '/');

		title = slash && slash[1] ? slash + 1 : input;
	}

	in = fopen(input, "re");
	if (!in) {
		fprintf(stderr, "vmreclaim plot: %s: %s\n", input, strerror(errno));
		return VR_EXIT_FAILURE;
	}
	if (fstat(fileno(in), &in_st) < 0) {
		fprintf(stderr, "vmreclaim plot: %s: %s\n", input, strerror(errno));
		fclose(in);
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

	r = write_svg(output, &rec, title, &in_st, err, sizeof(err));
	vr_recording_free(&rec);
	if (r < 0) {
		fprintf(stderr, "vmreclaim plot: %s: %s\n", output, err);
		/* Refusing to touch a device or the recording is the user's
		 * mistake, not an I/O failure. */
		return r == -EEXIST || r == -VR_ENOTREG || r == -EISDIR ? VR_EXIT_USAGE
									: VR_EXIT_FAILURE;
	}
	return 0;
}
