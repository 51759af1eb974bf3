/* SPDX-License-Identifier: MIT */
/* Sizes as people write them in .wslconfig: "512MB", "1GB", "4G", "65536". */
#ifndef VR_SIZE_H
#define VR_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Parse a size.  Units are binary multiples, case-insensitive: B,
 * K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB, P/PB/PiB, E/EB/EiB (WSL reads
 * "1GB" as 1024^3 bytes, and so do we), up to 16 EiB - 1 byte.  A bare
 * number is bytes.  Blanks (spaces, tabs) before the number, before the
 * unit and after it are allowed alike.  Returns 0 and sets *ret_bytes, -EINVAL for a malformed value, or
 * -ERANGE when it does not fit in 64 bits. */
int vr_parse_size(const char *s, uint64_t *ret_bytes);

/* Format @bytes for people: "0 B", "812 KiB", "1.5 GiB".  Returns @buf. */
const char *vr_format_size(uint64_t bytes, char *buf, size_t size);

#define VR_SIZE_STR_MAX 24

#endif
