/* SPDX-License-Identifier: MIT */
/* The SVG picture of a recording: scales, axes, one series per VM and
 * quantity, the stranded band, event marks, thinning to the pixel columns,
 * the legend.  Over 600 lines on purpose: it is one drawing, and its
 * layout constants and coordinate transforms are shared by every part;
 * split by part, each file would need all of them. */
#include "host/plot.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Okabe and Ito's palette, chosen to stay apart for colour-blind readers,
 * without its yellow (too pale on white), plus brown and grey. */
static const char *const palette[] = {
	"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#555555",
};

/* Layout, in SVG pixels. */
#define MARGIN_LEFT 72.0  /* y tick labels up to "100000" at 12 px */
#define MARGIN_RIGHT 24.0 /* room for the label of an event at the end */
#define PLOT_TOP 64.0	  /* title, then the line-style key */
#define BELOW_PLOT 50.0	  /* x tick labels and the x axis title */
#define CAPTION_LINE 16.0 /* one per VM */
#define CAPTION_ROWS_FREE 3 /* VMs that fit before the picture grows */

/* Up to 8 y steps (50 px apart at the least) and 10 x steps (x labels
 * of up to 5 digits need about 40 px each).  With 7, a peak of 1440 MiB
 * got 3 steps of 500. */
#define Y_MAX_INTERVALS 8
#define X_MAX_INTERVALS 10

/* Event labels run upwards along their line, in a 10 px font whose
 * average advance is under 6 px in DejaVu Sans and Arial.  Two labels
 * closer than LABEL_GAP_PX overlap, so the later one is moved down below
 * the earlier; one that no longer fits is left out (its line keeps the
 * full text as a tooltip). */
#define LABEL_FONT_PX 10
#define LABEL_CHAR_PX 6.0
#define LABEL_GAP_PX 11.0
#define LABEL_MAX_CHARS 32
#define TITLE_MAX_CHARS 80
#define NAME_MAX_CHARS 24

struct vm {
	const char *name;
	size_t first, last, peak; /* sample indices */
	bool any_guest;
};

struct frame {
	struct vr_plot_axis x, y;
	double left, right, top, bottom;
};

struct event {
	double t;
	size_t i;
};

void vr_plot_axis_nice(double lo, double hi, unsigned max_intervals, struct vr_plot_axis *ret)
{
	static const double mult[] = { 1, 2, 5 };
	double mag;
	size_t i;

	if (max_intervals == 0)
		max_intervals = 1;
	if (!isfinite(lo))
		lo = 0;
	if (!isfinite(hi) || !(hi > lo))
		hi = lo + 1;
	/* The step that would give exactly max_intervals, rounded down to a
	 * power of ten: the smallest candidate; climb from there. */
	mag = pow(10, floor(log10((hi - lo) / max_intervals)));
	for (;;) {
		for (i = 0; i < VR_ARRAY_SIZE(mult); i++) {
			double step = mult[i] * mag;
			/* The slack keeps 200 / 50 from becoming 4.000001 -> 5. */
			double a_lo = floor(lo / step + 1e-9) * step;
			double a_hi = ceil(hi / step - 1e-9) * step;
			double k;

			if (a_hi <= a_lo)
				a_hi = a_lo + step;
			k = round((a_hi - a_lo) / step);
			if (k <= (double)max_intervals) {
				ret->lo = a_lo;
				ret->hi = a_hi;
				ret->step = step;
				ret->intervals = (unsigned)k;
				return;
			}
		}
		mag *= 10;
	}
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (double)VR_MIB;
}

static double px(const struct frame *fr, double t)
{
	return fr->left + (t - fr->x.lo) / (fr->x.hi - fr->x.lo) * (fr->right - fr->left);
}

static double py(const struct frame *fr, uint64_t bytes)
{
	return fr->bottom - (mib(bytes) - fr->y.lo) / (fr->y.hi - fr->y.lo) * (fr->bottom - fr->top);
}

