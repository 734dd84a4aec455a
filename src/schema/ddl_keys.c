/*
 * ddl_keys.c - the DDL phases that follow the load (include/sluice/ddl.h):
 * INDEXES (unique keys and indexes, the ones the target makes by itself
 * left out), CONSTRAINTS (checks, translated where the expression is
 * simple) and FOREIGN_KEYS (with the actions the target supports).
 */
#include "schema/ddl_int.h"
#include "sluice/ddl.h"
#include "schema/ddl_expr.h"
#include "sluice/arena.h"
#include "sluice/error.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- phase INDEXES ---------------------------------------------------- */

static bool same_cols(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/*
 * Indexes that exist only because of a key, or that InnoDB made for a
 * foreign key (named after the constraint) when the target is MySQL too: it
 * makes it again with the foreign key. Other targets get it as a plain
 * index, as the source's queries rely on it.
 */
static bool index_is_artefact(const gen *g, const sl_table *t, const sl_index *ix)
{
	bool expr = false;
	for (size_t i = 0; i < ix->ncolumns; i++)
		expr |= ix->is_expression && ix->is_expression[i];
	if (ix->primary)
		return true;
	if (ix->unique && !ix->where && !expr) {
		if (t->primary_key &&
		    same_cols(ix->columns, ix->ncolumns, t->primary_key->columns, t->primary_key->ncolumns))
			return true;
		for (size_t i = 0; i < t->nuniques; i++)
			if (same_cols(ix->columns, ix->ncolumns, t->uniques[i].columns,
				      t->uniques[i].ncolumns))
				return true;
	}
	if (g->same && g->e == SL_ENGINE_MYSQL && !ix->unique)
		for (size_t i = 0; i < t->nfkeys; i++)
			if (t->fkeys[i].name && strcmp(t->fkeys[i].name, ix->name) == 0)
				return true;
	return false;
}

static int add_unique(gen *g, const sl_cast_table *ct, const sl_key *k)
{
	sl_buf b = SL_BUF_INIT, n = SL_BUF_INIT;
	int rc = ddl_obj_name(g, &n, ct, k->name, k->columns, k->ncolumns, "key", NS_KEY);
	if (!rc && g->e == SL_ENGINE_SQLITE) {
		rc = sl_buf_printf(&b, "CREATE UNIQUE INDEX %s", g->if_not_exists ? "IF NOT EXISTS " : "");
		rc = rc ? rc : ddl_qi(&b, g, sl_buf_cstr(&n));
		rc = rc ? rc : sl_buf_puts(&b, " ON ");
		rc = rc ? rc : ddl_qi(&b, g, ct->name);
		rc = rc ? rc : sl_buf_putc(&b, ' ');
	} else if (!rc) {
		rc = sl_buf_puts(&b, "ALTER TABLE ");
		rc = rc ? rc : ddl_qname(&b, g, ct->name);
		rc = rc ? rc : sl_buf_puts(&b, " ADD CONSTRAINT ");
		rc = rc ? rc : ddl_qi(&b, g, sl_buf_cstr(&n));
		rc = rc ? rc : sl_buf_puts(&b, " UNIQUE ");
	}
	if (!rc)
		rc = ddl_qcols(&b, g, ct, k->columns, k->ncolumns);
	if (!rc)
		rc = ddl_add_stmt(g, SL_DDL_INDEXES, ct->name, &b);
	sl_buf_free(&b);
	sl_buf_free(&n);
	return rc;
}

/* One index element for the target; SL_EINVALID with *why when it cannot be carried. */
static int index_elem(sl_buf *b, gen *g, const sl_cast_table *ct, const sl_index *ix, size_t i,
		      const char **why)
{
	if (ix->is_expression && ix->is_expression[i]) {
		int rc = sl_buf_putc(b, '(');
		if (!rc)
			rc = sl_expr_translate(b, ix->columns[i], sl_cast_plan_source(g->plan), g->e, ct,
					       why);
		if (!rc && g->e == SL_ENGINE_SQLITE && strchr(ix->columns[i], '(') == NULL)
			*why = NULL;
		return rc ? rc : sl_buf_putc(b, ')');
	}
	const sl_cast_column *cc = sl_cast_table_find_column(ct, ix->columns[i]);
	int rc = ddl_qi(b, g, cc ? cc->name : ix->columns[i]);
	if (!rc && cc && g->e == SL_ENGINE_MYSQL &&
	    (cc->type.kind == SL_T_TEXT || cc->type.kind == SL_T_BLOB || cc->type.kind == SL_T_JSON))
		rc = sl_buf_puts(b, "(255)");
	return rc;
}

/*
 * The source's own text of an index, for a target of the same dialect
 * (sl_index.definition): PostgreSQL and SQLite keep a whole CREATE INDEX
 * statement; MySQL has none, only the table-definition clause of SHOW
 * CREATE TABLE (KEY `name` (`a`,`b`(10))), which is only valid inside a
 * CREATE or ALTER TABLE.
 */
static int verbatim_index(sl_buf *b, const gen *g, const sl_cast_table *ct, const sl_index *ix)
{
	if (g->e != SL_ENGINE_MYSQL)
		return sl_buf_puts(b, ix->definition);
	int rc = sl_buf_puts(b, "ALTER TABLE ");
	rc = rc ? rc : ddl_qname(b, g, ct->name);
	rc = rc ? rc : sl_buf_printf(b, " ADD %s", ix->definition);
	return rc;
}

static int add_index(gen *g, const sl_cast_table *ct, const sl_index *ix)
{
	sl_buf b = SL_BUF_INIT, n = SL_BUF_INIT, w = SL_BUF_INIT;
	const char *why = NULL;
	const char *tname = ct->src->name;
	int rc = 0;
	if (g->same && ix->definition && *ix->definition) {
		rc = verbatim_index(&b, g, ct, ix);
		goto emit;
	}
	if (ix->method && !g->same && strcasecmp(ix->method, "btree") != 0) {
		rc = ddl_add_item(g, SL_DDL_INDEXES, "index", tname, ix->name, ix->definition,
				  "%s index has no equivalent on %s", ix->method, sl_engine_name(g->e));
		goto done;
	}
	if (ix->where && g->e == SL_ENGINE_MYSQL) {
		rc = ddl_add_item(g, SL_DDL_INDEXES, "index", tname, ix->name, ix->definition,
				  "partial index (WHERE %s): MySQL has no partial indexes", ix->where);
		goto done;
	}
	rc = ddl_obj_name(g, &n, ct, ix->name, ix->columns, ix->ncolumns, "idx", NS_INDEX);
	if (rc)
		goto done;
	const char *method = g->same && ix->method && g->e == SL_ENGINE_MYSQL &&
					     (strcasecmp(ix->method, "FULLTEXT") == 0 ||
					      strcasecmp(ix->method, "SPATIAL") == 0)
				     ? ix->method
				     : NULL;
	rc = sl_buf_printf(&b, "CREATE %s%sINDEX %s", ix->unique ? "UNIQUE " : "", method ? method : "",
			   g->if_not_exists && g->e != SL_ENGINE_MYSQL ? "IF NOT EXISTS " : "");
	if (method && !rc)
		rc = sl_buf_putc(&b, ' ');
	rc = rc ? rc : ddl_qi(&b, g, sl_buf_cstr(&n));
	rc = rc ? rc : sl_buf_puts(&b, " ON ");
	rc = rc ? rc : ddl_qname(&b, g, ct->name);
	if (!rc && g->same && g->e == SL_ENGINE_POSTGRES && ix->method &&
	    strcasecmp(ix->method, "btree") != 0)
		rc = sl_buf_printf(&b, " USING %s", ix->method);
	rc = rc ? rc : sl_buf_puts(&b, " (");
	for (size_t i = 0; !rc && i < ix->ncolumns; i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc && g->same && ix->is_expression && ix->is_expression[i])
			rc = sl_buf_printf(&b, "(%s)", ix->columns[i]);
		else if (!rc)
			rc = index_elem(&b, g, ct, ix, i, &why);
	}
	rc = rc ? rc : sl_buf_putc(&b, ')');
	if (!rc && ix->where) {
		if (g->same)
			rc = sl_buf_puts(&w, ix->where);
		else
			rc = sl_expr_translate(&w, ix->where, sl_cast_plan_source(g->plan), g->e, ct, &why);
		if (!rc)
			rc = sl_buf_printf(&b, " WHERE %s", sl_buf_cstr(&w));
	}
	if (rc == SL_EINVALID) {
		rc = ddl_add_item(g, SL_DDL_INDEXES, "index", tname, ix->name, ix->definition,
				  "expression or predicate not translated: it %s",
				  why ? why : "differs between engines");
		goto done;
	}
emit:
	if (!rc)
		rc = ddl_add_stmt(g, SL_DDL_INDEXES, ct->name, &b);
done:
	sl_buf_free(&b);
	sl_buf_free(&n);
	sl_buf_free(&w);
	return rc;
}

