/*
 * expand_pg.c - expand/contract SQL for PostgreSQL (sys/expand_dialect.h).
 *
 * A version is a schema of views, one per table; simple views are
 * updatable, so the applications of a version read and write through them.
 * The version of a write is the first schema of the writer's search_path
 * (current_schema()).
 * The triggers are one PL/pgSQL function per table, BEFORE INSERT and
 * BEFORE UPDATE OF the columns that matter: they only assign to NEW, so
 * nothing they do fires a trigger again. Expressions see the columns of
 * their shape as local variables of the function. Constraints are added
 * NOT VALID and validated later; NOT NULL is a validated check first, which
 * lets SET NOT NULL skip its scan; indexes are built CONCURRENTLY. Every
 * statement waits at most lock_timeout for its lock.
 */
#include "expand_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"

static int alter(sl_conn *c, sl_buf *b, const sl_xact *a)
{
	int rc = sl_buf_puts(b, "ALTER TABLE ");
	return rc ? rc : xd_qt(c, b, a->base, a->table);
}

static const char *fk_action(const char *s)
{
	return s; /* the parser keeps one of: cascade, restrict, set null, set default, no action */
}

/* ---- triggers ---------------------------------------------------------------------------- */

/* DECLARE block with the locals of scope that the assignments read. */
static int locals(sl_conn *c, sl_buf *b, const sl_xscope_col *scope, size_t n, const sl_xassign *as,
		  size_t na, bool update)
{
	int rc = sl_buf_puts(b, "DECLARE ");
	bool any = false;
	for (size_t i = 0; !rc && i < n; i++) {
		if (!xd_scope_used(&scope[i], as, na, update))
			continue;
		if (strcasecmp(scope[i].name, "new") == 0 || strcasecmp(scope[i].name, "old") == 0)
			return sl_error_set(
				SL_EINVALID,
				"column \"%s\" cannot be named in an expression on PostgreSQL (it hides the "
				"trigger's row); rename it first",
				scope[i].name);
		if (!scope[i].decl)
			return sl_error_set(SL_EINVALID, "no declared type known for column \"%s\"",
					    scope[i].name);
		rc = xd_q(c, b, scope[i].name);
		if (!rc)
			rc = sl_buf_printf(b, " %s := NEW.", scope[i].decl);
		if (!rc)
			rc = xd_q(c, b, scope[i].physical);
		if (!rc)
			rc = sl_buf_puts(b, "; ");
		any = true;
	}
	if (!rc && !any)
		rc = sl_buf_puts(b, "sluice_none boolean; ");
	return rc;
}

/* A block assigning each of as (on updates, only those whose flag is set). */
static int assign_block(sl_conn *c, sl_buf *b, const sl_xscope_col *scope, size_t n, const sl_xassign *as,
			size_t na, bool update, const char *flag)
{
	int rc = locals(c, b, scope, n, as, na, update);
	if (!rc)
		rc = sl_buf_puts(b, "BEGIN ");
	for (size_t i = 0; !rc && i < na; i++) {
		if (update && as[i].insert_only)
			continue;
		if (update)
			rc = sl_buf_printf(b, "IF %s%zu THEN ", flag, i);
		if (!rc)
			rc = sl_buf_puts(b, "NEW.");
		if (!rc)
			rc = xd_q(c, b, as[i].target);
		if (!rc)
			rc = sl_buf_printf(b, " := (%s); ", as[i].expr);
		if (!rc && update)
			rc = sl_buf_puts(b, "END IF; ");
	}
	if (!rc)
		rc = sl_buf_puts(b, "END; ");
	return rc;
}

static int flags_any(sl_buf *b, const sl_xassign *as, size_t n, const char *flag)
{
	int rc = 0;
	bool first = true;
	for (size_t i = 0; !rc && i < n; i++) {
		if (as[i].insert_only)
			continue;
		rc = sl_buf_printf(b, "%s%s%zu", first ? "" : " OR ", flag, i);
		first = false;
	}
	return rc;
}

