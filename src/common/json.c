/* SPDX-License-Identifier: MIT */
#include "common/json.h"

#include <inttypes.h>
#include <math.h>

void vr_json_write_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void vr_json_init(struct vr_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void member(struct vr_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		vr_json_write_string(j->f, key);
		fputc(':', j->f);
	}
}

static void push(struct vr_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < VR_JSON_DEPTH_MAX)
		j->depth++;
	j->first[j->depth] = true;
}

static void pop(struct vr_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

void vr_json_open(struct vr_json *j, const char *key)
{
	push(j, key, '{');
}

void vr_json_close(struct vr_json *j)
{
	pop(j, '}');
}

void vr_json_array(struct vr_json *j, const char *key)
{
	push(j, key, '[');
}

void vr_json_end_array(struct vr_json *j)
{
	pop(j, ']');
}

void vr_json_str(struct vr_json *j, const char *key, const char *v)
{
	member(j, key);
	vr_json_write_string(j->f, v);
}

void vr_json_u64(struct vr_json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void vr_json_i64(struct vr_json *j, const char *key, int64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void vr_json_double(struct vr_json *j, const char *key, double v)
{
	member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.3f", v);
	else
		fputs("null", j->f);
}

void vr_json_bool(struct vr_json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void vr_json_null(struct vr_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}
