/*
 * bisect_sql.c - the canonical row text of sl_diff_bisect, twice: as SQL
 * expressions for PostgreSQL and MySQL/MariaDB that build, per column, the
 * exact bytes of sl_canon_value's encoding, and in C (sl_canon_value itself)
 * for a SQLite side that is streamed; plus the 60-bit md5 fingerprint.
 *
 * Safety rule: an expression may fail to reproduce the encoding (the segment
 * then differs and is row-diffed), but it must never give the encoding of
 * one value for another. Values the SQL cannot render exactly (dates outside
 * years 1-9999, MySQL tinyint(1) holding 2, ...) become a per-side poison
 * token "?S"/"?D" that no encoding starts with. Supported pairs are listed
 * in docs/diff.md ("Bisection"); anything else makes the table ineligible.
 */
#include "check/bisect_int.h"
#include "check/canon_int.h"
#include "sluice/error.h"

#include <stdio.h>
#include <string.h>

static bool is_int(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

/* tag || byte length || ':' || x, where x is a non-NULL text expression. */
static int enc(sl_buf *o, sl_engine e, char tag, const char *x)
{
	if (e == SL_ENGINE_POSTGRES)
		return sl_buf_printf(o, "'%c' || octet_length(%s) || ':' || %s", tag, x, x);
	return sl_buf_printf(o, "CONCAT('%c', LENGTH(%s), ':', %s)", tag, x, x);
}

static const char *poison(int side)
{
	return side == BISECT_SRC ? "'?S'" : "'?D'";
}

static int no(char *why, size_t whylen, const sl_column *col, const char *reason)
{
	snprintf(why, whylen, "column \"%s\" (%s) %s", col->name, col->decl_type ? col->decl_type : "?",
		 reason);
	return 1;
}

/* The text expression (without NULL handling) of an exact number, trailing fraction zeros cut. */
static int number_text(sl_buf *x, sl_engine e, const sl_column *col, const char *q)
{
	if (e == SL_ENGINE_POSTGRES) {
		if (is_int(col->type.kind))
			return sl_buf_printf(x, "CAST(%s AS text)", q);
		return sl_buf_printf(x,
				     "(CASE WHEN strpos(CAST(%s AS text), '.') > 0 THEN "
				     "rtrim(rtrim(CAST(%s AS text), '0'), '.') ELSE CAST(%s AS text) END)",
				     q, q, q);
	}
	if (is_int(col->type.kind))
		return sl_buf_printf(x, "CAST(%s AS CHAR)", q);
	return sl_buf_printf(x,
			     "(CASE WHEN LOCATE('.', CAST(%s AS CHAR)) > 0 THEN TRIM(TRAILING '.' FROM "
			     "TRIM(TRAILING '0' FROM CAST(%s AS CHAR))) ELSE CAST(%s AS CHAR) END)",
			     q, q, q);
}

/* Temporal text: x gets the formatted value, range the condition under which it is exact. */
static int temporal_text(sl_buf *x, sl_buf *range, sl_engine e, sl_tkind canon, const sl_column *col,
			 const char *q)
{
	bool z = canon == SL_T_TIMESTAMPTZ, pg = e == SL_ENGINE_POSTGRES;
	sl_buf v = SL_BUF_INIT;
	int rc = 0;
	if (pg && col->type.kind == SL_T_TIMESTAMPTZ)
		rc = sl_buf_printf(&v, "(%s AT TIME ZONE 'UTC')", q);
	else
		rc = sl_buf_puts(&v, q);
	const char *vs = sl_buf_cstr(&v);
	if (!rc && canon == SL_T_DATE)
		rc = pg ? sl_buf_printf(x, "to_char(%s, 'YYYY-MM-DD')", vs)
			: sl_buf_printf(x, "DATE_FORMAT(%s, '%%Y-%%m-%%d')", vs);
	else if (!rc)
		rc = pg ? sl_buf_printf(x, "to_char(%s, 'YYYY-MM-DD\"T\"HH24:MI:SS.US%s')", vs,
					z ? "\"Z\"" : "")
			: sl_buf_printf(x, "DATE_FORMAT(%s, '%%Y-%%m-%%dT%%H:%%i:%%s.%%f%s')", vs,
					z ? "Z" : "");
	/* years 1-9999 only: to_char drops BC and widens years past 9999; MySQL has zero dates */
	if (!rc && pg)
		rc = sl_buf_printf(range, "%s >= '0001-01-01' AND %s < '10000-01-01'", vs, vs);
	else if (!rc)
		rc = sl_buf_printf(range,
				   "%s >= '0001-01-01' AND %s <= '9999-12-31 23:59:59.999999' AND "
				   "MONTH(%s) > 0 AND DAY(%s) > 0",
				   vs, vs, vs, vs);
	sl_buf_free(&v);
	return rc;
}

int bisect_col_expr(sl_buf *out, sl_engine e, const sl_column *col, const char *q, const sl_canon_col *cc,
		    const sl_canon_opts *o, int side, char *why, size_t whylen)
{
	sl_tkind k = col->type.kind, ck = cc->kind;
	bool pg = e == SL_ENGINE_POSTGRES;
	sl_buf x = SL_BUF_INIT, range = SL_BUF_INIT;
	int rc = 0;
	if (e != SL_ENGINE_POSTGRES && e != SL_ENGINE_MYSQL)
		return no(why, whylen, col, "is on an engine without md5 in SQL");
	rc = sl_buf_printf(out, "(CASE WHEN %s IS NULL THEN 'N' ", q);
	if (rc)
		goto done;
	switch (ck) {
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
	case SL_T_DECIMAL:
		if (!is_int(k) && !(ck == SL_T_DECIMAL && k == SL_T_DECIMAL)) {
			rc = no(why, whylen, col, "is not an exact number on both sides");
			goto done;
		}
		rc = number_text(&x, e, col, q);
		if (!rc)
			rc = sl_buf_puts(out, "ELSE ");
		if (!rc)
			rc = enc(out, e, '#', sl_buf_cstr(&x));
		break;
	case SL_T_BOOL:
		if (pg && k == SL_T_BOOL)
			rc = sl_buf_printf(out, "WHEN %s THEN 'B4:true' ELSE 'B5:false'", q);
		else if (!pg && (k == SL_T_BOOL || is_int(k)))
			rc = sl_buf_printf(out,
					   "WHEN %s = 1 THEN 'B4:true' WHEN %s = 0 THEN 'B5:false' ELSE %s",
					   q, q, poison(side));
		else
			rc = no(why, whylen, col, "is not a boolean or integer");
		break;
	case SL_T_VARCHAR:
	case SL_T_TEXT:
	case SL_T_ENUM:
	case SL_T_SET:
		if (k != SL_T_VARCHAR && k != SL_T_TEXT && k != SL_T_ENUM && !(k == SL_T_SET && !pg)) {
			rc = no(why, whylen, col,
				"is not plain text (CHAR padding and other types read differently)");
			goto done;
		}
		if (o->ci_text == SL_CANON_CI_ALL || (o->ci_text == SL_CANON_CI_COLLATION && cc->ci)) {
			rc = no(why, whylen, col, "is compared ignoring case");
			goto done;
		}
		rc = pg ? sl_buf_printf(&x, "CAST(%s AS text)", q)
			: sl_buf_printf(&x, "CONVERT(%s USING utf8mb4)", q);
		if (!rc)
			rc = sl_buf_puts(out, "ELSE ");
		if (!rc)
			rc = enc(out, e, 'T', sl_buf_cstr(&x));
		break;
	case SL_T_DATE:
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ: {
		bool ok = ck == SL_T_DATE ? k == SL_T_DATE
					  : (k == SL_T_TIMESTAMP || (pg && k == SL_T_TIMESTAMPTZ));
		if (ck == SL_T_TIMESTAMP && k == SL_T_TIMESTAMPTZ)
			ok = false;
		if (!ok) {
			rc = no(why, whylen, col,
				pg ? "is not the same temporal type on both sides"
				   : "is not DATE or DATETIME (TIMESTAMP depends on the session zone)");
			goto done;
		}
		if (ck != SL_T_DATE && o->timestamp_precision != 6) {
			rc = no(why, whylen, col, "is compared with fewer than 6 fractional digits");
			goto done;
		}
		rc = temporal_text(&x, &range, e, ck, col, q);
		if (!rc)
			rc = sl_buf_printf(out, "WHEN %s THEN ", sl_buf_cstr(&range));
		if (!rc)
			rc = enc(out, e,
				 ck == SL_T_DATE        ? 'd'
				 : ck == SL_T_TIMESTAMP ? 'S'
							: 'Z',
				 sl_buf_cstr(&x));
		if (!rc)
			rc = sl_buf_printf(out, " ELSE %s", poison(side));
		break;
	}
	case SL_T_UUID:
		if (!pg || k != SL_T_UUID) {
			rc = no(why, whylen, col, "is not a PostgreSQL uuid");
			goto done;
		}
		rc = sl_buf_printf(&x, "CAST(%s AS text)", q);
		if (!rc)
			rc = sl_buf_puts(out, "ELSE ");
		if (!rc)
			rc = enc(out, e, 'U', sl_buf_cstr(&x));
		break;
	default:
		rc = no(why, whylen, col,
			"cannot be rendered identically on both engines (floats, json, blobs, "
			"CHAR, times, arrays... are not fingerprinted)");
		break;
	}
	if (!rc)
		rc = sl_buf_puts(out, " END)");
done:
	sl_buf_free(&x);
	sl_buf_free(&range);
	return rc;
}

int bisect_hash_expr(sl_buf *out, sl_engine e, const char *row_expr)
{
	if (e == SL_ENGINE_POSTGRES)
		return sl_buf_printf(out, "('x' || substr(md5(%s), 1, 15))::bit(60)::bigint", row_expr);
	return sl_buf_printf(out, "CAST(CONV(SUBSTR(MD5(%s), 1, 15), 16, 10) AS UNSIGNED)", row_expr);
}

int bisect_row_text(sl_buf *out, sl_buf *scratch, const sl_value *row, const sl_canon_col *cc, size_t n,
		    const sl_canon_opts *o)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		rc = sl_canon_value_scratch(out, scratch, &row[i], &cc[i], o);
	return rc;
}

