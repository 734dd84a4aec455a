/*
 * postgres_copy.c - the PostgreSQL bulk writer: COPY table (cols) FROM STDIN.
 *
 * At open the target columns' types are read from pg_attribute. When every
 * column has a binary encoder here, rows go as COPY binary (format in the
 * PostgreSQL docs, "COPY ... Binary Format"; each type's wire form is its
 * typsend/typreceive pair). Otherwise the whole writer uses text COPY and
 * the server parses each value. Output is buffered and handed to libpq in
 * chunks of SL_PG_COPY_CHUNK bytes, so memory stays bounded by one chunk
 * plus one row. A COPY stays open across writes until flush ends it; while
 * it is open the connection runs nothing else.
 */
#include "pg_internal.h"

#include "sluice/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SL_PG_COPY_CHUNK (256 * 1024)

typedef enum enc_kind {
	ENC_NONE = 0,
	ENC_BOOL,
	ENC_INT2,
	ENC_INT4,
	ENC_INT8,
	ENC_FLOAT4,
	ENC_FLOAT8,
	ENC_NUMERIC,
	ENC_TEXT,
	ENC_BYTEA,
	ENC_DATE,
	ENC_TIME,
	ENC_TIMESTAMP,
	ENC_TIMESTAMPTZ,
	ENC_UUID,
	ENC_JSON,
	ENC_JSONB
} enc_kind;

typedef struct pg_writer {
	sl_writer base;
	char *copy_sql;
	char **names;  /* target column names, for messages */
	enc_kind *enc; /* per column; all set when binary */
	bool binary;
	bool in_copy; /* a COPY is open on the connection */
	sl_buf out;   /* bytes not yet handed to libpq */
	sl_buf tmp;   /* scratch for conversions */
} pg_writer;

static PGconn *wconn(const pg_writer *w)
{
	return ((sl_pg_conn *)w->base.conn)->pg;
}

/* ---- opening ---- */

static enc_kind enc_for(Oid oid, char typtype)
{
	if (typtype == 'e')
		return ENC_TEXT; /* the binary form of an enum value is its label */
	switch (oid) {
	case SL_PG_BOOL:
		return ENC_BOOL;
	case SL_PG_INT2:
		return ENC_INT2;
	case SL_PG_INT4:
		return ENC_INT4;
	case SL_PG_INT8:
		return ENC_INT8;
	case SL_PG_FLOAT4:
		return ENC_FLOAT4;
	case SL_PG_FLOAT8:
		return ENC_FLOAT8;
	case SL_PG_NUMERIC:
		return ENC_NUMERIC;
	case SL_PG_TEXT:
	case SL_PG_VARCHAR:
	case SL_PG_BPCHAR:
	case SL_PG_NAME:
		return ENC_TEXT;
	case SL_PG_BYTEA:
		return ENC_BYTEA;
	case SL_PG_DATE:
		return ENC_DATE;
	case SL_PG_TIME:
		return ENC_TIME;
	case SL_PG_TIMESTAMP:
		return ENC_TIMESTAMP;
	case SL_PG_TIMESTAMPTZ:
		return ENC_TIMESTAMPTZ;
	case SL_PG_UUID:
		return ENC_UUID;
	case SL_PG_JSON:
		return ENC_JSON;
	case SL_PG_JSONB:
		return ENC_JSONB;
	default:
		return ENC_NONE;
	}
}

static const char COLUMNS_SQL[] =
	"SELECT a.attname, COALESCE(NULLIF(t.typbasetype, 0), t.oid) AS base,"
	"       COALESCE(bt.typtype, t.typtype) AS typtype, a.attgenerated <> '' AS generated"
	"  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
	"  LEFT JOIN pg_type bt ON bt.oid = t.typbasetype"
	" WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
	" ORDER BY a.attnum";

static void writer_release(pg_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->names && i < w->base.ncols; i++)
		free(w->names[i]);
	free(w->names);
	free(w->enc);
	free(w->copy_sql);
	sl_buf_free(&w->out);
	sl_buf_free(&w->tmp);
	free(w);
}

/* Finds the attribute row of name; -1 when absent. */
static int find_attr(const PGresult *r, const char *name)
{
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), name) == 0)
			return i;
	return -1;
}

