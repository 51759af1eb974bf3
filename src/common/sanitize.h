/* SPDX-License-Identifier: MIT */
/* Text that came from a guest (channel replies, console events) or from a
 * file, made safe for a terminal or a log: a guest must not be able to
 * move the host's cursor, clear its screen, set its window title, or hide
 * text with an escape sequence, nor garble a UTF-8 terminal. */
#ifndef VR_SANITIZE_H
#define VR_SANITIZE_H

#include <stddef.h>

/* Room for the worst case of @len bytes: each one shown as "\xNN". */
#define VR_SANITIZE_SIZE(len) ((len) * 4 + 1)

/* Copy @len bytes of @src (NUL bytes included: they are shown, not taken
 * as the end) into @dst of @size bytes, always terminated: printable
 * ASCII and valid UTF-8 as they are; a backslash doubled; control
 * characters (newline, tab and ESC included), DEL, and bytes that are not
 * valid UTF-8 (overlong forms, surrogates, past U+10FFFF, cut sequences)
 * as \xNN; C1 controls (U+0080-U+009F), line and paragraph separators and
 * bidirectional overrides (U+202A-U+202E, U+2066-U+2069) as \uNNNN.
 * What does not fit is cut at a whole character or escape.  Returns @dst. */
const char *vr_sanitize(const char *src, size_t len, char *dst, size_t size);

/* The same for a NUL-terminated string. */
const char *vr_sanitize_str(const char *src, char *dst, size_t size);

#endif