static int function_body(sl_conn *c, sl_buf *b, const sl_xsync *s)
{
	int rc = sl_buf_puts(b, "DECLARE ");
	for (size_t i = 0; !rc && i < s->nup; i++)
		rc = sl_buf_printf(b, "sluice_u%zu boolean := false; ", i);
	for (size_t i = 0; !rc && i < s->ndown; i++)
		rc = sl_buf_printf(b, "sluice_d%zu boolean := false; ", i);
	if (!rc)
		rc = sl_buf_puts(b,
				 "BEGIN IF TG_OP = 'INSERT' THEN IF current_schema() IS NOT DISTINCT FROM ");
	if (!rc)
		rc = xd_lit(c, b, s->version);
	if (!rc)
		rc = sl_buf_puts(b, " THEN ");
	if (!rc)
		rc = s->ndown ? assign_block(c, b, s->new_scope, s->nnew, s->down, s->ndown, false, NULL)
			      : sl_buf_puts(b, "NULL; ");
	if (!rc)
		rc = sl_buf_puts(b, "ELSE ");
	if (!rc)
		rc = s->nup ? assign_block(c, b, s->old_scope, s->nold, s->up, s->nup, false, NULL)
			    : sl_buf_puts(b, "NULL; ");
	/* the backfill only updates: its session is asked about on updates only */
	if (!rc)
		rc = sl_buf_puts(
			b,
			"END IF; ELSIF current_setting('sluice.backfill', true) IS DISTINCT FROM 'on' THEN ");
	for (int up = 1; !rc && up >= 0; up--) {
		const sl_xassign *as = up ? s->up : s->down;
		size_t n = up ? s->nup : s->ndown;
		for (size_t i = 0; !rc && i < n; i++) {
			if (as[i].insert_only)
				continue;
			rc = sl_buf_printf(b, "sluice_%c%zu := ", up ? 'u' : 'd', i);
			if (!rc)
				rc = xd_change_cond(c, b, &as[i], XD_CMP_PG, "OLD", "NEW");
			if (!rc)
				rc = sl_buf_puts(b, "; ");
		}
		if (!rc && xd_any(as, n, true)) {
			rc = sl_buf_puts(b, "IF ");
			if (!rc)
				rc = flags_any(b, as, n, up ? "sluice_u" : "sluice_d");
			if (!rc)
				rc = sl_buf_puts(b, " THEN ");
			if (!rc)
				rc = assign_block(c, b, up ? s->old_scope : s->new_scope,
						  up ? s->nold : s->nnew, as, n, true,
						  up ? "sluice_u" : "sluice_d");
			if (!rc)
				rc = sl_buf_puts(b, "END IF; ");
		}
	}
	if (!rc)
		rc = sl_buf_puts(b, "END IF; RETURN NEW; END");
	return rc;
}

/* The columns an update must name for an assignment to fire. */
static int update_columns(sl_conn *c, sl_buf *b, const sl_xsync *s, bool *any)
{
	const char *seen[256];
	size_t nseen = 0;
	int rc = 0;
	*any = false;
	for (int up = 1; !rc && up >= 0; up--) {
		const sl_xassign *as = up ? s->up : s->down;
		size_t n = up ? s->nup : s->ndown;
		for (size_t i = 0; !rc && i < n; i++) {
			if (as[i].insert_only)
				continue;
			for (size_t j = 0; !rc && j <= as[i].nsources; j++) {
				const char *col = j < as[i].nsources ? as[i].sources[j] : as[i].target;
				bool dup = false;
				for (size_t k = 0; k < nseen; k++)
					dup = dup || strcmp(seen[k], col) == 0;
				if (dup || nseen == 256)
					continue;
				seen[nseen++] = col;
				if (*any)
					rc = sl_buf_puts(b, ", ");
				if (!rc)
					rc = xd_q(c, b, col);
				*any = true;
			}
		}
	}
	return rc;
}

