/*
 * cast_types.c - the default cast table: which type a portable column gets
 * on each target, with the notes the type itself causes. One table per
 * target (type_maps, at the end), whose rows name a type or, where the type
 * depends on the column, a rule function; docs/casts.md is the same table in
 * prose and must change with it.
 * Key-dependent choices (TEXT in a MySQL key, the SQLite rowid alias) read
 * x->use, filled by cast.c.
 */
#include "copy/cast_int.h"
#include "sluice/ddl.h"
#include "sluice/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PG_MAX_VARCHAR 10485760
#define MY_MAX_VARCHAR 16383 /* 65535 bytes / 4 bytes per utf8mb4 character */
#define MY_KEY_TEXT    255   /* length given to TEXT that MySQL must index whole */

static const char *src_name(const sl_cast_ctx *x)
{
	return sl_engine_name(x->plan->source);
}

static int set_sql(sl_cast_ctx *x, sl_cast_column *cc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_sql(sl_cast_ctx *x, sl_cast_column *cc, const char *fmt, ...)
{
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!rc) {
		cc->type_sql = sl_arena_strdup(x->plan->arena, sl_buf_cstr(&b));
		if (!cc->type_sql)
			rc = SL_ENOMEM;
	}
	sl_buf_free(&b);
	return rc;
}

static bool is_texty(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT;
}

/* Labels of an enum column: its own, or those of the named PostgreSQL type. */
static void enum_labels(const sl_cast_ctx *x, const sl_type *t, const char *const **labels, size_t *n)
{
	*labels = t->labels;
	*n = t->nlabels;
	if (*n || !t->elem)
		return;
	const sl_schema *s = x->plan->src;
	for (size_t i = 0; i < s->nenums; i++) {
		const sl_enum_type *e = &s->enums[i];
		const char *dot = strrchr(t->elem, '.');
		const char *bare = dot ? dot + 1 : t->elem;
		if (strcmp(e->name, t->elem) == 0 || strcmp(e->name, bare) == 0) {
			*labels = e->labels;
			*n = e->nlabels;
			return;
		}
	}
}

static int put_labels(sl_buf *b, sl_engine target, const char *const *labels, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_ddl_quote_string(b, target, labels[i]);
	}
	return rc;
}

/* Fractional-second precision for a target that defaults to 0 (MySQL): unknown means 6. */
static int frac(const sl_type *t)
{
	return t->precision < 0 || t->precision > 6 ? 6 : t->precision;
}

/* ---- rules: the kinds whose type depends on the column ---- */

static int pg_decimal(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	int p = c->type.precision, s = c->type.scale;
	if (p > 0 && p <= 1000)
		return set_sql(x, cc, "NUMERIC(%d,%d)", p, s);
	return set_sql(x, cc, "NUMERIC");
}

static int my_decimal(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	int p = c->type.precision, s = c->type.scale, rc = 0;
	if (p > 0 && p <= 65 && s <= 30)
		return set_sql(x, cc, "DECIMAL(%d,%d)", p, s);
	if (p <= 0) {
		rc = set_sql(x, cc, "DECIMAL(65,30)");
		cc->type.precision = 65;
		cc->type.scale = 30;
		return rc ? rc
			  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					     "decimal without precision -> DECIMAL(65,30) on MySQL: values "
					     "beyond 30 decimals "
					     "are rounded and integer parts beyond 35 digits are rejected");
	}
	cc->type.precision = p > 65 ? 65 : p;
	cc->type.scale = s > 30 ? 30 : s;
	rc = set_sql(x, cc, "DECIMAL(%d,%d)", cc->type.precision, cc->type.scale);
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				     "decimal(%d,%d) exceeds MySQL's DECIMAL(65,30): -> "
				     "DECIMAL(%d,%d), values beyond it "
				     "are rounded or rejected",
				     p, s, cc->type.precision, cc->type.scale);
}

static int sqlite_decimal(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	int p = c->type.precision, s = c->type.scale;
	int rc = p > 0 ? set_sql(x, cc, "DECIMAL(%d,%d)", p, s) : set_sql(x, cc, "NUMERIC");
	if (!rc && (p <= 0 || (s > 0 && p > 15) || (s == 0 && p > 18)))
		rc = sl_cast_col_note(
			x, cc, SL_CAST_LOSSY,
			"SQLite keeps decimals as 64-bit integers or floats: digits past the 15th "
			"significant one are lost");
	return rc;
}