/* Length of the valid UTF-8 sequence at @p, or 0.  XML forbids invalid
 * UTF-8 outright, and a file name or --title may hold anything. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > avail)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/* Write the first @len bytes of @s as XML character data, usable in
 * attributes too: markup characters as entities, control characters as
 * spaces, invalid UTF-8 as '?'.  After @max_chars characters, an
 * ellipsis ends it. */
static void put_xml(FILE *f, const char *s, size_t len, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	while (len > 0) {
		size_t seq = utf8_seq(p, len);

		if (chars++ == max_chars) {
			fputs("&#8230;", f);
			return;
		}
		if (seq == 0) {
			fputc('?', f);
			seq = 1;
		} else if (seq > 1) {
			fwrite(p, 1, seq, f);
		} else if (*p == '&') {
			fputs("&amp;", f);
		} else if (*p == '<') {
			fputs("&lt;", f);
		} else if (*p == '>') {
			fputs("&gt;", f);
		} else if (*p == '"') {
			fputs("&quot;", f);
		} else if (*p == '\'') {
			fputs("&#39;", f);
		} else {
			fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
		}
		p += seq;
		len -= seq;
	}
}

static void put_field(FILE *f, const char *field, size_t size, size_t max_chars)
{
	put_xml(f, field, strnlen(field, size), max_chars);
}

static void put_vm_name(FILE *f, const struct vr_sample *s)
{
	if (s->vm[0])
		put_field(f, s->vm, sizeof(s->vm), NAME_MAX_CHARS);
	else
		fputs("(unnamed)", f);
}

/* A memory figure for the caption: whole MiB, or tenths below 10 MiB. */
static void put_mib(FILE *f, uint64_t bytes)
{
	double m = mib(bytes);

	fprintf(f, m < 10 ? "%.1f MiB" : "%.0f MiB", m);
}

/* Tick labels with as many decimals as the step needs: "0.5", "250". */
static int tick_decimals(double step)
{
	return step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
}

static size_t find_vm(const struct vm *vms, size_t n_vms, const struct vr_sample *s)
{
	size_t v;

	for (v = 0; v < n_vms; v++)
		if (strncmp(vms[v].name, s->vm, sizeof(s->vm)) == 0)
			break;
	return v;
}

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static void draw_axes(FILE *f, const struct frame *fr)
{
	unsigned k;

	fprintf(f, "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n");
	for (k = 0; k <= fr->y.intervals; k++) {
		double y = fr->bottom - (fr->bottom - fr->top) * k / fr->y.intervals;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fr->left, y,
			fr->right, y);
	}
	for (k = 0; k <= fr->x.intervals; k++) {
		double x = fr->left + (fr->right - fr->left) * k / fr->x.intervals;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, fr->top, x,
			fr->bottom);
	}
	fprintf(f, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		   "stroke=\"#999999\"/>\n",
		fr->left, fr->top, fr->right - fr->left, fr->bottom - fr->top);

	fprintf(f, "<g fill=\"#444444\" text-anchor=\"end\">\n");
	for (k = 0; k <= fr->y.intervals; k++) {
		double y = fr->bottom - (fr->bottom - fr->top) * k / fr->y.intervals;

		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", fr->left - 6, y + 4,
			tick_decimals(fr->y.step), fr->y.lo + fr->y.step * k);
	}
	fprintf(f, "</g>\n<g fill=\"#444444\" text-anchor=\"middle\">\n");
	for (k = 0; k <= fr->x.intervals; k++) {
		double x = fr->left + (fr->right - fr->left) * k / fr->x.intervals;

		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", x, fr->bottom + 16,
			tick_decimals(fr->x.step), fr->x.lo + fr->x.step * k);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">time (s)</text>\n", (fr->left + fr->right) / 2,
		fr->bottom + 34);
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\">memory (MiB)</text>\n</g>\n",
		(fr->top + fr->bottom) / 2);
}

