/*
 * expand_sqlite.c - expand/contract SQL for SQLite (sys/expand_dialect.h).
 *
 * SQLite has one schema per database file and views cannot reach another
 * file, so a version is a set of views named "<version>_<table>" beside the
 * tables. Views are read-only in SQLite: INSTEAD OF triggers on each view
 * write the base table, and, for a table being changed, compute the old
 * columns from the new ones (the down assignments) in the same statement.
 * Writes of the old version go to the base table, where AFTER triggers
 * fill the new columns by the row's key; a guard row written around the
 * view triggers' own writes keeps those triggers from firing on them.
 * Expressions are evaluated in a SELECT over a one-row subquery whose
 * columns carry the shape's names, so they see the names they were written
 * with.
 *
 * What SQLite cannot do without rebuilding a table - add NOT NULL, a check
 * or a foreign key to an existing column or table - the planner refuses
 * (sl_xop_unsupported); this file reports it too, should it be asked.
 * Views do not fill column defaults: an INSERT through a view that omits a
 * column with a default gets the default (NULL written to such a column
 * gets it too). SQLite cannot rename an index; contract rebuilds a copied
 * index under its old name.
 */
#include "expand_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static int unsupported(const sl_xact *a, const char *what)
{
	return sl_error_set(SL_EINVALID,
			    "not supported on sqlite: %s on table \"%s\" needs the table rebuilt", what,
			    a->table ? a->table : "");
}

/* The view of version for table: "<version>_<table>". */
static int view_name(sl_conn *c, sl_buf *b, const char *version, const char *name)
{
	char *s = NULL;
	if (asprintf(&s, "%s_%s", version, name) < 0)
		return sl_error_nomem();
	int rc = xd_q(c, b, s);
	free(s);
	return rc;
}

/* ---- triggers on the base table (old version's writes) ------------------------------------------- */

/* WHERE the row is the trigger's: by key, or rowid. */
static int by_key(sl_conn *c, sl_buf *b, const char *const *key, size_t nkey, const char *rec)
{
	int rc = sl_buf_puts(b, " WHERE ");
	if (!nkey)
		return rc ? rc : sl_buf_printf(b, "rowid = %s.rowid", rec);
	for (size_t i = 0; !rc && i < nkey; i++) {
		if (i)
			rc = sl_buf_puts(b, " AND ");
		if (!rc)
			rc = xd_q(c, b, key[i]);
		if (!rc)
			rc = sl_buf_printf(b, " = %s.", rec);
		if (!rc)
			rc = xd_q(c, b, key[i]);
	}
	return rc;
}

static int guard_off(sl_buf *b)
{
	return sl_buf_puts(b, "NOT EXISTS (SELECT 1 FROM \"" XD_GUARD "\")");
}

/* The insert trigger of a base table: every up assignment on the new row. */
static int base_insert_trigger(sl_conn *c, const sl_xsync *s, sl_buf *b)
{
	/* insert: every up assignment */
	int rc = sl_buf_printf(b, "CREATE TRIGGER \"%s_ai\" AFTER INSERT ON ", s->name);
	if (!rc)
		rc = xd_q(c, b, s->table);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW WHEN ");
	if (!rc)
		rc = guard_off(b);
	if (!rc)
		rc = sl_buf_puts(b, " BEGIN UPDATE ");
	if (!rc)
		rc = xd_q(c, b, s->table);
	if (!rc)
		rc = sl_buf_puts(b, " SET ");
	for (size_t i = 0; !rc && i < s->nup; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = xd_q(c, b, s->up[i].target);
		if (!rc)
			rc = sl_buf_printf(b, " = (%s)", s->up[i].expr);
	}
	if (!rc)
		rc = by_key(c, b, s->key, s->nkey, "NEW");
	if (!rc)
		rc = sl_buf_puts(b, "; END");
	return rc;
}

