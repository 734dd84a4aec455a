/*
 * util.h - small helpers every module needs once: clocks, the current time
 * as UTC text, exact integer parsing, membership in a list of strings,
 * reading a small file whole, and the jansson idioms the JSON writers share
 * (src/core/util.c).
 */
#ifndef SLUICE_UTIL_H
#define SLUICE_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A monotonic clock, for durations: milliseconds, and seconds with a fraction. */
int64_t sl_now_ms(void);
double sl_now_s(void);

/*
 * The current time in UTC as "YYYY-MM-DD<sep>HH:MM:SS[.f]Z" into out[n]:
 * sep is 'T' or ' ', frac_digits 0, 3 or 6.
 */
void sl_now_utc_text(char *out, size_t n, char sep, int frac_digits);

/* Parses s[0..len) as a whole: an optional sign and decimal digits, in int64 range. */
bool sl_parse_i64(const char *s, size_t len, int64_t *out);

/* v ends at a NULL entry rather than after a count. */
#define SL_STRV_NULL_ENDED ((size_t)-1)
/* Whether s is one of v[0..n) (or of v up to its NULL, with SL_STRV_NULL_ENDED); a NULL s or entry never
 * matches. */
bool sl_str_in(const char *s, const char *const *v, size_t n);

/* Whether len bytes are one JSON text as jansson's json_loadb(JSON_DECODE_ANY) would accept
 * them, checked without building the value (src/core/json_check.c). */
bool sl_json_check(const char *text, size_t len);
/*
 * Reads the regular file path, at most max bytes, into *out (malloc'd,
 * NUL-terminated, *len bytes). Errors name what the file is: "read WHAT
 * \"PATH\": ..." (SL_ENOTFOUND, SL_EIO, or SL_EINVALID when it is not a
 * regular file under max bytes, said in MiB).
 */
int sl_read_file(char **out, size_t *len, const char *path, size_t max, const char *what);

/* JSON: s as a string, or null when s is NULL (a new reference). */
json_t *sl_json_str(const char *s);
/* The string member key of o, or NULL (borrowed from o). */
const char *sl_json_get_str(const json_t *o, const char *key);

#ifdef __cplusplus
}
#endif
#endif