/* Width of @text in the 12 px font: DejaVu Sans averages about 0.58 em,
 * so 6.5 px a character errs on the wide side. */
static double key_text_px(const char *text)
{
	return 6.5 * (double)strlen(text);
}

/* One entry of the key: a swatch path at x (@d relative to the baseline
 * at x, y, drawn with @style), then @text.  Returns the x of the next
 * entry. */
static double key_entry(FILE *f, double x, double y, const char *d, const char *style,
			const char *text)
{
	fprintf(f, "<path d=\"M%.1f %.1f %s\" %s/>\n", x, y, d, style);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 30, y, text);
	return x + 30 + key_text_px(text) + 20;
}

/* The key to the line styles, in grey, above the plot. */
static void draw_key(FILE *f, const struct frame *fr, bool any_guest, bool any_event)
{
	double x = fr->left, y = fr->top - 12;

	fprintf(f, "<g fill=\"#444444\">\n");
	x = key_entry(f, x, y, "m0 -4 h24", "stroke=\"#555555\" stroke-width=\"2\"",
		      "host RSS of the VM process");
	if (any_guest) {
		x = key_entry(f, x, y, "m0 -4 h24",
			      "stroke=\"#555555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"",
			      "guest used (total - available)");
		x = key_entry(f, x, y, "m0 -9 h24 v10 h-24 z",
			      "fill=\"#555555\" fill-opacity=\"0.18\"",
			      "stranded (RSS above guest used)");
	} else {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">(no guest figures recorded)</text>\n", x, y);
		x += key_text_px("(no guest figures recorded)") + 20;
	}
	if (any_event)
		key_entry(f, x, y, "m12 -11 v13", "stroke=\"#555555\" stroke-width=\"1\"", "event");
	fprintf(f, "</g>\n");
}

static uint64_t val_rss(const struct vr_sample *p)
{
	return p->rss_bytes;
}

static uint64_t val_used(const struct vr_sample *p)
{
	return p->guest_used_bytes;
}

static uint64_t val_top(const struct vr_sample *p)
{
	return vr_sat_add(p->guest_used_bytes, p->stranded_bytes);
}

/* The samples of @idx[0..count) worth drawing for the value @val: in each
 * pixel column, the first, the lowest, the highest and the last, in time
 * order.  A line through them looks the same as one through every sample
 * and keeps every peak, but a week at one sample a second (604,800)
 * becomes a few thousand points: one point per sample made a 13 MB SVG
 * of a 72 h recording, which rsvg-convert could not read.  Writes the
 * kept positions (into @idx) to @out, which has room for @count; returns
 * how many. */
static size_t thin(const struct frame *fr, const struct vr_sample *s, const size_t *idx,
		   size_t count, uint64_t (*val)(const struct vr_sample *), size_t *out)
{
	size_t a, b, n = 0;

	for (a = 0; a < count; a = b) {
		double col = floor(px(fr, s[idx[a]].t_sec));
		size_t lo = a, hi = a, keep[4];
		size_t m = 0, i, j;

		for (b = a + 1; b < count && floor(px(fr, s[idx[b]].t_sec)) == col; b++) {
			if (val(&s[idx[b]]) < val(&s[idx[lo]]))
				lo = b;
			if (val(&s[idx[b]]) > val(&s[idx[hi]]))
				hi = b;
		}
		keep[m++] = a;
		keep[m++] = lo < hi ? lo : hi;
		keep[m++] = lo < hi ? hi : lo;
		keep[m++] = b - 1;
		for (i = 0; i < m; i++) {
			for (j = 0; j < i && keep[j] != keep[i]; j++)
				;
			if (j == i)
				out[n++] = keep[i];
		}
	}
	return n;
}

/* Host RSS as one polyline; guest used as a dashed path that breaks where
 * the guest did not report; stranded as a band from guest used up to
 * guest used + stranded over the same stretches.  Each drawn through the
 * samples thin() keeps.  @keep has room for @count. */
