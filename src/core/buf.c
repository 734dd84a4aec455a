/*
 * buf.c - growable byte buffer; see include/sluice/buf.h for the invariants.
 */
#include "sluice/buf.h"
#include "sluice/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sl_buf_grow(sl_buf *b, size_t extra)
{
	if (extra > SL_BUF_MAX || b->len > SL_BUF_MAX - extra - 1)
		return sl_error_set(SL_ENOMEM, "buffer would exceed %zu bytes", SL_BUF_MAX);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap * 2 > SL_BUF_MAX + 1 ? SL_BUF_MAX + 1 : cap * 2;
	char *p = realloc(b->ptr, cap);
	if (!p)
		return sl_error_nomem();
	if (!b->ptr)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int sl_buf_put_slow(sl_buf *b, const void *data, size_t len)
{
	int rc = sl_buf_grow(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int sl_buf_puts(sl_buf *b, const char *s)
{
	return sl_buf_put(b, s, strlen(s));
}

int sl_buf_putc(sl_buf *b, char c)
{
	return sl_buf_put(b, &c, 1);
}

int sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return sl_error_set(SL_ERROR, "bad format string");
	int rc = sl_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void sl_buf_clear(sl_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *sl_buf_detach(sl_buf *b)
{
	if (!b->ptr && sl_buf_grow(b, 0))
		return NULL;
	char *p = b->ptr;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void sl_buf_free(sl_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

const char *sl_buf_cstr(const sl_buf *b)
{
	return b->ptr ? b->ptr : "";
}

int sl_buf_put_hex(sl_buf *b, const void *p, size_t n, bool upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	const unsigned char *u = p;
	int rc = n > (SIZE_MAX - 1) / 2 ? sl_error_nomem() : sl_buf_grow(b, 2 * n + 1);
	for (size_t i = 0; !rc && i < n; i++) {
		char two[2] = { hex[u[i] >> 4], hex[u[i] & 15] };
		rc = sl_buf_put(b, two, 2);
	}
	return rc;
}
