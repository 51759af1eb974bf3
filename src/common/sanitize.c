/* SPDX-License-Identifier: MIT */
#include "common/sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at @p (at most @avail bytes)
 * and its code point, or 0 when it is not one. */
static size_t utf8_decode(const unsigned char *p, size_t avail, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t n, i;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Code points that change how the rest of a line is shown. */
static bool cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

const char *vr_sanitize(const char *src, size_t len, char *dst, size_t size)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, j = 0;

	if (size == 0)
		return dst;
	while (i < len) {
		char piece[8];
		size_t n, plen;
		uint32_t cp = 0;

		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
			snprintf(piece, sizeof(piece), "\\x%02x", s[i]);
			n = 1;
		} else if (n == 1 && cp == '\\') {
			memcpy(piece, "\\\\", 3);
		} else if (cp_hidden(cp)) {
			snprintf(piece, sizeof(piece), "\\u%04x", (unsigned)cp);
		} else {
			memcpy(piece, s + i, n);
			piece[n] = '\0';
		}
		plen = strlen(piece);
		if (j + plen >= size)
			break;
		memcpy(dst + j, piece, plen);
		j += plen;
		i += n;
	}
	dst[j] = '\0';
	return dst;
}

const char *vr_sanitize_str(const char *src, char *dst, size_t size)
{
	return vr_sanitize(src, strlen(src), dst, size);
}
