/*
 * shadow.c - shadow reads (include/sluice/shadow.h): runs a workflow query
 * on both sides, keeps each row as its canonical encoding (canon.c) with a
 * display text, and compares: row by row when the query is ordered, or as
 * multisets (both lists sorted by encoding, then merged). Results of
 * workflow queries are reports: they are held in memory, up to max_rows.
 */
#include "sluice/shadow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/canon.h"
#include "sluice/error.h"
#include "sluice/util.h"

typedef struct srow {
	char *enc; /* canonical encoding of the row */
	size_t len;
	char *text; /* display */
} srow;

typedef struct side {
	srow *rows;
	size_t n, cap;
	size_t ncols;
	sl_vtype *seen; /* per column: the first non-NULL value type */
	sl_batch raw;   /* every row as read (values in its arena) */
} side;

static void side_free(side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->rows[i].enc);
		free(s->rows[i].text);
	}
	free(s->rows);
	free(s->seen);
	sl_batch_free(&s->raw);
	memset(s, 0, sizeof(*s));
}

static const char *sql_for(const sl_shadow_query *q, sl_conn *c)
{
	sl_engine e = sl_conn_engine(c);
	if ((size_t)e < sizeof(q->sql_for) / sizeof(q->sql_for[0]) && q->sql_for[e])
		return q->sql_for[e];
	return q->sql;
}

/* Reads the whole result into s->raw. 1 when the query itself failed (message kept). */
static int read_side(side *s, sl_conn *c, const sl_shadow_query *q, const sl_shadow_opts *o, char **err)
{
	sl_cursor *cur = NULL;
	const char *sql = sql_for(q, c);
	int rc;
	if (!sql) {
		*err = strdup("no query text for this engine");
		return *err ? 1 : sl_error_nomem();
	}
	rc = sl_conn_query(&cur, c, sql);
	if (!rc) {
		s->ncols = sl_cursor_ncols(cur);
		rc = sl_batch_init(&s->raw, s->ncols ? s->ncols : 1, 256);
	}
	while (!rc) {
		int n = sl_cursor_fetch(cur, &s->raw, 512);
		if (n <= 0) {
			rc = n;
			break;
		}
		if (s->raw.nrows > o->max_rows) {
			rc = sl_error_set(SL_ENOMEM, "the result has more than %zu rows (raise --max-rows)",
					  o->max_rows);
			break;
		}
	}
	sl_cursor_close(cur);
	/* the query failed, not the connection: a lost connection is the caller's to handle */
	if ((rc == SL_EDB && !sl_error_is_disconnect(rc)) || rc == SL_ENOMEM) {
		*err = strdup(sl_error_last()->message);
		sl_error_clear();
		return *err ? 1 : sl_error_nomem();
	}
	if (!rc && !(s->seen = calloc(s->ncols + 1, sizeof(*s->seen))))
		rc = sl_error_nomem();
	for (size_t r = 0; !rc && r < s->raw.nrows; r++) {
		const sl_value *row = sl_batch_row(&s->raw, r);
		for (size_t j = 0; j < s->ncols; j++)
			if (s->seen[j] == SL_V_NULL && row[j].type != SL_V_NULL)
				s->seen[j] = row[j].type;
	}
	return rc;
}

static bool numeric(sl_vtype t)
{
	return t == SL_V_INT || t == SL_V_DECIMAL || t == SL_V_DOUBLE;
}

static sl_tkind kind_of(sl_vtype t)
{
	switch (t) {
	case SL_V_BOOL:
		return SL_T_BOOL;
	case SL_V_INT:
		return SL_T_INT64;
	case SL_V_DOUBLE:
		return SL_T_FLOAT64;
	case SL_V_DECIMAL:
		return SL_T_DECIMAL;
	case SL_V_DATE:
		return SL_T_DATE;
	case SL_V_TIME:
		return SL_T_TIME;
	case SL_V_TIMESTAMP:
		return SL_T_TIMESTAMP;
	case SL_V_TIMESTAMPTZ:
		return SL_T_TIMESTAMPTZ;
	case SL_V_UUID:
		return SL_T_UUID;
	case SL_V_JSON:
		return SL_T_JSON;
	default:
		return SL_T_UNKNOWN;
	}
}