/* ALTER TABLE t ADD [CONSTRAINT name] PRIMARY KEY (cols), first of its table in INDEXES. */
static int add_primary_key(gen *g, const sl_cast_table *ct)
{
	const sl_key *k = ct->src->primary_key;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "ALTER TABLE ");
	rc = rc ? rc : ddl_qname(&b, g, ct->name);
	rc = rc ? rc : sl_buf_puts(&b, " ADD ");
	if (!rc && g->same && k->name) {
		rc = sl_buf_puts(&b, "CONSTRAINT ");
		rc = rc ? rc : ddl_qi(&b, g, k->name);
		rc = rc ? rc : sl_buf_putc(&b, ' ');
	}
	rc = rc ? rc : sl_buf_puts(&b, "PRIMARY KEY ");
	rc = rc ? rc : ddl_qcols(&b, g, ct, k->columns, k->ncolumns);
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_INDEXES, ct->name, &b);
	sl_buf_free(&b);
	return rc;
}

int ddl_phase_indexes(gen *g)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		const sl_table *t = ct->src;
		if (ddl_key_deferred(g, ct) &&
		    ddl_flavour_keeps_key(g, ct, "primary key", t->primary_key->name,
					  (const char *const *)t->primary_key->columns,
					  t->primary_key->ncolumns, &rc))
			rc = add_primary_key(g, ct);
		for (size_t k = 0; !rc && k < t->nuniques; k++)
			if (ddl_flavour_keeps_key(g, ct, "unique constraint", t->uniques[k].name,
						  (const char *const *)t->uniques[k].columns,
						  t->uniques[k].ncolumns, &rc))
				rc = add_unique(g, ct, &t->uniques[k]);
		for (size_t k = 0; !rc && k < t->nindexes; k++)
			if (!index_is_artefact(g, t, &t->indexes[k]) &&
			    (!t->indexes[k].unique ||
			     ddl_flavour_keeps_key(g, ct, "unique index", t->indexes[k].name,
						   (const char *const *)t->indexes[k].columns,
						   t->indexes[k].ncolumns, &rc)))
				rc = add_index(g, ct, &t->indexes[k]);
	}
	return rc;
}

