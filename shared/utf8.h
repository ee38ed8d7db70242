/* shared/utf8.h: UTF-8 validation and bounded truncation. */
#ifndef URLMON_UTF8_H
#define URLMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF);
 * *chars (may be NULL) receives the number of code points. */
bool utf8_valid(const char *s, size_t len, size_t *chars);
/* Largest n <= len such that s[0..n) ends on a character boundary of valid UTF-8
 * and holds no invalid sequence; replaces nothing, just cuts. */
size_t utf8_prefix(const char *s, size_t len);

#endif