/* The update trigger of a base table: the assignments whose sources changed and whose target did not. */
static int base_update_trigger(sl_conn *c, const sl_xsync *s, sl_buf *b)
{
	/* update: an assignment whose sources changed and whose target did not */
	int rc = sl_buf_printf(b, "CREATE TRIGGER \"%s_au\" AFTER UPDATE ON ", s->name);
	if (!rc)
		rc = xd_q(c, b, s->table);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW WHEN ");
	if (!rc)
		rc = guard_off(b);
	if (!rc)
		rc = sl_buf_puts(b, " AND (");
	bool first = true;
	for (size_t i = 0; !rc && i < s->nup; i++) {
		if (s->up[i].insert_only)
			continue;
		if (!first)
			rc = sl_buf_puts(b, " OR ");
		if (!rc)
			rc = xd_change_cond(c, b, &s->up[i], XD_CMP_SQLITE, "OLD", "NEW");
		first = false;
	}
	if (!rc)
		rc = sl_buf_puts(b, ") BEGIN UPDATE ");
	if (!rc)
		rc = xd_q(c, b, s->table);
	if (!rc)
		rc = sl_buf_puts(b, " SET ");
	first = true;
	for (size_t i = 0; !rc && i < s->nup; i++) {
		if (s->up[i].insert_only)
			continue;
		if (!first)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = xd_q(c, b, s->up[i].target);
		if (!rc)
			rc = sl_buf_puts(b, " = CASE WHEN ");
		if (!rc)
			rc = xd_change_cond(c, b, &s->up[i], XD_CMP_SQLITE, "OLD", "NEW");
		if (!rc)
			rc = sl_buf_printf(b, " THEN (%s) ELSE ", s->up[i].expr);
		if (!rc)
			rc = xd_q(c, b, s->up[i].target);
		if (!rc)
			rc = sl_buf_puts(b, " END");
		first = false;
	}
	if (!rc)
		rc = by_key(c, b, s->key, s->nkey, "NEW");
	if (!rc)
		rc = sl_buf_puts(b, "; END");
	return rc;
}

static int base_triggers(sl_conn *c, const sl_xsync *s, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	if (!s->nup)
		return 0;
	rc = base_insert_trigger(c, s, &b);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	if (rc || !xd_any(s->up, s->nup, true))
		goto done;
	rc = base_update_trigger(c, s, &b);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
done:
	sl_buf_free(&b);
	return rc;
}

static int drop_triggers(sl_conn *c, const char *name, sl_xsql *out)
{
	static const char *const sfx[] = { "_ai", "_au" };
	int rc = 0;
	(void)c;
	for (size_t i = 0; !rc && i < 2; i++)
		rc = sl_xsql_addf(out, 0, "DROP TRIGGER IF EXISTS \"%s%s\"", name, sfx[i]);
	return rc;
}

static int drop_view_triggers(sl_conn *c, const char *version, const char *name, sl_xsql *out)
{
	static const char *const sfx[] = { "_ins", "_upd", "_del" };
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < 3; i++) {
		char *t = NULL;
		if (asprintf(&t, "%s_%s%s", version, name, sfx[i]) < 0)
			return sl_error_nomem();
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = xd_q(c, &b, t);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
		free(t);
	}
	sl_buf_free(&b);
	return rc;
}

/* ---- views and their triggers (new version's writes) -------------------------------------------- */

/* (SELECT NEW."a" AS "a", ...) AS n: the view row under its own names. */
static int row_source(sl_conn *c, sl_buf *b, const sl_xview *v)
{
	int rc = sl_buf_puts(b, " FROM (SELECT ");
	for (size_t i = 0; !rc && i < v->ncols; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_buf_puts(b, "NEW.");
		if (!rc)
			rc = xd_q(c, b, v->cols[i].name);
		if (!rc)
			rc = sl_buf_puts(b, " AS ");
		if (!rc)
			rc = xd_q(c, b, v->cols[i].name);
	}
	return rc ? rc : sl_buf_puts(b, ") AS sluice_n");
}

