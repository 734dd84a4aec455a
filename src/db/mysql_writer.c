/*
 * mysql_writer.c - the MySQL/MariaDB bulk writer: rows are encoded as
 * tab-separated text in memory and sent with LOAD DATA LOCAL INFILE, served
 * by the connection's infile handler (mysql.c) from that buffer - no file is
 * ever read. A LOAD is sent whenever the buffer passes MY_LOAD_CHUNK and at
 * flush. LOAD DATA LOCAL turns bad values and duplicate keys into warnings,
 * so every LOAD checks the warning count and fails with SHOW WARNINGS.
 *
 * Encoding (docs/drivers/mysql.md): \N is NULL; \\ \t \n \0 are escaped;
 * CHARACTER SET binary so blob bytes are never converted.
 */
#include "my_internal.h"

#include "sluice/error.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Buffered bytes that trigger a LOAD; bounded well under max_allowed_packet limits. */
#define MY_LOAD_CHUNK ((size_t)16 << 20)

typedef struct my_wcol {
	char *name;
	bool bin16; /* binary(16): uuids go in as 16 raw bytes */
	bool bit;   /* BIT(n): needs CAST through a user variable */
	bool conv;  /* text in a charset other than utf8mb4: CONVERT through a user variable,
		       or the UTF-8 bytes would be stored raw (CHARACTER SET binary) */
} my_wcol;

typedef struct my_writer {
	sl_writer base; /* must stay first */
	my_wcol *cols;
	char *table;      /* for messages */
	sl_buf stmt;      /* the LOAD DATA statement */
	sl_buf data;      /* pending rows */
	uint64_t pending; /* rows in data */
} my_writer;

/* ---- open ---------------------------------------------------------------- */

/* Appends `schema`.`table`, or just `table` with no schema. */
static int put_table(sl_buf *out, const char *schema, const char *table)
{
	int rc = 0;
	if (schema) {
		rc = sl_quote_ident_with(out, schema, '`');
		if (!rc)
			rc = sl_buf_putc(out, '.');
	}
	return rc ? rc : sl_quote_ident_with(out, table, '`');
}