static void draw_vm(FILE *f, const struct frame *fr, const struct vr_sample *s, const size_t *idx,
		    size_t count, const char *colour, bool any_guest, size_t *keep)
{
	size_t k, a, b, j, n;

	if (any_guest) {
		fprintf(f, "<path class=\"stranded\" fill=\"%s\" fill-opacity=\"0.16\" stroke=\"none\" d=\"",
			colour);
		for (a = 0; a < count; a = b) {
			if (!s[idx[a]].have_guest) {
				b = a + 1;
				continue;
			}
			for (b = a; b < count && s[idx[b]].have_guest; b++)
				;
			/* Up along the top edge, back along guest used. */
			n = thin(fr, s, idx + a, b - a, val_top, keep);
			for (k = 0; k < n; k++) {
				const struct vr_sample *p = &s[idx[a + keep[k]]];

				fprintf(f, "%s%.1f %.1f", k == 0 ? "M" : " L", px(fr, p->t_sec),
					py(fr, val_top(p)));
			}
			n = thin(fr, s, idx + a, b - a, val_used, keep);
			for (j = n; j-- > 0;) {
				const struct vr_sample *p = &s[idx[a + keep[j]]];

				fprintf(f, " L%.1f %.1f", px(fr, p->t_sec), py(fr, p->guest_used_bytes));
			}
			fputs(" Z", f);
		}
		fputs("\"/>\n", f);

		fprintf(f, "<path class=\"used\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
			   "stroke-dasharray=\"6 4\" d=\"",
			colour);
		for (a = 0; a < count; a = b) {
			if (!s[idx[a]].have_guest) {
				b = a + 1;
				continue;
			}
			for (b = a; b < count && s[idx[b]].have_guest; b++)
				;
			n = thin(fr, s, idx + a, b - a, val_used, keep);
			for (k = 0; k < n; k++) {
				const struct vr_sample *p = &s[idx[a + keep[k]]];

				fprintf(f, "%s%.1f %.1f", k == 0 ? " M" : " L", px(fr, p->t_sec),
					py(fr, p->guest_used_bytes));
			}
		}
		fputs("\"/>\n", f);
	}

	fprintf(f, "<polyline class=\"rss\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
		   "stroke-linejoin=\"round\" points=\"",
		colour);
	n = thin(fr, s, idx, count, val_rss, keep);
	for (k = 0; k < n; k++)
		fprintf(f, "%s%.1f,%.1f", k ? " " : "", px(fr, s[idx[keep[k]]].t_sec),
			py(fr, s[idx[keep[k]]].rss_bytes));
	fputs("\"/>\n", f);
}

/* Event lines go under the data, with the full text as a tooltip. */
static void draw_event_lines(FILE *f, const struct frame *fr, const struct vr_sample *s,
			     const struct event *ev, size_t n_events, const unsigned char *vm_of)
{
	double last_col[VR_PLOT_MAX_VMS];
	size_t k;

	if (n_events == 0)
		return;
	for (k = 0; k < VR_PLOT_MAX_VMS; k++)
		last_col[k] = -1;
	fprintf(f, "<g stroke-width=\"1\" stroke-opacity=\"0.6\">\n");
	for (k = 0; k < n_events; k++) {
		const struct vr_sample *p = &s[ev[k].i];
		double x = px(fr, p->t_sec);

		/* One line per pixel column and VM: more would draw the same
		 * pixels, and a long recording has events by the thousand. */
		if (floor(x) == last_col[vm_of[ev[k].i]])
			continue;
		last_col[vm_of[ev[k].i]] = floor(x);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"><title>",
			x, fr->top, x, fr->bottom, palette[vm_of[ev[k].i] % VR_ARRAY_SIZE(palette)]);
		put_vm_name(f, p);
		fprintf(f, " at %.1f s: ", p->t_sec);
		put_field(f, p->event, sizeof(p->event), SIZE_MAX);
		fputs("</title></line>\n", f);
	}
	fprintf(f, "</g>\n");
}