static int view_value(sl_conn *c, sl_buf *b, const sl_xview_col *col, bool insert)
{
	int rc = 0;
	if (insert && col->default_expr && !col->identity) {
		rc = sl_buf_puts(b, "coalesce(sluice_n.");
		if (!rc)
			rc = xd_q(c, b, col->name);
		return rc ? rc : sl_buf_printf(b, ", %s)", col->default_expr);
	}
	rc = sl_buf_puts(b, "sluice_n.");
	return rc ? rc : xd_q(c, b, col->name);
}

/*
 * The columns a view trigger writes (generated ones are the engine's):
 * what 0 their base names, 1 the values an insert writes, 2 an update's.
 */
static int written(sl_conn *c, sl_buf *b, const sl_xview *v, int what)
{
	int rc = 0;
	bool first = true;
	for (size_t i = 0; !rc && i < v->ncols; i++) {
		if (v->cols[i].generated)
			continue;
		if (!first)
			rc = sl_buf_puts(b, ", ");
		first = false;
		if (!rc)
			rc = what ? view_value(c, b, &v->cols[i], what == 1)
				  : xd_q(c, b, v->cols[i].physical);
	}
	return rc;
}

static int insert_trigger(sl_conn *c, const sl_xview *v, sl_buf *b)
{
	const sl_xsync *s = v->sync;
	int rc = sl_buf_printf(b, "CREATE TRIGGER ");
	char *t = NULL;
	if (asprintf(&t, "%s_%s_ins", v->version, v->name) < 0)
		return sl_error_nomem();
	if (!rc)
		rc = xd_q(c, b, t);
	free(t);
	if (!rc)
		rc = sl_buf_puts(b, " INSTEAD OF INSERT ON ");
	if (!rc)
		rc = view_name(c, b, v->version, v->name);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW BEGIN ");
	if (!rc && s)
		rc = sl_buf_puts(b, "INSERT INTO \"" XD_GUARD "\" VALUES (1); ");
	if (!rc)
		rc = sl_buf_puts(b, "INSERT INTO ");
	if (!rc)
		rc = xd_q(c, b, v->table);
	if (!rc)
		rc = sl_buf_puts(b, " (");
	if (!rc)
		rc = written(c, b, v, 0);
	for (size_t i = 0; !rc && s && i < s->ndown; i++) {
		rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = xd_q(c, b, s->down[i].target);
	}
	if (!rc)
		rc = sl_buf_puts(b, ") SELECT ");
	if (!rc)
		rc = written(c, b, v, 1);
	for (size_t i = 0; !rc && s && i < s->ndown; i++)
		rc = sl_buf_printf(b, ", (%s)", s->down[i].expr);
	if (!rc)
		rc = row_source(c, b, v);
	if (!rc)
		rc = sl_buf_puts(b, "; ");
	if (!rc && s)
		rc = sl_buf_puts(b, "DELETE FROM \"" XD_GUARD "\"; ");
	return rc ? rc : sl_buf_puts(b, "END");
}

/* view-key = OLD.view-key: the base row an update or delete of the view means. */
static int view_where(sl_conn *c, sl_buf *b, const sl_xview *v)
{
	int rc = sl_buf_puts(b, " WHERE ");
	for (size_t i = 0; !rc && i < v->nkey; i++) {
		if (i)
			rc = sl_buf_puts(b, " AND ");
		if (!rc)
			rc = xd_q(c, b, v->key_physical[i]);
		if (!rc)
			rc = sl_buf_puts(b, " = OLD.");
		if (!rc)
			rc = xd_q(c, b, v->key[i]);
	}
	return rc;
}

/* The down assignment's change test on the view's row (its sources are the view's columns). */
static int view_changed(sl_conn *c, sl_buf *b, const sl_xview *v, const sl_xassign *a)
{
	int rc = sl_buf_puts(b, "(");
	bool first = true;
	for (size_t i = 0; !rc && i < a->nsources; i++)
		for (size_t j = 0; !rc && j < v->ncols; j++) {
			if (strcmp(v->cols[j].physical, a->sources[i]) != 0)
				continue;
			rc = sl_buf_puts(b, first ? "NEW." : " OR NEW.");
			if (!rc)
				rc = xd_q(c, b, v->cols[j].name);
			if (!rc)
				rc = sl_buf_puts(b, " IS NOT OLD.");
			if (!rc)
				rc = xd_q(c, b, v->cols[j].name);
			first = false;
		}
	if (!rc && first)
		rc = sl_buf_puts(b, "1 = 0");
	return rc ? rc : sl_buf_putc(b, ')');
}

