/*
 * my_dialect.c - MySQL/MariaDB's SQL as data (sluice/dialect.h): limits,
 * literal spellings, byte-order text, the row-hash spellings of diff's
 * bisection; and the driver hooks for bulk and read-only sessions, table
 * lookup and error classes (include/sluice/sys/driver.h, version 3), and the
 * consistent-snapshot hooks of distributed copies (sl_snapshot_ops).
 */
#include "db/my_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int my_text_expr(sl_buf *out, const char *x, unsigned flags)
{
	/* BINARY compares and sorts by bytes alike */
	if (flags & SL_TEXT_LOWER)
		return sl_buf_printf(out, "CAST(lower(%s) AS BINARY)", x);
	return sl_buf_printf(out, "CAST(%s AS BINARY)", x);
}

/* ---- row hashes (diff's bisection) ---- */

static int my_enc(sl_buf *o, char tag, const char *x)
{
	return sl_buf_printf(o, "CONCAT('%c', LENGTH(%s), ':', %s)", tag, x, x);
}

static int my_number_text(sl_buf *x, const char *q, bool integer)
{
	if (integer)
		return sl_buf_printf(x, "CAST(%s AS CHAR)", q);
	return sl_buf_printf(x,
			     "(CASE WHEN LOCATE('.', CAST(%s AS CHAR)) > 0 THEN TRIM(TRAILING '.' FROM "
			     "TRIM(TRAILING '0' FROM CAST(%s AS CHAR))) ELSE CAST(%s AS CHAR) END)",
			     q, q, q);
}

static int my_text(sl_buf *x, const char *q)
{
	return sl_buf_printf(x, "CONVERT(%s USING utf8mb4)", q);
}

static int my_temporal_text(sl_buf *x, sl_buf *range, const char *q, bool date, bool zulu, bool instant)
{
	(void)instant; /* no instant type is rendered (.instants is false) */
	int rc = date ? sl_buf_printf(x, "DATE_FORMAT(%s, '%%Y-%%m-%%d')", q)
		      : sl_buf_printf(x, "DATE_FORMAT(%s, '%%Y-%%m-%%dT%%H:%%i:%%s.%%f%s')", q,
				      zulu ? "Z" : "");
	/* years 1-9999 only, and no zero dates */
	if (!rc)
		rc = sl_buf_printf(range,
				   "%s >= '0001-01-01' AND %s <= '9999-12-31 23:59:59.999999' AND "
				   "MONTH(%s) > 0 AND DAY(%s) > 0",
				   q, q, q, q);
	return rc;
}

static int my_hash60(sl_buf *out, const char *row_expr)
{
	return sl_buf_printf(out, "CAST(CONV(SUBSTR(MD5(%s), 1, 15), 16, 10) AS UNSIGNED)", row_expr);
}

static int my_bucket(sl_buf *out, const char *k, int64_t lo, uint64_t width)
{
	return sl_buf_printf(out, "(CAST(%s AS DECIMAL(21,0)) - (%lld)) DIV %llu", k, (long long)lo,
			     (unsigned long long)width);
}

static const sl_rowhash_ops my_rowhash = {
	.enc = my_enc,
	.row_open = "CONCAT(",
	.row_sep = ", ",
	.row_close = ")",
	.number_text = my_number_text,
	.text = my_text,
	.temporal_text = my_temporal_text,
	.native_bool = false,
	.set_is_text = true,
	.instants = false,
	.uuid_type = false,
	.hash60 = my_hash60,
	.bucket = my_bucket,
};

static const char *const my_aliases[] = { "mariadb", NULL };

const sl_dialect sl_my_dialect = {
	.engine = SL_ENGINE_MYSQL,
	.name = "mysql",
	.title = "MySQL",
	.aliases = my_aliases,
	.ident_quote = '`',
	.ident_quotes = "`",
	.ident_max = 64,
	.ident_max_chars = true,
	.ident_limit = "MySQL's 64-character limit",
	.ident_case_insensitive = true,
	.ident_lower_case = false,
	.true_literal = "TRUE",
	.false_literal = "FALSE",
	.bit_prefix = 'b',
	.drop_cascade = "",
	.serial_key = "BIGINT AUTO_INCREMENT PRIMARY KEY",
	.long_text = "LONGTEXT", /* TEXT holds 64 KiB */
	.hash_comments = true,
	.bang_comments_blank = false,
	.primary_key_nulls = false,
	.caps = SL_CAP_SAVEPOINTS | SL_CAP_ADVISORY_LOCK | SL_CAP_NUL_IN_TEXT,
	.loose_types = false,
	.unsigned_types = true,
	.float_infinity = false,
	.decimal_specials = false,
	.decimal_as_double = false,
	.temporal_as_text = false,
	.default_frac_digits = 0,
	.min_year = 1000,
	.max_year = 9999,
	.time_beyond_day = true,
	.zero_dates = true,
	.wide_dates = false,
	.json_native = true,
	.arrays = false,
	.bit_strings = false,
	.bool_is_tinyint = true,
	.session_zone_stamps = true,
	.default_collation_ci = true,
	.table_collations = true,
	.table_names_fold = false,
	.empty_type_ok = false,
	.bare_words_are_strings = false,
	.one_identity_leading_key = true,
	.on_update_clause = true,
	.identity_rowid = false,
	.key_collation = "utf8mb4_bin",
	.expr_default_parens = true,
	.clock_on_text = false,
	.stamp_default_precision = true,
	.uuid_default = "(uuid())",
	.uuid_default_note = NULL,
	.identity_note =
		"the loader sets sql_mode NO_AUTO_VALUE_ON_ZERO: an identity value 0 is kept, not replaced",
	.fk_note = NULL,
	.ddl_check = SL_DDL_CHECK_RULES,
	.memory_url = NULL,
	.set_local_schema = NULL,
	.text_expr = my_text_expr,
	.statement_complete = NULL,
	.rowhash = &my_rowhash,
};

