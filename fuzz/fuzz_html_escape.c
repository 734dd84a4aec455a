/*
 * fuzz_html_escape.c - libFuzzer target for the report page's escaping
 * (src/report/signoff/escape.c, html.c): whatever the input, escaped text
 * holds no markup (< and > never appear, & only as an entity), attributes
 * no quote, JSON for a <script> block no < > &, the output is valid UTF-8
 * without control characters, and `code` spans open and close only <code>.
 */
#include "report/signoff/signoff_int.h"
#include "sluice/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = c < 0x80             ? 1
			     : (c & 0xE0) == 0xC0 ? 2
			     : (c & 0xF0) == 0xE0 ? 3
			     : (c & 0xF8) == 0xF0 ? 4
						  : 0;
		if (!len || i + len > n || (c < 0x20 && c != '\t' && c != '\n'))
			abort();
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				abort();
		i += len;
	}
}

static void no_markup(const sl_buf *b, bool attr)
{
	static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	for (size_t i = 0; i < b->len; i++) {
		char c = b->ptr[i];
		if (c == '<' || c == '>' || (attr && (c == '"' || c == '\'')))
			abort();
		if (c == '&') {
			bool ok = false;
			for (size_t k = 0; k < 5; k++)
				ok = ok || strncmp(b->ptr + i, entities[k], strlen(entities[k])) == 0;
			if (!ok)
				abort();
		}
	}
	valid_utf8((const unsigned char *)b->ptr, b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	sl_buf t = SL_BUF_INIT, a = SL_BUF_INIT, j = SL_BUF_INIT, r = SL_BUF_INIT;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (sl_html_text(&t, s) == 0)
		no_markup(&t, false);
	if (sl_html_attr(&a, s) == 0)
		no_markup(&a, true);
	if (sl_html_json(&j, s) == 0)
		for (size_t i = 0; i < j.len; i++)
			if (j.ptr[i] == '<' || j.ptr[i] == '>' || j.ptr[i] == '&')
				abort();
	if (rp_h_rich(&r, s) == 0) {
		/* the only tags are <code> and </code>, balanced */
		int open = 0;
		for (const char *p = sl_buf_cstr(&r); (p = strchr(p, '<')) != NULL; p++) {
			if (strncmp(p, "<code>", 6) == 0)
				open++;
			else if (strncmp(p, "</code>", 7) == 0)
				open--;
			else
				abort();
			if (open < 0 || open > 1)
				abort();
		}
		if (open)
			abort();
	}
	sl_buf_free(&t);
	sl_buf_free(&a);
	sl_buf_free(&j);
	sl_buf_free(&r);
	sl_error_clear();
	free(s);
	return 0;
}