static int update_trigger(sl_conn *c, const sl_xview *v, sl_buf *b)
{
	const sl_xsync *s = v->sync;
	char *t = NULL;
	if (asprintf(&t, "%s_%s_upd", v->version, v->name) < 0)
		return sl_error_nomem();
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = xd_q(c, b, t);
	free(t);
	if (!rc)
		rc = sl_buf_puts(b, " INSTEAD OF UPDATE ON ");
	if (!rc)
		rc = view_name(c, b, v->version, v->name);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW BEGIN ");
	if (!rc && s)
		rc = sl_buf_puts(b, "INSERT INTO \"" XD_GUARD "\" VALUES (1); ");
	if (!rc)
		rc = sl_buf_puts(b, "UPDATE ");
	if (!rc)
		rc = xd_q(c, b, v->table);
	if (!rc)
		rc = sl_buf_puts(b, " SET (");
	if (!rc)
		rc = written(c, b, v, 0);
	for (size_t i = 0; !rc && s && i < s->ndown; i++) {
		if (s->down[i].insert_only)
			continue;
		rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = xd_q(c, b, s->down[i].target);
	}
	if (!rc)
		rc = sl_buf_puts(b, ") = (SELECT ");
	if (!rc)
		rc = written(c, b, v, 2);
	for (size_t i = 0; !rc && s && i < s->ndown; i++) {
		if (s->down[i].insert_only)
			continue;
		rc = sl_buf_puts(b, ", CASE WHEN ");
		if (!rc)
			rc = view_changed(c, b, v, &s->down[i]);
		if (!rc)
			rc = sl_buf_printf(b, " THEN (%s) ELSE ", s->down[i].expr);
		if (!rc)
			rc = xd_q(c, b, v->table);
		if (!rc)
			rc = sl_buf_putc(b, '.');
		if (!rc)
			rc = xd_q(c, b, s->down[i].target);
		if (!rc)
			rc = sl_buf_puts(b, " END");
	}
	if (!rc)
		rc = row_source(c, b, v);
	if (!rc)
		rc = sl_buf_putc(b, ')');
	if (!rc)
		rc = view_where(c, b, v);
	if (!rc)
		rc = sl_buf_puts(b, "; ");
	if (!rc && s)
		rc = sl_buf_puts(b, "DELETE FROM \"" XD_GUARD "\"; ");
	return rc ? rc : sl_buf_puts(b, "END");
}

