/*
 * expand_my.c - expand/contract SQL for MySQL and MariaDB
 * (sys/expand_dialect.h).
 *
 * A version is a database of views (ALGORITHM=MERGE, SQL SECURITY INVOKER)
 * over the base database; an application picks it as its database. MySQL
 * has no session state a trigger could read to tell the writer's version,
 * so while a table is kept in step it gets a column _sluice_writer whose
 * DEFAULT (DATABASE()) records the database an insert came from; updates
 * are told apart by what they change. The backfill session sets
 * @sluice_backfill, which the triggers honour. Columns are added and
 * dropped with LOCK=NONE (instant where the engine can), indexes online;
 * MySQL has no NOT VALID, so foreign keys are added with foreign_key_checks
 * off and validated by a query, NOT NULL of a new column is enforced by the
 * triggers until contract makes it a column attribute, and a CHECK (which
 * MySQL can only add by copying the table) is validated by a query first.
 */
#include "expand_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static int alter(sl_conn *c, sl_buf *b, const sl_xact *a)
{
	int rc = sl_buf_puts(b, "ALTER TABLE ");
	return rc ? rc : xd_qt(c, b, a->base, a->table);
}

/* 1 when the query returns a row, 0 when not. */
static int exists(sl_conn *c, sl_buf *q)
{
	xd_strings r = { 0 };
	int rc = xd_strings_query(c, sl_buf_cstr(q), &r);
	bool yes = r.n > 0;
	xd_strings_free(&r);
	sl_buf_clear(q);
	return rc ? rc : yes;
}

static int column_exists(sl_conn *c, const char *base, const char *table, const char *col)
{
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(&q, "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
	if (!rc)
		rc = xd_lit(c, &q, base);
	if (!rc)
		rc = sl_buf_puts(&q, " AND TABLE_NAME = ");
	if (!rc)
		rc = xd_lit(c, &q, table);
	if (!rc)
		rc = sl_buf_puts(&q, " AND COLUMN_NAME = ");
	if (!rc)
		rc = xd_lit(c, &q, col);
	if (!rc)
		rc = exists(c, &q);
	sl_buf_free(&q);
	return rc;
}

static int trigger_exists(sl_conn *c, const char *base, const char *name)
{
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(&q, "SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ");
	if (!rc)
		rc = xd_lit(c, &q, base);
	if (!rc)
		rc = sl_buf_puts(&q, " AND TRIGGER_NAME = ");
	if (!rc)
		rc = xd_lit(c, &q, name);
	if (!rc)
		rc = exists(c, &q);
	sl_buf_free(&q);
	return rc;
}

static int index_exists(sl_conn *c, const char *base, const char *table, const char *name)
{
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(&q, "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ");
	if (!rc)
		rc = xd_lit(c, &q, base);
	if (!rc)
		rc = sl_buf_puts(&q, " AND TABLE_NAME = ");
	if (!rc)
		rc = xd_lit(c, &q, table);
	if (!rc)
		rc = sl_buf_puts(&q, " AND INDEX_NAME = ");
	if (!rc)
		rc = xd_lit(c, &q, name);
	if (!rc)
		rc = exists(c, &q);
	sl_buf_free(&q);
	return rc;
}

/* ---- triggers ---------------------------------------------------------------------------- */

static int declares(sl_conn *c, sl_buf *b, const sl_xscope_col *scope, size_t n, const sl_xassign *as,
		    size_t na, bool update)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (!xd_scope_used(&scope[i], as, na, update))
			continue;
		if (!scope[i].decl)
			return sl_error_set(SL_EINVALID, "no declared type known for column \"%s\"",
					    scope[i].name);
		rc = sl_buf_puts(b, "DECLARE ");
		if (!rc)
			rc = xd_q(c, b, scope[i].name);
		if (!rc)
			rc = sl_buf_printf(b, " %s DEFAULT NEW.", scope[i].decl);
		if (!rc)
			rc = xd_q(c, b, scope[i].physical);
		if (!rc)
			rc = sl_buf_puts(b, "; ");
	}
	return rc;
}