/* ---- phase CONSTRAINTS ------------------------------------------------ */

static int add_check(gen *g, const sl_cast_table *ct, const char *name, const char *expr, const char *suffix)
{
	sl_buf b = SL_BUF_INIT, n = SL_BUF_INIT;
	int rc = ddl_obj_name(g, &n, ct, name, NULL, 0, suffix, NS_CONSTRAINT);
	rc = rc ? rc : sl_buf_puts(&b, "ALTER TABLE ");
	rc = rc ? rc : ddl_qname(&b, g, ct->name);
	rc = rc ? rc : sl_buf_puts(&b, " ADD CONSTRAINT ");
	rc = rc ? rc : ddl_qi(&b, g, sl_buf_cstr(&n));
	rc = rc ? rc : sl_buf_printf(&b, " CHECK (%s)", expr);
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_CONSTRAINTS, ct->name, &b);
	sl_buf_free(&b);
	sl_buf_free(&n);
	return rc;
}

int ddl_phase_constraints(gen *g)
{
	sl_buf e = SL_BUF_INIT, n = SL_BUF_INIT;
	int rc = 0;
	if (g->e == SL_ENGINE_SQLITE)
		return 0;
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		const sl_table *t = ct->src;
		size_t unnamed = 0;
		for (size_t k = 0; !rc && k < t->nchecks; k++) {
			sl_buf_clear(&e);
			rc = ddl_check_expr(g, &e, ct, &t->checks[k]);
			if (rc || !e.len)
				continue;
			/* unnamed checks (SQLite) are numbered: the names must differ on the target */
			const char *name = t->checks[k].name;
			if (!name) {
				sl_buf_clear(&n);
				rc = sl_buf_printf(&n, "%s_check%zu", ct->name, ++unnamed);
				name = n.ptr;
			}
			if (!rc)
				rc = add_check(g, ct, name, e.ptr, "check");
		}
		for (size_t k = 0; !rc && k < ct->ncolumns; k++) {
			if (!ct->columns[k].check_sql)
				continue;
			sl_buf_clear(&n);
			rc = sl_buf_printf(&n, "%s_%s_check", ct->name, ct->columns[k].name);
			rc = rc ? rc : add_check(g, ct, n.ptr, ct->columns[k].check_sql, "check");
		}
	}
	sl_buf_free(&e);
	sl_buf_free(&n);
	return rc;
}

