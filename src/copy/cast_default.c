/*
 * cast_default.c - carries a literal default (a string or a number) to the
 * target the way the rows travel: the source value goes through the same
 * conversion as the column's data (convert.c), and the result is written as
 * a literal of the target's dialect. A default the rows' conversion would
 * refuse ('"0"' on an integer column, 'abc' on a date) or turn into NULL (a
 * MySQL zero date such as '0000-00-00' or '1970-00-00') is dropped with a
 * lossy note giving the reason, so the target never rejects the DDL.
 *
 * cast.c decides what a default means (classify); this file only handles
 * the literal kinds. docs/casts.md, "Defaults", describes both.
 */
#include "copy/cast_int.h"
#include "copy/copy_int.h"
#include "sluice/ddl.h"
#include "sluice/error.h"

#include <stdlib.h>
#include <string.h>

/* Whether a default on a column of kind k needs parentheses on e (dialect.h, expr_default_parens). */
bool sl_cast_default_needs_parens(sl_engine e, sl_tkind k)
{
	return sl_dialect_of(e)->expr_default_parens &&
	       (k == SL_T_TEXT || k == SL_T_BLOB || k == SL_T_JSON || k == SL_T_GEOMETRY || k == SL_T_ARRAY);
}

static int put_string(sl_buf *out, sl_engine e, sl_tkind k, const char *s, size_t len)
{
	char *z = strndup(s, len);
	int rc = z ? 0 : SL_ENOMEM;
	bool parens = sl_cast_default_needs_parens(e, k);
	if (!rc && parens)
		rc = sl_buf_putc(out, '(');
	if (!rc)
		rc = sl_ddl_quote_string(out, e, z);
	if (!rc && parens)
		rc = sl_buf_putc(out, ')');
	free(z);
	return rc;
}

/* A temporal value as a quoted literal: ISO 8601 with a space, as every engine reads it. */
static int put_temporal(sl_buf *out, sl_engine e, const sl_value *v)
{
	sl_buf t = SL_BUF_INIT;
	int rc = sl_value_format(&t, v);
	char *sep = rc ? NULL : memchr(t.ptr, 'T', t.len);
	if (sep && (v->type == SL_V_TIMESTAMP || v->type == SL_V_TIMESTAMPTZ))
		*sep = ' ';
	if (!rc)
		rc = sl_ddl_quote_string(out, e, sl_buf_cstr(&t));
	sl_buf_free(&t);
	return rc;
}

/* Writes converted value v as a literal for column cc on engine e; *shown is the source text. */
static int put_value(sl_buf *out, sl_engine e, const sl_cast_column *cc, const sl_value *v, const char *num)
{
	sl_tkind k = cc->type.kind;
	switch (v->type) {
	case SL_V_BOOL:
		if (k == SL_T_BOOL)
			return sl_buf_puts(out, v->u.b ? sl_dialect_of(e)->true_literal
						       : sl_dialect_of(e)->false_literal);
		return sl_buf_puts(out, v->u.b ? "1" : "0");
	case SL_V_INT:
		return sl_buf_printf(out, "%lld", (long long)v->u.i);
	case SL_V_DOUBLE:
		/* the number as written when it was one (1.50 stays 1.50), else the shortest form */
		return num ? sl_buf_puts(out, num) : sl_format_double(out, v->u.d);
	case SL_V_DECIMAL:
		return sl_buf_put(out, v->u.s.ptr, v->u.s.len);
	case SL_V_TEXT:
	case SL_V_JSON:
		if (k == SL_T_BIT && sl_dialect_of(e)->bit_strings)
			return sl_buf_printf(out, "%c'%.*s'", sl_dialect_of(e)->bit_prefix, (int)v->u.s.len,
					     v->u.s.ptr);
		return put_string(out, e, k, v->u.s.ptr, v->u.s.len);
	case SL_V_DATE:
	case SL_V_TIME:
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
	case SL_V_UUID: {
		bool parens = sl_cast_default_needs_parens(e, k);
		int rc = parens ? sl_buf_putc(out, '(') : 0;
		if (!rc)
			rc = put_temporal(out, e, v);
		if (!rc && parens)
			rc = sl_buf_putc(out, ')');
		return rc;
	}
	default:
		return SL_EINVALID; /* blobs and the like: the caller drops the default */
	}
}

/* True when a number token is an integer: [-]digits. */
static bool integral(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int sl_cast_default_literal(sl_cast_ctx *x, sl_cast_column *cc, const char *text, bool number,
			    const char *shown, sl_buf *out)
{
	sl_engine e = x->plan->target;
	sl_copy_conv cx = { .source = x->plan->source,
			    .target = e,
			    .target_caps = sl_dialect_of(e)->caps & SL_CAP_FLOAT_SPECIALS,
			    .same = false,
			    .sd = sl_dialect_of(x->plan->source),
			    .td = sl_dialect_of(e) };
	sl_batch scratch = { 0 };
	sl_buf reason = SL_BUF_INIT;
	sl_value v, cv = sl_null();
	int rc = sl_batch_init(&scratch, 1, 1);
	if (rc)
		goto done;
	if (number && integral(text) && strlen(text) < 19)
		v = sl_int(strtoll(text, NULL, 10));
	else
		v = sl_bytes(number ? SL_V_DECIMAL : SL_V_TEXT, text, strlen(text));
	sl_copy_loss loss = SL_COPY_LOSS_NONE;
	rc = sl_copy_convert(&cv, &loss, &v, cc, &cx, &scratch, &reason);
	if (rc < 0)
		goto done;
	if (rc > 0) {
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY, "default %s dropped: %s", shown,
				      sl_buf_cstr(&reason));
		goto done;
	}
	if (cv.type == SL_V_NULL) {
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				      "default %s (a MySQL zero date) dropped: the copy makes such "
				      "values NULL",
				      shown);
		goto done;
	}
	size_t mark = out->len;
	rc = put_value(out, e, cc, &cv, number ? text : NULL);
	if (rc == SL_EINVALID) {
		out->len = mark;
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				      "default %s dropped: a %s default is not written as a literal", shown,
				      sl_vtype_name(cv.type));
		goto done;
	}
	/* a value the conversion changed (0 on a datetime is an epoch, a rounded decimal) says what
	 * it became */
	if (!rc && (loss != SL_COPY_LOSS_NONE ||
		    ((cv.type == SL_V_TIMESTAMP || cv.type == SL_V_TIMESTAMPTZ || cv.type == SL_V_DATE) &&
		     v.type != SL_V_TEXT)))
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				      "default %s -> %s: the value the copy makes of %s in this column",
				      shown, out->ptr + mark, shown);
done:
	sl_buf_free(&reason);
	sl_batch_free(&scratch);
	return rc == SL_ENOMEM ? sl_error_nomem() : rc;
}
