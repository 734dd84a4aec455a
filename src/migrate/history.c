/*
 * history.c - the history table in the migrated database: creating it,
 * reading it, and writing its rows (see include/sluice/migrate.h for the
 * meaning of each status). Column types are chosen per dialect here: this is
 * DDL, the one place where the engine's name matters.
 */
#include "history.h"

#include "sluice/error.h"

#include <stdlib.h>
#include <string.h>

/* The history columns, in the order every query uses. */
static const char *const columns[] = {
	"id",     "checksum",         "title",  "ticket",     "pr",         "author",
	"why",    "rollback_note",    "domain", "applied_at", "applied_by", "duration_ms",
	"status", "failed_statement", "error",  "up_sql",     "down_sql",   "verify_sql",
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

static int put_ident(sl_conn *c, sl_buf *b, const char *name)
{
	return sl_conn_quote_ident(c, b, name);
}

static int put_text(sl_conn *c, sl_buf *b, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "NULL");
	sl_value v = sl_text(s);
	return sl_conn_quote_literal(c, b, &v);
}

int sl_history_ensure(sl_conn *c, const char *table)
{
	/* the applied SQL may be long (MySQL's TEXT holds 64 KiB) */
	const char *big = sl_conn_dialect(c)->long_text;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	if (!rc)
		rc = put_ident(c, &b, table);
	if (!rc)
		rc = sl_buf_printf(
			&b,
			" (id VARCHAR(64) NOT NULL PRIMARY KEY, checksum VARCHAR(80) NOT NULL, "
			"title %s, ticket %s, pr %s, author %s, why %s, rollback_note %s, domain %s, "
			"applied_at VARCHAR(32) NOT NULL, applied_by %s, duration_ms BIGINT NOT NULL DEFAULT "
			"0, "
			"status VARCHAR(16) NOT NULL, failed_statement %s, error %s, "
			"up_sql %s, down_sql %s, verify_sql %s)",
			big, big, big, big, big, big, big, big, big, big, big, big, big);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("create history table \"%s\"", table);
	sl_buf_free(&b);
	return rc;
}

static const char *text_of(sl_history *h, const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	sl_buf b = SL_BUF_INIT;
	const char *s = NULL;
	if (sl_value_format(&b, v) == 0)
		s = sl_arena_memdup(h->arena, b.ptr ? b.ptr : "", b.len);
	sl_buf_free(&b);
	return s;
}

static int cmp_row(const void *a, const void *b)
{
	return sl_migration_id_cmp(((const sl_history_row *)a)->id, ((const sl_history_row *)b)->id);
}

static int read_rows(sl_history *h, sl_conn *c, const char *table)
{
	sl_buf q = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch batch = { 0 };
	int rc = sl_buf_puts(&q, "SELECT ");
	for (size_t i = 0; !rc && i < NCOLS; i++) {
		if (i)
			rc = sl_buf_puts(&q, ", ");
		if (!rc)
			rc = put_ident(c, &q, columns[i]);
	}
	if (!rc)
		rc = sl_buf_puts(&q, " FROM ");
	if (!rc)
		rc = put_ident(c, &q, table);
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&batch, sl_cursor_ncols(cur), 256);
	while (!rc) {
		sl_batch_reset(&batch);
		int n = sl_cursor_fetch(cur, &batch, 256);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t r = 0; r < batch.nrows; r++) {
			const sl_value *v = sl_batch_row(&batch, r);
			sl_history_row *row = sl_arena_push(h->arena, &h->rows, &h->n, &h->cap, sizeof(*row));
			if (!row) {
				rc = SL_ENOMEM;
				break;
			}
			row->id = text_of(h, &v[0]);
			row->checksum = text_of(h, &v[1]);
			row->title = text_of(h, &v[2]);
			row->ticket = text_of(h, &v[3]);
			row->pr = text_of(h, &v[4]);
			row->author = text_of(h, &v[5]);
			row->why = text_of(h, &v[6]);
			row->rollback = text_of(h, &v[7]);
			row->domain = text_of(h, &v[8]);
			row->applied_at = text_of(h, &v[9]);
			row->applied_by = text_of(h, &v[10]);
			row->duration_ms = v[11].type == SL_V_INT ? v[11].u.i : 0;
			row->status = text_of(h, &v[12]);
			row->failed_statement = text_of(h, &v[13]);
			row->error = text_of(h, &v[14]);
			row->up_sql = text_of(h, &v[15]);
			row->down_sql = text_of(h, &v[16]);
			row->verify_sql = text_of(h, &v[17]);
			if (!row->id || !row->status || !row->checksum) {
				rc = sl_error_set(
					SL_ECONFLICT,
					"history table \"%s\" has a row without id, status or checksum",
					table);
				break;
			}
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&batch);
	sl_buf_free(&q);
	if (!rc && h->n > 1)
		qsort(h->rows, h->n, sizeof(*h->rows), cmp_row);
	return rc;
}