static int map_enum_pg(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const char *const *labels;
	size_t n;
	sl_engine e = x->plan->target;
	enum_labels(x, &c->type, &labels, &n);
	if (!n) {
		int rc = set_sql(x, cc, "TEXT");
		cc->type.kind = SL_T_TEXT;
		return rc ? rc : sl_cast_col_note(x, cc, SL_CAST_LOSSY, "enum without known labels -> TEXT");
	}
	sl_buf name = SL_BUF_INIT, q = SL_BUF_INIT;
	int rc = sl_buf_printf(&name, "%s_%s", x->ct->name, cc->name);
	sl_buf fitted = SL_BUF_INIT;
	if (!rc)
		rc = sl_cast_fit_name(&fitted, sl_buf_cstr(&name), e);
	if (!rc)
		rc = sl_ddl_quote_ident(&q, e, sl_buf_cstr(&fitted));
	if (!rc) {
		cc->enum_type = sl_arena_strdup(x->plan->arena, sl_buf_cstr(&fitted));
		rc = cc->enum_type ? set_sql(x, cc, "%s", sl_buf_cstr(&q)) : SL_ENOMEM;
	}
	cc->type.labels = (const char **)labels;
	cc->type.nlabels = n;
	cc->type.elem = cc->enum_type;
	if (!rc)
		rc = sl_cast_col_note(x, cc, SL_CAST_INFO,
				      "enum -> PostgreSQL enum type \"%s\" (same labels, same order)",
				      sl_buf_cstr(&fitted));
	sl_buf_free(&name);
	sl_buf_free(&q);
	sl_buf_free(&fitted);
	return rc;
}

/* SET on PostgreSQL: text[] whose elements must be labels. */
static int map_set_pg(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	sl_buf b = SL_BUF_INIT;
	int rc = set_sql(x, cc, "TEXT[]");
	cc->type.kind = SL_T_ARRAY;
	cc->type.elem = "text";
	if (!rc)
		rc = sl_ddl_quote_ident(&b, x->plan->target, cc->name);
	if (!rc)
		rc = sl_buf_puts(&b, " <@ ARRAY[");
	if (!rc)
		rc = put_labels(&b, x->plan->target, c->type.labels, c->type.nlabels);
	if (!rc)
		rc = sl_buf_puts(&b, "]::text[]");
	if (!rc && !(cc->check_sql = sl_arena_strdup(x->plan->arena, sl_buf_cstr(&b))))
		rc = SL_ENOMEM;
	if (!rc)
		rc = sl_cast_col_note(
			x, cc, SL_CAST_INFO,
			"set -> TEXT[] with a check that every element is a label: 'a,b' is loaded as {a,b}");
	sl_buf_free(&b);
	return rc;
}

/* An enum on SQLite: TEXT with CHECK (col IN (labels)). */
static int map_enum_sqlite(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const char *const *labels;
	size_t n;
	enum_labels(x, &c->type, &labels, &n);
	int rc = set_sql(x, cc, "TEXT");
	cc->type.kind = SL_T_TEXT;
	if (rc || !n)
		return rc;
	sl_buf b = SL_BUF_INIT;
	rc = sl_ddl_quote_ident(&b, x->plan->target, cc->name);
	if (!rc)
		rc = sl_buf_puts(&b, " IN (");
	if (!rc)
		rc = put_labels(&b, x->plan->target, labels, n);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc && !(cc->check_sql = sl_arena_strdup(x->plan->arena, sl_buf_cstr(&b))))
		rc = SL_ENOMEM;
	if (!rc)
		rc = sl_cast_col_note(x, cc, SL_CAST_INFO, "enum -> TEXT with a check on the labels");
	sl_buf_free(&b);
	return rc;
}

