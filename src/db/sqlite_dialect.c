/*
 * sqlite_dialect.c - SQLite's SQL as data (sluice/dialect.h): no identifier
 * limit, 1/0 booleans, byte-order text; no row hashes in SQL (bisection
 * reads SQLite rows and hashes them in C). And the driver hooks for bulk and
 * read-only sessions, table lookup and error classes (sys/driver.h, version 3).
 */
#include "db/sqlite_internal.h"
#include "sluice/sys/driver.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* SQLite has no UUID function: a version 4 UUID made of random bytes, as text. */
#define SQLITE_UUID4                                                                                         \
	"(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "                         \
	"substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "      \
	"substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))"

static int sq_text_expr(sl_buf *out, const char *x, unsigned flags)
{
	if (flags & SL_TEXT_LOWER)
		return sl_buf_printf(out, "lower(%s) COLLATE BINARY", x);
	return sl_buf_printf(out, "%s COLLATE BINARY", x);
}

static bool sq_statement_complete(const char *sql)
{
	return sqlite3_complete(sql) != 0;
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
	.caps = SL_CAP_TRANSACTIONAL_DDL | SL_CAP_SAVEPOINTS | SL_CAP_PARTIAL_INDEX | SL_CAP_EXPR_INDEX |
		SL_CAP_NUL_IN_TEXT | SL_CAP_CHECK_CONSTRAINTS | SL_CAP_DB_WRITE_LOCK,
	.loose_types = true,
	.unsigned_types = false,
	.float_infinity = true,
	.decimal_specials = false,
	.decimal_as_double = true,
	.temporal_as_text = true,
	.default_frac_digits = 6,
	.min_year = 0,
	.max_year = 0,
	.time_beyond_day = false,
	.zero_dates = false,
	.wide_dates = false,
	.json_native = false,
	.arrays = false,
	.bit_strings = false,
	.bool_is_tinyint = false,
	.session_zone_stamps = false,
	.default_collation_ci = false,
	.table_collations = false,
	.table_names_fold = true,
	.empty_type_ok = true,
	.bare_words_are_strings = true,
	.one_identity_leading_key = false,
	.on_update_clause = false,
	.identity_rowid = true,
	.key_collation = NULL,
	.expr_default_parens = false,
	.clock_on_text = true,
	.stamp_default_precision = false,
	.uuid_default = SQLITE_UUID4,
	.uuid_default_note = "random version 4 UUID text (SQLite has no UUID function)",
	.identity_note = NULL,
	.fk_note =
		"SQLite foreign keys are declared in CREATE TABLE and only enforced with PRAGMA "
		"foreign_keys=ON: the copy loads with them off and runs PRAGMA foreign_key_check afterwards",
	.ddl_check = SL_DDL_CHECK_MEMORY,
	.memory_url = "sqlite::memory:",
	.set_local_schema = NULL,
	.text_expr = sq_text_expr,
	.statement_complete = sq_statement_complete,
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
	return sl_db_count_named(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ",
				 table);
}

bool sl_sqlite_error_is(const sl_error *e, sl_error_class k)
{
	return k == SL_ERRCLASS_EXISTS && e->engine_code == 1 /* SQLITE_ERROR */ && e->message &&
	       strstr(e->message, "already exists") != NULL;
}