/* Event labels go over the data, with a white halo so that a line
 * crossing them does not hide them.  @ev is in time order, so a label
 * can only collide with the one placed before it. */
static void draw_event_labels(FILE *f, const struct frame *fr, const struct vr_sample *s,
			      const struct event *ev, size_t n_events, const unsigned char *vm_of)
{
	double last_x = -1e9, next_y = fr->top + 4;
	size_t k;

	if (n_events == 0)
		return;
	fprintf(f, "<g font-size=\"%d\" text-anchor=\"end\" stroke=\"#ffffff\" stroke-width=\"3\" "
		   "stroke-opacity=\"0.7\" stroke-linejoin=\"round\" paint-order=\"stroke\">\n",
		LABEL_FONT_PX);
	for (k = 0; k < n_events; k++) {
		const struct vr_sample *p = &s[ev[k].i];
		size_t chars = strnlen(p->event, sizeof(p->event));
		double x = px(fr, p->t_sec), y, len_px;

		if (chars > LABEL_MAX_CHARS)
			chars = LABEL_MAX_CHARS + 1;
		len_px = (double)chars * LABEL_CHAR_PX;
		y = x - last_x < LABEL_GAP_PX ? next_y : fr->top + 4;
		if (y + len_px > fr->bottom - 4)
			continue;
		/* Rotated -90 degrees with the anchor at its end, the text
		 * hangs down from y and its glyphs sit left of the baseline:
		 * the baseline goes 11 px right of the line. */
		fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(-90)\" fill=\"%s\">", x + 11,
			y, palette[vm_of[ev[k].i] % VR_ARRAY_SIZE(palette)]);
		put_field(f, p->event, sizeof(p->event), LABEL_MAX_CHARS);
		fputs("</text>\n", f);
		last_x = x;
		next_y = y + len_px + 8;
	}
	fprintf(f, "</g>\n");
}

/* One line per VM under the plot: its colour, its name, and host RSS at
 * the start, at its peak and at the end - the before and after of a
 * reclaim. */
static void draw_caption(FILE *f, const struct frame *fr, const struct vr_sample *s,
			 const struct vm *vms, size_t n_vms)
{
	size_t v;

	fprintf(f, "<g fill=\"#222222\">\n");
	for (v = 0; v < n_vms; v++) {
		const struct vm *vm = &vms[v];
		double y = fr->bottom + BELOW_PLOT + 2 + CAPTION_LINE * (double)v;
		uint64_t first = s[vm->first].rss_bytes, peak = s[vm->peak].rss_bytes,
			 last = s[vm->last].rss_bytes;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			   "stroke-width=\"3\"/>\n",
			fr->left, y - 4, fr->left + 24, y - 4, palette[v % VR_ARRAY_SIZE(palette)]);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"><tspan font-weight=\"bold\">", fr->left + 32, y);
		put_vm_name(f, &s[vm->first]);
		fputs("</tspan>  host RSS: first ", f);
		put_mib(f, first);
		fputs(", peak ", f);
		put_mib(f, peak);
		fprintf(f, " at %.1f s, last ", s[vm->peak].t_sec);
		put_mib(f, last);
		if (peak > last) {
			fputs(" (", f);
			put_mib(f, peak - last);
			fputs(" below the peak)", f);
		}
		fputs("</text>\n", f);
	}
	fprintf(f, "</g>\n");
}

