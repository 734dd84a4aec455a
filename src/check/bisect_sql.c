/*
 * bisect_sql.c - the canonical row text of sl_diff_bisect, twice: as SQL
 * expressions that build, per column, the exact bytes of sl_canon_value's
 * encoding (spelled by the engine's row-hash hooks, sl_rowhash_ops in
 * sluice/dialect.h), and in C (sl_canon_value itself) for a side without
 * them, which is streamed; plus the 60-bit md5 fingerprint.
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

/* The ELSE branch of a text column's expression, or 1 with why set. */
static int expr_text(sl_buf *out, sl_buf *x, const sl_rowhash_ops *h, const sl_column *col, const char *q,
		     const sl_canon_col *cc, const sl_canon_opts *o, char *why, size_t whylen)
{
	sl_tkind k = col->type.kind;
	int rc = 0;
	if (k != SL_T_VARCHAR && k != SL_T_TEXT && k != SL_T_ENUM && !(k == SL_T_SET && h->set_is_text))
		return no(why, whylen, col,
			  "is not plain text (CHAR padding and other types read differently)");
	if (o->ci_text == SL_CANON_CI_ALL || (o->ci_text == SL_CANON_CI_COLLATION && cc->ci))
		return no(why, whylen, col, "is compared ignoring case");
	rc = h->text(x, q);
	if (!rc)
		rc = sl_buf_puts(out, "ELSE ");
	if (!rc)
		rc = h->enc(out, 'T', sl_buf_cstr(x));
	return rc;
}

/* The WHEN/ELSE branches of a date or timestamp column's expression, or 1 with why set. */
static int expr_temporal(sl_buf *out, sl_buf *x, sl_buf *range, const sl_rowhash_ops *h, const sl_column *col,
			 const char *q, sl_tkind ck, const sl_canon_opts *o, int side, char *why,
			 size_t whylen)
{
	sl_tkind k = col->type.kind;
	int rc = 0;
	bool ok = ck == SL_T_DATE ? k == SL_T_DATE
				  : (k == SL_T_TIMESTAMP || (h->instants && k == SL_T_TIMESTAMPTZ));
	if (ck == SL_T_TIMESTAMP && k == SL_T_TIMESTAMPTZ)
		ok = false;
	if (!ok)
		return no(why, whylen, col,
			  h->instants ? "is not the same temporal type on both sides"
				      : "is not DATE or DATETIME (TIMESTAMP depends on the session zone)");
	if (ck != SL_T_DATE && o->timestamp_precision != 6)
		return no(why, whylen, col, "is compared with fewer than 6 fractional digits");
	rc = h->temporal_text(x, range, q, ck == SL_T_DATE, ck == SL_T_TIMESTAMPTZ, k == SL_T_TIMESTAMPTZ);
	if (!rc)
		rc = sl_buf_printf(out, "WHEN %s THEN ", sl_buf_cstr(range));
	if (!rc)
		rc = h->enc(out, ck == SL_T_DATE ? 'd' : ck == SL_T_TIMESTAMP ? 'S' : 'Z', sl_buf_cstr(x));
	if (!rc)
		rc = sl_buf_printf(out, " ELSE %s", poison(side));
	return rc;
}

int bisect_col_expr(sl_buf *out, const sl_rowhash_ops *h, const sl_column *col, const char *q,
		    const sl_canon_col *cc, const sl_canon_opts *o, int side, char *why, size_t whylen)
{
	sl_tkind k = col->type.kind, ck = cc->kind;
	sl_buf x = SL_BUF_INIT, range = SL_BUF_INIT;
	int rc = 0;
	if (!h)
		return no(why, whylen, col, "is on an engine without md5 in SQL");
	rc = sl_buf_printf(out, "(CASE WHEN %s IS NULL THEN 'N' ", q);
	if (rc)
		goto done;
	switch (ck) {
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
	case SL_T_DECIMAL:
		if (!sl_tkind_is_int(k) && !(ck == SL_T_DECIMAL && k == SL_T_DECIMAL)) {
			rc = no(why, whylen, col, "is not an exact number on both sides");
			goto done;
		}
		rc = h->number_text(&x, q, sl_tkind_is_int(k));
		if (!rc)
			rc = sl_buf_puts(out, "ELSE ");
		if (!rc)
			rc = h->enc(out, '#', sl_buf_cstr(&x));
		break;
	case SL_T_BOOL:
		if (h->native_bool && k == SL_T_BOOL)
			rc = sl_buf_printf(out, "WHEN %s THEN 'B4:true' ELSE 'B5:false'", q);
		else if (!h->native_bool && (k == SL_T_BOOL || sl_tkind_is_int(k)))
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
		rc = expr_text(out, &x, h, col, q, cc, o, why, whylen);
		break;
	case SL_T_DATE:
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
		rc = expr_temporal(out, &x, &range, h, col, q, ck, o, side, why, whylen);
		break;
	case SL_T_UUID:
		if (!h->uuid_type || k != SL_T_UUID) {
			rc = no(why, whylen, col, "is not a PostgreSQL uuid");
			goto done;
		}
		rc = h->text(&x, q);
		if (!rc)
			rc = sl_buf_puts(out, "ELSE ");
		if (!rc)
			rc = h->enc(out, 'U', sl_buf_cstr(&x));
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