static int add_column(pg_writer *w, const PGresult *r, int row)
{
	size_t k = w->base.ncols;
	if (!(w->names[k] = strdup(PQgetvalue(r, row, 0))))
		return sl_error_nomem();
	w->enc[k] = enc_for((Oid)strtoul(PQgetvalue(r, row, 1), NULL, 10), PQgetvalue(r, row, 2)[0]);
	if (w->enc[k] == ENC_NONE)
		w->binary = false;
	w->base.ncols = k + 1;
	return 0;
}

/* Picks the target columns (all non-generated ones when none are named). */
static int pick_columns(pg_writer *w, const PGresult *r, const char *table, const char *const *columns,
			size_t ncolumns)
{
	size_t n = ncolumns ? ncolumns : (size_t)PQntuples(r);
	int rc = 0;
	w->names = calloc(n ? n : 1, sizeof(char *));
	w->enc = calloc(n ? n : 1, sizeof(enc_kind));
	if (!w->names || !w->enc)
		return sl_error_nomem();
	w->binary = true;
	for (size_t k = 0; !rc && k < ncolumns; k++) {
		int row = find_attr(r, columns[k]);
		if (row < 0)
			rc = sl_error_set(SL_ENOTFOUND, "column \"%s\" of \"%s\" does not exist", columns[k],
					  table);
		else
			rc = add_column(w, r, row);
	}
	for (int i = 0; !rc && !ncolumns && i < PQntuples(r); i++)
		if (PQgetvalue(r, i, 3)[0] != 't')
			rc = add_column(w, r, i);
	return rc;
}

static int build_copy_sql(pg_writer *w, const char *qualified)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_printf(&sql, "COPY %s (", qualified);
	for (size_t i = 0; !rc && i < w->base.ncols; i++) {
		if (i)
			rc = sl_buf_puts(&sql, ", ");
		if (!rc)
			rc = sl_quote_ident_with(&sql, w->names[i], '"');
	}
	if (!rc)
		rc = sl_buf_puts(&sql, w->binary ? ") FROM STDIN WITH (FORMAT binary)" : ") FROM STDIN");
	if (!rc)
		w->copy_sql = sl_buf_detach(&sql);
	sl_buf_free(&sql);
	return rc;
}

int sl_pg_writer_open(sl_writer **out, sl_conn *c, const char *schema, const char *table,
		      const char *const *columns, size_t ncolumns)
{
	int rc = 0;
	pg_writer *w = NULL;
	PGresult *r = NULL;
	sl_buf qual = SL_BUF_INIT;
	*out = NULL;
	if (!(w = calloc(1, sizeof(*w)))) {
		rc = sl_error_nomem();
		goto done;
	}
	w->base.conn = c;
	if (schema && ((rc = sl_quote_ident_with(&qual, schema, '"')) || (rc = sl_buf_putc(&qual, '.'))))
		goto done;
	if ((rc = sl_quote_ident_with(&qual, table, '"')))
		goto done;
	const char *param = qual.ptr;
	r = PQexecParams(wconn(w), COLUMNS_SQL, 1, NULL, &param, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = sl_pg_error(wconn(w), r);
		goto done;
	}
	if (PQntuples(r) == 0) {
		rc = sl_error_set(SL_ENOTFOUND, "table %s does not exist", qual.ptr);
		goto done;
	}
	if ((rc = pick_columns(w, r, table, columns, ncolumns)) || (rc = build_copy_sql(w, qual.ptr)))
		goto done;
	*out = &w->base;
	w = NULL;
done:
	PQclear(r);
	sl_buf_free(&qual);
	writer_release(w);
	return rc;
}

/* ---- output plumbing ---- */

static int send_out(pg_writer *w)
{
	if (!w->out.len)
		return 0;
	if (w->out.len > (size_t)INT32_MAX || PQputCopyData(wconn(w), w->out.ptr, (int)w->out.len) != 1)
		return sl_pg_error(wconn(w), NULL);
	sl_buf_clear(&w->out);
	return 0;
}

static const char BINARY_HEADER[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

static int start_copy(pg_writer *w)
{
	PGresult *r = PQexec(wconn(w), w->copy_sql);
	int rc = 0;
	if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
		rc = sl_pg_error(wconn(w), r);
		PQclear(r);
		sl_pg_drain(wconn(w));
		return rc;
	}
	PQclear(r);
	w->in_copy = true;
	if (w->binary)
		rc = sl_buf_put(&w->out, BINARY_HEADER, sizeof(BINARY_HEADER));
	return rc;
}