/* ---- phase FOREIGN_KEYS ----------------------------------------------- */

/* The referenced table of the foreign key statement just added. */
static int set_ref(gen *g, const char *ref_table)
{
	sl_ddl *d = g->d;
	sl_ddl_stmt *s = &d->stmts[SL_DDL_FOREIGN_KEYS][d->n[SL_DDL_FOREIGN_KEYS] - 1];
	s->ref_table = ref_table ? sl_arena_strdup(d->arena, ref_table) : NULL;
	return !ref_table || s->ref_table ? 0 : SL_ENOMEM;
}

int ddl_phase_fkeys(gen *g)
{
	sl_buf b = SL_BUF_INIT, n = SL_BUF_INIT, v = SL_BUF_INIT;
	int rc = 0;
	if (g->e == SL_ENGINE_SQLITE)
		return 0;
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		const sl_table *t = ct->src;
		for (size_t k = 0; !rc && k < t->nfkeys; k++) {
			const sl_fkey *fk = &t->fkeys[k];
			const sl_cast_table *pt = sl_cast_plan_find_ref(g->plan, t, fk);
			if (!pt) {
				rc = ddl_add_item(g, SL_DDL_FOREIGN_KEYS, "foreign key", t->name, fk->name,
						  NULL, "references \"%s\", which is not copied",
						  fk->ref_table);
				continue;
			}
			if (!ddl_flavour_keeps_fk(g, ct, fk, pt, &rc))
				continue;
			sl_buf_clear(&b);
			sl_buf_clear(&n);
			rc = ddl_obj_name(g, &n, ct, fk->name, fk->columns, fk->ncolumns, "fkey",
					  NS_CONSTRAINT);
			rc = rc ? rc : sl_buf_puts(&b, "ALTER TABLE ");
			rc = rc ? rc : ddl_qname(&b, g, ct->name);
			rc = rc ? rc : sl_buf_puts(&b, " ADD CONSTRAINT ");
			rc = rc ? rc : ddl_qi(&b, g, n.ptr);
			rc = rc ? rc : sl_buf_putc(&b, ' ');
			rc = rc ? rc : ddl_fk_body(&b, g, ct, fk, pt);
			if (!rc && g->e == SL_ENGINE_POSTGRES) {
				rc = sl_buf_puts(&b, " NOT VALID");
				/* validations run after every ADD, so they can go in parallel */
				rc = rc ? rc : sl_buf_puts(&v, "ALTER TABLE ");
				rc = rc ? rc : ddl_qname(&v, g, ct->name);
				rc = rc ? rc : sl_buf_puts(&v, " VALIDATE CONSTRAINT ");
				rc = rc ? rc : ddl_qi(&v, g, n.ptr);
				rc = rc ? rc : sl_buf_putc(&v, '\n');
			}
			rc = rc ? rc : ddl_add_stmt(g, SL_DDL_FOREIGN_KEYS, ct->name, &b);
			rc = rc ? rc : set_ref(g, pt->name);
		}
	}
	/* v holds one VALIDATE per line, in the order of the ADDs */
	for (char *line = v.ptr, *nl; !rc && line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		sl_buf one = { .ptr = line, .len = (size_t)(nl - line), .cap = (size_t)(nl - line) + 1 };
		const char *tbl = NULL;
		/* the table is the statement's own: find it back from the ADD with the same position */
		size_t idx = 0;
		for (char *p = v.ptr; p < line; p++)
			idx += *p == '\0';
		if (idx < g->d->n[SL_DDL_FOREIGN_KEYS])
			tbl = g->d->stmts[SL_DDL_FOREIGN_KEYS][idx].table;
		rc = ddl_add_stmt(g, SL_DDL_FOREIGN_KEYS, tbl, &one);
		if (!rc && idx < g->d->n[SL_DDL_FOREIGN_KEYS])
			rc = set_ref(g, g->d->stmts[SL_DDL_FOREIGN_KEYS][idx].ref_table);
		if (!rc)
			g->d->stmts[SL_DDL_FOREIGN_KEYS][g->d->n[SL_DDL_FOREIGN_KEYS] - 1].parallel = true;
	}
	sl_buf_free(&b);
	sl_buf_free(&n);
	sl_buf_free(&v);
	return rc;
}