static int assign_block(sl_conn *c, sl_buf *b, const sl_xscope_col *scope, size_t n, const sl_xassign *as,
			size_t na, bool update, char flag)
{
	int rc = sl_buf_puts(b, "BEGIN ");
	if (!rc)
		rc = declares(c, b, scope, n, as, na, update);
	for (size_t i = 0; !rc && i < na; i++) {
		if (update && as[i].insert_only)
			continue;
		if (update)
			rc = sl_buf_printf(b, "IF sluice_%c%zu THEN ", flag, i);
		if (!rc)
			rc = sl_buf_puts(b, "SET NEW.");
		if (!rc)
			rc = xd_q(c, b, as[i].target);
		if (!rc)
			rc = sl_buf_printf(b, " = (%s); ", as[i].expr);
		if (!rc && update)
			rc = sl_buf_puts(b, "END IF; ");
	}
	return rc ? rc : sl_buf_puts(b, "END; ");
}

/* Refuses NULL in a column the new shape requires (MySQL has no NOT VALID check to do it). */
static int not_null_checks(sl_conn *c, sl_buf *b, const sl_xsync *s, bool update)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->nnot_null; i++) {
		const char *col = s->not_null[i];
		rc = sl_buf_puts(b, "IF NEW.");
		if (!rc)
			rc = xd_q(c, b, col);
		if (!rc)
			rc = sl_buf_puts(b, " IS NULL");
		if (!rc && update) {
			rc = sl_buf_puts(b, " AND (NOT (NEW.");
			if (!rc)
				rc = xd_q(c, b, col);
			if (!rc)
				rc = sl_buf_puts(b, " <=> OLD.");
			if (!rc)
				rc = xd_q(c, b, col);
			if (!rc)
				rc = sl_buf_puts(b, ")");
			for (size_t k = 0; !rc && k < s->nup; k++)
				if (strcmp(s->up[k].target, col) == 0 && !s->up[k].insert_only)
					rc = sl_buf_printf(b, " OR sluice_u%zu", k);
			if (!rc)
				rc = sl_buf_puts(b, ")");
		}
		if (!rc)
			rc = sl_buf_puts(b, " THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = ");
		if (!rc) {
			const char *shown = col;
			char msg[256];
			for (size_t k = 0; k < s->nnew; k++)
				if (strcmp(s->new_scope[k].physical, col) == 0)
					shown = s->new_scope[k].name;
			snprintf(msg, sizeof(msg),
				 "Column '%s' cannot be null (the new version requires a value)", shown);
			rc = xd_lit(c, b, msg);
		}
		if (!rc)
			rc = sl_buf_puts(b, "; END IF; ");
	}
	return rc;
}

static int insert_trigger(sl_conn *c, sl_buf *b, const sl_xsync *s, const char *name)
{
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = xd_qt(c, b, s->base, name);
	if (!rc)
		rc = sl_buf_puts(b, " BEFORE INSERT ON ");
	if (!rc)
		rc = xd_qt(c, b, s->base, s->table);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW BEGIN IF NEW.");
	if (!rc)
		rc = xd_q(c, b, XD_WRITER);
	if (!rc)
		rc = sl_buf_puts(b, " <=> ");
	if (!rc)
		rc = xd_lit(c, b, s->version);
	if (!rc)
		rc = sl_buf_puts(b, " THEN ");
	if (!rc)
		rc = s->ndown ? assign_block(c, b, s->new_scope, s->nnew, s->down, s->ndown, false, 'd')
			      : sl_buf_puts(b, "BEGIN END; ");
	if (!rc)
		rc = sl_buf_puts(b, "ELSE ");
	if (!rc)
		rc = s->nup ? assign_block(c, b, s->old_scope, s->nold, s->up, s->nup, false, 'u')
			    : sl_buf_puts(b, "BEGIN END; ");
	if (!rc)
		rc = sl_buf_puts(b, "END IF; ");
	if (!rc)
		rc = not_null_checks(c, b, s, false);
	return rc ? rc : sl_buf_puts(b, "END");
}