/* The kind one column compares as, from the value types the two sides returned. */
static void merge_col(sl_canon_col *out, sl_vtype a, sl_vtype b)
{
	sl_canon_col init = SL_CANON_COL_INIT;
	*out = init;
	if (a == SL_V_NULL || a == b) {
		out->kind = kind_of(b);
		return;
	}
	if (b == SL_V_NULL) {
		out->kind = kind_of(a);
		return;
	}
	if (numeric(a) && numeric(b))
		out->kind = (a == SL_V_DOUBLE || b == SL_V_DOUBLE) ? SL_T_FLOAT64 : SL_T_DECIMAL;
	else if ((a == SL_V_BOOL && numeric(b)) || (b == SL_V_BOOL && numeric(a)))
		out->kind = SL_T_BOOL;
	else if (a == SL_V_TEXT)
		out->kind = kind_of(b); /* SQLite: dates, times and uuids as text */
	else if (b == SL_V_TEXT)
		out->kind = kind_of(a);
}

static int encode_side(side *s, const sl_canon_col *cols)
{
	sl_buf enc = SL_BUF_INIT, txt = SL_BUF_INIT;
	int rc = 0;
	if (s->raw.nrows && !(s->rows = calloc(s->raw.nrows, sizeof(*s->rows))))
		return sl_error_nomem();
	for (size_t r = 0; !rc && r < s->raw.nrows; r++) {
		const sl_value *row = sl_batch_row(&s->raw, r);
		sl_buf_clear(&enc);
		sl_buf_clear(&txt);
		for (size_t j = 0; !rc && j < s->ncols; j++) {
			rc = sl_canon_value(&enc, &row[j], &cols[j], NULL);
			if (!rc && j)
				rc = sl_buf_puts(&txt, " | ");
			if (!rc)
				rc = row[j].type == SL_V_NULL ? sl_buf_puts(&txt, "NULL")
							      : sl_value_format(&txt, &row[j]);
		}
		if (rc)
			break;
		srow *o = &s->rows[s->n++];
		o->len = enc.len;
		o->enc = malloc(enc.len + 1);
		o->text = strdup(sl_buf_cstr(&txt));
		if (!o->enc || !o->text) {
			rc = sl_error_nomem();
			break;
		}
		memcpy(o->enc, enc.ptr ? enc.ptr : "", enc.len);
	}
	sl_buf_free(&enc);
	sl_buf_free(&txt);
	return rc;
}

static int cmp_rows(const void *x, const void *y)
{
	const srow *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->enc, b->enc, n);
	return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

static int add_example(sl_shadow_result *r, const sl_shadow_opts *o, char kind, int64_t row, const srow *s,
		       const srow *t)
{
	r->differences++;
	if (r->nexamples >= o->max_examples)
		return 0;
	if (!r->examples && !(r->examples = calloc(o->max_examples, sizeof(*r->examples))))
		return sl_error_nomem();
	sl_shadow_example *e = &r->examples[r->nexamples++];
	e->kind = kind;
	e->row = row;
	e->source_row = s ? strdup(s->text) : NULL;
	e->target_row = t ? strdup(t->text) : NULL;
	if ((s && !e->source_row) || (t && !e->target_row))
		return sl_error_nomem();
	return 0;
}

static int compare(sl_shadow_result *r, side *a, side *b, const sl_shadow_opts *o)
{
	int rc = 0;
	if (r->ordered) {
		size_t n = a->n > b->n ? a->n : b->n;
		for (size_t i = 0; !rc && i < n; i++) {
			const srow *x = i < a->n ? &a->rows[i] : NULL, *y = i < b->n ? &b->rows[i] : NULL;
			if (x && y && cmp_rows(x, y) == 0)
				continue;
			rc = add_example(r, o, x && y ? 'c' : (x ? 'm' : 'x'), (int64_t)i + 1, x, y);
		}
		return rc;
	}
	if (a->n)
		qsort(a->rows, a->n, sizeof(*a->rows), cmp_rows);
	if (b->n)
		qsort(b->rows, b->n, sizeof(*b->rows), cmp_rows);
	size_t i = 0, j = 0;
	while (!rc && (i < a->n || j < b->n)) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : cmp_rows(&a->rows[i], &b->rows[j]);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			rc = add_example(r, o, 'm', 0, &a->rows[i++], NULL);
		} else {
			rc = add_example(r, o, 'x', 0, NULL, &b->rows[j++]);
		}
	}
	return rc;
}

/* Keeps "on the <side>: <why>" as the result's error; frees why. */
static int side_error(sl_shadow_result *out, const char *side_name, char *why)
{
	sl_buf m = SL_BUF_INIT;
	int rc = sl_buf_printf(&m, "on the %s: %s", side_name, why);
	if (!rc)
		out->error = sl_buf_detach(&m);
	sl_buf_free(&m);
	free(why);
	return rc;
}