static int put16(sl_buf *b, int16_t v)
{
	uint16_t u = (uint16_t)v;
	char x[2] = { (char)(u >> 8), (char)u };
	return sl_buf_put(b, x, 2);
}

static int put32(sl_buf *b, int32_t v)
{
	uint32_t u = (uint32_t)v;
	char x[4] = { (char)(u >> 24), (char)(u >> 16), (char)(u >> 8), (char)u };
	return sl_buf_put(b, x, 4);
}

static int put64(sl_buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (char)(u >> (56 - 8 * i));
	return sl_buf_put(b, x, 8);
}

/* A field of fixed length: length word then payload. */
static int field64(sl_buf *b, int64_t v)
{
	int rc = put32(b, 8);
	return rc ? rc : put64(b, v);
}
static int field32(sl_buf *b, int32_t v)
{
	int rc = put32(b, 4);
	return rc ? rc : put32(b, v);
}

static int field_bytes(sl_buf *b, const char *p, size_t len)
{
	if (len > (size_t)INT32_MAX - 8)
		return sl_error_set(SL_ENOMEM, "value of %zu bytes is too large", len);
	int rc = put32(b, (int32_t)len);
	return rc ? rc : sl_buf_put(b, p, len);
}

/* ---- conversions (each sets a reason when the value does not fit) ---- */

static int cannot(const sl_value *v, const char *target)
{
	return sl_error_set(SL_EINVALID, "a %s value cannot be stored as %s", sl_vtype_name(v->type), target);
}

static bool textlike(const sl_value *v)
{
	return v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON;
}

/* Copies a text-like payload into tmp as a C string. */
static const char *cstr(pg_writer *w, const sl_value *v)
{
	sl_buf_clear(&w->tmp);
	if (sl_buf_put(&w->tmp, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len))
		return NULL;
	return w->tmp.ptr ? w->tmp.ptr : "";
}

static int to_int(pg_writer *w, const sl_value *v, int64_t *out)
{
	if (v->type == SL_V_INT) {
		*out = v->u.i;
	} else if (v->type == SL_V_BOOL) {
		*out = v->u.b;
	} else if (v->type == SL_V_DOUBLE) {
		if (!(v->u.d >= -9223372036854775808.0 && v->u.d < 9223372036854775808.0) ||
		    v->u.d != floor(v->u.d))
			return sl_error_set(SL_EINVALID, "%.17g is not an integer", v->u.d);
		*out = (int64_t)v->u.d;
	} else if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		const char *s = cstr(w, v);
		char *end = NULL;
		if (!s)
			return SL_ENOMEM;
		errno = 0;
		long long x = strtoll(s, &end, 10);
		if (end == s || *end || errno)
			return sl_error_set(SL_EINVALID, "\"%.40s\" is not an integer", s);
		*out = x;
	} else {
		return cannot(v, "an integer");
	}
	return 0;
}

static int to_double(pg_writer *w, const sl_value *v, double *out)
{
	if (v->type == SL_V_DOUBLE) {
		*out = v->u.d;
	} else if (v->type == SL_V_INT) {
		*out = (double)v->u.i;
	} else if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		const char *s = cstr(w, v);
		char *end = NULL;
		if (!s)
			return SL_ENOMEM;
		*out = strtod(s, &end);
		if (end == s || *end)
			return sl_error_set(SL_EINVALID, "\"%.40s\" is not a number", s);
	} else {
		return cannot(v, "a floating-point number");
	}
	return 0;
}

static int enc_bool(pg_writer *w, const sl_value *v)
{
	int64_t i = 0;
	bool b;
	if (v->type == SL_V_BOOL) {
		b = v->u.b;
	} else if (v->type == SL_V_TEXT) {
		const char *s = cstr(w, v);
		if (!s)
			return SL_ENOMEM;
		if (!strcasecmp(s, "t") || !strcasecmp(s, "true") || !strcmp(s, "1"))
			b = true;
		else if (!strcasecmp(s, "f") || !strcasecmp(s, "false") || !strcmp(s, "0"))
			b = false;
		else
			return sl_error_set(SL_EINVALID, "\"%.40s\" is not a boolean", s);
	} else if (v->type == SL_V_INT && !to_int(w, v, &i) && (i == 0 || i == 1)) {
		b = i == 1;
	} else {
		return cannot(v, "boolean");
	}
	int rc = put32(&w->out, 1);
	return rc ? rc : sl_buf_putc(&w->out, b ? 1 : 0);
}