static int sync_create(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	const sl_xsync *s = a->sync;
	sl_buf body = SL_BUF_INIT, b = SL_BUF_INIT, cols = SL_BUF_INIT;
	const char *tag = "$sluice$";
	bool upd = false;
	int rc = function_body(c, &body, s);
	if (!rc && strstr(sl_buf_cstr(&body), tag))
		tag = "$sluice_expand_body$";
	if (!rc)
		rc = sl_buf_puts(&b, "CREATE OR REPLACE FUNCTION ");
	if (!rc)
		rc = xd_qt(c, &b, s->base, s->name);
	if (!rc)
		rc = sl_buf_printf(&b, "() RETURNS trigger LANGUAGE plpgsql AS %s %s %s", tag,
				   sl_buf_cstr(&body), tag);
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	for (int k = 0; !rc && k < 2; k++) {
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = sl_buf_printf(&b, "\"%s%s\" ON ", s->name, k ? "_u" : "");
		if (!rc)
			rc = xd_qt(c, &b, s->base, s->table);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	if (!rc)
		rc = sl_buf_printf(&b, "CREATE TRIGGER \"%s\" BEFORE INSERT ON ", s->name);
	if (!rc)
		rc = xd_qt(c, &b, s->base, s->table);
	if (!rc)
		rc = sl_buf_puts(&b, " FOR EACH ROW EXECUTE FUNCTION ");
	if (!rc)
		rc = xd_qt(c, &b, s->base, s->name);
	if (!rc)
		rc = sl_buf_puts(&b, "()");
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	if (!rc)
		rc = update_columns(c, &cols, s, &upd);
	if (!rc && upd) {
		rc = sl_buf_printf(&b, "CREATE TRIGGER \"%s_u\" BEFORE UPDATE OF %s ON ", s->name,
				   sl_buf_cstr(&cols));
		if (!rc)
			rc = xd_qt(c, &b, s->base, s->table);
		if (!rc)
			rc = sl_buf_puts(&b, " FOR EACH ROW EXECUTE FUNCTION ");
		if (!rc)
			rc = xd_qt(c, &b, s->base, s->name);
		if (!rc)
			rc = sl_buf_puts(&b, "()");
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	sl_buf_free(&body);
	sl_buf_free(&b);
	sl_buf_free(&cols);
	return rc;
}

static int sync_drop(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (int k = 0; !rc && k < 2; k++) {
		rc = sl_buf_printf(&b, "DROP TRIGGER IF EXISTS \"%s%s\" ON ", a->name, k ? "_u" : "");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->table);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	if (!rc)
		rc = sl_buf_puts(&b, "DROP FUNCTION IF EXISTS ");
	if (!rc)
		rc = xd_qt(c, &b, a->base, a->name);
	if (!rc)
		rc = sl_buf_puts(&b, "()");
	if (!rc)
		rc = sl_xsql_add_buf(out, 0, &b);
	sl_buf_free(&b);
	return rc;
}

/* ---- versions and views ---------------------------------------------------------------------- */

static int view_create(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	const sl_xview *v = a->view;
	sl_buf b = SL_BUF_INIT, q = SL_BUF_INIT;
	xd_strings grants = { 0 };
	int rc = sl_buf_puts(&b, "CREATE OR REPLACE VIEW ");
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
	/* whoever may use the table may use its view */
	if (!rc)
		rc = sl_buf_puts(&q, "SELECT grantee, string_agg(privilege_type, ', ') FROM "
				     "information_schema.role_table_grants "
				     "WHERE table_schema = ");
	if (!rc)
		rc = xd_lit(c, &q, v->base);
	if (!rc)
		rc = sl_buf_puts(&q, " AND table_name = ");
	if (!rc)
		rc = xd_lit(c, &q, v->table);
	if (!rc)
		rc = sl_buf_puts(
			&q,
			" AND grantee <> current_user AND privilege_type IN ('SELECT', 'INSERT', 'UPDATE', "
			"'DELETE') GROUP BY grantee ORDER BY grantee");
	if (!rc)
		rc = xd_strings_query(c, q.ptr, &grants);
	for (size_t i = 0; !rc && i < grants.n; i++) {
		char *tab = strchr(grants.items[i], '\t');
		if (!tab)
			continue;
		*tab = '\0';
		bool pub = strcmp(grants.items[i], "PUBLIC") == 0;
		rc = sl_buf_printf(&b, "GRANT %s ON ", tab + 1);
		if (!rc)
			rc = xd_qt(c, &b, v->version, v->name);
		if (!rc)
			rc = sl_buf_puts(&b, " TO ");
		if (!rc)
			rc = pub ? sl_buf_puts(&b, "PUBLIC") : xd_q(c, &b, grants.items[i]);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
		if (!rc)
			rc = sl_buf_puts(&b, "GRANT USAGE ON SCHEMA ");
		if (!rc)
			rc = xd_q(c, &b, v->version);
		if (!rc)
			rc = sl_buf_puts(&b, " TO ");
		if (!rc)
			rc = pub ? sl_buf_puts(&b, "PUBLIC") : xd_q(c, &b, grants.items[i]);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	xd_strings_free(&grants);
	sl_buf_free(&q);
	sl_buf_free(&b);
	return rc;
}

/* Drops the views of a version schema, and the schema when nothing else is in it. */
static int version_drop(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf q = SL_BUF_INIT, b = SL_BUF_INIT;
	xd_strings views = { 0 }, others = { 0 };
	int rc = 0;
	if (!a->version)
		return 0;
	rc = sl_buf_puts(
		&q,
		"SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE n.nspname = ");
	if (!rc)
		rc = xd_lit(c, &q, a->version);
	if (!rc)
		rc = sl_buf_puts(&q, " UNION ALL SELECT p.proname, 'f' FROM pg_proc p JOIN pg_namespace n ON "
				     "n.oid = p.pronamespace WHERE n.nspname = ");
	if (!rc)
		rc = xd_lit(c, &q, a->version);
	if (!rc)
		rc = xd_strings_query(c, q.ptr, &views);
	for (size_t i = 0; !rc && i < views.n; i++) {
		char *tab = strchr(views.items[i], '\t');
		if (!tab || strcmp(tab + 1, "v") != 0) {
			others.n++;
			continue;
		}
		*tab = '\0';
		rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->version, views.items[i]);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	if (!rc && !others.n) {
		rc = sl_buf_puts(&b, "DROP SCHEMA IF EXISTS ");
		if (!rc)
			rc = xd_q(c, &b, a->version);
		if (!rc)
			rc = sl_xsql_add_buf(out, 0, &b);
	}
	xd_strings_free(&views);
	sl_buf_free(&q);
	sl_buf_free(&b);
	return rc;
}

/* ---- indexes and constraints ------------------------------------------------------------------------ */

/* CREATE INDEX CONCURRENTLY, after dropping an invalid leftover of a failed build. */
static int add_index(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf q = SL_BUF_INIT, b = SL_BUF_INIT;
	xd_strings st = { 0 };
	int rc =
		sl_buf_puts(&q, "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
				"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ");
	if (!rc)
		rc = xd_lit(c, &q, a->base);
	if (!rc)
		rc = sl_buf_puts(&q, " AND c.relname = ");
	if (!rc)
		rc = xd_lit(c, &q, a->name);
	if (!rc)
		rc = xd_strings_query(c, q.ptr, &st);
	if (rc || (st.n && strcmp(st.items[0], "true") == 0))
		goto done;
	if (st.n) {
		rc = sl_buf_puts(&b, "DROP INDEX CONCURRENTLY IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->name);
		if (!rc)
			rc = sl_xsql_add_buf(out, SL_XS_NO_TX, &b);
	}
	if (!rc)
		rc = sl_buf_printf(&b, "CREATE %sINDEX CONCURRENTLY ", a->unique ? "UNIQUE " : "");
	if (!rc)
		rc = xd_q(c, &b, a->name);
	if (!rc)
		rc = sl_buf_puts(&b, " ON ");
	if (!rc)
		rc = xd_qt(c, &b, a->base, a->table);
	if (!rc)
		rc = sl_buf_puts(&b, " (");
	if (!rc)
		rc = xd_cols(c, &b, a->cols, a->ncols);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_xsql_add_buf(out, SL_XS_NO_TX, &b);
done:
	xd_strings_free(&st);
	sl_buf_free(&q);
	sl_buf_free(&b);
	return rc;
}

static int add_constraint(sl_conn *c, const sl_xact *a, sl_buf *b)
{
	int rc = alter(c, b, a);
	if (!rc)
		rc = sl_buf_puts(b, " ADD CONSTRAINT ");
	if (!rc)
		rc = xd_q(c, b, a->name);
	if (rc)
		return rc;
	switch (a->kind) {
	case SL_XA_ADD_NOT_NULL_CHECK:
		rc = sl_buf_puts(b, " CHECK (");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_puts(b, " IS NOT NULL)");
		break;
	case SL_XA_ADD_CHECK:
		rc = sl_buf_printf(b, " CHECK (%s)", a->expr);
		break;
	default:
		rc = sl_buf_puts(b, " FOREIGN KEY (");
		if (!rc)
			rc = xd_cols(c, b, a->cols, a->ncols);
		if (!rc)
			rc = sl_buf_puts(b, ") REFERENCES ");
		if (!rc)
			rc = xd_qt(c, b, a->base, a->ref_table);
		if (!rc)
			rc = sl_buf_puts(b, " (");
		if (!rc)
			rc = xd_cols(c, b, a->ref_cols, a->nref_cols);
		if (!rc)
			rc = sl_buf_putc(b, ')');
		if (!rc && a->on_delete)
			rc = sl_buf_printf(b, " ON DELETE %s", fk_action(a->on_delete));
		if (!rc && a->on_update)
			rc = sl_buf_printf(b, " ON UPDATE %s", fk_action(a->on_update));
	}
	return rc ? rc : sl_buf_puts(b, " NOT VALID");
}

/* ---- the action table ------------------------------------------------------------------------------- */

/* The ALTER TABLE actions: columns, the table's name, constraints validated or dropped, keys attached. */
static int pg_alter_sql(sl_conn *c, const sl_xact *a, sl_buf *b)
{
	int rc = 0;
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
		rc = alter(c, b, a);
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
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " DROP COLUMN IF EXISTS ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		break;
	case SL_XA_RENAME_COLUMN:
		rc = alter(c, b, a);
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
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " RENAME TO ");
		if (!rc)
			rc = xd_q(c, b, a->to);
		break;
	case SL_XA_SET_NOT_NULL: /* the validated check proves it: no scan */
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " ALTER COLUMN ");
		if (!rc)
			rc = xd_q(c, b, a->column);
		if (!rc)
			rc = sl_buf_puts(b, " SET NOT NULL");
		break;
	case SL_XA_VALIDATE:
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " VALIDATE CONSTRAINT ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		break;
	case SL_XA_DROP_CONSTRAINT:
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " DROP CONSTRAINT IF EXISTS ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		break;
	case SL_XA_ATTACH_UNIQUE:
		rc = alter(c, b, a);
		if (!rc)
			rc = sl_buf_puts(b, " ADD CONSTRAINT ");
		if (!rc)
			rc = xd_q(c, b, a->to);
		if (!rc)
			rc = sl_buf_puts(b, " UNIQUE USING INDEX ");
		if (!rc)
			rc = xd_q(c, b, a->name);
		break;
	default:
		break;
	}
	return rc;
}

static int pg_render(sl_conn *c, const sl_xact *a, sl_xsql *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
	case SL_XA_DROP_COLUMN:
	case SL_XA_RENAME_COLUMN:
	case SL_XA_RENAME_TABLE:
	case SL_XA_SET_NOT_NULL:
	case SL_XA_VALIDATE:
	case SL_XA_DROP_CONSTRAINT:
	case SL_XA_ATTACH_UNIQUE:
		rc = pg_alter_sql(c, a, &b);
		break;
	case SL_XA_ADD_NOT_NULL_CHECK:
	case SL_XA_ADD_CHECK:
	case SL_XA_ADD_FOREIGN_KEY:
		rc = add_constraint(c, a, &b);
		break;
	case SL_XA_ADD_INDEX:
		rc = add_index(c, a, out);
		break;
	case SL_XA_DROP_INDEX:
		rc = sl_buf_puts(&b, "DROP INDEX IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->name);
		break;
	case SL_XA_RENAME_INDEX:
		rc = sl_buf_puts(&b, "ALTER INDEX IF EXISTS ");
		if (!rc)
			rc = xd_qt(c, &b, a->base, a->name);
		if (!rc)
			rc = sl_buf_puts(&b, " RENAME TO ");
		if (!rc)
			rc = xd_q(c, &b, a->to);
		break;
	case SL_XA_SYNC_CREATE:
		rc = sync_create(c, a, out);
		break;
	case SL_XA_SYNC_DROP:
		rc = sync_drop(c, a, out);
		break;
	case SL_XA_VERSION_CREATE:
		rc = sl_buf_puts(&b, "CREATE SCHEMA IF NOT EXISTS ");
		if (!rc)
			rc = xd_q(c, &b, a->version);
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
	case SL_XA_LOCK_VIEWS: /* a locked view locks its tables after itself, as a query through it does */
		if (!a->ncols)
			break;
		rc = sl_buf_puts(&b, "LOCK TABLE ");
		for (size_t i = 0; !rc && i < a->ncols; i++) {
			if (i)
				rc = sl_buf_puts(&b, ", ");
			if (!rc)
				rc = xd_qt(c, &b, a->version, a->cols[i]);
		}
		if (!rc)
			rc = sl_buf_puts(&b, " IN ACCESS EXCLUSIVE MODE");
		break;
	default:
		rc = sl_error_set(SL_EINVALID, "expand: unknown action %d", (int)a->kind);
	}
	if (!rc && b.len)
		rc = sl_xsql_add_buf(out, 0, &b);
	sl_buf_free(&b);
	return rc;
}

static int pg_lock_timeout(sl_buf *out, long ms)
{
	return sl_buf_printf(out, "SET lock_timeout = '%ldms'", ms);
}

static bool pg_lock_failed(const sl_error *e)
{
	return strcmp(e->sqlstate, "55P03") == 0 || strcmp(e->sqlstate, "40P01") == 0 ||
	       strcmp(e->sqlstate, "40001") == 0;
}

static int pg_backfill_session(sl_conn *c, sl_xsql *out)
{
	(void)c;
	return sl_xsql_add(out, SL_XS_SESSION, "SET sluice.backfill = 'on'");
}

typedef struct sess {
	const char *const *versions;
	size_t n;
	sl_xclient_fn fn;
	void *ud;
} sess;

static int on_session(void *ud, const sl_value *row, size_t ncols)
{
	sess *s = ud;
	sl_buf t[5] = { SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT };
	int rc = 0;
	for (size_t i = 1; !rc && i < 6 && i < ncols; i++)
		if (row[i].type != SL_V_NULL)
			rc = sl_value_format(&t[i - 1], &row[i]);
	const char *app = sl_buf_cstr(&t[0]), *locked = sl_buf_cstr(&t[3]), *query = sl_buf_cstr(&t[4]);
	sl_xclient cl = { .session = row[0].type == SL_V_INT ? row[0].u.i : 0,
			  .application = app,
			  .user = sl_buf_cstr(&t[1]),
			  .client = sl_buf_cstr(&t[2]) };
	/* the longest version named wins: "app_v12" over "app_v1" */
	for (int pass = 0; pass < 3 && !cl.version; pass++)
		for (size_t i = 0; i < s->n; i++) {
			const char *v = s->versions[i];
			const char *where = pass == 0 ? app : pass == 1 ? locked : query;
			if (!*v || !xd_names(where, v) || (cl.version && strlen(cl.version) >= strlen(v)))
				continue;
			cl.version = v;
			cl.why = pass == 0   ? " (application_name names it)"
				 : pass == 1 ? " (holds a lock on one of its views)"
					     : " (its current statement names it)";
		}
	if (!rc && strncmp(app, "sluice", 6) != 0)
		rc = s->fn(s->ud, &cl);
	for (int i = 0; i < 5; i++)
		sl_buf_free(&t[i]);
	return rc;
}

static int pg_sessions(sl_conn *c, const char *base, const char *const *versions, size_t n, sl_xclient_fn fn,
		       void *ud)
{
	sess s = { .versions = versions, .n = n, .fn = fn, .ud = ud };
	sl_buf q = SL_BUF_INIT;
	(void)base;
	int rc = sl_buf_puts(
		&q, "SELECT a.pid::int8, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), "
		    "coalesce(host(a.client_addr), ''), (SELECT string_agg(DISTINCT n.nspname, ' ') FROM "
		    "pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = "
		    "c.relnamespace WHERE l.pid = a.pid AND c.relkind = 'v'), coalesce(a.query, '') "
		    "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> "
		    "pg_backend_pid() AND a.backend_type = 'client backend' ORDER BY a.pid");
	if (!rc)
		rc = xd_rows(c, q.ptr, on_session, &s);
	sl_buf_free(&q);
	return rc;
}

const sl_expand_dialect sl_expand_postgres = {
	.render = pg_render,
	.lock_timeout = pg_lock_timeout,
	.lock_failed = pg_lock_failed,
	.backfill_session = pg_backfill_session,
	.sessions = pg_sessions,
	.sessions_conclusive = true,
	.drops_inline_unique = true,
	.text_type = "TEXT",
	.max_name = 63,
	.version_is_container = true,
};