int bisect_hash60(EVP_MD_CTX *md, const void *p, size_t n, uint64_t *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	if (EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 || EVP_DigestUpdate(md, p, n) != 1 ||
	    EVP_DigestFinal_ex(md, d, &dn) != 1 || dn < 8)
		return sl_error_set(SL_ERROR, "md5 of a row failed");
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	*out = v >> 4; /* the first 15 hex digits */
	return 0;
}

int bisect_value_u128(const sl_value *v, bisect_u128 *out)
{
	*out = 0;
	if (v->type == SL_V_INT && v->u.i >= 0) {
		*out = (bisect_u128)v->u.i;
		return 0;
	}
	if (v->type == SL_V_NULL) /* sum() over no rows */
		return 0;
	if (v->type != SL_V_DECIMAL && v->type != SL_V_TEXT)
		return sl_error_set(SL_EINVALID, "fingerprint: unexpected %s value", sl_vtype_name(v->type));
	size_t n = v->u.s.len;
	const char *s = v->u.s.ptr;
	/* numeric sums may come as "123" or "123.0" */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			for (size_t j = i + 1; j < n; j++)
				if (s[j] != '0')
					goto bad;
			break;
		}
		if (s[i] < '0' || s[i] > '9' || i >= 38)
			goto bad;
		*out = *out * 10 + (bisect_u128)(s[i] - '0');
	}
	if (n > 0)
		return 0;
bad:
	return sl_error_set(SL_EINVALID, "fingerprint: \"%.*s\" is not a non-negative integer",
			    (int)(n > 60 ? 60 : n), s);
}