static int enc_int(pg_writer *w, const sl_value *v, enc_kind k)
{
	int64_t i = 0;
	int rc = to_int(w, v, &i);
	if (rc)
		return rc;
	if (k == ENC_INT2 && (i < INT16_MIN || i > INT16_MAX))
		return sl_error_set(SL_EINVALID, "%lld is out of range for smallint", (long long)i);
	if (k == ENC_INT4 && (i < INT32_MIN || i > INT32_MAX))
		return sl_error_set(SL_EINVALID, "%lld is out of range for integer", (long long)i);
	if (k == ENC_INT2)
		return (rc = put32(&w->out, 2)) ? rc : put16(&w->out, (int16_t)i);
	if (k == ENC_INT4)
		return field32(&w->out, (int32_t)i);
	return field64(&w->out, i);
}

static int enc_float(pg_writer *w, const sl_value *v, enc_kind k)
{
	double d = 0;
	int rc = to_double(w, v, &d);
	if (rc)
		return rc;
	if (k == ENC_FLOAT4) {
		float f = (float)d;
		uint32_t u;
		memcpy(&u, &f, 4);
		return field32(&w->out, (int32_t)u);
	}
	uint64_t u;
	memcpy(&u, &d, 8);
	return field64(&w->out, (int64_t)u);
}

/* Floor division by 4 for negative powers of ten. */
static int group_of(int64_t p)
{
	return (int)(p >= 0 ? p / 4 : -((-p + 3) / 4));
}

/*
 * Reads the digits of the decimal text s from digits on: counts of integer
 * and fractional digits and the exponent. Returns 0 or SL_EINVALID.
 */
static int numeric_scan(const char *s, const char *digits, int64_t *intn, int64_t *fracn, int64_t *exp10)
{
	const char *p = digits;
	*intn = 0, *fracn = 0, *exp10 = 0;
	while (*p >= '0' && *p <= '9')
		p++, (*intn)++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			(*fracn)++;
	if (*intn + *fracn == 0)
		return sl_error_set(SL_EINVALID, "\"%.40s\" is not a decimal number", s);
	if (*p == 'e' || *p == 'E') {
		char *end = NULL;
		long e = strtol(p + 1, &end, 10);
		if (end == p + 1 || e > 100000 || e < -100000)
			return sl_error_set(SL_EINVALID, "\"%.40s\" is not a decimal number", s);
		*exp10 = e;
		p = end;
	}
	if (*p)
		return sl_error_set(SL_EINVALID, "\"%.40s\" is not a decimal number", s);
	return 0;
}

/* Finds the span of base-10000 groups holding nonzero digits (INT32_MIN: none). */
static void numeric_span(const char *digits, int64_t point, int *gmax, int *gmin)
{
	*gmax = INT32_MIN, *gmin = INT32_MAX;
	int64_t j = 0;
	for (const char *q = digits; *q && *q != 'e' && *q != 'E'; q++) {
		if (*q == '.')
			continue;
		if (*q != '0') {
			int g = group_of(point - 1 - j);
			*gmax = g > *gmax ? g : *gmax;
			*gmin = g < *gmin ? g : *gmin;
		}
		j++;
	}
}

/* Writes a nonzero numeric whose groups span gmin..gmax: header, then groups. */
static int put_numeric_groups(sl_buf *out, const char *digits, int64_t point, int gmax, int gmin, bool neg,
			      int64_t dscale)
{
	static const int pow10[4] = { 1, 10, 100, 1000 };
	int nd = gmax - gmin + 1;
	int16_t *g = calloc((size_t)nd, sizeof(int16_t));
	if (!g)
		return sl_error_nomem();
	int64_t j = 0;
	for (const char *q = digits; *q && *q != 'e' && *q != 'E'; q++) {
		if (*q == '.')
			continue;
		int64_t pw = point - 1 - j++;
		int grp = group_of(pw);
		if (*q != '0')
			g[gmax - grp] = (int16_t)(g[gmax - grp] + (*q - '0') * pow10[pw - 4 * (int64_t)grp]);
	}
	int rc = put32(out, 8 + 2 * nd);
	if (!rc)
		rc = put16(out, (int16_t)nd);
	if (!rc)
		rc = put16(out, (int16_t)gmax);
	if (!rc)
		rc = put16(out, (int16_t)(neg ? 0x4000 : 0));
	if (!rc)
		rc = put16(out, (int16_t)dscale);
	for (int i = 0; !rc && i < nd; i++)
		rc = put16(out, g[i]);
	free(g);
	return rc;
}

