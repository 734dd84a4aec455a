/*
 * convert_struct.c - values with a structure of their own (convert_int.h,
 * docs/casts.md): UUIDs, JSON, PostgreSQL arrays and MySQL sets (as JSON
 * arrays where the target has no array), enums and bit strings.
 */
#include "copy/convert_int.h"
#include "copy_int.h"
#include "sluice/util.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sluice/error.h"
#include "sluice/util.h"

int cv_conv_uuid(sl_value *out, const sl_value *v, sl_buf *reason)
{
	if (v->type == SL_V_UUID) {
		*out = *v;
		return 0;
	}
	if (v->type == SL_V_BLOB && v->u.s.len == 16) {
		out->type = SL_V_UUID;
		memcpy(out->u.uuid, v->u.s.ptr, 16);
		return 0;
	}
	if (v->type == SL_V_TEXT) {
		const char *s = v->u.s.ptr;
		size_t len = v->u.s.len;
		while (len && isspace((unsigned char)*s))
			s++, len--;
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (sl_parse_uuid(s, len, out->u.uuid) == 0) {
			out->type = SL_V_UUID;
			return 0;
		}
		sl_error_clear();
	}
	return cv_refuse(reason, v, "is not a UUID");
}

/*
 * A value for a JSON column: its JSON meaning whatever it is stored as
 * (SQLite keeps a JSON number typed into a JSON column as an INTEGER or
 * REAL): text and blobs are JSON text, numbers and booleans the JSON scalar.
 */
int cv_conv_json(sl_value *out, const sl_value *v, const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	if (v->type == SL_V_JSON && sl_copy_conv_src(cx)->json_native) {
		*out = *v; /* the engine checked it; SQLite's JSON columns hold any text */
		return 0;
	}
	if (v->type == SL_V_DOUBLE && !isfinite(v->u.d))
		return cv_refuse(reason, v, "is not a JSON number");
	switch (v->type) {
	case SL_V_JSON:
	case SL_V_TEXT:
	case SL_V_BLOB: {
		if (!sl_json_check(v->u.s.ptr, v->u.s.len))
			return cv_refuse(reason, v, "is not valid JSON");
		*out = sl_bytes(SL_V_JSON, v->u.s.ptr, v->u.s.len);
		return 0;
	}
	case SL_V_DOUBLE:
	case SL_V_INT:
	case SL_V_BOOL:
		rc = sl_value_format(&b, v);
		break;
	case SL_V_DECIMAL:
		if (!cv_is_plain_number(v->u.s.ptr, v->u.s.len))
			return cv_refuse(reason, v, "is not a JSON number");
		rc = sl_buf_put(&b, v->u.s.ptr, v->u.s.len);
		break;
	default:
		return cv_conv_text(out, v, cx, dst, reason);
	}
	if (!rc)
		rc = cv_put_bytes(out, dst, SL_V_JSON, b.ptr, b.len);
	sl_buf_free(&b);
	return rc;
}

/* MySQL SET text "a,b" -> PostgreSQL array input {"a","b"}. */
static int set_to_array(sl_value *out, const sl_value *v, sl_batch *dst)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_putc(&b, '{');
	const char *s = v->u.s.ptr, *end = s + v->u.s.len;
	bool first = true;
	while (!rc && v->u.s.len && s <= end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *e = comma ? comma : end;
		rc = sl_buf_puts(&b, first ? "\"" : ",\"");
		for (const char *q = s; !rc && q < e; q++) {
			if (*q == '"' || *q == '\\')
				rc = sl_buf_putc(&b, '\\');
			if (!rc)
				rc = sl_buf_putc(&b, *q);
		}
		if (!rc)
			rc = sl_buf_putc(&b, '"');
		first = false;
		if (!comma)
			break;
		s = comma + 1;
	}
	if (!rc)
		rc = sl_buf_putc(&b, '}');
	if (!rc)
		rc = cv_put_bytes(out, dst, SL_V_TEXT, b.ptr, b.len);
	sl_buf_free(&b);
	return rc;
}

