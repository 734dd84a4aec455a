/*
 * buf.h - a growable byte buffer (the strbuf/dynbuf of sluice).
 *
 * Invariants: ptr is NULL or points at cap bytes; len < cap whenever ptr is
 * non-NULL, and ptr[len] == '\0', so the content is always a C string too
 * (it may also hold NUL bytes: use len). Any append may move ptr: pointers
 * into the buffer are invalid after it. The buffer refuses to grow past
 * SL_BUF_MAX (1 GiB) and returns SL_ENOMEM instead.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SL_BUF_MAX ((size_t)1 << 30)

typedef struct sl_buf {
	char *ptr;
	size_t len;
	size_t cap;
} sl_buf;

#define SL_BUF_INIT                                                                                          \
	{                                                                                                    \
		.ptr = NULL, .len = 0, .cap = 0                                                              \
	}

int sl_buf_grow(sl_buf *b, size_t extra);
/* The general append; sl_buf_put() calls it when the buffer must grow. */
int sl_buf_put_slow(sl_buf *b, const void *data, size_t len);

/* Appends len bytes. Inline fast path: the hot loops of the bulk writers call it per field. */
static inline int sl_buf_put(sl_buf *b, const void *data, size_t len)
{
	if (b->ptr && len < b->cap - b->len) {
		memcpy(b->ptr + b->len, data, len);
		b->len += len;
		b->ptr[b->len] = '\0';
		return 0;
	}
	return sl_buf_put_slow(b, data, len);
}

int sl_buf_puts(sl_buf *b, const char *s);
int sl_buf_putc(sl_buf *b, char c);
/* Appends p[0..n) as hex digits, two per byte (upper or lower case). */
int sl_buf_put_hex(sl_buf *b, const void *p, size_t n, bool upper);
int sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Empties the buffer, keeping its memory. */
void sl_buf_clear(sl_buf *b);
/* Hands the content to the caller (who frees it) and resets the buffer. Never NULL on success. */
char *sl_buf_detach(sl_buf *b);
void sl_buf_free(sl_buf *b);
/* "" when empty, so it can always be printed. */
const char *sl_buf_cstr(const sl_buf *b);

#ifdef __cplusplus
}
#endif
#endif