/*
 * Writes decimal text ([-+]digits[.digits][e[-+]digits], NaN, Infinity) as
 * a binary numeric: ndigits, weight, sign, dscale, then base-10000 digits,
 * the most significant first; digit k has weight (weight - k).
 */
static int put_numeric(sl_buf *out, const char *s)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	uint16_t special = 0;
	if (!strcasecmp(p, "nan") && p == s)
		special = 0xC000;
	else if (!strcasecmp(p, "infinity") || !strcasecmp(p, "inf"))
		special = neg ? 0xF000 : 0xD000;
	if (special) {
		int rc = put32(out, 8);
		for (int i = 0; !rc && i < 4; i++)
			rc = put16(out, (int16_t)(i == 2 ? special : 0));
		return rc;
	}
	const char *digits = p;
	int64_t intn, fracn, exp10;
	int rc = numeric_scan(s, digits, &intn, &fracn, &exp10);
	if (rc)
		return rc;
	int64_t point = intn + exp10, dscale = fracn - exp10 > 0 ? fracn - exp10 : 0;
	if (dscale > 0x3FFF)
		return sl_error_set(SL_EINVALID, "\"%.40s\" has too many fractional digits", s);
	int gmax, gmin;
	numeric_span(digits, point, &gmax, &gmin);
	if (gmax == INT32_MIN) { /* zero */
		rc = put32(out, 8);
		for (int i = 0; !rc && i < 4; i++)
			rc = put16(out, (int16_t)(i == 3 ? dscale : 0));
		return rc;
	}
	if (gmax > INT16_MAX || gmin < INT16_MIN || gmax - gmin + 1 > 32767)
		return sl_error_set(SL_EINVALID, "\"%.40s\" is out of range for numeric", s);
	return put_numeric_groups(out, digits, point, gmax, gmin, neg, dscale);
}

static int enc_numeric(pg_writer *w, const sl_value *v)
{
	sl_buf_clear(&w->tmp);
	int rc = 0;
	if (v->type == SL_V_INT || v->type == SL_V_DOUBLE)
		rc = sl_value_format(&w->tmp, v);
	else if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL)
		rc = sl_buf_put(&w->tmp, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len);
	else
		return cannot(v, "numeric");
	if (rc)
		return rc;
	if (memchr(w->tmp.ptr ? w->tmp.ptr : "", 0, w->tmp.len))
		return sl_error_set(SL_EINVALID, "decimal text contains a NUL byte");
	return put_numeric(&w->out, w->tmp.ptr ? w->tmp.ptr : "");
}

static int nul_check(const char *p, size_t len)
{
	if (len && memchr(p, 0, len))
		return sl_error_set(SL_EINVALID, "text contains a NUL byte, which PostgreSQL cannot store");
	return 0;
}

static int enc_text(pg_writer *w, const sl_value *v, enc_kind k)
{
	int rc = 0;
	if (k == ENC_JSON || k == ENC_JSONB) {
		if (v->type != SL_V_JSON && v->type != SL_V_TEXT)
			return cannot(v, "json");
	} else if (v->type == SL_V_BLOB) {
		return cannot(v, "text");
	}
	if (textlike(v)) {
		if ((rc = nul_check(v->u.s.ptr, v->u.s.len)))
			return rc;
		if (k != ENC_JSONB)
			return field_bytes(&w->out, v->u.s.ptr, v->u.s.len);
		sl_buf_clear(&w->tmp);
		if (!(rc = sl_buf_putc(&w->tmp, 1)) && !(rc = sl_buf_put(&w->tmp, v->u.s.ptr, v->u.s.len)))
			rc = field_bytes(&w->out, w->tmp.ptr, w->tmp.len);
		return rc;
	}
	sl_buf_clear(&w->tmp);
	if (!(rc = sl_value_format(&w->tmp, v)))
		rc = field_bytes(&w->out, w->tmp.ptr ? w->tmp.ptr : "", w->tmp.len);
	return rc;
}

static int enc_bytea(pg_writer *w, const sl_value *v)
{
	if (v->type != SL_V_BLOB && v->type != SL_V_TEXT)
		return cannot(v, "bytea");
	return field_bytes(&w->out, v->u.s.ptr, v->u.s.len);
}

