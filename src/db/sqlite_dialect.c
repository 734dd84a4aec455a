/*
 * sqlite_dialect.c - SQLite's SQL as data (sluice/dialect.h): no identifier
 * limit, 1/0 booleans, byte-order text; no row hashes in SQL (bisection
 * reads SQLite rows and hashes them in C). And the driver hooks for bulk and
 * read-only sessions, table lookup and error classes (sys/driver.h, version 3).
 */
#include "db/sqlite_internal.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <string.h>

static int sq_text_expr(sl_buf *out, const char *x, unsigned flags)
{
	if (flags & SL_TEXT_LOWER)
		return sl_buf_printf(out, "lower(%s) COLLATE BINARY", x);
	return sl_buf_printf(out, "%s COLLATE BINARY", x);
}

const sl_dialect sl_sqlite_dialect = {
	.engine = SL_ENGINE_SQLITE,
	.name = "sqlite",
	.title = "SQLite",
	.aliases = NULL,
	.ident_quote = '"',
	.ident_quotes = "\"`",
	.ident_max = 0,
	.ident_max_chars = false,
	.ident_limit = "",
	.ident_case_insensitive = true,
	.ident_lower_case = false,
	.true_literal = "1",
	.false_literal = "0",
	.bit_prefix = 0,
	.drop_cascade = "",
	.serial_key = "INTEGER PRIMARY KEY",
	.long_text = "TEXT",
	.hash_comments = false,
	.bang_comments_blank = false,
	.primary_key_nulls = true,
	.ddl_check = SL_DDL_CHECK_MEMORY,
	.memory_url = "sqlite::memory:",
	.set_local_schema = NULL,
	.text_expr = sq_text_expr,
	.rowhash = NULL,
};

/* ---- sessions and catalog ---- */

int sl_sqlite_bulk_session(sl_conn *c, bool load)
{
	(void)load; /* foreign keys are declared with the table: off for the whole copy */
	return sl_conn_exec(c, "PRAGMA foreign_keys = OFF");
}

int sl_sqlite_bulk_fk_checks(sl_conn *c, bool on)
{
	(void)c;
	(void)on;
	return 0;
}

int sl_sqlite_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud)
{
	/* foreign keys are inline and were not enforced during the load */
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, c,
			       "SELECT \"table\", \"parent\", count(*) FROM pragma_foreign_key_check "
			       "GROUP BY 1, 2 ORDER BY 1, 2");
	if (!rc)
		rc = sl_batch_init(&b, 3, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 64);
		if (got <= 0) {
			rc = got < 0 ? got : 0;
			break;
		}
		for (size_t k = 0; !rc && k < b.nrows; k++) {
			sl_value *row = sl_batch_row(&b, k);
			char tb[256], pa[256];
			snprintf(tb, sizeof(tb), "%.*s", (int)row[0].u.s.len, row[0].u.s.ptr);
			snprintf(pa, sizeof(pa), "%.*s", (int)row[1].u.s.len, row[1].u.s.ptr);
			rc = fn(ud, tb, pa, row[2].u.i, "PRAGMA foreign_key_check");
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

int sl_sqlite_read_only(sl_conn *c)
{
	return sl_conn_exec(c, "PRAGMA query_only = ON");
}

int sl_sqlite_table_exists(sl_conn *c, const char *table)
{
	sl_buf b = SL_BUF_INIT;
	sl_value v = sl_text(table);
	int64_t n = 0;
	int rc = sl_buf_puts(&b, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ");
	if (!rc)
		rc = sl_conn_quote_literal(c, &b, &v);
	if (!rc)
		rc = sl_conn_query_int(c, b.ptr, &n);
	sl_buf_free(&b);
	return rc ? rc : n > 0;
}

bool sl_sqlite_error_is(const sl_error *e, sl_error_class k)
{
	return k == SL_ERRCLASS_EXISTS && e->engine_code == 1 /* SQLITE_ERROR */ && e->message &&
	       strstr(e->message, "already exists") != NULL;
}