static int update_trigger(sl_conn *c, sl_buf *b, const sl_xsync *s, const char *name)
{
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = xd_qt(c, b, s->base, name);
	if (!rc)
		rc = sl_buf_puts(b, " BEFORE UPDATE ON ");
	if (!rc)
		rc = xd_qt(c, b, s->base, s->table);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW BEGIN ");
	for (size_t i = 0; !rc && i < s->nup; i++)
		rc = sl_buf_printf(b, "DECLARE sluice_u%zu BOOL DEFAULT FALSE; ", i);
	for (size_t i = 0; !rc && i < s->ndown; i++)
		rc = sl_buf_printf(b, "DECLARE sluice_d%zu BOOL DEFAULT FALSE; ", i);
	if (!rc)
		rc = sl_buf_puts(b, "IF @sluice_backfill IS NULL THEN ");
	for (int up = 1; !rc && up >= 0; up--) {
		const sl_xassign *as = up ? s->up : s->down;
		size_t n = up ? s->nup : s->ndown;
		for (size_t i = 0; !rc && i < n; i++) {
			if (as[i].insert_only)
				continue;
			rc = sl_buf_printf(b, "SET sluice_%c%zu = ", up ? 'u' : 'd', i);
			if (!rc)
				rc = xd_change_cond(c, b, &as[i], XD_CMP_MY, "OLD", "NEW");
			if (!rc)
				rc = sl_buf_puts(b, "; ");
		}
		if (!rc && xd_any(as, n, true)) {
			bool first = true;
			rc = sl_buf_puts(b, "IF ");
			for (size_t i = 0; !rc && i < n; i++) {
				if (as[i].insert_only)
					continue;
				rc = sl_buf_printf(b, "%ssluice_%c%zu", first ? "" : " OR ", up ? 'u' : 'd',
						   i);
				first = false;
			}
			if (!rc)
				rc = sl_buf_puts(b, " THEN ");
			if (!rc)
				rc = assign_block(c, b, up ? s->old_scope : s->new_scope,
						  up ? s->nold : s->nnew, as, n, true, up ? 'u' : 'd');
			if (!rc)
				rc = sl_buf_puts(b, "END IF; ");
		}
	}
	if (!rc)
		rc = not_null_checks(c, b, s, true);
	return rc ? rc : sl_buf_puts(b, "END IF; END");
}