static int enc_date(pg_writer *w, const sl_value *v)
{
	int32_t d = 0;
	int rc = 0;
	if (v->type == SL_V_DATE) {
		d = v->u.date;
	} else if (v->type == SL_V_TIMESTAMP || v->type == SL_V_TIMESTAMPTZ) {
		if (v->u.ts % SL_USEC_PER_DAY)
			return sl_error_set(SL_EINVALID,
					    "a timestamp with a time of day cannot be stored as date");
		d = (int32_t)(v->u.ts / SL_USEC_PER_DAY);
	} else if (v->type == SL_V_TEXT) {
		if ((rc = sl_parse_date(v->u.s.ptr, v->u.s.len, &d)))
			return rc;
	} else {
		return cannot(v, "date");
	}
	return field32(&w->out, d - SL_PG_EPOCH_DAYS);
}

static int enc_time(pg_writer *w, const sl_value *v)
{
	int64_t t = 0;
	int rc = 0;
	if (v->type == SL_V_TIME)
		t = v->u.time;
	else if (v->type == SL_V_TEXT)
		rc = sl_parse_time(v->u.s.ptr, v->u.s.len, &t);
	else
		return cannot(v, "time");
	if (!rc && (t < 0 || t > SL_USEC_PER_DAY))
		rc = sl_error_set(SL_EINVALID, "time out of range");
	return rc ? rc : field64(&w->out, t);
}

static int enc_timestamp(pg_writer *w, const sl_value *v)
{
	int64_t ts = 0;
	int rc = 0;
	if (v->type == SL_V_TIMESTAMP || v->type == SL_V_TIMESTAMPTZ)
		ts = v->u.ts;
	else if (v->type == SL_V_DATE)
		ts = (int64_t)v->u.date * SL_USEC_PER_DAY;
	else if (v->type == SL_V_TEXT)
		rc = sl_parse_timestamp(v->u.s.ptr, v->u.s.len, &ts, NULL);
	else
		return cannot(v, "timestamp");
	return rc ? rc : field64(&w->out, ts - SL_PG_EPOCH_USEC);
}

static int enc_uuid(pg_writer *w, const sl_value *v)
{
	uint8_t u[16];
	int rc = 0;
	if (v->type == SL_V_UUID)
		memcpy(u, v->u.uuid, 16);
	else if (v->type == SL_V_TEXT)
		rc = sl_parse_uuid(v->u.s.ptr, v->u.s.len, u);
	else if (v->type == SL_V_BLOB && v->u.s.len == 16)
		memcpy(u, v->u.s.ptr, 16);
	else
		return cannot(v, "uuid");
	return rc ? rc : field_bytes(&w->out, (const char *)u, 16);
}

static int enc_binary(pg_writer *w, const sl_value *v, enc_kind k)
{
	if (v->type == SL_V_NULL)
		return put32(&w->out, -1);
	switch (k) {
	case ENC_BOOL:
		return enc_bool(w, v);
	case ENC_INT2:
	case ENC_INT4:
	case ENC_INT8:
		return enc_int(w, v, k);
	case ENC_FLOAT4:
	case ENC_FLOAT8:
		return enc_float(w, v, k);
	case ENC_NUMERIC:
		return enc_numeric(w, v);
	case ENC_TEXT:
	case ENC_JSON:
	case ENC_JSONB:
		return enc_text(w, v, k);
	case ENC_BYTEA:
		return enc_bytea(w, v);
	case ENC_DATE:
		return enc_date(w, v);
	case ENC_TIME:
		return enc_time(w, v);
	case ENC_TIMESTAMP:
	case ENC_TIMESTAMPTZ:
		return enc_timestamp(w, v);
	case ENC_UUID:
		return enc_uuid(w, v);
	default:
		return sl_error_set(SL_ERROR, "no binary encoder");
	}
}

/* ---- text COPY ---- */