static int map_enum_mysql(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const char *const *labels;
	size_t n;
	enum_labels(x, &c->type, &labels, &n);
	if (!n) {
		cc->type.kind = SL_T_TEXT;
		int rc = set_sql(x, cc, "LONGTEXT");
		return rc ? rc
			  : sl_cast_col_note(x, cc, SL_CAST_LOSSY, "enum without known labels -> LONGTEXT");
	}
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "ENUM(");
	if (!rc)
		rc = put_labels(&b, x->plan->target, labels, n);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = set_sql(x, cc, "%s", sl_buf_cstr(&b));
	cc->type.labels = (const char **)labels;
	cc->type.nlabels = n;
	/* MySQL compares labels with the column's case-insensitive collation */
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t j = i + 1; !rc && j < n; j++)
			if (strcasecmp(labels[i], labels[j]) == 0)
				rc = sl_cast_col_note(
					x, cc, SL_CAST_ERROR,
					"enum labels '%s' and '%s' differ only in case: MySQL refuses them",
					labels[i], labels[j]);
	sl_buf_free(&b);
	return rc;
}

static int pg_int(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	int rc = 0;
	if (t->kind == SL_T_INT16) {
		cc->type.kind = t->is_unsigned ? SL_T_INT32 : SL_T_INT16;
		return set_sql(x, cc, t->is_unsigned ? "INTEGER" : "SMALLINT");
	}
	if (t->kind == SL_T_INT32) {
		cc->type.kind = t->is_unsigned ? SL_T_INT64 : SL_T_INT32;
		return set_sql(x, cc, t->is_unsigned ? "BIGINT" : "INTEGER");
	}
	if (!t->is_unsigned)
		return set_sql(x, cc, "BIGINT");
	if (c->identity) {
		rc = set_sql(x, cc, "BIGINT");
		return rc ? rc
			  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					     "int64 unsigned identity -> BIGINT (an identity needs "
					     "an integer type): "
					     "values above 9223372036854775807 are rejected");
	}
	cc->type.kind = SL_T_DECIMAL;
	cc->type.precision = 20;
	cc->type.scale = 0;
	rc = set_sql(x, cc, "NUMERIC(20,0)");
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_INFO,
				     "int64 unsigned -> NUMERIC(20,0) on PostgreSQL: values above "
				     "9223372036854775807 do not fit BIGINT");
}

/* CHAR(n) and VARCHAR(n) up to PostgreSQL's limit, else TEXT. */
static int pg_chars(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	if (t->length > 0 && t->length <= PG_MAX_VARCHAR)
		return set_sql(x, cc, t->kind == SL_T_CHAR ? "CHAR(%d)" : "VARCHAR(%d)", t->length);
	cc->type.kind = SL_T_TEXT;
	return set_sql(x, cc, "TEXT");
}

/* TIME, TIMESTAMP and TIMESTAMPTZ with the source's precision when it has one. */
static int pg_temporal(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	const char *name = t->kind == SL_T_TIME        ? "TIME"
			   : t->kind == SL_T_TIMESTAMP ? "TIMESTAMP"
						       : "TIMESTAMPTZ";
	return t->precision >= 0 ? set_sql(x, cc, "%s(%d)", name, frac(t)) : set_sql(x, cc, "%s", name);
}

static int pg_array(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	int rc = set_sql(x, cc, "%s[]", t->elem && *t->elem ? t->elem : "TEXT");
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				     "array from %s: values must be JSON arrays or PostgreSQL array "
				     "literals, others are rejected",
				     src_name(x));
}

static int pg_bit(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	return t->length > 0 ? set_sql(x, cc, "BIT(%d)", t->length) : set_sql(x, cc, "BIT VARYING");
}

/* TEXT/BLOB that MySQL must index whole (primary, unique or foreign key). */
static int my_key_text(sl_cast_ctx *x, sl_cast_column *cc, bool blob)
{
	cc->type.kind = blob ? SL_T_BLOB : SL_T_VARCHAR;
	cc->type.length = MY_KEY_TEXT;
	int rc = set_sql(x, cc, blob ? "VARBINARY(%d)" : "VARCHAR(%d)", MY_KEY_TEXT);
	return rc ? rc
		  : sl_cast_col_note(
			    x, cc, SL_CAST_LOSSY,
			    "%s in a key -> %s(%d): MySQL cannot index %s whole; longer values are rejected",
			    blob ? "blob" : "text", blob ? "VARBINARY" : "VARCHAR", MY_KEY_TEXT,
			    blob ? "BLOB" : "TEXT");
}