int vr_plot_svg(const struct vr_sample *s, size_t n, const char *title, FILE *out)
{
	struct vm vms[VR_PLOT_MAX_VMS];
	struct frame fr;
	struct event *ev = NULL;
	unsigned char *vm_of = NULL;
	size_t *idx = NULL, *keep = NULL;
	size_t n_vms = 0, n_events = 0, i, v, count;
	double t_min = 0, t_max = 0, height;
	uint64_t y_max = 0;
	bool any_guest = false;
	int r = 0;

	if (n == 0)
		return -EINVAL;
	vm_of = malloc(n);
	idx = malloc(n * sizeof(*idx));
	keep = malloc(n * sizeof(*keep));
	ev = malloc(n * sizeof(*ev));
	if (!vm_of || !idx || !keep || !ev) {
		r = -ENOMEM;
		goto out;
	}

	for (i = 0; i < n; i++) {
		const struct vr_sample *p = &s[i];

		if (!isfinite(p->t_sec)) {
			r = -EINVAL;
			goto out;
		}
		v = find_vm(vms, n_vms, p);
		if (v == n_vms) {
			if (n_vms == VR_PLOT_MAX_VMS) {
				r = -E2BIG;
				goto out;
			}
			vms[v] = (struct vm){ .name = p->vm, .first = i, .peak = i };
			n_vms++;
		}
		vm_of[i] = (unsigned char)v;
		vms[v].last = i;
		if (p->rss_bytes > s[vms[v].peak].rss_bytes)
			vms[v].peak = i;
		if (i == 0 || p->t_sec < t_min)
			t_min = p->t_sec;
		if (i == 0 || p->t_sec > t_max)
			t_max = p->t_sec;
		if (p->rss_bytes > y_max)
			y_max = p->rss_bytes;
		if (p->have_guest) {
			uint64_t top = vr_sat_add(p->guest_used_bytes, p->stranded_bytes);

			vms[v].any_guest = any_guest = true;
			if (top > y_max)
				y_max = top;
		}
		if (strnlen(p->event, sizeof(p->event)) > 0)
			ev[n_events++] = (struct event){ .t = p->t_sec, .i = i };
	}
	qsort(ev, n_events, sizeof(*ev), event_cmp);

	height = VR_PLOT_HEIGHT +
		 CAPTION_LINE * (double)(n_vms > CAPTION_ROWS_FREE ? n_vms - CAPTION_ROWS_FREE : 0);
	fr.left = MARGIN_LEFT;
	fr.right = VR_PLOT_WIDTH - MARGIN_RIGHT;
	fr.top = PLOT_TOP;
	fr.bottom = height - BELOW_PLOT - CAPTION_LINE * (double)n_vms - 4;
	vr_plot_axis_nice(t_min, t_max, X_MAX_INTERVALS, &fr.x);
	/* Memory from zero: a line that looks halved should be halved. */
	vr_plot_axis_nice(0, mib(y_max), Y_MAX_INTERVALS, &fr.y);

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		     "viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
		     "font-size=\"12\">\n",
		VR_PLOT_WIDTH, height, VR_PLOT_WIDTH, height);
	if (!title)
		title = "vmreclaim";
	fputs("<title>", out);
	put_xml(out, title, strlen(title), SIZE_MAX);
	fprintf(out, "</title>\n<rect width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
		VR_PLOT_WIDTH, height);
	fprintf(out, "<text x=\"%.1f\" y=\"28\" font-size=\"17\" font-weight=\"bold\" fill=\"#222222\">",
		fr.left);
	put_xml(out, title, strlen(title), TITLE_MAX_CHARS);
	fputs("</text>\n", out);
	draw_key(out, &fr, any_guest, n_events > 0);
	draw_axes(out, &fr);
	draw_event_lines(out, &fr, s, ev, n_events, vm_of);
	for (v = 0; v < n_vms; v++) {
		count = 0;
		for (i = 0; i < n; i++)
			if (vm_of[i] == v)
				idx[count++] = i;
		draw_vm(out, &fr, s, idx, count, palette[v % VR_ARRAY_SIZE(palette)],
			vms[v].any_guest, keep);
	}
	draw_event_labels(out, &fr, s, ev, n_events, vm_of);
	draw_caption(out, &fr, s, vms, n_vms);
	fputs("</svg>\n", out);
	if (ferror(out))
		r = -EIO;