/* Reads the table's columns (name, data type, octet length) in ordinal order. */
static int read_columns(my_conn *mc, const char *schema, const char *table, MYSQL_RES **out)
{
	sl_buf sql = SL_BUF_INIT;
	int rc =
		sl_buf_puts(&sql, "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_OCTET_LENGTH, CHARACTER_SET_NAME "
				  "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
	*out = NULL;
	if (!rc)
		rc = schema ? my_quote_string(mc, &sql, schema, strlen(schema))
			    : sl_buf_puts(&sql, "DATABASE()");
	if (!rc)
		rc = sl_buf_puts(&sql, " AND TABLE_NAME = ");
	if (!rc)
		rc = my_quote_string(mc, &sql, table, strlen(table));
	if (!rc)
		rc = sl_buf_puts(&sql, " ORDER BY ORDINAL_POSITION");
	if (rc)
		goto done;
	if (mysql_real_query(mc->mysql, sql.ptr, (unsigned long)sql.len)) {
		rc = my_fail(mc, "read columns");
		goto done;
	}
	*out = mysql_store_result(mc->mysql);
	if (!*out)
		rc = my_fail(mc, "read columns");
	else if (mysql_num_rows(*out) == 0)
		rc = sl_error_set(SL_ENOTFOUND, "table \"%s\" does not exist", table);
done:
	if (rc && *out) {
		mysql_free_result(*out);
		*out = NULL;
	}
	sl_buf_free(&sql);
	return rc;
}

/* Fills col from the information_schema row for it. */
static int describe_col(my_wcol *col, const char *name, MYSQL_ROW row)
{
	col->name = strdup(name);
	if (!col->name)
		return sl_error_nomem();
	const char *type = row[1] ? row[1] : "";
	col->bit = strcasecmp(type, "bit") == 0;
	col->bin16 = strcasecmp(type, "binary") == 0 && row[2] && strcmp(row[2], "16") == 0;
	col->conv = row[3] && strcasecmp(row[3], "utf8mb4") != 0 && strcasecmp(row[3], "binary") != 0;
	return 0;
}

/* Matches the requested columns (all when ncolumns is 0) against the table's. */
static int resolve_columns(my_writer *w, MYSQL_RES *res, const char *const *columns, size_t ncolumns)
{
	size_t ntab = (size_t)mysql_num_rows(res);
	size_t n = ncolumns ? ncolumns : ntab;
	int rc = 0;
	w->cols = calloc(n, sizeof(*w->cols));
	if (!w->cols)
		return sl_error_nomem();
	w->base.ncols = n;
	for (size_t i = 0; !rc && i < n; i++) {
		MYSQL_ROW row = NULL;
		mysql_data_seek(res, ncolumns ? 0 : i);
		if (!ncolumns) {
			row = mysql_fetch_row(res);
		} else {
			while ((row = mysql_fetch_row(res)) && strcasecmp(row[0], columns[i]) != 0)
				;
		}
		if (!row)
			rc = sl_error_set(SL_ENOTFOUND, "column \"%s\" does not exist", columns[i]);
		else
			rc = describe_col(&w->cols[i], row[0], row);
	}
	return rc;
}

/* Builds the LOAD DATA statement; BIT columns go through @vN and CAST. */
static int build_stmt(my_writer *w, const char *schema, const char *table)
{
	sl_buf *s = &w->stmt;
	int rc = sl_buf_puts(s, "LOAD DATA LOCAL INFILE 'sluice-batch' INTO TABLE ");
	bool any_bit = false;
	if (!rc)
		rc = put_table(s, schema, table);
	if (!rc)
		rc = sl_buf_puts(s, " CHARACTER SET binary FIELDS TERMINATED BY X'09' ESCAPED BY X'5C'"
				    " LINES TERMINATED BY X'0A' (");
	for (size_t i = 0; !rc && i < w->base.ncols; i++) {
		if (i)
			rc = sl_buf_putc(s, ',');
		if (!rc && (w->cols[i].bit || w->cols[i].conv))
			rc = sl_buf_printf(s, "@v%zu", i);
		else if (!rc)
			rc = sl_quote_ident_with(s, w->cols[i].name, '`');
		any_bit |= w->cols[i].bit || w->cols[i].conv;
	}
	if (!rc)
		rc = sl_buf_putc(s, ')');
	const char *sep = " SET ";
	for (size_t i = 0; !rc && any_bit && i < w->base.ncols; i++) {
		if (!w->cols[i].bit && !w->cols[i].conv)
			continue;
		rc = sl_buf_puts(s, sep);
		if (!rc)
			rc = sl_quote_ident_with(s, w->cols[i].name, '`');
		if (!rc)
			rc = sl_buf_printf(s,
					   w->cols[i].bit ? " = CAST(@v%zu AS UNSIGNED)"
							  : " = CONVERT(@v%zu USING utf8mb4)",
					   i);
		sep = ", ";
	}
	return rc;
}

int my_writer_open(sl_writer **out, sl_conn *c, const char *schema, const char *table,
		   const char *const *columns, size_t ncolumns)
{
	my_conn *mc = (my_conn *)c;
	my_writer *w = NULL;
	MYSQL_RES *res = NULL;
	int rc = 0;
	*out = NULL;

	w = calloc(1, sizeof(*w));
	if (!w) {
		rc = sl_error_nomem();
		goto done;
	}
	w->base.conn = c;
	w->table = strdup(table);
	if (!w->table) {
		rc = sl_error_nomem();
		goto done;
	}
	rc = read_columns(mc, schema, table, &res);
	if (!rc)
		rc = resolve_columns(w, res, columns, ncolumns);
	if (!rc)
		rc = build_stmt(w, schema, table);
done:
	if (res)
		mysql_free_result(res);
	if (rc && w) {
		my_writer_free(&w->base);
		w = NULL;
	}
	*out = w ? &w->base : NULL;
	return rc;
}

/* ---- encoding rows ------------------------------------------------------- */

/* Appends bytes with LOAD DATA escapes for \ TAB LF NUL. */
static int put_escaped(sl_buf *out, const char *p, size_t len)
{
	size_t run = 0;
	int rc = sl_buf_grow(out, len + 8);
	for (size_t i = 0; !rc && i < len; i++) {
		const char *esc;
		switch (p[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\0':
			esc = "\\0";
			break;
		default:
			continue;
		}
		rc = sl_buf_put(out, p + run, i - run);
		if (!rc)
			rc = sl_buf_put(out, esc, 2);
		run = i + 1;
	}
	return rc ? rc : sl_buf_put(out, p + run, len - run);
}

static int put_value(my_writer *w, const sl_value *v, size_t col, uint64_t rowno)
{
	sl_buf *d = &w->data;
	switch (v->type) {
	case SL_V_NULL:
		return sl_buf_put(d, "\\N", 2);
	case SL_V_BOOL:
		return sl_buf_putc(d, v->u.b ? '1' : '0');
	case SL_V_INT:
		return sl_buf_printf(d, "%" PRId64, v->u.i);
	case SL_V_DOUBLE:
		if (isnan(v->u.d) || isinf(v->u.d))
			return sl_error_set(SL_EINVALID,
					    "row %" PRIu64 ": column \"%s\": %s cannot be stored in MySQL",
					    rowno, w->cols[col].name,
					    isnan(v->u.d) ? "NaN" : (v->u.d > 0 ? "Infinity" : "-Infinity"));
		return sl_format_double(d, v->u.d);
	case SL_V_DECIMAL:
	case SL_V_TEXT:
	case SL_V_BLOB:
	case SL_V_JSON:
		return put_escaped(d, v->u.s.ptr, v->u.s.len);
	case SL_V_DATE:
		return sl_format_date(d, v->u.date);
	case SL_V_TIME:
		return sl_format_time(d, v->u.time);
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		/* the session time_zone is UTC, so a UTC instant is its own wall clock */
		return my_format_datetime(d, v->u.ts);
	case SL_V_UUID:
		if (w->cols[col].bin16)
			return put_escaped(d, (const char *)v->u.uuid, 16);
		return sl_format_uuid(d, v->u.uuid);
	default:
		return sl_error_set(SL_EINVALID,
				    "row %" PRIu64 ": column \"%s\": cannot store a value of type %s", rowno,
				    w->cols[col].name, sl_vtype_name(v->type));
	}
}

/* ---- sending ------------------------------------------------------------- */

/* Turns warnings left by the LOAD into an error quoting the first few. */
static int check_warnings(my_writer *w, my_conn *mc, unsigned int count)
{
	sl_buf msg = SL_BUF_INIT;
	MYSQL_RES *r = NULL;
	int rc = 0;
	if (mysql_query(mc->mysql, "SHOW WARNINGS LIMIT 3") == 0)
		r = mysql_store_result(mc->mysql);
	MYSQL_ROW row;
	while (r && (row = mysql_fetch_row(r)))
		sl_buf_printf(&msg, "; %s %s: %s", row[0] ? row[0] : "?", row[1] ? row[1] : "?",
			      row[2] ? row[2] : "");
	rc = sl_error_set(SL_EDB, "load into \"%s\": %u warning%s (values changed or rows skipped)%s",
			  w->table, count, count == 1 ? "" : "s", sl_buf_cstr(&msg));
	if (r)
		mysql_free_result(r);
	sl_buf_free(&msg);
	return rc;
}

static int send_load(my_writer *w)
{
	my_conn *mc = (my_conn *)w->base.conn;
	int rc = 0;
	if (w->pending == 0)
		goto done;
	mc->infile = (my_infile){ .data = w->data.ptr, .len = w->data.len, .pos = 0 };
	rc = my_run(mc, w->stmt.ptr, w->stmt.len);
	mc->infile = (my_infile){ 0 };
	if (rc) {
		sl_error_prefix("load into \"%s\"", w->table);
		goto done;
	}
	unsigned int warnings = mysql_warning_count(mc->mysql);
	if (warnings)
		rc = check_warnings(w, mc, warnings);
done:
	sl_buf_clear(&w->data);
	w->pending = 0;
	return rc;
}

int my_writer_write(sl_writer *wb, const sl_batch *b)
{
	my_writer *w = (my_writer *)wb;
	size_t mark = w->data.len;
	int rc = 0;
	for (size_t r = 0; !rc && r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);
		uint64_t rowno = wb->rows + r + 1;
		for (size_t i = 0; !rc && i < b->ncols; i++) {
			if (i)
				rc = sl_buf_putc(&w->data, '\t');
			if (!rc)
				rc = put_value(w, &row[i], i, rowno);
		}
		if (!rc)
			rc = sl_buf_putc(&w->data, '\n');
		if (rc)
			break;
		w->pending++;
		mark = w->data.len;
		if (w->data.len >= MY_LOAD_CHUNK)
			rc = send_load(w);
		mark = w->data.len;
	}
	if (rc && mark <= w->data.len && w->data.ptr) {
		/* drop the half-encoded row; earlier rows stay pending */
		w->data.len = mark;
		w->data.ptr[mark] = '\0';
	}
	return rc;
}

int my_writer_flush(sl_writer *wb)
{
	return send_load((my_writer *)wb);
}

void my_writer_free(sl_writer *wb)
{
	my_writer *w = (my_writer *)wb;
	if (!w)
		return;
	for (size_t i = 0; w->cols && i < w->base.ncols; i++)
		free(w->cols[i].name);
	free(w->cols);
	free(w->table);
	sl_buf_free(&w->stmt);
	sl_buf_free(&w->data);
	free(w);
}