static int my_long_text(sl_cast_ctx *x, sl_cast_column *cc)
{
	if (x->use.in_pk || x->use.in_unique || x->use.in_fk)
		return my_key_text(x, cc, false);
	cc->type.kind = SL_T_TEXT;
	int rc = set_sql(x, cc, "LONGTEXT");
	if (!rc && x->use.in_index)
		rc = sl_cast_col_note(x, cc, SL_CAST_INFO,
				      "LONGTEXT in an index: indexed by its first %d characters",
				      MY_KEY_TEXT);
	return rc;
}

static int my_int(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	const char *name = t->kind == SL_T_INT16 ? "SMALLINT" : t->kind == SL_T_INT32 ? "INT" : "BIGINT";
	return set_sql(x, cc, "%s%s", name, t->is_unsigned ? " UNSIGNED" : "");
}

static int my_float(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	int rc = set_sql(x, cc, t->kind == SL_T_FLOAT32 ? "FLOAT" : "DOUBLE");
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				     "%s NaN/Infinity cannot be stored in MySQL: rows holding them "
				     "are rejected",
				     sl_tkind_name(t->kind));
}

static int my_chars(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	if (t->kind == SL_T_CHAR && t->length > 0 && t->length <= 255)
		return set_sql(x, cc, "CHAR(%d)", t->length);
	if (t->kind == SL_T_CHAR && t->length > 255 && t->length <= MY_MAX_VARCHAR) {
		cc->type.kind = SL_T_VARCHAR;
		return set_sql(x, cc, "VARCHAR(%d)", t->length);
	}
	if (t->kind == SL_T_VARCHAR && t->length > 0 && t->length <= MY_MAX_VARCHAR)
		return set_sql(x, cc, "VARCHAR(%d)", t->length);
	return my_long_text(x, cc);
}

static int my_blob(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	(void)c;
	if (x->use.in_pk || x->use.in_unique || x->use.in_fk)
		return my_key_text(x, cc, true);
	return set_sql(x, cc, "LONGBLOB");
}

/* TIME and DATETIME always with a precision: MySQL's default is 0 digits. */
static int my_temporal(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	int rc = 0;
	cc->type.precision = frac(t);
	if (t->kind == SL_T_TIME)
		return set_sql(x, cc, "TIME(%d)", frac(t));
	if (t->kind == SL_T_TIMESTAMP)
		return set_sql(x, cc, "DATETIME(%d)", frac(t));
	cc->type.kind = SL_T_TIMESTAMP;
	rc = set_sql(x, cc, "DATETIME(%d)", frac(t));
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				     "timestamptz -> DATETIME(%d): MySQL DATETIME keeps no zone; "
				     "values are converted to UTC",
				     frac(t));
}

static int my_bit(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	if (t->length > 0 && t->length <= 64)
		return set_sql(x, cc, "BIT(%d)", t->length);
	cc->type.kind = SL_T_VARCHAR;
	cc->type.length = t->length > 0 ? t->length : 255;
	int rc = set_sql(x, cc, "VARCHAR(%d)", cc->type.length);
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				     "bit string longer than MySQL's BIT(64) -> VARCHAR of '0' and '1'");
}

static int sqlite_int64(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	if (!c->type.is_unsigned)
		return set_sql(x, cc, "BIGINT");
	int rc = set_sql(x, cc, "BIGINT UNSIGNED");
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				     "int64 unsigned on SQLite: integers are 64-bit signed, values "
				     "above 9223372036854775807 are rejected");
}

static int sqlite_float(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	int rc = set_sql(x, cc, "REAL");
	if (!rc && (sl_dialect_of(x->plan->source)->caps & SL_CAP_FLOAT_SPECIALS))
		rc = sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				      "%s NaN cannot be stored in SQLite (it becomes NULL): rows "
				      "holding NaN are rejected",
				      sl_tkind_name(c->type.kind));
	return rc;
}

static int sqlite_chars(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_type *t = &c->type;
	if (t->length <= 0)
		return set_sql(x, cc, "TEXT");
	return set_sql(x, cc, t->kind == SL_T_CHAR ? "CHAR(%d)" : "VARCHAR(%d)", t->length);
}

static int sqlite_bit(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	cc->type.kind = SL_T_INT64;
	int rc = set_sql(x, cc, "INTEGER");
	return rc ? rc
		  : sl_cast_col_note(x, cc, SL_CAST_INFO, "bit(%d) -> INTEGER holding the bits' value",
				     c->type.length);
}

