/*
 * fake.c - format-preserving fakes chosen by a keyed digest (keyed.c) from
 * the word lists (words.c): names, mail addresses, phone numbers, street
 * addresses and IP addresses. Every choice reads its own bytes of the
 * digest, so the fake depends on the key and the input only.
 *
 * The is_* functions tell whether a text has the shape of a fake, for the
 * leak scan: a source value that a fake happens to equal is a coincidence,
 * not a leak (docs/masking.md, "The leak scan").
 */
#include "mask_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *pick(const char *const *list, size_t n, uint64_t w)
{
	return list[w % n];
}

/* Appends n in decimal (no printf: these run once per masked value). */
static int put_uint(sl_buf *out, unsigned n)
{
	char d[12];
	size_t i = sizeof(d);
	do {
		d[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	return sl_buf_put(out, d + i, sizeof(d) - i);
}

static int put_hex2(sl_buf *out, uint8_t b)
{
	static const char hex[] = "0123456789abcdef";
	char d[2] = { hex[b >> 4], hex[b & 15] };
	return sl_buf_put(out, d, 2);
}

static int put_lower(sl_buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && *s; s++)
		rc = sl_buf_putc(out, (char)tolower((unsigned char)*s));
	return rc;
}

int sl_fake_name(sl_buf *out, const uint8_t *d, sl_mask_name_part part, int words)
{
	const char *first = pick(sl_words_first, sl_words_nfirst, sl_mask_word(d, 0));
	const char *last = pick(sl_words_last, sl_words_nlast, sl_mask_word(d, 1));
	if (part == SL_MASK_NAME_FIRST || (part == SL_MASK_NAME_FULL && words <= 1))
		return sl_buf_puts(out, first);
	if (part == SL_MASK_NAME_LAST)
		return sl_buf_puts(out, last);
	int rc = sl_buf_puts(out, first);
	if (!rc && words >= 3) {
		char mid[4] = { ' ', (char)('A' + (int)(sl_mask_word(d, 2) % 26)), '.', 0 };
		rc = sl_buf_puts(out, mid);
	}
	if (!rc)
		rc = sl_buf_putc(out, ' ');
	return rc ? rc : sl_buf_puts(out, last);
}

int sl_fake_email(sl_buf *out, const uint8_t *d, const char *domain, size_t domain_len)
{
	static const char seps[] = { '.', '_', '.' };
	uint64_t w2 = sl_mask_word(d, 2);
	int rc = put_lower(out, pick(sl_words_first, sl_words_nfirst, sl_mask_word(d, 0)));
	if (!rc)
		rc = sl_buf_putc(out, seps[w2 % 3]);
	if (!rc)
		rc = put_lower(out, pick(sl_words_last, sl_words_nlast, sl_mask_word(d, 1)));
	if (!rc)
		rc = put_uint(out, (unsigned)((w2 / 3) % 10000));
	if (!rc)
		rc = sl_buf_putc(out, '@');
	if (!rc && domain)
		rc = sl_buf_put(out, domain, domain_len);
	else if (!rc)
		rc = sl_buf_puts(out, pick(sl_words_mail_domain, sl_words_nmail_domain, sl_mask_word(d, 3)));
	return rc;
}

int sl_fake_phone(sl_buf *out, const uint8_t *d, const char *in, size_t len, int keep)
{
	int rc = 0, digit = 0;
	for (size_t i = 0; !rc && i < len; i++) {
		char c = in[i];
		if (isdigit((unsigned char)c)) {
			if (digit >= keep) {
				unsigned b = d[(size_t)digit % SL_MASK_DIGEST] ^
					     (unsigned)(digit / SL_MASK_DIGEST);
				c = (char)('0' + b % 10);
			}
			digit++;
		}
		rc = sl_buf_putc(out, c);
	}
	return rc;
}

int sl_fake_address(sl_buf *out, const uint8_t *d, int parts)
{
	int rc = sl_buf_printf(out, "%u %s %s", (unsigned)(1 + sl_mask_word(d, 0) % 2999),
			       pick(sl_words_street, sl_words_nstreet, sl_mask_word(d, 1)),
			       pick(sl_words_street_type, sl_words_nstreet_type, sl_mask_word(d, 1) >> 32));
	if (!rc && parts >= 2)
		rc = sl_buf_printf(out, ", %s%s",
				   pick(sl_words_town_head, sl_words_ntown_head, sl_mask_word(d, 2)),
				   pick(sl_words_town_tail, sl_words_ntown_tail, sl_mask_word(d, 2) >> 32));
	if (!rc && parts >= 3)
		rc = sl_buf_printf(out, ", %05u", (unsigned)(sl_mask_word(d, 3) % 100000));
	return rc;
}

int sl_fake_ip(sl_buf *out, const uint8_t *d, const char *in, size_t len)
{
	const char *slash = memchr(in, '/', len);
	int rc = 0;
	if (memchr(in, ':', len)) {
		/* fdXX:XXXX:...: eight groups, in the unique-local range fd00::/8 */
		rc = sl_buf_puts(out, "fd");
		for (int i = 0; !rc && i < 15; i++) {
			if (i % 2 == 1)
				rc = sl_buf_putc(out, ':');
			if (!rc)
				rc = put_hex2(out, d[i]);
		}
	} else {
		rc = sl_buf_puts(out, "10.");
		if (!rc)
			rc = put_uint(out, d[0]);
		if (!rc)
			rc = sl_buf_putc(out, '.');
		if (!rc)
			rc = put_uint(out, d[1]);
		if (!rc)
			rc = sl_buf_putc(out, '.');
		if (!rc)
			rc = put_uint(out, 1u + d[2] % 254u);
	}
	if (!rc && slash)
		rc = sl_buf_put(out, slash, len - (size_t)(slash - in));
	return rc;
}

static bool is_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* The word of s starting at *i up to a space (or the end). */
static size_t word_at(const char *s, size_t len, size_t *i)
{
	size_t start = *i;
	while (*i < len && s[*i] != ' ')
		(*i)++;
	return *i - start;
}

/* Case-insensitive: "WATANABE" in a column of capitals is the same name. */
static bool has_word(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], s, len) == 0)
			return true;
	return false;
}