int sl_shadow_run(sl_shadow_result *out, sl_conn *src, sl_conn *dst, const sl_shadow_query *q,
		  const sl_shadow_opts *opts)
{
	sl_shadow_opts def = SL_SHADOW_OPTS_INIT;
	const sl_shadow_opts *o = opts ? opts : &def;
	side a = { 0 }, b = { 0 };
	sl_canon_col *cols = NULL;
	char *err = NULL;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	out->ordered = q->ordered;
	if (!(out->name = strdup(q->name ? q->name : "")))
		return sl_error_nomem();
	double t0 = sl_now_s();
	rc = read_side(&a, src, q, o, &err);
	out->seconds_source = sl_now_s() - t0;
	if (rc == 1) {
		rc = side_error(out, "source", err);
		goto done;
	}
	if (rc)
		goto done;
	t0 = sl_now_s();
	rc = read_side(&b, dst, q, o, &err);
	out->seconds_target = sl_now_s() - t0;
	if (rc == 1) {
		rc = side_error(out, "target", err);
		goto done;
	}
	if (rc)
		goto done;
	if (a.ncols != b.ncols) {
		sl_buf m = SL_BUF_INIT;
		if (!sl_buf_printf(&m, "the source returns %zu columns, the target %zu", a.ncols, b.ncols))
			out->error = sl_buf_detach(&m);
		sl_buf_free(&m);
		goto done;
	}
	if (!(cols = calloc(a.ncols + 1, sizeof(*cols)))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t j = 0; j < a.ncols; j++)
		merge_col(&cols[j], a.seen[j], b.seen[j]);
	rc = encode_side(&a, cols);
	if (!rc)
		rc = encode_side(&b, cols);
	out->source_rows = (int64_t)a.n;
	out->target_rows = (int64_t)b.n;
	if (!rc)
		rc = compare(out, &a, &b, o);
done:
	free(cols);
	side_free(&a);
	side_free(&b);
	if (rc)
		sl_error_prefix("shadow \"%s\"", out->name);
	return rc;
}

void sl_shadow_result_clear(sl_shadow_result *r)
{
	for (size_t i = 0; i < r->nexamples; i++) {
		free(r->examples[i].source_row);
		free(r->examples[i].target_row);
	}
	free(r->examples);
	free(r->name);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static int json_str(sl_buf *b, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "null");
	int rc = sl_buf_putc(b, '"');
	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rc = sl_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			rc = sl_buf_printf(b, "\\u%04x", c);
		else
			rc = sl_buf_putc(b, (char)c);
	}
	return rc ? rc : sl_buf_putc(b, '"');
}

int sl_shadow_examples_json(sl_buf *out, const sl_shadow_result *r)
{
	int rc = sl_buf_putc(out, '[');
	for (size_t i = 0; !rc && i < r->nexamples; i++) {
		const sl_shadow_example *e = &r->examples[i];
		rc = sl_buf_printf(out, "%s{\"kind\":\"%s\",\"row\":%lld,\"source\":", i ? "," : "",
				   e->kind == 'm'   ? "missing"
				   : e->kind == 'x' ? "extra"
						    : "changed",
				   (long long)e->row);
		if (!rc)
			rc = json_str(out, e->source_row);
		if (!rc)
			rc = sl_buf_puts(out, ",\"target\":");
		if (!rc)
			rc = json_str(out, e->target_row);
		if (!rc)
			rc = sl_buf_putc(out, '}');
	}
	return rc ? rc : sl_buf_putc(out, ']');
}

int sl_shadow_json(sl_buf *out, const sl_shadow_result *r, size_t n)
{
	int64_t total = 0;
	int rc = sl_buf_puts(out, "{\"queries\":[");
	for (size_t i = 0; !rc && i < n; i++) {
		total += r[i].differences;
		rc = sl_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		if (!rc)
			rc = json_str(out, r[i].name);
		if (!rc)
			rc = sl_buf_printf(out,
					   ",\"ordered\":%s,\"source_rows\":%lld,\"target_rows\":%lld,"
					   "\"differences\":%lld,"
					   "\"seconds_source\":%.3f,\"seconds_target\":%.3f,\"error\":",
					   r[i].ordered ? "true" : "false", (long long)r[i].source_rows,
					   (long long)r[i].target_rows, (long long)r[i].differences,
					   r[i].seconds_source, r[i].seconds_target);
		if (!rc)
			rc = json_str(out, r[i].error);
		if (!rc)
			rc = sl_buf_puts(out, ",\"examples\":");
		if (!rc)
			rc = sl_shadow_examples_json(out, &r[i]);
		if (!rc)
			rc = sl_buf_putc(out, '}');
	}
	if (!rc)
		rc = sl_buf_printf(out, "],\"differences\":%lld}\n", (long long)total);
	return rc;
}