/* ---- the tables ---- */

typedef int (*type_rule)(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc);

/*
 * How one portable kind is written on a target: the type sql (the column's
 * kind becoming `to` and its length `length` when those are set), with a
 * note of severity sev; or, for kinds whose type depends on the column, a
 * rule function.
 */
typedef struct type_row {
	sl_tkind kind;
	const char *sql;
	sl_tkind to; /* SL_T_UNKNOWN: the kind stays */
	int length;  /* > 0: the column's length becomes it */
	sl_cast_severity sev;
	const char *note; /* NULL: none */
	type_rule rule;   /* instead of sql */
} type_row;

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const type_row pg_types[] = {
	{ .kind = SL_T_BOOL, .sql = "BOOLEAN" },
	{ .kind = SL_T_INT16, .rule = pg_int },
	{ .kind = SL_T_INT32, .rule = pg_int },
	{ .kind = SL_T_INT64, .rule = pg_int },
	{ .kind = SL_T_FLOAT32, .sql = "REAL" },
	{ .kind = SL_T_FLOAT64, .sql = "DOUBLE PRECISION" },
	{ .kind = SL_T_DECIMAL, .rule = pg_decimal },
	{ .kind = SL_T_CHAR, .rule = pg_chars },
	{ .kind = SL_T_VARCHAR, .rule = pg_chars },
	{ .kind = SL_T_TEXT, .sql = "TEXT" },
	{ .kind = SL_T_BLOB, .sql = "BYTEA" },
	{ .kind = SL_T_DATE, .sql = "DATE" },
	{ .kind = SL_T_TIME, .rule = pg_temporal },
	{ .kind = SL_T_TIMESTAMP, .rule = pg_temporal },
	{ .kind = SL_T_TIMESTAMPTZ, .rule = pg_temporal },
	{ .kind = SL_T_INTERVAL, .sql = "INTERVAL" },
	{ .kind = SL_T_UUID,
	  .sql = "UUID",
	  .note = "uuid -> UUID: text values are parsed (case and braces normalised); values that are not "
		  "UUIDs are rejected" },
	{ .kind = SL_T_JSON,
	  .sql = "JSONB",
	  .note = "json -> JSONB: key order, duplicate keys and whitespace are not kept; invalid JSON is "
		  "rejected" },
	{ .kind = SL_T_ENUM, .rule = map_enum_pg },
	{ .kind = SL_T_SET, .rule = map_set_pg },
	{ .kind = SL_T_ARRAY, .rule = pg_array },
	{ .kind = SL_T_BIT, .rule = pg_bit },
	{ .kind = SL_T_GEOMETRY,
	  .sql = "BYTEA",
	  .to = SL_T_BLOB,
	  .sev = SL_CAST_LOSSY,
	  .note = "geometry -> BYTEA holding WKB: spatial type, SRID and spatial indexes are not kept "
		  "(with PostGIS, ST_GeomFromWKB gets them back)" },
};