static int view_create(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	const sl_xview *v = a->view;
	sl_buf b = SL_BUF_INIT;
	char *t = NULL;
	int rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
	if (!rc)
		rc = view_name(c, &b, v->version, v->name);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	if (!rc)
		rc = sl_buf_puts(&b, "CREATE VIEW ");
	if (!rc)
		rc = view_name(c, &b, v->version, v->name);
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
		rc = xd_q(c, &b, v->table);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	if (!rc)
		rc = insert_trigger(c, v, &b);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	if (!rc && v->nkey) {
		rc = update_trigger(c, v, &b);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
		if (!rc && asprintf(&t, "%s_%s_del", v->version, v->name) < 0)
			rc = sl_error_nomem();
		if (!rc)
			rc = sl_buf_puts(&b, "CREATE TRIGGER ");
		if (!rc)
			rc = xd_q(c, &b, t);
		if (!rc)
			rc = sl_buf_puts(&b, " INSTEAD OF DELETE ON ");
		if (!rc)
			rc = view_name(c, &b, v->version, v->name);
		if (!rc)
			rc = sl_buf_puts(&b, " FOR EACH ROW BEGIN DELETE FROM ");
		if (!rc)
			rc = xd_q(c, &b, v->table);
		if (!rc)
			rc = view_where(c, &b, v);
		if (!rc)
			rc = sl_buf_puts(&b, "; END");
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	free(t);
	sl_buf_free(&b);
	return rc;
}

/* Drops the views "<version>_*" (their triggers go with them). */
static int version_drop(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf q = SL_BUF_INIT, b = SL_BUF_INIT;
	xd_strings views = { 0 };
	char *prefix = NULL;
	int rc = 0;
	if (!a->version)
		return 0;
	if (asprintf(&prefix, "%s_", a->version) < 0)
		return sl_error_nomem();
	rc = sl_buf_puts(&q, "SELECT name FROM sqlite_master WHERE type = 'view' AND substr(name, 1, ");
	if (!rc)
		rc = sl_buf_printf(&q, "%zu) = ", strlen(prefix));
	if (!rc)
		rc = xd_lit(c, &q, prefix);
	if (!rc)
		rc = xd_strings_query(c, q.ptr, &views);
	for (size_t i = 0; !rc && i < views.n; i++) {
		rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
		if (!rc)
			rc = xd_q(c, &b, views.items[i]);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	xd_strings_free(&views);
	free(prefix);
	sl_buf_free(&q);
	sl_buf_free(&b);
	return rc;
}

/* ---- the action table -------------------------------------------------------------------------- */

/* The actions on a table of its own: columns added, dropped or renamed, the table renamed, indexes. */
static int sq_table_sql(sl_conn *c, const sl_xact *a, sl_buf *b)
{
	int rc = 0;
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
		rc = sl_buf_puts(b, "ALTER TABLE ");
		if (!rc)
			rc = xd_q(c, b, a->table);
		if (!rc)
			rc = sl_buf_puts(b, " ADD COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_printf(b, " %s", a->decl);
		if (!rc && a->default_expr)
			rc = sl_buf_printf(b, " DEFAULT %s", a->default_expr);
		if (!rc && a->not_null)
			rc = sl_buf_puts(b, " NOT NULL");
		break;
	case SL_XA_DROP_COLUMN:
		rc = sl_buf_puts(b, "ALTER TABLE ");
		if (!rc)
			rc = xd_q(c, b, a->table);
		if (!rc)
			rc = sl_buf_puts(b, " DROP COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		break;
	case SL_XA_RENAME_COLUMN:
		rc = sl_buf_puts(b, "ALTER TABLE ");
		if (!rc)
			rc = xd_q(c, b, a->table);
		if (!rc)
			rc = sl_buf_puts(b, " RENAME COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_puts(b, " TO ");
		if (!rc)
			rc = xd_q(c, b, a->to);
		break;
	case SL_XA_RENAME_TABLE:
		rc = sl_buf_puts(b, "ALTER TABLE ");
		if (!rc)
			rc = xd_q(c, b, a->table);
		if (!rc)
			rc = sl_buf_puts(b, " RENAME TO ");
		if (!rc)
			rc = xd_q(c, b, a->to);
		break;
	case SL_XA_ADD_INDEX:
		rc = sl_buf_printf(b, "CREATE %sINDEX IF NOT EXISTS ", a->unique ? "UNIQUE " : "");
		if (!rc)
			rc = xd_q(c, b, a->name);
		if (!rc)
			rc = sl_buf_puts(b, " ON ");
		if (!rc)
			rc = xd_q(c, b, a->table);
		if (!rc)
			rc = sl_buf_puts(b, " (");
		if (!rc)
			rc = xd_cols(c, b, a->cols, a->ncols);
		if (!rc)
			rc = sl_buf_putc(b, ')');
		break;
	case SL_XA_DROP_INDEX:
		rc = sl_buf_puts(b, "DROP INDEX IF EXISTS ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		break;
	default:
		break;
	}
	return rc;
}

static int sq_render(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
	case SL_XA_DROP_COLUMN:
	case SL_XA_RENAME_COLUMN:
	case SL_XA_RENAME_TABLE:
	case SL_XA_ADD_INDEX:
	case SL_XA_DROP_INDEX:
		rc = sq_table_sql(c, a, &b);
		break;
	case SL_XA_SET_NOT_NULL:
	case SL_XA_ADD_NOT_NULL_CHECK:
		rc = unsupported(a, "NOT NULL");
		break;
	case SL_XA_ADD_CHECK:
		rc = unsupported(a, "a check constraint");
		break;
	case SL_XA_ADD_FOREIGN_KEY:
		rc = unsupported(a, "a foreign key");
		break;
	case SL_XA_VALIDATE:
	case SL_XA_DROP_CONSTRAINT:
		break; /* nothing was added that needs it */
	case SL_XA_RENAME_INDEX:
	case SL_XA_ATTACH_UNIQUE: /* no RENAME INDEX: built again under the old name */
		if (strcmp(a->name, a->to) == 0)
			break;
		rc = sl_buf_puts(&b, "DROP INDEX IF EXISTS ");
		if (!rc)
			rc = xd_q(c, &b, a->name);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
		if (!rc)
			rc = sq_render(c,
				       &(sl_xact){ .kind = SL_XA_ADD_INDEX,
						   .table = a->table,
						   .name = a->to,
						   .cols = a->cols,
						   .ncols = a->ncols,
						   .unique = a->unique },
				       out);
		break;
	case SL_XA_SYNC_CREATE:
		rc = sl_xsql_add(out, 0, "CREATE TABLE IF NOT EXISTS \"" XD_GUARD "\" (n INTEGER)");
		if (!rc)
			rc = drop_triggers(c, a->sync->name, out);
		if (!rc)
			rc = base_triggers(c, a->sync, out);
		break;
	case SL_XA_SYNC_DROP: /* one migration is in expand at a time: its syncs all go together */
		rc = drop_triggers(c, a->name, out);
		if (!rc && a->version)
			rc = drop_view_triggers(c, a->version, a->to ? a->to : a->table, out);
		if (!rc)
			rc = sl_xsql_add(out, 0, "DROP TABLE IF EXISTS \"" XD_GUARD "\"");
		break;
	case SL_XA_VERSION_CREATE:
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
			rc = view_name(c, &b, a->version, a->name);
		break;
	case SL_XA_LOCK_VIEWS: /* every DDL statement commits on its own: nothing to order */
		break;
	default:
		rc = sl_error_set(SL_EINVALID, "expand: unknown action %d", (int)a->kind);
	}
	if (!rc && b.len)
		rc = sl_xsql_add_buf(out, 0, &b);
	sl_buf_free(&b);
	return rc;
}

static int sq_lock_timeout(sl_buf *out, long ms)
{
	return sl_buf_printf(out, "PRAGMA busy_timeout = %ld", ms);
}

static bool sq_lock_failed(const sl_error *e)
{
	return e->code == SL_ELOCKED;
}

static int sq_backfill_session(sl_conn *c, sl_xsql *out)
{
	(void)c;
	(void)out;
	return 0; /* the base triggers never fire on the backfill's writes: it changes no source column */
}

/* What SQLite's ALTER TABLE cannot do, per operation kind (sl_xop_kind). */
static const char *const refusals[SL_XOP__COUNT] = {
	[SL_XOP_SET_NOT_NULL] =
		"SQLite cannot add NOT NULL to an existing column without rebuilding the table",
	[SL_XOP_ADD_CHECK] =
		"SQLite cannot add a check constraint to an existing table without rebuilding it",
	[SL_XOP_ADD_FOREIGN_KEY] =
		"SQLite cannot add a foreign key to an existing table without rebuilding it",
};

const sl_expand_dialect sl_expand_sqlite = {
	.refusals = refusals,
	.refuse_add_not_null = "SQLite cannot add a NOT NULL column without a default",
	.refuse_replace_not_null =
		"SQLite cannot add NOT NULL to the replacement column without rebuilding the table",
	.render = sq_render,
	.lock_timeout = sq_lock_timeout,
	.lock_failed = sq_lock_failed,
	.backfill_session = sq_backfill_session,
	.sessions = NULL,
	.sessions_conclusive = false,
	.drops_inline_unique = false,
	.text_type = "TEXT",
	.max_name = 0,
	.version_is_container = false,
};