/* ---- sessions and catalog ---- */

int my_bulk_session(sl_conn *c, bool load)
{
	int rc = sl_conn_exec(c,
			      "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO'), "
			      "time_zone = '+00:00'");
	/*
	 * READ COMMITTED: a keyless table's loader deletes its old rejects in the
	 * transaction that reloads it; under REPEATABLE READ that scan's gap locks
	 * deadlock the other workers' reject inserts
	 */
	if (!rc)
		rc = sl_conn_exec(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
	if (!rc && load)
		rc = sl_conn_exec(c, "SET SESSION foreign_key_checks = 0");
	return rc;
}

int my_bulk_fk_checks(sl_conn *c, bool on)
{
	return sl_conn_exec(c,
			    on ? "SET SESSION foreign_key_checks = 1" : "SET SESSION foreign_key_checks = 0");
}

int my_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud)
{
	(void)c;
	(void)fn;
	(void)ud; /* ADD FOREIGN KEY with foreign_key_checks on validated the rows */
	return 0;
}

int my_read_only(sl_conn *c)
{
	return sl_conn_exec(c, "SET SESSION TRANSACTION READ ONLY");
}

int my_table_exists(sl_conn *c, const char *table)
{
	return sl_db_count_named(c,
				 "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
				 "DATABASE() AND table_name = ",
				 table);
}

bool my_error_is(const sl_error *e, sl_error_class k)
{
	int n = e->engine_code;
	if (k == SL_ERRCLASS_TRANSIENT)
		return n == 1213 /* ER_LOCK_DEADLOCK */ || n == 1205 /* ER_LOCK_WAIT_TIMEOUT */;
	return k == SL_ERRCLASS_EXISTS &&
	       (n == 1050 /* ER_TABLE_EXISTS_ERROR */ || n == 1061 /* ER_DUP_KEYNAME */ ||
		n == 1359 /* ER_TRG_ALREADY_EXISTS */ || n == 1826 /* ER_FK_DUP_NAME */ ||
		n == 4031 /* ER_DUP_CONSTRAINT_NAME (MariaDB) */ ||
		n == 3822 /* ER_CHECK_CONSTRAINT_DUP_NAME (MySQL) */ ||
		(n == 1005 /* MariaDB: a foreign key name taken */ && e->message &&
		 strstr(e->message, "errno: 121")));
}

/* ---- consistent snapshots (sys/driver.h, sl_snapshot_ops) ---- */

static int my_pos_row(void *ud, const char *a, const char *b)
{
	char **v = ud;
	if (!v[0] && a && b) {
		v[0] = strdup(a);
		v[1] = strdup(b);
	}
	return 0;
}

/*
 * Where the binary log stood: MariaDB reports the position of this
 * transaction's own snapshot (binlog_snapshot_file/position, exact); else
 * SHOW MASTER STATUS, read just after the snapshot was taken.
 */
static int my_snapshot_pos(sl_conn *c, char *pos, size_t n)
{
	int64_t on = 0;
	char *v[2] = { 0 };
	int rc = sl_conn_query_int(c, "SELECT @@log_bin", &on);
	if (!rc && !on) {
		snprintf(pos, n, "binlog off");
		return 0;
	}
	if (!rc &&
	    sl_db_each_row(c,
			   "SELECT max(CASE WHEN VARIABLE_NAME = 'BINLOG_SNAPSHOT_FILE' THEN VARIABLE_VALUE "
			   "END), max(CASE WHEN VARIABLE_NAME = 'BINLOG_SNAPSHOT_POSITION' THEN "
			   "VARIABLE_VALUE END) FROM information_schema.SESSION_STATUS",
			   my_pos_row, v) == 0 &&
	    v[0] && v[0][0]) {
		snprintf(pos, n, "%s:%s", v[0], v[1] ? v[1] : "?");
	} else if (!rc) {
		free(v[0]);
		free(v[1]);
		v[0] = v[1] = NULL;
		sl_error_clear();
		if (sl_db_each_row(c, "SHOW MASTER STATUS", my_pos_row, v) == 0 && v[0])
			snprintf(pos, n, "%s:%s (read after the snapshot)", v[0], v[1] ? v[1] : "?");
		else
			snprintf(pos, n, "unknown (SHOW MASTER STATUS: %s)",
				 v[0] ? "no row" : sl_error_last()->message);
		sl_error_clear();
	}
	free(v[0]);
	free(v[1]);
	return rc;
}

static int my_begin_snapshot(sl_conn *c, const char *id, char *pos, size_t n)
{
	(void)id; /* InnoDB snapshots are not shared between sessions */
	int rc = sl_conn_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
	if (!rc)
		rc = sl_conn_exec(c, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
	if (!rc)
		rc = my_snapshot_pos(c, pos, n);
	if (rc) {
		char *m = strdup(sl_error_last()->message);
		sl_conn_exec(c, "ROLLBACK");
		sl_error_set(rc, "%s", m ? m : "consistent snapshot");
		free(m);
	}
	return rc;
}

const sl_snapshot_ops sl_my_snapshot_ops = {
	.export_snapshot = NULL,
	.begin_snapshot = my_begin_snapshot,
};