static const type_row my_types[] = {
	{ .kind = SL_T_BOOL, .sql = "TINYINT(1)" },
	{ .kind = SL_T_INT16, .rule = my_int },
	{ .kind = SL_T_INT32, .rule = my_int },
	{ .kind = SL_T_INT64, .rule = my_int },
	{ .kind = SL_T_FLOAT32, .rule = my_float },
	{ .kind = SL_T_FLOAT64, .rule = my_float },
	{ .kind = SL_T_DECIMAL, .rule = my_decimal },
	{ .kind = SL_T_CHAR, .rule = my_chars },
	{ .kind = SL_T_VARCHAR, .rule = my_chars },
	{ .kind = SL_T_TEXT, .rule = my_chars },
	{ .kind = SL_T_BLOB, .rule = my_blob },
	{ .kind = SL_T_DATE, .sql = "DATE" },
	{ .kind = SL_T_TIME, .rule = my_temporal },
	{ .kind = SL_T_TIMESTAMP, .rule = my_temporal },
	{ .kind = SL_T_TIMESTAMPTZ, .rule = my_temporal },
	{ .kind = SL_T_INTERVAL,
	  .sql = "VARCHAR(100)",
	  .to = SL_T_VARCHAR,
	  .length = 100,
	  .sev = SL_CAST_LOSSY,
	  .note = "interval -> VARCHAR(100) holding PostgreSQL's text form ('1 day 02:00:00'): no "
		  "interval arithmetic" },
	{ .kind = SL_T_UUID,
	  .sql = "CHAR(36)",
	  .to = SL_T_CHAR,
	  .length = 36,
	  .note = "uuid -> CHAR(36): stored as lower-case text in 8-4-4-4-12 form" },
	{ .kind = SL_T_JSON,
	  .sql = "JSON",
	  .note = "json -> JSON: MySQL normalises documents (key order, whitespace); invalid JSON is "
		  "rejected" },
	{ .kind = SL_T_ENUM, .rule = map_enum_mysql },
	{ .kind = SL_T_ARRAY,
	  .sql = "JSON",
	  .to = SL_T_JSON,
	  .sev = SL_CAST_LOSSY,
	  .note = "array -> JSON: values become JSON arrays" },
	{ .kind = SL_T_BIT, .rule = my_bit },
	{ .kind = SL_T_GEOMETRY,
	  .sql = "LONGBLOB",
	  .to = SL_T_BLOB,
	  .sev = SL_CAST_LOSSY,
	  .note = "geometry -> LONGBLOB holding WKB: spatial type, SRID and spatial indexes are not kept" },
};

static const type_row sqlite_types[] = {
	{ .kind = SL_T_BOOL, .sql = "BOOLEAN" },
	{ .kind = SL_T_INT16, .sql = "SMALLINT" },
	{ .kind = SL_T_INT32, .sql = "INTEGER" },
	{ .kind = SL_T_INT64, .rule = sqlite_int64 },
	{ .kind = SL_T_FLOAT32, .rule = sqlite_float },
	{ .kind = SL_T_FLOAT64, .rule = sqlite_float },
	{ .kind = SL_T_DECIMAL, .rule = sqlite_decimal },
	{ .kind = SL_T_CHAR, .rule = sqlite_chars },
	{ .kind = SL_T_VARCHAR, .rule = sqlite_chars },
	{ .kind = SL_T_TEXT, .sql = "TEXT" },
	{ .kind = SL_T_BLOB, .sql = "BLOB" },
	{ .kind = SL_T_DATE, .sql = "DATE" },
	{ .kind = SL_T_TIME, .sql = "TIME" },
	{ .kind = SL_T_TIMESTAMP, .sql = "TIMESTAMP" },
	{ .kind = SL_T_TIMESTAMPTZ,
	  .sql = "TIMESTAMPTZ",
	  .note = "timestamptz -> TIMESTAMPTZ: stored as ISO 8601 text in UTC with its offset" },
	{ .kind = SL_T_INTERVAL,
	  .sql = "TEXT",
	  .to = SL_T_TEXT,
	  .sev = SL_CAST_LOSSY,
	  .note = "interval -> TEXT holding PostgreSQL's text form: no interval arithmetic" },
	{ .kind = SL_T_UUID,
	  .sql = "UUID",
	  .note = "uuid -> UUID (text affinity in practice): stored as lower-case 36-character text" },
	{ .kind = SL_T_JSON,
	  .sql = "TEXT",
	  .to = SL_T_TEXT,
	  .note = "json -> TEXT: declared TEXT so SQLite's numeric affinity never rewrites JSON scalars" },
	{ .kind = SL_T_ENUM, .rule = map_enum_sqlite },
	{ .kind = SL_T_SET,
	  .sql = "TEXT",
	  .to = SL_T_TEXT,
	  .sev = SL_CAST_LOSSY,
	  .note = "set -> TEXT holding the comma-separated labels; the labels are not enforced" },
	{ .kind = SL_T_ARRAY,
	  .sql = "TEXT",
	  .to = SL_T_TEXT,
	  .sev = SL_CAST_LOSSY,
	  .note = "array -> TEXT holding a JSON array" },
	{ .kind = SL_T_BIT, .rule = sqlite_bit },
	{ .kind = SL_T_GEOMETRY,
	  .sql = "BLOB",
	  .to = SL_T_BLOB,
	  .sev = SL_CAST_LOSSY,
	  .note = "geometry -> BLOB holding WKB: spatial type, SRID and spatial indexes are not kept" },
};