out:
	free(ev);
	free(keep);
	free(idx);
	free(vm_of);
	return r;
}

/* sample.c rejects lines longer than this (its writer stays near 350
 * bytes); reading stops at the first, so a file without newlines cannot
 * make us read it whole. */

/* Read one line into @buf without its newline (nor a CR before it).
 * Returns 1 and sets *ret_nl (whether a newline ended it), 0 at the end
 * of the file, -E2BIG for a line that does not fit, -EILSEQ for one that
 * holds a NUL byte, or -EIO. */
static int read_line(FILE *in, char *buf, size_t size, bool *ret_nl)
{
	bool nul = false;
	size_t len = 0;
	int c;

	while ((c = getc(in)) != EOF && c != '\n') {
		if (len + 1 == size)
			return -E2BIG;
		if (c == '\0')
			nul = true;
		buf[len++] = (char)c;
	}
	if (c == EOF && ferror(in))
		return -EIO;
	if (c == EOF && len == 0)
		return 0;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	*ret_nl = c == '\n';
	return nul ? -EILSEQ : 1;
}

/* The name of field @i, from the header. */
static void field_name(size_t i, char *buf, size_t size)
{
	const char *p = VR_CSV_HEADER, *e;

	while (i-- > 0)
		p = strchr(p, ',') + 1;
	e = strchr(p, ',');
	snprintf(buf, size, "%.*s", (int)(e ? e - p : (ptrdiff_t)strlen(p)), p);
}

/* Say what is wrong with a line that vr_sample_parse_csv refused.  Rather
 * than repeat its rules, put each field in turn into a line known to be
 * good: the one it refuses there is the culprit. */
