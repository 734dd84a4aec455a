/*
 * decimal.c - exact decimal numbers as text: normalisation and rounding to a
 * scale, without going through a double. Used by the canonical encoding
 * (src/check/canon.c) and by the copy's conversions (src/copy/convert.c), so
 * a value rounded to a column's scale by the copy is the value diff expects.
 */
#include "sluice/value.h"
#include "sluice/error.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The parts of a decimal number's text: sign, digit spans and exponent. */
struct dec_parts {
	bool neg;
	size_t int_start, int_end, frac_start, frac_end;
	long exp;
};

/* Splits s[0..n) into its parts; returns 0, or 1 when s is no number. */
static int dec_parse(const char *s, size_t n, struct dec_parts *p)
{
	size_t i = 0;
	p->neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		p->neg = s[i++] == '-';
	p->int_start = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	p->int_end = i;
	p->frac_start = i;
	p->frac_end = i;
	if (i < n && s[i] == '.') {
		p->frac_start = ++i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		p->frac_end = i;
	}
	if (p->int_end == p->int_start && p->frac_end == p->frac_start)
		return 1;
	long exp = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		size_t es = i;
		while (i < n && isdigit((unsigned char)s[i]) && exp < 100000)
			exp = exp * 10 + (s[i++] - '0');
		if (i == es || exp > 400)
			return 1;
		if (eneg)
			exp = -exp;
	}
	p->exp = exp;
	if (i != n)
		return 1;
	return 0;
}

/*
 * Rounds the digits dig[0..len) (pos of them before the point, dig[0] a
 * spare '0' for a carry) half away from zero to scale fractional digits;
 * returns the new length.
 */
static size_t dec_round(char *dig, size_t len, long pos, int scale)
{
	if (scale >= 0 && (long)len - pos > scale) {
		long keep = pos + scale; /* digits kept */
		bool up = keep >= 0 && keep < (long)len && dig[keep] >= '5';
		long k = keep < 0 ? 0 : keep;
		len = (size_t)k;
		for (long j = k - 1; up && j >= 0; j--) {
			if (dig[j] == '9') {
				dig[j] = '0';
			} else {
				dig[j]++;
				up = false;
			}
		}
	}
	return len;
}

/*
 * Writes the nonzero digits d[0..m), pos of them before the point, to out
 * as plain decimal text with its sign.
 */
static int dec_emit(sl_buf *out, bool neg, const char *d, size_t m, long pos)
{
	int rc = 0;
	if (neg)
		rc = sl_buf_putc(out, '-');
	if (!rc && pos <= 0) {
		rc = sl_buf_puts(out, "0.");
		for (long z = 0; !rc && z < -pos; z++)
			rc = sl_buf_putc(out, '0');
		if (!rc)
			rc = sl_buf_put(out, d, m);
	} else if (!rc && (size_t)pos >= m) {
		rc = sl_buf_put(out, d, m);
		for (long z = (long)m; !rc && z < pos; z++)
			rc = sl_buf_putc(out, '0');
	} else if (!rc) {
		rc = sl_buf_put(out, d, (size_t)pos);
		if (!rc)
			rc = sl_buf_putc(out, '.');
		if (!rc)
			rc = sl_buf_put(out, d + pos, m - (size_t)pos);
	}
	return rc;
}

/*
 * Normalises the decimal number s[0..n) ([+-]digits[.digits][e[+-]digits],
 * leading/trailing point allowed) into out: no '+', no leading or trailing
 * zeros, no exponent, "0" for any zero. scale >= 0 first rounds half away
 * from zero to that many fractional digits. Returns 0, 1 when s is no
 * number (out unchanged), or SL_ENOMEM.
 */
int sl_decimal_norm(sl_buf *out, const char *s, size_t n, int scale)
{
	struct dec_parts p;
	if (dec_parse(s, n, &p))
		return 1;
	size_t int_start = p.int_start, int_end = p.int_end;
	size_t frac_start = p.frac_start, frac_end = p.frac_end;

	size_t nd = (int_end - int_start) + (frac_end - frac_start);
	char small[80], *dig = nd + 2 <= sizeof(small) ? small : malloc(nd + 2);
	if (!dig)
		return sl_error_nomem();
	/* dig[1..] holds the digits; dig[0] is room for a carry */
	size_t len = 0;
	dig[len++] = '0';
	memcpy(dig + len, s + int_start, int_end - int_start);
	len += int_end - int_start;
	memcpy(dig + len, s + frac_start, frac_end - frac_start);
	len += frac_end - frac_start;
	/* pos: digits of dig before the decimal point */
	long pos = 1 + (long)(int_end - int_start) + p.exp;

	len = dec_round(dig, len, pos, scale);
	size_t first = 0;
	while (first < len && dig[first] == '0')
		first++;
	size_t last = len;
	while (last > first && dig[last - 1] == '0')
		last--;
	int rc = 0;
	if (first == last) {
		rc = sl_buf_putc(out, '0');
		goto done;
	}
	rc = dec_emit(out, p.neg, dig + first, last - first, pos - (long)first);
done:
	if (dig != small)
		free(dig);
	return rc;
}