/*
 * dialect table: the type map of each target engine, with what a kind the
 * map lacks becomes (text) and how money is written. docs/casts.md is the
 * same table in prose and changes with it.
 */
static const struct type_map {
	sl_engine target;
	const type_row *rows;
	size_t n;
	const char *other; /* kinds without a row: text of this type */
	const char *money; /* PostgreSQL's money */
} type_maps[] = {
	{ SL_ENGINE_POSTGRES, pg_types, N(pg_types), "TEXT", "NUMERIC(19,2)" },
	{ SL_ENGINE_MYSQL, my_types, N(my_types), "LONGTEXT", "DECIMAL(19,2)" },
	{ SL_ENGINE_SQLITE, sqlite_types, N(sqlite_types), "TEXT", "DECIMAL(19,2)" },
};

static const struct type_map *type_map_of(sl_engine target)
{
	for (size_t i = 0; i < N(type_maps); i++)
		if (type_maps[i].target == target)
			return &type_maps[i];
	return &type_maps[N(type_maps) - 1];
}

static int map_other(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc, const struct type_map *m)
{
	const char *decl = c->decl_type && *c->decl_type ? c->decl_type : NULL;
	int rc;
	if (decl && strcasecmp(decl, "money") == 0) {
		cc->type.kind = SL_T_DECIMAL;
		cc->type.precision = 19;
		cc->type.scale = 2;
		rc = set_sql(x, cc, "%s", m->money);
		return rc ? rc
			  : sl_cast_col_note(x, cc, SL_CAST_LOSSY,
					     "money -> DECIMAL(19,2): values are loaded as numbers, the "
					     "currency symbol is dropped");
	}
	cc->type.kind = SL_T_TEXT;
	rc = set_sql(x, cc, "%s", m->other);
	if (rc)
		return rc;
	if (!decl)
		return sl_cast_col_note(x, cc, SL_CAST_LOSSY, "no declared type: values are copied as text");
	return sl_cast_col_note(x, cc, SL_CAST_LOSSY,
				"type \"%s\" has no equivalent on %s: values are copied as text", decl,
				sl_engine_name(x->plan->target));
}

/* The column's type on the target by the target's table. */
static int map_by_table(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const struct type_map *m = type_map_of(x->plan->target);
	const sl_dialect *d = sl_dialect_of(x->plan->target);
	if (d->identity_rowid && sl_tkind_is_int(c->type.kind) && c->identity && x->use.sole_pk)
		return set_sql(x, cc, "INTEGER");
	for (size_t i = 0; i < m->n; i++) {
		const type_row *r = &m->rows[i];
		if (r->kind != c->type.kind)
			continue;
		if (r->rule)
			return r->rule(x, c, cc);
		if (r->to != SL_T_UNKNOWN)
			cc->type.kind = r->to;
		if (r->length > 0)
			cc->type.length = r->length;
		int rc = set_sql(x, cc, "%s", r->sql);
		return rc || !r->note ? rc : sl_cast_col_note(x, cc, r->sev, "%s", r->note);
	}
	return map_other(x, c, cc, m);
}

int sl_cast_map_type(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc)
{
	const sl_dialect *d = sl_dialect_of(x->plan->target);
	int rc;
	cc->type = c->type;
	cc->identity = c->identity && sl_tkind_is_int(c->type.kind);
	rc = map_by_table(x, c, cc);
	if (rc)
		return rc;
	if (d->identity_rowid && cc->identity && !x->use.sole_pk) {
		cc->identity = false;
		rc = sl_cast_col_note(
			x, cc, SL_CAST_INFO,
			"identity dropped: SQLite only generates values for a sole INTEGER PRIMARY KEY");
	}
	/* MySQL's one AUTO_INCREMENT per table is decided over the whole table (cast.c) */
	if (!rc && c->identity && !sl_tkind_is_int(c->type.kind))
		rc = sl_cast_col_note(x, cc, SL_CAST_INFO,
				      "identity on a %s column dropped: it needs an integer type",
				      sl_tkind_name(c->type.kind));
	/* keys keep the source's case-sensitive comparison (MySQL's default collation would fold) */
	if (!rc && d->key_collation && is_texty(cc->type.kind) &&
	    (x->use.in_pk || x->use.in_unique || x->use.in_fk)) {
		cc->collation = d->key_collation;
		rc = sl_cast_col_note(
			x, cc, SL_CAST_INFO,
			"key column gets COLLATE %s: %s compares keys case- and accent-sensitively, "
			"%s's default collation would make 'a' and 'A' duplicates",
			d->key_collation, src_name(x), d->title);
	}
	return rc;
}

