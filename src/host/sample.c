/* SPDX-License-Identifier: MIT */
#include "host/sample.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* VR_CSV_LINE_MAX: the longest line the writer can produce is about 350
 * bytes (10-digit time, 63-byte name, 10-digit pid, seven 20-digit
 * numbers, 95-byte event); anything much longer is not ours, and the
 * bound keeps the parser from walking an unterminated or hostile buffer. */

/* Time is written with "%.1f"; the writer keeps it below 10^9 s (31
 * years) so it always has at most 10 integer digits.  The parser takes up
 * to 9 decimals, for files written by other tools. */
#define CSV_T_MAX 999999999.0
#define CSV_T_INT_DIGITS 10
#define CSV_T_FRAC_DIGITS 9

/* The writer never quotes fields, so a byte that would need quoting or
 * would break the line becomes a space.  Bytes outside printable ASCII go
 * too: a name cut mid-character would otherwise leave invalid UTF-8 for
 * the SVG writer, and the parser can then reject anything else outright. */
static bool text_byte_ok(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != ',' && ch != '"';
}

static void put_text(FILE *f, const char *src, size_t max)
{
	size_t i, n = strnlen(src, max);

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		fputc(text_byte_ok(ch) ? ch : ' ', f);
	}
}

void vr_sample_derive(struct vr_sample *s)
{
	uint64_t avail;

	if (!s->have_guest) {
		s->guest_used_bytes = 0;
		s->stranded_bytes = 0;
		return;
	}
	/* Guests before 4.16 do not report MemAvailable (QEMU gives -1, and
	 * a recorder may store that or 0); free memory is then the closest
	 * figure, and overstates "used" rather than understating it. */
	avail = s->guest_available_bytes;
	if (avail == 0 || avail == UINT64_MAX)
		avail = s->guest_free_bytes == UINT64_MAX ? 0 : s->guest_free_bytes;
	s->guest_used_bytes = vr_sat_sub(s->guest_total_bytes, avail);
	s->stranded_bytes = vr_sat_sub(s->rss_bytes, s->guest_used_bytes);
}

void vr_sample_write_header(FILE *f)
{
	fputs(VR_CSV_HEADER "\n", f);
}

void vr_sample_write_csv(FILE *f, const struct vr_sample *s)
{
	double t = s->t_sec;

	/* Keep the line parseable whatever the struct holds: !(t >= 0)
	 * also catches NaN. */
	if (!(t >= 0))
		t = 0;
	if (t > CSV_T_MAX)
		t = CSV_T_MAX;
	fprintf(f, "%.1f,", t);
	put_text(f, s->vm, sizeof(s->vm) - 1);
	fprintf(f, ",%d,%llu,", s->pid < 0 ? 0 : s->pid, (unsigned long long)s->rss_bytes);
	if (s->have_guest)
		fprintf(f, "%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)s->guest_total_bytes,
			(unsigned long long)s->guest_free_bytes,
			(unsigned long long)s->guest_available_bytes,
			(unsigned long long)s->guest_cache_bytes, (unsigned long long)s->guest_used_bytes,
			(unsigned long long)s->stranded_bytes);
	else
		fputs(",,,,,,", f);
	put_text(f, s->event, sizeof(s->event) - 1);
	fputc('\n', f);
}

/* Digits, optionally a point and more digits: no sign, exponent, blanks,
 * "nan" or "inf", which strtod would all take. */
static int parse_time(const char *s, const char *end, double *ret)
{
	char buf[CSV_T_INT_DIGITS + 1 + CSV_T_FRAC_DIGITS + 1];
	const char *p = s, *dot;
	char *stop;
	double t;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == s || p - s > CSV_T_INT_DIGITS)
		return -EINVAL;
	dot = p;
	if (p < end) {
		if (*p != '.')
			return -EINVAL;
		p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p != end || p - dot - 1 < 1 || p - dot - 1 > CSV_T_FRAC_DIGITS)
			return -EINVAL;
	}
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	/* strtod rounds correctly, so "12.3" reads back as the double that
	 * printf("%.1f") was given. */
	t = strtod(buf, &stop);
	if (*stop != '\0')
		return -EINVAL;
	*ret = t;
	return 0;
}

static int parse_text(const char *s, const char *end, char *dst, size_t size)
{
	const char *p;

	if ((size_t)(end - s) >= size)
		return -EINVAL;
	for (p = s; p < end; p++)
		if (!text_byte_ok((unsigned char)*p))
			return -EINVAL;
	memcpy(dst, s, (size_t)(end - s));
	dst[end - s] = '\0';
	return 0;
}

static int parse_number(const char *s, const char *end, uint64_t *ret)
{
	/* vr_parse_u64 says -ERANGE for overflow; to our callers both are
	 * "not a sample". */
	return vr_parse_u64(s, end, ret) < 0 ? -EINVAL : 0;
}

int vr_sample_parse_csv(const char *line, struct vr_sample *ret)
{
	struct vr_sample s = { 0 };
	const char *start[VR_CSV_FIELDS], *end[VR_CSV_FIELDS];
	uint64_t *guest[VR_CSV_GUEST_LAST - VR_CSV_GUEST_FIRST + 1] = {
		&s.guest_total_bytes,	  &s.guest_free_bytes, &s.guest_available_bytes,
		&s.guest_cache_bytes,	  &s.guest_used_bytes, &s.stranded_bytes,
	};
	size_t len = strnlen(line, VR_CSV_LINE_MAX + 1), i, n = 0, empty = 0;
	uint64_t pid;

	if (len > VR_CSV_LINE_MAX)
		return -EINVAL;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	start[0] = line;
	for (i = 0; i < len; i++) {
		if (line[i] != ',')
			continue;
		if (n + 1 == VR_CSV_FIELDS)
			return -EINVAL; /* too many fields */
		end[n] = line + i;
		start[++n] = line + i + 1;
	}
	end[n++] = line + len;
	if (n != VR_CSV_FIELDS)
		return -EINVAL;

	if (parse_time(start[0], end[0], &s.t_sec) < 0 ||
	    parse_text(start[1], end[1], s.vm, sizeof(s.vm)) < 0 ||
	    parse_number(start[2], end[2], &pid) < 0 || pid > INT_MAX ||
	    parse_number(start[3], end[3], &s.rss_bytes) < 0 ||
	    parse_text(start[10], end[10], s.event, sizeof(s.event)) < 0)
		return -EINVAL;
	s.pid = (int)pid;

	/* The guest figures come as a group: all there, or all empty when
	 * the balloon had not reported. */
	for (i = VR_CSV_GUEST_FIRST; i <= VR_CSV_GUEST_LAST; i++)
		if (start[i] == end[i])
			empty++;
	if (empty != 0 && empty != VR_ARRAY_SIZE(guest))
		return -EINVAL;
	s.have_guest = empty == 0;
	if (s.have_guest)
		for (i = VR_CSV_GUEST_FIRST; i <= VR_CSV_GUEST_LAST; i++)
			if (parse_number(start[i], end[i], guest[i - VR_CSV_GUEST_FIRST]) < 0)
				return -EINVAL;
	*ret = s;
	return 0;
}