int sl_history_load(sl_history **out, sl_conn *c, const char *table)
{
	*out = NULL;
	sl_history *h = calloc(1, sizeof(*h));
	if (!h)
		return sl_error_nomem();
	int rc = (h->arena = sl_arena_new(0)) ? 0 : SL_ENOMEM;
	int exists = rc ? rc : sl_conn_table_exists(c, table);
	if (exists < 0)
		rc = exists;
	else if (exists)
		rc = read_rows(h, c, table);
	if (rc) {
		sl_error_prefix("read history table \"%s\"", table);
		sl_history_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void sl_history_free(sl_history *h)
{
	if (!h)
		return;
	sl_arena_free(h->arena);
	free(h);
}

const sl_history_row *sl_history_find(const sl_history *h, const char *id)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (strcmp(h->rows[i].id, id) == 0)
			return &h->rows[i];
	return NULL;
}

int sl_history_insert(sl_conn *c, const char *table, const sl_history_row *r)
{
	const char *vals[NCOLS] = {
		r->id,     r->checksum,         r->title,  r->ticket,     r->pr,         r->author,
		r->why,    r->rollback,         r->domain, r->applied_at, r->applied_by, NULL,
		r->status, r->failed_statement, r->error,  r->up_sql,     r->down_sql,   r->verify_sql,
	};
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "INSERT INTO ");
	if (!rc)
		rc = put_ident(c, &b, table);
	if (!rc)
		rc = sl_buf_puts(&b, " (");
	for (size_t i = 0; !rc && i < NCOLS; i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = put_ident(c, &b, columns[i]);
	}
	if (!rc)
		rc = sl_buf_puts(&b, ") VALUES (");
	for (size_t i = 0; !rc && i < NCOLS; i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = i == 11 ? sl_buf_printf(&b, "%lld", (long long)r->duration_ms)
				     : put_text(c, &b, vals[i]);
	}
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("record migration %s in \"%s\"", r->id, table);
	sl_buf_free(&b);
	return rc;
}

/* Appends " WHERE id = <id>" to the statement in b and runs it. */
static int exec_for_id(sl_conn *c, sl_buf *b, const char *id)
{
	int rc = sl_buf_puts(b, " WHERE id = ");
	if (!rc)
		rc = put_text(c, b, id);
	return rc ? rc : sl_conn_exec(c, b->ptr);
}

int sl_history_update(sl_conn *c, const char *table, const char *id, const char *status, int64_t duration_ms,
		      const char *failed_statement, const char *error, const char *checksum,
		      const char *up_sql)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "UPDATE ");
	if (!rc)
		rc = put_ident(c, &b, table);
	if (!rc)
		rc = sl_buf_puts(&b, " SET status = ");
	if (!rc)
		rc = put_text(c, &b, status);
	if (!rc)
		rc = sl_buf_printf(&b, ", duration_ms = %lld, failed_statement = ", (long long)duration_ms);
	if (!rc)
		rc = put_text(c, &b, failed_statement);
	if (!rc)
		rc = sl_buf_puts(&b, ", error = ");
	if (!rc)
		rc = put_text(c, &b, error);
	if (!rc && checksum) {
		rc = sl_buf_puts(&b, ", checksum = ");
		if (!rc)
			rc = put_text(c, &b, checksum);
	}
	if (!rc && up_sql) {
		rc = sl_buf_puts(&b, ", up_sql = ");
		if (!rc)
			rc = put_text(c, &b, up_sql);
	}
	if (!rc)
		rc = exec_for_id(c, &b, id);
	if (rc)
		sl_error_prefix("update migration %s in \"%s\"", id, table);
	sl_buf_free(&b);
	return rc;
}

int sl_history_delete(sl_conn *c, const char *table, const char *id)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "DELETE FROM ");
	if (!rc)
		rc = put_ident(c, &b, table);
	if (!rc)
		rc = exec_for_id(c, &b, id);
	if (rc)
		sl_error_prefix("forget migration %s in \"%s\"", id, table);
	sl_buf_free(&b);
	return rc;
}

int sl_history_exists(sl_conn *c, const char *table, bool *out)
{
	int rc = sl_conn_table_exists(c, table);
	*out = rc > 0;
	return rc < 0 ? rc : 0;
}

int sl_history_replicate(sl_conn *dst, const char *table, const sl_history *h)
{
	int rc = sl_history_ensure(dst, table);
	for (size_t i = 0; !rc && h && i < h->n; i++)
		rc = sl_history_insert(dst, table, &h->rows[i]);
	return rc;
}