/* Appends the value in PostgreSQL's text input form, escaped for COPY text. */
static int enc_textcopy(pg_writer *w, const sl_value *v)
{
	int rc = 0;
	if (v->type == SL_V_NULL)
		return sl_buf_puts(&w->out, "\\N");
	sl_buf_clear(&w->tmp);
	if (textlike(v) && (rc = nul_check(v->u.s.ptr, v->u.s.len)))
		return rc;
	if (v->type == SL_V_DATE)
		rc = sl_pg_format_date(&w->tmp, v->u.date);
	else if (v->type == SL_V_TIMESTAMP || v->type == SL_V_TIMESTAMPTZ)
		rc = sl_pg_format_timestamp(&w->tmp, v->u.ts, v->type == SL_V_TIMESTAMPTZ);
	else
		rc = sl_value_format(&w->tmp, v);
	if (rc)
		return rc;
	if ((rc = sl_buf_grow(&w->out, w->tmp.len + 16)))
		return rc;
	for (size_t i = 0; !rc && i < w->tmp.len; i++) {
		char ch = w->tmp.ptr[i];
		switch (ch) {
		case '\\':
			rc = sl_buf_puts(&w->out, "\\\\");
			break;
		case '\t':
			rc = sl_buf_puts(&w->out, "\\t");
			break;
		case '\n':
			rc = sl_buf_puts(&w->out, "\\n");
			break;
		case '\r':
			rc = sl_buf_puts(&w->out, "\\r");
			break;
		default:
			rc = sl_buf_putc(&w->out, ch);
			break;
		}
	}
	return rc;
}

/* ---- writing ---- */

static int write_row(pg_writer *w, const sl_value *row)
{
	int rc = w->binary ? put16(&w->out, (int16_t)w->base.ncols) : 0;
	for (size_t i = 0; !rc && i < w->base.ncols; i++) {
		if (w->binary) {
			rc = enc_binary(w, &row[i], w->enc[i]);
		} else {
			if (i)
				rc = sl_buf_putc(&w->out, '\t');
			if (!rc)
				rc = enc_textcopy(w, &row[i]);
		}
		if (rc)
			sl_error_prefix("column \"%s\"", w->names[i]);
	}
	if (!rc && !w->binary)
		rc = sl_buf_putc(&w->out, '\n');
	return rc;
}

int sl_pg_writer_write(sl_writer *base, const sl_batch *b)
{
	pg_writer *w = (pg_writer *)base;
	int rc = 0;
	if (!b->nrows)
		return 0;
	if (!w->in_copy && (rc = start_copy(w)))
		return rc;
	for (size_t r = 0; r < b->nrows; r++) {
		size_t mark = w->out.len;
		if ((rc = write_row(w, sl_batch_row(b, r)))) {
			/* drop the partial row so the stream stays well-formed */
			w->out.len = mark;
			if (w->out.ptr)
				w->out.ptr[mark] = '\0';
			sl_error_prefix("row %zu", r + 1);
			return rc;
		}
		if (w->out.len >= SL_PG_COPY_CHUNK && (rc = send_out(w)))
			return rc;
	}
	return 0;
}

/* Adds the server's context line ("COPY t, line 3, column x: ...") to the error. */
static int copy_error(PGconn *pg, const PGresult *r)
{
	int rc = sl_pg_error(pg, r);
	const char *ctx = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
	if (ctx) {
		const sl_error *e = sl_error_last();
		char *msg = strdup(e->message);
		char state[6];
		memcpy(state, e->sqlstate, sizeof(state));
		if (msg) {
			size_t n = strcspn(ctx, "\n");
			rc = sl_error_set_db(rc, state, 0, "%s (%.*s)", msg, (int)n, ctx);
			free(msg);
		}
	}
	return rc;
}

int sl_pg_writer_flush(sl_writer *base)
{
	pg_writer *w = (pg_writer *)base;
	PGconn *pg = wconn(w);
	int rc = 0;
	PGresult *r = NULL;
	if (!w->in_copy)
		return 0;
	if (w->binary)
		rc = put16(&w->out, -1);
	if (!rc)
		rc = send_out(w);
	w->in_copy = false;
	if (PQputCopyEnd(pg, rc ? "sluice: bulk load failed" : NULL) != 1 && !rc)
		rc = sl_pg_error(pg, NULL);
	sl_buf_clear(&w->out);
	r = PQgetResult(pg);
	if (!rc && (!r || PQresultStatus(r) != PGRES_COMMAND_OK))
		rc = copy_error(pg, r);
	PQclear(r);
	sl_pg_drain(pg);
	return rc;
}

void sl_pg_writer_free(sl_writer *base)
{
	pg_writer *w = (pg_writer *)base;
	if (!w)
		return;
	if (w->in_copy) {
		PQputCopyEnd(wconn(w), "sluice: bulk load aborted");
		sl_pg_drain(wconn(w));
	}
	writer_release(w);
}