static int sync_create(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	const sl_xsync *s = a->sync;
	sl_buf b = SL_BUF_INIT;
	char name[160];
	int rc = column_exists(c, s->base, s->table, XD_WRITER);
	if (rc == 0) {
		rc = alter(c, &b, a);
		if (!rc)
			rc = sl_buf_puts(&b, " ADD COLUMN ");
		if (!rc)
			rc = xd_q(c, &b, XD_WRITER);
		if (!rc)
			rc = sl_buf_puts(&b, " VARCHAR(64) NULL DEFAULT (DATABASE()), LOCK=NONE");
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	} else if (rc > 0) {
		rc = 0;
	}
	for (int k = 0; !rc && k < 2; k++) {
		snprintf(name, sizeof(name), "%s_%s", s->name, k ? "bu" : "bi");
		if ((rc = trigger_exists(c, s->base, name)) != 0) {
			rc = rc > 0 ? 0 : rc;
			continue;
		}
		rc = k ? update_trigger(c, &b, s, name) : insert_trigger(c, &b, s, name);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	sl_buf_free(&b);
	return rc;
}

static int sync_drop(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	char name[160];
	int rc = 0;
	for (int k = 0; !rc && k < 2; k++) {
		snprintf(name, sizeof(name), "%s_%s", a->name, k ? "bu" : "bi");
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, name);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	int ex = rc ? rc : column_exists(c, a->base, a->table, XD_WRITER);
	if (ex < 0)
		rc = ex;
	else if (ex > 0) {
		rc = alter(c, &b, a);
		if (!rc)
			rc = sl_buf_puts(&b, " DROP COLUMN ");
		if (!rc)
			rc = xd_q(c, &b, XD_WRITER);
		if (!rc)
			rc = sl_buf_puts(&b, ", LOCK=NONE");
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	sl_buf_free(&b);
	return rc;
}

/* ---- versions and views ------------------------------------------------------------------- */

static int view_create(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	const sl_xview *v = a->view;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW ");
	if (!rc)
		rc = xd_qt(c, &b, v->version, v->name);
	if (!rc)
		rc = sl_buf_puts(&b, " AS SELECT ");
	for (size_t i = 0; !rc && i < v->ncols; i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = xd_q(c, &b, v->cols[i].physical);
		if (!rc)
			rc = sl_buf_puts(&b, " AS ");
		if (!rc)
			rc = xd_q(c, &b, v->cols[i].name);
	}
	if (!rc)
		rc = sl_buf_puts(&b, " FROM ");
	if (!rc)
		rc = xd_qt(c, &b, v->base, v->table);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	sl_buf_free(&b);
	return rc;
}

/* Drops the views of a version database, and the database when nothing else is in it. */
static int version_drop(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf q = SL_BUF_INIT, b = SL_BUF_INIT;
	xd_strings objs = { 0 };
	size_t others = 0;
	int rc = 0;
	if (!a->version)
		return 0;
	rc = sl_buf_puts(
		&q, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
	if (!rc)
		rc = xd_lit(c, &q, a->version);
	if (!rc)
		rc = sl_buf_puts(&q,
				 " UNION ALL SELECT ROUTINE_NAME, 'ROUTINE' FROM information_schema.ROUTINES "
				 "WHERE ROUTINE_SCHEMA = ");
	if (!rc)
		rc = xd_lit(c, &q, a->version);
	if (!rc)
		rc = xd_strings_query(c, q.ptr, &objs);
	for (size_t i = 0; !rc && i < objs.n; i++) {
		char *tab = strchr(objs.items[i], '\t');
		if (!tab || strcmp(tab + 1, "VIEW") != 0) {
			others++;
			continue;
		}
		*tab = '\0';
		rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->version, objs.items[i]);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	if (!rc && !others) {
		rc = sl_buf_puts(&b, "DROP DATABASE IF EXISTS ");
		if (!rc)
			rc = xd_q(c, &b, a->version);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	xd_strings_free(&objs);
	sl_buf_free(&q);
	sl_buf_free(&b);
	return rc;
}

/* ---- constraints ------------------------------------------------------------------------------ */

static int foreign_key(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_xsql_add(out, SL_XS_SESSION, "SET SESSION foreign_key_checks = 0");
	if (!rc)
		rc = alter(c, &b, a);
	if (!rc)
		rc = sl_buf_puts(&b, " ADD CONSTRAINT ");
	if (!rc)
		rc = xd_q(c, &b, a->name);
	if (!rc)
		rc = sl_buf_puts(&b, " FOREIGN KEY (");
	if (!rc)
		rc = xd_cols(c, &b, a->cols, a->ncols);
	if (!rc)
		rc = sl_buf_puts(&b, ") REFERENCES ");
	if (!rc)
		rc = xd_qt(c, &b, a->base, a->ref_table);
	if (!rc)
		rc = sl_buf_puts(&b, " (");
	if (!rc)
		rc = xd_cols(c, &b, a->ref_cols, a->nref_cols);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc && a->on_delete)
		rc = sl_buf_printf(&b, " ON DELETE %s", a->on_delete);
	if (!rc && a->on_update)
		rc = sl_buf_printf(&b, " ON UPDATE %s", a->on_update);
	if (!rc)
		rc = sl_buf_puts(&b, ", ALGORITHM=INPLACE, LOCK=NONE");
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	if (!rc)
		rc = sl_xsql_add(out, SL_XS_SESSION | SL_XS_CLEANUP, "SET SESSION foreign_key_checks = 1");
	sl_buf_free(&b);
	return rc;
}

/* A query returning a row that breaks the constraint a adds (MySQL cannot add one NOT VALID). */
static int validation(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	if (a->what == SL_XA_ADD_FOREIGN_KEY) {
		rc = sl_buf_puts(&b, "SELECT ");
		for (size_t i = 0; !rc && i < a->ncols; i++) {
			rc = sl_buf_puts(&b, i ? ", c." : "c.");
			if (!rc)
				rc = xd_q(c, &b, a->cols[i]);
		}
		if (!rc)
			rc = sl_buf_puts(&b, " FROM ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->table);
		if (!rc)
			rc = sl_buf_puts(&b, " c LEFT JOIN ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->ref_table);
		if (!rc)
			rc = sl_buf_puts(&b, " p ON ");
		for (size_t i = 0; !rc && i < a->ncols; i++) {
			rc = sl_buf_puts(&b, i ? " AND p." : "p.");
			if (!rc)
				rc = xd_q(c, &b, a->ref_cols[i]);
			if (!rc)
				rc = sl_buf_puts(&b, " = c.");
			if (!rc)
				rc = xd_q(c, &b, a->cols[i]);
		}
		if (!rc)
			rc = sl_buf_puts(&b, " WHERE ");
		for (size_t i = 0; !rc && i < a->ncols; i++) {
			rc = sl_buf_puts(&b, "c.");
			if (!rc)
				rc = xd_q(c, &b, a->cols[i]);
			if (!rc)
				rc = sl_buf_puts(&b, " IS NOT NULL AND ");
		}
		if (!rc)
			rc = sl_buf_puts(&b, "p.");
		if (!rc)
			rc = xd_q(c, &b, a->ref_cols[0]);
		if (!rc)
			rc = sl_buf_puts(&b, " IS NULL LIMIT 1");
	} else if (a->what == SL_XA_ADD_NOT_NULL_CHECK) {
		rc = sl_buf_puts(&b, "SELECT * FROM ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->table);
		if (!rc)
			rc = sl_buf_puts(&b, " WHERE ");
		if (!rc)
			rc = xd_q(c, &b, a->column);
		if (!rc)
			rc = sl_buf_puts(&b, " IS NULL LIMIT 1");
	} else if (a->what == SL_XA_ADD_CHECK) {
		rc = sl_buf_puts(&b, "SELECT * FROM ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->table);
		if (!rc)
			rc = sl_buf_printf(&b, " WHERE NOT (%s) LIMIT 1", a->expr);
	}
	if (!rc && b.len)
		rc = sl_xsql_add_buf(out, SL_XS_EXPECT_EMPTY, &b);
	sl_buf_free(&b);
	return rc;
}

/* ---- the action table ------------------------------------------------------------------------------ */

static int column_ddl(sl_conn *c, const sl_xact *a, sl_buf *b)
{
	int rc = alter(c, b, a);
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
		if (!rc)
			rc = sl_buf_puts(b, " ADD COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_printf(b, " %s", a->decl);
		if (!rc && a->not_null)
			rc = sl_buf_puts(b, " NOT NULL");
		if (!rc && a->default_expr)
			rc = sl_buf_printf(b, " DEFAULT %s", a->default_expr);
		break;
	case SL_XA_DROP_COLUMN:
		if (!rc)
			rc = sl_buf_puts(b, " DROP COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		break;
	case SL_XA_RENAME_COLUMN:
		if (!rc)
			rc = sl_buf_puts(b, " RENAME COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_puts(b, " TO ");
		if (!rc)
			rc = xd_q(c, b, a->to);
		break;
	default: /* SET NOT NULL: the column restated; online, the table is rebuilt */
		if (!rc)
			rc = sl_buf_puts(b, " MODIFY COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_printf(b, " %s NOT NULL", a->decl);
		if (!rc && a->default_expr)
			rc = sl_buf_printf(b, " DEFAULT %s", a->default_expr);
		return rc ? rc : sl_buf_puts(b, ", ALGORITHM=INPLACE, LOCK=NONE");
	}
	return rc ? rc : sl_buf_puts(b, ", LOCK=NONE");
}

/* The index actions (added online, dropped, renamed, kept as unique keys) and DROP CONSTRAINT. */
static int my_index_sql(sl_conn *c, const sl_xact *a, sl_buf *b)
{
	int rc = 0, ex;
	switch (a->kind) {
	case SL_XA_DROP_CONSTRAINT:
		if (a->what == SL_XA_ADD_NOT_NULL_CHECK)
			break;
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, a->what == SL_XA_ADD_FOREIGN_KEY ? " DROP FOREIGN KEY "
					    : a->what == SL_XA_ATTACH_UNIQUE ? " DROP INDEX "
									     : " DROP CONSTRAINT ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		/* InnoDB made an index of the key's name for the key: it goes too */
		if (!rc && a->what == SL_XA_ADD_FOREIGN_KEY &&
		    (ex = index_exists(c, a->base, a->table, a->name)) != 0) {
			rc = ex < 0 ? ex : sl_buf_puts(b, ", DROP INDEX ");
			if (!rc)
				rc = xd_q(c, b, a->name);
		}
		break;
	case SL_XA_ADD_INDEX:
		if ((ex = index_exists(c, a->base, a->table, a->name)) != 0) {
			rc = ex < 0 ? ex : 0;
			break;
		}
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_printf(b, " ADD %sINDEX ", a->unique ? "UNIQUE " : "");
		if (!rc)
			rc = xd_q(c, b, a->name);
		if (!rc)
			rc = sl_buf_puts(b, " (");
		if (!rc)
			rc = xd_cols(c, b, a->cols, a->ncols);
		if (!rc)
			rc = sl_buf_puts(b, "), ALGORITHM=INPLACE, LOCK=NONE");
		break;
	case SL_XA_DROP_INDEX:
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " DROP INDEX ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		if (!rc)
			rc = sl_buf_puts(b, ", LOCK=NONE");
		break;
	case SL_XA_RENAME_INDEX:
	case SL_XA_ATTACH_UNIQUE: /* a unique index is MySQL's unique constraint */
		if (strcmp(a->name, a->to) == 0)
			break;
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " RENAME INDEX ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		if (!rc)
			rc = sl_buf_puts(b, " TO ");
		if (!rc)
			rc = xd_q(c, b, a->to);
		if (!rc)
			rc = sl_buf_puts(b, ", LOCK=NONE");
		break;
	default:
		break;
	}
	return rc;
}

/* The statements that create or rename a name of its own: the version's database, a table. */
static int my_name_sql(sl_conn *c, const sl_xact *a, sl_buf *b)
{
	int rc = 0;
	switch (a->kind) {
	case SL_XA_RENAME_TABLE:
		rc = sl_buf_puts(b, "RENAME TABLE ");
		if (!rc)
			rc = xd_qt(c, b, a->base, a->table);
		if (!rc)
			rc = sl_buf_puts(b, " TO ");
		if (!rc)
			rc = xd_qt(c, b, a->base, a->to);
		break;
	case SL_XA_VERSION_CREATE:
		rc = sl_buf_puts(b, "CREATE DATABASE IF NOT EXISTS ");
		if (!rc)
			rc = xd_q(c, b, a->version);
		break;
	default:
		break;
	}
	return rc;
}

static int my_render(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	unsigned flags = 0;
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
	case SL_XA_DROP_COLUMN:
	case SL_XA_RENAME_COLUMN:
	case SL_XA_SET_NOT_NULL:
		rc = column_ddl(c, a, &b);
		break;
	case SL_XA_RENAME_TABLE:
	case SL_XA_VERSION_CREATE:
		rc = my_name_sql(c, a, &b);
		break;
	case SL_XA_ADD_NOT_NULL_CHECK: /* enforced by the triggers until contract */
		break;
	case SL_XA_ADD_CHECK:
		rc = validation(c,
				&(sl_xact){ .what = SL_XA_ADD_CHECK,
					    .base = a->base,
					    .table = a->table,
					    .expr = a->expr },
				out);
		if (!rc)
			rc = alter(c, &b, a);
		if (!rc)
			rc = sl_buf_puts(&b, " ADD CONSTRAINT ");
		if (!rc)
			rc = xd_q(c, &b, a->name);
		if (!rc)
			rc = sl_buf_printf(&b, " CHECK (%s)", a->expr);
		break;
	case SL_XA_ADD_FOREIGN_KEY:
		rc = foreign_key(c, a, out);
		break;
	case SL_XA_VALIDATE:
		rc = validation(c, a, out);
		break;
	case SL_XA_DROP_CONSTRAINT:
	case SL_XA_ADD_INDEX:
	case SL_XA_DROP_INDEX:
	case SL_XA_RENAME_INDEX:
	case SL_XA_ATTACH_UNIQUE:
		rc = my_index_sql(c, a, &b);
		break;
	case SL_XA_SYNC_CREATE:
		rc = sync_create(c, a, out);
		break;
	case SL_XA_SYNC_DROP:
		rc = sync_drop(c, a, out);
		break;
	case SL_XA_VERSION_DROP:
		rc = version_drop(c, a, out);
		break;
	case SL_XA_VIEW_CREATE:
		rc = view_create(c, a, out);
		break;
	case SL_XA_VIEW_DROP:
		rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->version, a->name);
		break;
	case SL_XA_LOCK_VIEWS: /* every DDL statement commits on its own: nothing to order */
		break;
	default:
		rc = sl_error_set(SL_EINVALID, "expand: unknown action %d", (int)a->kind);
	}
	if (!rc && b.len)
		rc = sl_xsql_add_buf(out, flags, &b);
	sl_buf_free(&b);
	return rc;
}

/* Length of "ALTER TABLE `a`.`b` " at the start of sql, or 0. */
static size_t alter_head(const char *sql)
{
	const char *p = sql + 12;
	if (strncmp(sql, "ALTER TABLE ", 12) != 0)
		return 0;
	for (;;) {
		if (*p != '`')
			return 0;
		for (p++; *p && !(*p == '`' && p[1] != '`'); p += *p == '`' ? 2 : 1)
			;
		if (!*p)
			return 0;
		p++;
		if (*p == '.') {
			p++;
			continue;
		}
		return *p == ' ' ? (size_t)(p + 1 - sql) : 0;
	}
}

/* An online change of a table that can share its ALTER TABLE with the next one. */
static bool foldable(const sl_xstmt *s, size_t *head)
{
	static const char tail[] = ", LOCK=NONE";
	size_t n = strlen(s->sql), t = sizeof(tail) - 1;
	*head = alter_head(s->sql);
	return !s->flags && *head && n > t && strcmp(s->sql + n - t, tail) == 0 &&
	       !strstr(s->sql, "ALGORITHM=");
}

/*
 * Folds consecutive online changes of one table into one ALTER TABLE: a
 * contract that drops, renames and drops again is one statement, and the
 * new version's views (which MySQL cannot make follow a rename) are
 * invalid only until the next statement replaces them.
 */
static int my_coalesce(sl_xsql *q)
{
	size_t out = 0;
	for (size_t i = 0; i < q->n; i++) {
		size_t ha, hb;
		sl_xstmt *prev = out ? &q->items[out - 1] : NULL;
		if (prev && foldable(prev, &ha) && foldable(&q->items[i], &hb) && ha == hb &&
		    strncmp(prev->sql, q->items[i].sql, ha) == 0) {
			sl_buf b = SL_BUF_INIT;
			size_t plen = strlen(prev->sql) - (sizeof(", LOCK=NONE") - 1);
			int rc = sl_buf_printf(&b, "%.*s, %s", (int)plen, prev->sql, q->items[i].sql + hb);
			if (rc) {
				sl_buf_free(&b);
				return rc;
			}
			free(prev->sql);
			free(q->items[i].sql);
			prev->sql = sl_buf_detach(&b);
			continue;
		}
		q->items[out++] = q->items[i];
	}
	q->n = out;
	return 0;
}

static int my_lock_timeout(sl_buf *out, long ms)
{
	long s = (ms + 999) / 1000;
	return sl_buf_printf(out, "SET SESSION lock_wait_timeout = %ld, innodb_lock_wait_timeout = %ld", s,
			     s);
}

static bool my_lock_failed(const sl_error *e)
{
	return e->engine_code == 1205 || e->engine_code == 1213;
}

static int my_backfill_session(sl_conn *c, sl_xsql *out)
{
	(void)c;
	return sl_xsql_add(out, SL_XS_SESSION, "SET @sluice_backfill = 1");
}

typedef struct sess {
	const char *base;
	const char *const *versions;
	size_t n;
	sl_xclient_fn fn;
	void *ud;
} sess;

static int on_session(void *ud, const sl_value *row, size_t ncols)
{
	sess *s = ud;
	sl_buf t[4] = { SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT };
	int rc = 0;
	for (size_t i = 1; !rc && i < 5 && i < ncols; i++)
		if (row[i].type != SL_V_NULL)
			rc = sl_value_format(&t[i - 1], &row[i]);
	const char *db = sl_buf_cstr(&t[2]), *info = sl_buf_cstr(&t[3]);
	sl_xclient cl = { .session = row[0].type == SL_V_INT ? row[0].u.i : 0,
			  .application = "",
			  .user = sl_buf_cstr(&t[0]),
			  .client = sl_buf_cstr(&t[1]) };
	for (size_t i = 0; i < s->n && !cl.version; i++) {
		const char *v = *s->versions[i] ? s->versions[i] : s->base;
		if (v && strcmp(db, v) == 0) {
			cl.version = s->versions[i];
			cl.why = " (its current database)";
		}
	}
	for (size_t i = 0; i < s->n && !cl.version; i++)
		if (*s->versions[i] && xd_names(info, s->versions[i])) {
			cl.version = s->versions[i];
			cl.why = " (its current statement names it)";
		}
	if (!rc)
		rc = s->fn(s->ud, &cl);
	for (int i = 0; i < 4; i++)
		sl_buf_free(&t[i]);
	return rc;
}

static int my_sessions(sl_conn *c, const char *base, const char *const *versions, size_t n, sl_xclient_fn fn,
		       void *ud)
{
	sess s = { .base = base, .versions = versions, .n = n, .fn = fn, .ud = ud };
	return xd_rows(c,
		       "SELECT ID, USER, HOST, DB, INFO FROM information_schema.PROCESSLIST WHERE ID <> "
		       "CONNECTION_ID() "
		       "AND COMMAND NOT IN ('Daemon', 'Binlog Dump') AND USER NOT IN ('system user', "
		       "'event_scheduler') "
		       "ORDER BY ID",
		       on_session, &s);
}

const sl_expand_dialect sl_expand_mysql = {
	.render = my_render,
	.coalesce = my_coalesce,
	.lock_timeout = my_lock_timeout,
	.lock_failed = my_lock_failed,
	.backfill_session = my_backfill_session,
	.sessions = my_sessions,
	.sessions_conclusive = false,
	.drops_inline_unique = true,
	.text_type = "LONGTEXT",
	.max_name = 64,
	.version_is_container = true,
};