/* PostgreSQL array text {a,"b c",NULL,{1,2}} -> JSON array; every element a string or null. */
static int pg_array_to_json(sl_buf *out, const char **sp, const char *end)
{
	const char *s = *sp;
	int rc = sl_buf_putc(out, '[');
	if (s >= end || *s != '{')
		return SL_EINVALID;
	s++;
	bool first = true;
	while (!rc && s < end && *s != '}') {
		if (!first) {
			if (*s != ',')
				return SL_EINVALID;
			s++;
		}
		rc = first ? 0 : sl_buf_putc(out, ',');
		first = false;
		if (rc)
			break;
		if (s < end && *s == '{') {
			rc = pg_array_to_json(out, &s, end);
			continue;
		}
		sl_buf el = SL_BUF_INIT;
		bool quoted = s < end && *s == '"';
		if (quoted) {
			s++;
			while (!rc && s < end && *s != '"') {
				if (*s == '\\' && s + 1 < end)
					s++;
				rc = sl_buf_putc(&el, *s++);
			}
			if (s >= end)
				rc = SL_EINVALID;
			s++;
		} else {
			while (!rc && s < end && *s != ',' && *s != '}')
				rc = sl_buf_putc(&el, *s++);
		}
		if (!rc) {
			if (!quoted && el.len == 4 && strcasecmp(el.ptr, "null") == 0)
				rc = sl_buf_puts(out, "null");
			else {
				json_t *js = json_stringn(el.ptr ? el.ptr : "", el.len);
				char *txt = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
				rc = txt ? sl_buf_puts(out, txt) : SL_EINVALID;
				free(txt);
				json_decref(js);
			}
		}
		sl_buf_free(&el);
	}
	if (rc)
		return rc;
	if (s >= end)
		return SL_EINVALID;
	*sp = s + 1;
	return sl_buf_putc(out, ']');
}

int cv_conv_array(sl_value *out, const sl_value *v, const sl_cast_column *cc, const sl_copy_conv *cx,
		  sl_batch *dst, sl_buf *reason)
{
	if (v->type != SL_V_TEXT)
		return cv_conv_text(out, v, cx, dst, reason);
	if (cc->src->type.kind == SL_T_SET && sl_copy_conv_dst(cx)->arrays)
		return set_to_array(out, v, dst);
	if (cc->src->type.kind == SL_T_ARRAY && sl_copy_conv_src(cx)->arrays &&
	    !sl_copy_conv_dst(cx)->arrays) {
		sl_buf b = SL_BUF_INIT;
		const char *s = v->u.s.ptr;
		/* optional dimension decoration [1:2]={...} */
		const char *eq = s[0] == '[' ? memchr(s, '=', v->u.s.len) : NULL;
		if (eq)
			s = eq + 1;
		int rc = pg_array_to_json(&b, &s, v->u.s.ptr + v->u.s.len);
		if (rc == SL_EINVALID) {
			sl_buf_free(&b);
			return cv_refuse(reason, v, "is not an array");
		}
		if (!rc)
			rc = cv_put_bytes(out, dst, sl_copy_conv_dst(cx)->json_native ? SL_V_JSON : SL_V_TEXT,
					  b.ptr, b.len);
		sl_buf_free(&b);
		return rc;
	}
	return cv_conv_text(out, v, cx, dst, reason);
}

int cv_conv_enum(sl_value *out, const sl_value *v, const sl_cast_column *cc, const sl_copy_conv *cx,
		 sl_batch *dst, sl_buf *reason)
{
	int rc = cv_conv_text(out, v, cx, dst, reason);
	if (rc || !cc->type.nlabels)
		return rc;
	for (size_t i = 0; i < cc->type.nlabels; i++)
		if (strlen(cc->type.labels[i]) == out->u.s.len &&
		    memcmp(cc->type.labels[i], out->u.s.ptr, out->u.s.len) == 0)
			return 0;
	return cv_refuse(reason, v, "is not a label of the enum");
}

int cv_conv_bit(sl_value *out, const sl_value *v, const sl_cast_column *cc, const sl_copy_conv *cx,
		sl_batch *dst, sl_buf *reason)
{
	if (sl_copy_conv_dst(cx)->bit_strings && v->type == SL_V_INT) {
		int n = cc->type.length > 0 ? cc->type.length : 1;
		char bits[65];
		if (n > 64)
			n = 64;
		if (n < 64 && (uint64_t)v->u.i >> n)
			return cv_refuse(reason, v, "does not fit in bit(%d)", n);
		for (int i = 0; i < n; i++)
			bits[i] = ((uint64_t)v->u.i >> (n - 1 - i)) & 1 ? '1' : '0';
		bits[n] = '\0';
		return cv_put_printf(out, dst, SL_V_TEXT, bits);
	}
	if (!sl_copy_conv_dst(cx)->bit_strings && v->type == SL_V_TEXT) {
		uint64_t u = 0;
		if (v->u.s.len > 64)
			return cv_refuse(reason, v, "has more than 64 bits");
		for (size_t i = 0; i < v->u.s.len; i++) {
			if (v->u.s.ptr[i] != '0' && v->u.s.ptr[i] != '1')
				return cv_refuse(reason, v, "is not a bit string");
			u = (u << 1) | (uint64_t)(v->u.s.ptr[i] - '0');
		}
		if (u > INT64_MAX) {
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "%" PRIu64, u);
			return cv_put_printf(out, dst, SL_V_DECIMAL, tmp);
		}
		*out = sl_int((int64_t)u);
		return 0;
	}
	*out = *v;
	return 0;
}