bool sl_fake_is_name(const char *s, size_t len)
{
	size_t i = 0, n = word_at(s, len, &i);
	if (!has_word(sl_words_first, sl_words_nfirst, s, n) &&
	    !has_word(sl_words_last, sl_words_nlast, s, n))
		return false;
	while (i < len) {
		size_t start = ++i, wl = word_at(s, len, &i);
		bool initial = wl == 2 && isalpha((unsigned char)s[start]) && s[start + 1] == '.';
		if (!initial && !has_word(sl_words_last, sl_words_nlast, s + start, wl))
			return false;
	}
	return true;
}

/* True when s starts with one of list's words in lower case; *n is its length. */
static bool lower_word_at(const char *const *list, size_t nlist, const char *s, size_t len, size_t *n)
{
	for (size_t i = 0; i < nlist; i++) {
		size_t wl = strlen(list[i]), k = 0;
		while (k < wl && k < len && tolower((unsigned char)list[i][k]) == s[k])
			k++;
		if (k == wl) {
			*n = wl;
			return true;
		}
	}
	return false;
}

bool sl_fake_is_email(const char *s, size_t len, bool any_domain)
{
	const char *at = memchr(s, '@', len);
	size_t n = 0, i = 0, local = at ? (size_t)(at - s) : 0;
	if (!at)
		return false;
	if (!any_domain &&
	    !sl_words_has(sl_words_mail_domain, sl_words_nmail_domain, at + 1, len - local - 1))
		return false;
	if (!lower_word_at(sl_words_first, sl_words_nfirst, s, local, &n))
		return false;
	i = n;
	if (i >= local || (s[i] != '.' && s[i] != '_'))
		return false;
	i++;
	if (!lower_word_at(sl_words_last, sl_words_nlast, s + i, local - i, &n))
		return false;
	i += n;
	return i < local && is_all_digits(s + i, local - i);
}

bool sl_fake_is_address(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != ' ')
		return false;
	size_t start = ++i, wl = word_at(s, len, &i);
	return sl_words_has(sl_words_street, sl_words_nstreet, s + start, wl);
}

bool sl_fake_is_ip(const char *s, size_t len)
{
	return (len > 3 && memcmp(s, "10.", 3) == 0) || (len > 4 && memcmp(s, "fd", 2) == 0 && s[4] == ':');
}
