/* SPDX-License-Identifier: MIT */
/* Unit tests for the sanitizer of text from a guest or a file
 * (common/sanitize.c): escape sequences, control characters, C1 controls
 * and broken UTF-8 come out as visible escapes. */
#include "helpers.h"

#include "common/sanitize.h"

#include <stdlib.h>
#include <string.h>

static const char *clean(const char *s, size_t len)
{
	static char buf[256];

	return vr_sanitize(s, len, buf, sizeof(buf));
}

#define CLEAN(lit) clean(lit, sizeof(lit) - 1)

static void test_sanitize_plain(void **state)
{
	(void)state;
	assert_string_equal(CLEAN("ok released=1048576"), "ok released=1048576");
	assert_string_equal(CLEAN(""), "");
	/* Valid UTF-8 stays. */
	assert_string_equal(CLEAN("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
	/* A backslash is doubled, so that an escape cannot be faked. */
	assert_string_equal(CLEAN("a\\x1b"), "a\\\\x1b");
}

/* What the probe sent: a title change, a screen clear. */
static void test_sanitize_escapes(void **state)
{
	(void)state;
	assert_string_equal(CLEAN("refused \x1b]0;pwned\x07\x1b[2J"),
			    "refused \\x1b]0;pwned\\x07\\x1b[2J");
	assert_string_equal(CLEAN("a\nb\tc\rd\x7f"), "a\\x0ab\\x09c\\x0dd\\x7f");
	/* A NUL is shown, not the end. */
	assert_string_equal(CLEAN("a\0b"), "a\\x00b");
	/* C1 controls: CSI (U+009B) as UTF-8, and as a bare byte. */
	assert_string_equal(CLEAN("x\xc2\x9b" "2J"), "x\\u009b2J");
	assert_string_equal(CLEAN("x\x9b" "2J"), "x\\x9b2J");
	/* Bidirectional override, line separator. */
	assert_string_equal(CLEAN("\xe2\x80\xae" "abc\xe2\x80\xa8"), "\\u202eabc\\u2028");
}

static void test_sanitize_bad_utf8(void **state)
{
	(void)state;
	/* Overlong '/', a surrogate, past U+10FFFF, a cut sequence, a lone
	 * continuation byte. */
	assert_string_equal(CLEAN("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(CLEAN("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(CLEAN("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	assert_string_equal(CLEAN("ab\xe2\x82"), "ab\\xe2\\x82");
	assert_string_equal(CLEAN("\x80z"), "\\x80z");
}

/* Cut at a whole escape or character, always terminated. */
static void test_sanitize_cut(void **state)
{
	char small[6];

	(void)state;
	assert_string_equal(vr_sanitize("ab\x1b" "cd", 5, small, sizeof(small)), "ab");
	assert_string_equal(vr_sanitize("abcdefgh", 8, small, sizeof(small)), "abcde");
	assert_string_equal(vr_sanitize("\xc3\xa9\xc3\xa9\xc3\xa9", 6, small, sizeof(small)),
			    "\xc3\xa9\xc3\xa9");
	assert_string_equal(vr_sanitize_str("x\x1b", small, sizeof(small)), "x\\x1b");
	/* The worst case fits VR_SANITIZE_SIZE. */
	{
		char big[VR_SANITIZE_SIZE(3)];

		assert_string_equal(vr_sanitize("\x01\x02\x03", 3, big, sizeof(big)),
				    "\\x01\\x02\\x03");
	}
}

/* Whatever comes in, what goes out holds no control byte, no DEL, no C1
 * control and no invalid UTF-8, and fits its buffer: 200,000 random
 * strings (a fixed seed), biased towards the bytes that matter. */
static void test_sanitize_random(void **state)
{
	static const unsigned char interesting[] = { 0x00, 0x07, 0x0a, 0x1b, 0x5c, 0x7f, 0x80, 0x9b,
						     0xc0, 0xc2, 0xe2, 0xed, 0xf0, 0xf4, 0xff };
	unsigned seed = 12;
	char in[32], out[VR_SANITIZE_SIZE(sizeof(in))], small[9];
	int k;

	(void)state;
	for (k = 0; k < 200000; k++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(in)), i;
		const unsigned char *p;

		for (i = 0; i < len; i++) {
			int r = rand_r(&seed);

			in[i] = (char)(r % 3 ? interesting[(unsigned)(r >> 4) % sizeof(interesting)]
					     : (r >> 8) & 0xff);
		}
		vr_sanitize(in, len, out, sizeof(out));
		vr_sanitize(in, len, small, sizeof(small));
		assert_true(strlen(small) < sizeof(small));
		for (p = (const unsigned char *)out; *p;) {
			if (*p < 0x80) {
				assert_true(*p >= 0x20 && *p != 0x7f);
				p++;
			} else if ((*p & 0xe0) == 0xc0) {
				assert_true(*p >= 0xc2 && (p[1] & 0xc0) == 0x80);
				/* U+0080-U+009F */
				assert_false(*p == 0xc2 && p[1] < 0xa0);
				p += 2;
			} else if ((*p & 0xf0) == 0xe0) {
				assert_true((p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80);
				p += 3;
			} else {
				assert_true((*p & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 &&
					    (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80);
				p += 4;
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_plain),
		cmocka_unit_test(test_sanitize_escapes),
		cmocka_unit_test(test_sanitize_bad_utf8),
		cmocka_unit_test(test_sanitize_cut),
		cmocka_unit_test(test_sanitize_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
