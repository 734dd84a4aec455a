/*
 * lint_pg.c - PostgreSQL rules read from the parse tree: libpg_query parses
 * each up statement into JSON (pg_query_parse), jansson reads the node types.
 * "Existing table" means a table this migration did not create in an
 * earlier statement of the same section: the rules do not know the
 * database, so a table created by an earlier migration counts as existing.
 * A statement libpg_query cannot parse is skipped here; apply-failed reports
 * it when a target is given. Rules and their limits: docs/lint/<id>.md.
 */
#include "lint_int.h"
#include "sluice/lint.h"

#include <jansson.h>
#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/util.h"

/* dialect table: every rule of this file reads PostgreSQL's SQL, through PostgreSQL's own parser */
const sl_engine lint_pg_dialect = SL_ENGINE_POSTGRES;

/*
 * Functions whose DEFAULT in ADD COLUMN forces PostgreSQL to rewrite the
 * table (and evaluate per row). now(), current_timestamp, statement_timestamp
 * and transaction_timestamp are stable: since PostgreSQL 11 their value is
 * computed once and stored in the catalog, without a rewrite.
 */
static const char *const volatile_funcs[] = { "random",
					      "random_normal",
					      "clock_timestamp",
					      "timeofday",
					      "gen_random_uuid",
					      "gen_random_bytes",
					      "uuid_generate_v1",
					      "uuid_generate_v1mc",
					      "uuid_generate_v4",
					      "uuidv4",
					      "uuidv7",
					      "nextval",
					      "setval",
					      "txid_current",
					      "pg_current_xact_id",
					      NULL };

/* Column types that imply a nextval() default (a sequence per row). */
static const char *const serial_types[] = { "serial",  "bigserial", "smallserial", "serial2",
					    "serial4", "serial8",   NULL };

typedef struct pgctx {
	sl_lint_report *r;
	const sl_migration *m;
	const sl_migration_part *part;
	const sl_stmt *st;
	json_t *created; /* object: names of tables created so far in this section */
} pgctx;

/* The file line of a byte location inside the current statement (-1 or absent: its first line). */
static size_t line_at(const pgctx *x, json_t *node)
{
	json_int_t loc = json_integer_value(json_object_get(node, "location"));
	size_t line = x->st->line;
	for (json_int_t i = 0; i < loc && (size_t)i < x->st->len; i++)
		if (x->st->text[i] == '\n')
			line++;
	return line;
}

static bool existing(const pgctx *x, const char *table)
{
	return table && !json_object_get(x->created, table);
}

/* The last name of a list of {"String":{"sval":...}} (a qualified function or type name). */
static const char *last_name(json_t *names)
{
	size_t n = json_array_size(names);
	return n ? sl_json_get_str(json_object_get(json_array_get(names, n - 1), "String"), "sval") : NULL;
}

/* First volatile function called anywhere in an expression tree, or NULL. */
static const char *find_volatile(json_t *node)
{
	const char *key, *hit = NULL;
	json_t *v;
	size_t i;
	if (json_is_array(node)) {
		json_array_foreach(node, i, v) if ((hit = find_volatile(v))) return hit;
		return NULL;
	}
	if (!json_is_object(node))
		return NULL;
	json_t *fc = json_object_get(node, "FuncCall");
	if (fc) {
		const char *name = last_name(json_object_get(fc, "funcname"));
		if (sl_str_in(name, volatile_funcs, SL_STRV_NULL_ENDED))
			return name;
	}
	json_object_foreach(node, key, v) if ((hit = find_volatile(v))) return hit;
	return NULL;
}

static int on_index(pgctx *x, json_t *ix)
{
	json_t *rel = json_object_get(ix, "relation");
	const char *table = sl_json_get_str(rel, "relname");
	bool conc = json_is_true(json_object_get(ix, "concurrent"));
	if (conc && !x->part->no_tx)
		return sl_lint_add(x->r, "concurrently-in-transaction", x->m, x->st->line,
				   "CREATE INDEX CONCURRENTLY on \"%s\" cannot run inside a transaction: "
				   "mark the section \"-- +sluice up no-transaction\"",
				   table ? table : "?");
	if (!conc && existing(x, table))
		return sl_lint_add(x->r, "index-not-concurrent", x->m, x->st->line,
				   "CREATE INDEX on existing table \"%s\" without CONCURRENTLY blocks writes "
				   "while it builds",
				   table);
	return 0;
}

static int on_add_constraint(pgctx *x, const char *table, json_t *cmd)
{
	json_t *con = json_object_get(json_object_get(cmd, "def"), "Constraint");
	const char *type = sl_json_get_str(con, "contype"), *name = sl_json_get_str(con, "conname");
	bool fk = type && strcmp(type, "CONSTR_FOREIGN") == 0,
	     check = type && strcmp(type, "CONSTR_CHECK") == 0;
	if (!(fk || check) || json_is_true(json_object_get(con, "skip_validation")) || !existing(x, table))
		return 0;
	return sl_lint_add(
		x->r, "constraint-not-valid", x->m, line_at(x, con),
		"%s%s%s%s on existing table \"%s\" without NOT VALID scans the table under a lock; "
		"add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
		fk ? "foreign key" : "check constraint", name ? " \"" : "", name ? name : "",
		name ? "\"" : "", table);
}