/* ---- parsing a user's target type ------------------------------------ */

struct tname {
	const char *name;
	sl_tkind kind;
};

static const struct tname tnames[] = {
	{ "boolean", SL_T_BOOL },
	{ "bool", SL_T_BOOL },
	{ "smallint", SL_T_INT16 },
	{ "int2", SL_T_INT16 },
	{ "tinyint", SL_T_INT16 },
	{ "integer", SL_T_INT32 },
	{ "int", SL_T_INT32 },
	{ "int4", SL_T_INT32 },
	{ "mediumint", SL_T_INT32 },
	{ "bigint", SL_T_INT64 },
	{ "int8", SL_T_INT64 },
	{ "real", SL_T_FLOAT32 },
	{ "float", SL_T_FLOAT32 },
	{ "double", SL_T_FLOAT64 },
	{ "numeric", SL_T_DECIMAL },
	{ "decimal", SL_T_DECIMAL },
	{ "char", SL_T_CHAR },
	{ "character", SL_T_CHAR },
	{ "varchar", SL_T_VARCHAR },
	{ "text", SL_T_TEXT },
	{ "mediumtext", SL_T_TEXT },
	{ "longtext", SL_T_TEXT },
	{ "bytea", SL_T_BLOB },
	{ "blob", SL_T_BLOB },
	{ "longblob", SL_T_BLOB },
	{ "varbinary", SL_T_BLOB },
	{ "binary", SL_T_BLOB },
	{ "date", SL_T_DATE },
	{ "time", SL_T_TIME },
	{ "timestamp", SL_T_TIMESTAMP },
	{ "datetime", SL_T_TIMESTAMP },
	{ "timestamptz", SL_T_TIMESTAMPTZ },
	{ "interval", SL_T_INTERVAL },
	{ "uuid", SL_T_UUID },
	{ "json", SL_T_JSON },
	{ "jsonb", SL_T_JSON },
	{ "bit", SL_T_BIT },
};

void sl_cast_parse_type(const char *text, sl_type *out)
{
	char word[32];
	size_t n = 0;
	const char *p = text;
	memset(out, 0, sizeof(*out));
	out->precision = -1;
	out->kind = SL_T_OTHER;
	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p && (isalnum((unsigned char)*p) || *p == '_') && n + 1 < sizeof(word))
		word[n++] = (char)tolower((unsigned char)*p++);
	word[n] = '\0';
	for (size_t i = 0; i < sizeof(tnames) / sizeof(tnames[0]); i++)
		if (strcmp(word, tnames[i].name) == 0)
			out->kind = tnames[i].kind;
	int a = 0, b = 0, nargs = 0;
	const char *paren = strchr(p, '(');
	if (paren)
		nargs = sscanf(paren, "(%d,%d)", &a, &b);
	if (strstr(text, "[]")) {
		out->kind = SL_T_ARRAY;
		return;
	}
	if ((strcasestr(text, "with time zone") && !strcasestr(text, "without")) ||
	    strcasestr(text, "timestamptz"))
		out->kind = out->kind == SL_T_TIME ? SL_T_TIME : SL_T_TIMESTAMPTZ;
	if (strcasestr(text, "varying"))
		out->kind = SL_T_VARCHAR;
	if (strcasestr(text, "double"))
		out->kind = SL_T_FLOAT64;
	if (strcasestr(text, "unsigned"))
		out->is_unsigned = true;
	if (strcmp(word, "tinyint") == 0 && nargs >= 1 && a == 1)
		out->kind = SL_T_BOOL;
	switch (out->kind) {
	case SL_T_DECIMAL:
		out->precision = nargs >= 1 ? a : 0;
		out->scale = nargs >= 2 ? b : 0;
		break;
	case SL_T_CHAR:
	case SL_T_VARCHAR:
	case SL_T_BIT:
		out->length = nargs >= 1 ? a : 0;
		break;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
		out->precision = nargs >= 1 ? a : -1;
		break;
	default:
		break;
	}
}
