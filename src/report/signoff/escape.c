/*
 * escape.c - escaping for the HTML page (report.h): text content, quoted
 * attribute values, and JSON inside a <script> data block. Everything the
 * page shows that came from a database, sluice.yaml or a migration file
 * goes through sl_html_text() or sl_html_attr(); the page has no other way
 * to write such text. Invalid UTF-8 becomes U+FFFD so a stray byte cannot
 * make the browser guess another encoding.
 */
#include "sluice/report.h"

#include <string.h>

#include "sluice/error.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static int escape(sl_buf *out, const char *s, bool attr)
{
	int rc = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (!rc && *p) {
		unsigned char c = *p;
		size_t n = utf8_len(p);
		if (n == 0) {
			rc = sl_buf_puts(out, "\xEF\xBF\xBD"); /* U+FFFD */
			p++;
			continue;
		}
		if (n > 1)
			rc = sl_buf_put(out, p, n);
		else if (c == '&')
			rc = sl_buf_puts(out, "&amp;");
		else if (c == '<')
			rc = sl_buf_puts(out, "&lt;");
		else if (c == '>')
			rc = sl_buf_puts(out, "&gt;");
		else if (attr && c == '"')
			rc = sl_buf_puts(out, "&quot;");
		else if (attr && c == '\'')
			rc = sl_buf_puts(out, "&#39;");
		else if (c < 0x20 && c != '\t' && c != '\n')
			; /* controls have no place in a page */
		else
			rc = sl_buf_putc(out, (char)c);
		p += n;
	}
	return rc;
}

int sl_html_text(sl_buf *out, const char *s)
{
	return escape(out, s, false);
}

int sl_html_attr(sl_buf *out, const char *s)
{
	return escape(out, s, true);
}

int sl_html_json(sl_buf *out, const char *json)
{
	int rc = 0;
	for (const char *p = json ? json : ""; !rc && *p; p++) {
		if (*p == '<')
			rc = sl_buf_puts(out, "\\u003c");
		else if (*p == '>')
			rc = sl_buf_puts(out, "\\u003e");
		else if (*p == '&')
			rc = sl_buf_puts(out, "\\u0026");
		else
			rc = sl_buf_putc(out, *p);
	}
	return rc;
}
