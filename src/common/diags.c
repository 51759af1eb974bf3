/* SPDX-License-Identifier: MIT */
/* Diagnostics from reading settings: collected with their file and line,
 * then printed for people (sorted, errors first, made safe for a
 * terminal) or sent to the log. */
#include "common/config.h"
#include "common/log.h"
#include "common/sanitize.h"
#include "common/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vr_diags_add(struct vr_diags *d, const char *file, unsigned line, bool error,
		  const char *fmt, ...)
{
	struct vr_diag *it;
	va_list ap;

	if (error)
		d->errors++;
	else
		d->warnings++;
	if (d->count >= VR_DIAG_MAX) {
		d->dropped++;
		return;
	}
	it = &d->items[d->count++];
	vr_strlcpy(it->file, file, sizeof(it->file));
	it->line = line;
	it->error = error;
	va_start(ap, fmt);
	vsnprintf(it->msg, sizeof(it->msg), fmt, ap);
	va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct vr_diag *x = a, *y = b;
	int r;

	/* Errors first: a start that fails shows why at the top, not after
	 * a screen of warnings (systemctl status shows ten lines). */
	if (x->error != y->error)
		return x->error ? -1 : 1;
	r = strcmp(x->file, y->file);
	if (r)
		return r;
	return (x->line > y->line) - (x->line < y->line);
}

/* @with_severity: "warning: " before a warning's text (not in the log,
 * whose own prefix says it). */
static void diag_format(const struct vr_diag *it, char *buf, size_t size, bool with_severity)
{
	const char *sev = it->error || !with_severity ? "" : "warning: ";

	if (it->line)
		snprintf(buf, size, "%s:%u: %s%s", it->file, it->line, sev, it->msg);
	else
		snprintf(buf, size, "%s: %s%s", it->file, sev, it->msg);
}

static void diags_sorted(const struct vr_diags *d, struct vr_diag *out)
{
	memcpy(out, d->items, d->count * sizeof(*out));
	/* qsort is not stable: ties keep the order they had by line anyway. */
	qsort(out, d->count, sizeof(*out), diag_cmp);
}

void vr_diags_print(const struct vr_diags *d, FILE *f)
{
	struct vr_diag sorted[VR_DIAG_MAX];
	char line[512];
	unsigned i;

	diags_sorted(d, sorted);
	for (i = 0; i < d->count; i++) {
		/* Messages quote the file's text: no escape sequence of it
		 * reaches the terminal. */
		char shown[VR_SANITIZE_SIZE(sizeof(line))];

		diag_format(&sorted[i], line, sizeof(line), true);
		fprintf(f, "%s\n", vr_sanitize_str(line, shown, sizeof(shown)));
	}
	if (d->dropped)
		fprintf(f, "(%u more not shown)\n", d->dropped);
}

void vr_diags_log(const struct vr_diags *d)
{
	struct vr_diag sorted[VR_DIAG_MAX];
	char line[512];
	unsigned i;

	diags_sorted(d, sorted);
	for (i = 0; i < d->count; i++) {
		diag_format(&sorted[i], line, sizeof(line), false);
		vr_log(sorted[i].error ? VR_LOG_ERR : VR_LOG_WARNING, "%s", line);
	}
	if (d->dropped)
		vr_log(VR_LOG_ERR, "(%u more configuration messages not shown)", d->dropped);
}