static int on_add_column(pgctx *x, const char *table, json_t *cmd)
{
	json_t *col = json_object_get(json_object_get(cmd, "def"), "ColumnDef"), *c;
	const char *name = sl_json_get_str(col, "colname"), *why = NULL;
	size_t i;
	if (!existing(x, table))
		return 0;
	const char *type = last_name(json_object_get(json_object_get(col, "typeName"), "names"));
	if (sl_str_in(type, serial_types, SL_STRV_NULL_ENDED))
		why = type;
	json_array_foreach(json_object_get(col, "constraints"), i, c)
	{
		json_t *con = json_object_get(c, "Constraint");
		const char *ct = sl_json_get_str(con, "contype");
		if (!why && ct && strcmp(ct, "CONSTR_DEFAULT") == 0)
			why = find_volatile(json_object_get(con, "raw_expr"));
		else if (!why && ct && strcmp(ct, "CONSTR_IDENTITY") == 0)
			why = "an identity column";
	}
	if (!why)
		return 0;
	return sl_lint_add(
		x->r, "volatile-default", x->m, line_at(x, col),
		"ADD COLUMN \"%s\" to existing table \"%s\" with a volatile default (%s%s) rewrites "
		"the table under an exclusive lock; add the column without it, then backfill in batches",
		name ? name : "?", table, why,
		strchr(why, ' ') || sl_str_in(why, serial_types, SL_STRV_NULL_ENDED) ? "" : "()");
}

static int on_alter(pgctx *x, json_t *at)
{
	const char *table = sl_json_get_str(json_object_get(at, "relation"), "relname"),
		   *objtype = sl_json_get_str(at, "objtype");
	json_t *item;
	size_t i;
	int rc = 0;
	if (objtype && strcmp(objtype, "OBJECT_TABLE") != 0)
		return 0;
	json_array_foreach(json_object_get(at, "cmds"), i, item)
	{
		json_t *cmd = json_object_get(item, "AlterTableCmd");
		const char *sub = sl_json_get_str(cmd, "subtype");
		if (!sub)
			continue;
		if (strcmp(sub, "AT_AddConstraint") == 0)
			rc = on_add_constraint(x, table, cmd);
		else if (strcmp(sub, "AT_AddColumn") == 0)
			rc = on_add_column(x, table, cmd);
		else if (strcmp(sub, "AT_AlterColumnType") == 0 && existing(x, table))
			rc = sl_lint_add(
				x->r, "column-type-rewrite", x->m,
				line_at(x, json_object_get(json_object_get(cmd, "def"), "ColumnDef")),
				"ALTER COLUMN \"%s\" TYPE on existing table \"%s\" may rewrite the table and "
				"its indexes under an exclusive lock",
				sl_json_get_str(cmd, "name") ? sl_json_get_str(cmd, "name") : "?", table);
		if (rc)
			break;
	}
	return rc;
}

static void remember_created(pgctx *x, json_t *stmt)
{
	json_t *cs = json_object_get(stmt, "CreateStmt"), *ctas = json_object_get(stmt, "CreateTableAsStmt");
	const char *name = NULL;
	if (cs)
		name = sl_json_get_str(json_object_get(cs, "relation"), "relname");
	else if (ctas)
		name = sl_json_get_str(json_object_get(json_object_get(ctas, "into"), "rel"), "relname");
	if (name)
		json_object_set_new(x->created, name, json_true());
}

static int lint_statement(pgctx *x)
{
	PgQueryParseResult pr = pg_query_parse(x->st->text);
	json_t *root = NULL, *item;
	size_t i;
	int rc = 0;
	if (pr.error || !pr.parse_tree)
		goto done; /* not PostgreSQL we can read: apply-failed tells, with a target */
	if (!(root = json_loads(pr.parse_tree, 0, NULL))) {
		rc = sl_error_nomem();
		goto done;
	}
	json_array_foreach(json_object_get(root, "stmts"), i, item)
	{
		json_t *stmt = json_object_get(item, "stmt"), *n;
		if ((n = json_object_get(stmt, "IndexStmt")))
			rc = on_index(x, n);
		else if ((n = json_object_get(stmt, "AlterTableStmt")))
			rc = on_alter(x, n);
		else
			remember_created(x, stmt);
		if (rc)
			break;
	}
done:
	json_decref(root);
	pg_query_free_parse_result(pr);
	return rc;
}

int sl_lint_pg(sl_lint_report *r, const sl_migration *m, const sl_migration_part *part)
{
	sl_stmt_list list = SL_STMT_LIST_INIT;
	sl_sql_split_options o = SL_SQL_SPLIT_OPTIONS_INIT;
	pgctx x = { .r = r, .m = m, .part = part, .created = json_object() };
	int rc = 0;

	if (!x.created) {
		rc = sl_error_nomem();
		goto done;
	}
	o.origin = m->path;
	o.first_line = part->line;
	if ((rc = sl_sql_split_ext(&list, lint_pg_dialect, part->sql, part->len, &o)))
		goto done;
	for (size_t i = 0; !rc && i < list.n; i++) {
		x.st = &list.items[i];
		rc = lint_statement(&x);
	}
done:
	json_decref(x.created);
	sl_stmt_list_free(&list);
	return rc;
}