static void explain(const char *line, char *err, size_t size)
{
	static const char *const good[VR_CSV_FIELDS] = {
		"0.0", "vm", "1", "0", "0", "0", "0", "0", "0", "0", "",
	};
	const char *start[VR_CSV_FIELDS];
	size_t len[VR_CSV_FIELDS];
	char test[VR_CSV_LINE_MAX * 2], name[64], shown[41];
	struct vr_sample s;
	size_t n = 1, i, j, k;
	const char *p;

	for (p = line; *p; p++)
		if (*p == ',')
			n++;
	if (n != VR_CSV_FIELDS) {
		snprintf(err, size, "%zu field%s, expected %d", n, n == 1 ? "" : "s",
			 VR_CSV_FIELDS);
		return;
	}
	for (i = 0, p = line; i < VR_CSV_FIELDS; i++) {
		start[i] = p;
		while (*p && *p != ',')
			p++;
		len[i] = (size_t)(p - start[i]);
		if (*p)
			p++;
	}
	for (i = 0; i < VR_CSV_FIELDS; i++) {
		size_t used = 0;

		/* An empty guest field is fine on its own; whether the group
		 * agrees is checked below. */
		if (i >= VR_CSV_GUEST_FIRST && i <= VR_CSV_GUEST_LAST && len[i] == 0)
			continue;
		/* At most 512 bytes of the line plus the good fields: fits. */
		for (j = 0; j < VR_CSV_FIELDS; j++) {
			int w;

			if (j == i)
				w = snprintf(test + used, sizeof(test) - used, "%s%.*s", j ? "," : "",
					     (int)len[j], start[j]);
			else
				w = snprintf(test + used, sizeof(test) - used, "%s%s", j ? "," : "",
					     good[j]);
			used += (size_t)w;
		}
		if (vr_sample_parse_csv(test, &s) == 0)
			continue;
		field_name(i, name, sizeof(name));
		if (len[i] == 0) {
			snprintf(err, size, "empty %s", name);
			return;
		}
		/* Show the value, but nothing that would upset a terminal. */
		for (k = 0; k < len[i] && k < sizeof(shown) - 1; k++) {
			unsigned char ch = (unsigned char)start[i][k];

			shown[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
		shown[k] = '\0';
		snprintf(err, size, "bad %s '%s%s'", name, shown, len[i] > k ? "..." : "");
		return;
	}
	snprintf(err, size, "the guest fields must all be numbers, or all be empty");
}

int vr_recording_read(FILE *in, struct vr_recording *ret, unsigned long *ret_line, char *err,
		      size_t err_size)
{
	struct vr_recording rec = { 0 };
	char names[VR_PLOT_MAX_VMS][sizeof(((struct vr_sample *)NULL)->vm)];
	double last_t[VR_PLOT_MAX_VMS];
	char line[VR_CSV_LINE_MAX + 2];
	unsigned long lineno = 0;
	size_t n_vms = 0, cap = 0, v;
	bool header = false, nl = false;
	int r;

	for (;;) {
		struct vr_sample s;

		r = read_line(in, line, sizeof(line), &nl);
		lineno++;
		if (r == 0)
			break;
		if (r == -EIO) {
			snprintf(err, err_size, "read error");
			goto fail;
		}
		if (!header) {
			if (r < 0 || strcmp(line, VR_CSV_HEADER) != 0)
				goto not_recording;
			header = true;
			continue;
		}
		if (r == -E2BIG) {
			snprintf(err, err_size, "line longer than %d bytes", VR_CSV_LINE_MAX);
			r = -EINVAL;
			goto fail;
		}
		if (r == -EILSEQ) {
			snprintf(err, err_size, "NUL byte in the line");
			r = -EINVAL;
			goto fail;
		}
		if (vr_sample_parse_csv(line, &s) < 0) {
			/* No newline: this was the end of the file, cut
			 * mid-line by a recorder that died.  What came
			 * before it is still good. */
			if (!nl) {
				rec.cut_line = lineno;
				break;
			}
			explain(line, err, err_size);
			r = -EINVAL;
			goto fail;
		}
		if (rec.n == VR_PLOT_MAX_SAMPLES) {
			snprintf(err, err_size, "more than %zu samples", VR_PLOT_MAX_SAMPLES);
			r = -EFBIG;
			goto fail;
		}
		if (rec.n == cap) {
			size_t new_cap = cap ? cap * 2 : 256;
			struct vr_sample *p;

			if (new_cap > VR_PLOT_MAX_SAMPLES)
				new_cap = VR_PLOT_MAX_SAMPLES;
			p = realloc(rec.samples, new_cap * sizeof(*p));
			if (!p) {
				snprintf(err, err_size, "out of memory");
				r = -ENOMEM;
				goto fail;
			}
			rec.samples = p;
			cap = new_cap;
		}
		rec.samples[rec.n++] = s;
		for (v = 0; v < n_vms; v++)
			if (strcmp(names[v], s.vm) == 0)
				break;
		if (v == n_vms) {
			if (n_vms == VR_PLOT_MAX_VMS) {
				snprintf(err, err_size, "more than %d VMs", VR_PLOT_MAX_VMS);
				r = -EINVAL;
				goto fail;
			}
			memcpy(names[n_vms++], s.vm, sizeof(s.vm));
		} else if (s.t_sec < last_t[v]) {
			snprintf(err, err_size, "time %.1f s is before the last sample of VM '%s' (%.1f s)",
				 s.t_sec, s.vm, last_t[v]);
			r = -EINVAL;
			goto fail;
		}
		last_t[v] = s.t_sec;
	}
	if (!header) {
		lineno = 1;
		goto not_recording;
	}
	if (rec.n == 0) {
		lineno = 0;
		snprintf(err, err_size, "no samples");
		r = -EINVAL;
		goto fail;
	}
	*ret = rec;
	return 0;

not_recording:
	snprintf(err, err_size, "not a vmreclaim recording");
	r = -EINVAL;
fail:
	free(rec.samples);
	*ret_line = lineno;
	return r;
}

void vr_recording_free(struct vr_recording *r)
{
	free(r->samples);
	r->samples = NULL;
	r->n = 0;
}
