/* SPDX-License-Identifier: MIT */
/* A streaming JSON writer for status output: just enough to emit objects,
 * arrays, strings and numbers correctly escaped.  (Reading JSON, on the
 * host side, uses jansson.) */
#ifndef VR_JSON_H
#define VR_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Deeper nesting than this is not supported (status output is 3 deep). */
#define VR_JSON_DEPTH_MAX 16

struct vr_json {
	FILE *f;
	unsigned depth;
	bool first[VR_JSON_DEPTH_MAX];
};

/* @key is the member name inside an object and NULL inside an array or
 * at the top level. */
void vr_json_init(struct vr_json *j, FILE *f);
void vr_json_open(struct vr_json *j, const char *key);  /* { */
void vr_json_close(struct vr_json *j);                  /* } */
void vr_json_array(struct vr_json *j, const char *key); /* [ */
void vr_json_end_array(struct vr_json *j);              /* ] */
void vr_json_str(struct vr_json *j, const char *key, const char *v);
void vr_json_u64(struct vr_json *j, const char *key, uint64_t v);
void vr_json_i64(struct vr_json *j, const char *key, int64_t v);
void vr_json_double(struct vr_json *j, const char *key, double v);
void vr_json_bool(struct vr_json *j, const char *key, bool v);
void vr_json_null(struct vr_json *j, const char *key);

/* Write @s as a JSON string literal, quotes included. */
void vr_json_write_string(FILE *f, const char *s);

#endif
