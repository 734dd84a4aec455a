/*
 * ddl.c - generates the target's DDL from a source model and its cast plan,
 * in load-order phases (include/sluice/ddl.h). Types, names and defaults
 * come from the plan; this file only decides statement shapes per dialect.
 * Here: collecting statements, naming objects, CREATE TABLE and the TABLES
 * phase; ddl_keys.c and ddl_late.c write the later phases (ddl_int.h).
 *
 * Checklist when a phase changes: docs/casts.md ("DDL") describes each
 * phase per dialect, and tests/unit/test_ddl.c asserts exact SQL.
 */
#include "schema/ddl_int.h"
#include "sluice/ddl.h"
#include "schema/ddl_expr.h"
#include "sluice/arena.h"
#include "sluice/dialect.h"
#include "sluice/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const phase_names[SL_DDL__NPHASES] = {
	"tables", "indexes", "constraints", "foreign_keys", "sequences", "views", "triggers",
};

const char *sl_ddl_phase_name(sl_ddl_phase phase)
{
	return (unsigned)phase < SL_DDL__NPHASES ? phase_names[phase] : "?";
}

/* ---- collecting output ------------------------------------------------ */

int ddl_add_stmt(gen *g, sl_ddl_phase ph, const char *table, const sl_buf *sql)
{
	sl_ddl *d = g->d;
	sl_ddl_stmt *s = sl_arena_push(d->arena, &d->stmts[ph], &d->n[ph], &d->cap[ph], sizeof(*s));
	if (!s)
		return SL_ENOMEM;
	s->sql = sl_arena_strdup(d->arena, sl_buf_cstr(sql));
	s->table = table ? sl_arena_strdup(d->arena, table) : NULL;
	return s->sql && (!table || s->table) ? 0 : SL_ENOMEM;
}

int ddl_add_item(gen *g, sl_ddl_phase ph, const char *kind, const char *table, const char *name,
		 const char *original, const char *fmt, ...)
{
	if (!g->d)
		return 0;
	sl_ddl *d = g->d;
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	sl_ddl_item *it =
		rc ? NULL : sl_arena_push(d->arena, &d->items, &d->nitems, &d->cap_items, sizeof(*it));
	if (!rc && !it)
		rc = SL_ENOMEM;
	if (!rc) {
		it->phase = ph;
		it->kind = kind;
		it->table = sl_arena_strdup(d->arena, table);
		it->name = sl_arena_strdup(d->arena, name);
		it->original = sl_arena_strdup(d->arena, original);
		it->reason = sl_arena_strdup(d->arena, sl_buf_cstr(&b));
		if (!it->reason)
			rc = SL_ENOMEM;
	}
	sl_buf_free(&b);
	return rc;
}

/* ---- names ------------------------------------------------------------ */

int ddl_qi(sl_buf *b, const gen *g, const char *name)
{
	return sl_ddl_quote_ident(b, g->e, name);
}

/* A schema-qualified, quoted object name. */
int ddl_qname(sl_buf *b, const gen *g, const char *name)
{
	int rc = 0;
	if (g->schema && g->e == SL_ENGINE_POSTGRES) {
		rc = ddl_qi(b, g, g->schema);
		if (!rc)
			rc = sl_buf_putc(b, '.');
	}
	return rc ? rc : ddl_qi(b, g, name);
}

int ddl_qcols(sl_buf *b, const gen *g, const sl_cast_table *ct, const char *const *cols, size_t n)
{
	int rc = sl_buf_putc(b, '(');
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_cast_column *cc = sl_cast_table_find_column(ct, cols[i]);
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = ddl_qi(b, g, cc ? cc->name : cols[i]);
	}
	return rc ? rc : sl_buf_putc(b, ')');
}

/* SQLite compares names without regard to case; PostgreSQL's quoted names are exact. */
static bool name_used(const sl_ddl *d, const char *n)
{
	for (size_t i = 0; i < d->nused; i++)
		if (d->target == SL_ENGINE_SQLITE ? strcasecmp(d->used[i], n) == 0
						  : strcmp(d->used[i], n) == 0)
			return true;
	return false;
}

static int mark_used(sl_ddl *d, const char *n)
{
	const char **slot = sl_arena_push(d->arena, &d->used, &d->nused, &d->cap_used, sizeof(*slot));
	if (!slot)
		return SL_ENOMEM;
	*slot = sl_arena_strdup(d->arena, n);
	return *slot ? 0 : SL_ENOMEM;
}

/*
 * The keys under which a name is recorded in sl_ddl.used (up to two, in
 * keys[0..n)): "r\x1fname" for the schema-wide namespace of relations
 * (PostgreSQL tables, indexes and the indexes behind keys; SQLite indexes),
 * "c\x1ftable\x1fname" for per-table constraint names (PostgreSQL: a
 * foreign key may share the name of an index), "c\x1fname" for InnoDB's
 * database-wide foreign key names. MySQL index names are per table and
 * SQLite constraints are inline: nothing to record.
 */
static int name_keys(sl_buf keys[2], size_t *n, const gen *g, const char *table, const char *name,
		     name_space ns)
{
	int rc = 0;
	*n = 0;
	if (g->e == SL_ENGINE_POSTGRES || (g->e == SL_ENGINE_SQLITE && ns != NS_CONSTRAINT)) {
		if (ns != NS_CONSTRAINT)
			rc = sl_buf_printf(&keys[(*n)++], "r\x1f%s", name);
		if (!rc && g->e == SL_ENGINE_POSTGRES && ns != NS_INDEX)
			rc = sl_buf_printf(&keys[(*n)++], "c\x1f%s\x1f%s", table, name);
	} else if (g->e == SL_ENGINE_MYSQL && ns == NS_CONSTRAINT) {
		rc = sl_buf_printf(&keys[(*n)++], "c\x1f%s", name);
	}
	return rc;
}

/* Whether name is free in its namespaces; records it when mark is set. */
static int name_check(bool *taken, gen *g, const char *table, const char *name, name_space ns, bool mark)
{
	sl_buf keys[2] = { SL_BUF_INIT, SL_BUF_INIT };
	size_t n = 0;
	int rc = name_keys(keys, &n, g, table, name, ns);
	*taken = false;
	for (size_t i = 0; !rc && i < n; i++) {
		*taken |= name_used(g->d, sl_buf_cstr(&keys[i]));
		if (mark)
			rc = mark_used(g->d, sl_buf_cstr(&keys[i]));
	}
	sl_buf_free(&keys[0]);
	sl_buf_free(&keys[1]);
	return rc;
}

/*
 * The target name of an index or constraint: the source name (or one made
 * from the table and columns), fitted to the target. When it is taken in its
 * namespace on the target (name_keys: sakila has idx_fk_film_id on two
 * tables, which PostgreSQL cannot take as two index names), it is prefixed
 * with the table.
 */
int ddl_obj_name(gen *g, sl_buf *out, const sl_cast_table *ct, const char *name, const char *const *cols,
		 size_t ncols, const char *suffix, name_space ns)
{
	sl_buf raw = SL_BUF_INIT;
	bool taken = false;
	int rc = 0;
	if (name && *name) {
		rc = sl_buf_puts(&raw, name);
	} else {
		rc = sl_buf_puts(&raw, ct->name);
		for (size_t i = 0; !rc && i < ncols; i++)
			rc = sl_buf_printf(&raw, "_%s", cols[i]);
		if (!rc)
			rc = sl_buf_printf(&raw, "_%s", suffix);
	}
	if (!rc)
		rc = sl_cast_fit_name(out, sl_buf_cstr(&raw), g->e);
	if (!rc && g->d)
		rc = name_check(&taken, g, ct->name, sl_buf_cstr(out), ns, false);
	if (!rc && taken) {
		sl_buf_clear(&raw);
		rc = sl_buf_printf(&raw, "%s_%s", ct->name, sl_buf_cstr(out));
		sl_buf_clear(out);
		if (!rc)
			rc = sl_cast_fit_name(out, sl_buf_cstr(&raw), g->e);
	}
	if (!rc && g->d)
		rc = name_check(&taken, g, ct->name, sl_buf_cstr(out), ns, true);
	sl_buf_free(&raw);
	return rc;
}

/* ---- CREATE TABLE ------------------------------------------------------ */

static bool simple_default(const char *s)
{
	static const char *const kw[] = {
		"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "TRUE", "FALSE", "NULL"
	};
	if (*s == '\'' || *s == '-' || *s == '(' || isdigit((unsigned char)*s))
		return true;
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcasecmp(s, kw[i]) == 0)
			return true;
	return false;
}

static bool sqlite_rowid_pk(const gen *g, const sl_table *t, const sl_cast_column *cc)
{
	return g->e == SL_ENGINE_SQLITE && cc->identity && t->primary_key && t->primary_key->ncolumns == 1 &&
	       strcmp(t->primary_key->columns[0], cc->src->name) == 0;
}

static int column_def(sl_buf *b, const gen *g, const sl_table *t, const sl_cast_column *cc)
{
	const sl_column *c = cc->src;
	int rc = ddl_qi(b, g, cc->name);
	if (!rc && cc->type_sql && *cc->type_sql)
		rc = sl_buf_printf(b, " %s", cc->type_sql);
	if (!rc && sqlite_rowid_pk(g, t, cc))
		rc = sl_buf_puts(b, " PRIMARY KEY AUTOINCREMENT");
	if (!rc && cc->collation) {
		if (g->e == SL_ENGINE_POSTGRES) {
			rc = sl_buf_puts(b, " COLLATE ");
			rc = rc ? rc : ddl_qi(b, g, cc->collation);
		} else {
			rc = sl_buf_printf(b, " COLLATE %s", cc->collation);
		}
	}
	if (!rc && cc->generated && c->generated_expr)
		rc = sl_buf_printf(b, " GENERATED ALWAYS AS (%s) %s", c->generated_expr,
				   c->generated_stored || g->e == SL_ENGINE_POSTGRES ? "STORED" : "VIRTUAL");
	if (!rc && !c->nullable && !sqlite_rowid_pk(g, t, cc))
		rc = sl_buf_puts(b, " NOT NULL");
	if (!rc && cc->default_sql) {
		if (g->e == SL_ENGINE_SQLITE && !simple_default(cc->default_sql))
			rc = sl_buf_printf(b, " DEFAULT (%s)", cc->default_sql);
		else
			rc = sl_buf_printf(b, " DEFAULT %s", cc->default_sql);
	}
	if (!rc && cc->identity && g->e == SL_ENGINE_POSTGRES)
		rc = sl_buf_puts(b, " GENERATED BY DEFAULT AS IDENTITY");
	if (!rc && cc->identity && g->e == SL_ENGINE_MYSQL)
		rc = sl_buf_puts(b, " AUTO_INCREMENT");
	if (!rc && cc->on_update_sql && g->e == SL_ENGINE_MYSQL)
		rc = sl_buf_printf(b, " ON UPDATE %s", cc->on_update_sql);
	return rc;
}

/* MySQL table options: the character set is the head of the collation's name ("latin1_bin"). */
static int mysql_table_options(sl_buf *b, const sl_cast_table *ct)
{
	const char *coll = ct->collation;
	if (!coll)
		return sl_buf_puts(b, " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
	const char *us = strchr(coll, '_');
	size_t n = us ? (size_t)(us - coll) : strlen(coll);
	return sl_buf_printf(b, " ENGINE=InnoDB DEFAULT CHARSET=%.*s COLLATE=%s", (int)n, coll, coll);
}

static const char *action_sql(sl_fk_action a)
{
	switch (a) {
	case SL_FK_RESTRICT:
		return "RESTRICT";
	case SL_FK_CASCADE:
		return "CASCADE";
	case SL_FK_SET_NULL:
		return "SET NULL";
	case SL_FK_SET_DEFAULT:
		return "SET DEFAULT";
	default:
		return NULL;
	}
}

/* "FOREIGN KEY (a) REFERENCES p (id) ON DELETE ..." (no name, no ALTER). */
int ddl_fk_body(sl_buf *b, gen *g, const sl_cast_table *ct, const sl_fkey *fk, const sl_cast_table *pt)
{
	int rc = sl_buf_puts(b, "FOREIGN KEY ");
	if (!rc)
		rc = ddl_qcols(b, g, ct, fk->columns, fk->ncolumns);
	if (!rc)
		rc = sl_buf_puts(b, " REFERENCES ");
	if (!rc)
		rc = ddl_qname(b, g, pt->name);
	if (!rc && fk->ref_columns) {
		rc = sl_buf_putc(b, ' ');
		rc = rc ? rc : ddl_qcols(b, g, pt, fk->ref_columns, fk->ncolumns);
	}
	sl_fk_action acts[2] = { fk->on_delete, fk->on_update };
	const char *what[2] = { "DELETE", "UPDATE" };
	for (int i = 0; !rc && i < 2; i++) {
		const char *a = action_sql(acts[i]);
		if (a && acts[i] == SL_FK_SET_DEFAULT && g->e == SL_ENGINE_MYSQL) {
			rc = ddl_add_item(g, SL_DDL_FOREIGN_KEYS, "foreign key", ct->src->name, fk->name,
					  NULL, "ON %s SET DEFAULT dropped: InnoDB does not support it",
					  what[i]);
			continue;
		}
		if (a)
			rc = sl_buf_printf(b, " ON %s %s", what[i], a);
	}
	if (!rc && fk->deferrable && g->e != SL_ENGINE_MYSQL && g->fl && g->fl->no_deferrable)
		rc = ddl_add_item(
			g, SL_DDL_FOREIGN_KEYS, "foreign key", ct->src->name, fk->name, NULL,
			"DEFERRABLE INITIALLY DEFERRED dropped: %s checks foreign keys at once (%s)",
			g->fl->title, g->fl->doc);
	else if (!rc && fk->deferrable && g->e != SL_ENGINE_MYSQL)
		rc = sl_buf_puts(b, " DEFERRABLE INITIALLY DEFERRED");
	return rc;
}

/* The check's expression for the target, or NULL (with an item) when it is not carried over. */
int ddl_check_expr(gen *g, sl_buf *out, const sl_cast_table *ct, const sl_check *ck)
{
	const char *why = NULL;
	if (g->same)
		return sl_buf_puts(out, ck->expr);
	int rc = sl_expr_translate(out, ck->expr, sl_cast_plan_source(g->plan), g->e, ct, &why);
	if (rc == SL_EINVALID) {
		sl_buf_clear(out);
		return ddl_add_item(g, SL_DDL_CONSTRAINTS, "check", ct->src->name, ck->name, ck->expr,
				    "the expression %s", why);
	}
	return rc;
}

/* SQLite: checks and foreign keys can only be declared with the table. */
static int sqlite_inline(sl_buf *b, gen *g, const sl_cast_table *ct)
{
	const sl_table *t = ct->src;
	sl_buf e = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < ct->ncolumns; i++)
		if (ct->columns[i].check_sql)
			rc = sl_buf_printf(b, ",\n  CHECK (%s)", ct->columns[i].check_sql);
	for (size_t i = 0; !rc && i < t->nchecks; i++) {
		sl_buf_clear(&e);
		rc = ddl_check_expr(g, &e, ct, &t->checks[i]);
		if (rc || !e.len)
			continue;
		rc = sl_buf_puts(b, ",\n  ");
		if (!rc && t->checks[i].name) {
			rc = sl_buf_puts(b, "CONSTRAINT ");
			rc = rc ? rc : ddl_qi(b, g, t->checks[i].name);
			rc = rc ? rc : sl_buf_putc(b, ' ');
		}
		if (!rc)
			rc = sl_buf_printf(b, "CHECK (%s)", sl_buf_cstr(&e));
	}
	for (size_t i = 0; !rc && i < t->nfkeys; i++) {
		const sl_fkey *fk = &t->fkeys[i];
		const sl_cast_table *pt = sl_cast_plan_find_ref(g->plan, t, fk);
		if (!pt) {
			rc = ddl_add_item(g, SL_DDL_FOREIGN_KEYS, "foreign key", t->name, fk->name, NULL,
					  "references \"%s\", which is not copied", fk->ref_table);
			continue;
		}
		rc = sl_buf_puts(b, ",\n  ");
		if (!rc && fk->name) {
			rc = sl_buf_puts(b, "CONSTRAINT ");
			rc = rc ? rc : ddl_qi(b, g, fk->name);
			rc = rc ? rc : sl_buf_putc(b, ' ');
		}
		if (!rc)
			rc = ddl_fk_body(b, g, ct, fk, pt);
	}
	sl_buf_free(&e);
	return rc;
}

static bool int_kind(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

/*
 * A primary key the target can build after the rows without changing what a
 * copy accepts: every key column is an integer NOT NULL column on the source,
 * whose engine enforces the key (PostgreSQL, MySQL; on SQLite, whose other
 * keys may hold NULLs and values of any storage class, only the rowid
 * alias), and an integer on the target, where the value arrives unchanged or
 * the row is rejected. Distinct keys on the source stay distinct, so the
 * target's key can never refuse a row the copy wrote (docs/commands/copy.md).
 */
bool sl_ddl_key_after_load(const sl_cast_plan *plan, const sl_cast_table *ct)
{
	const sl_table *t = ct->src;
	if (sl_cast_plan_target(plan) != SL_ENGINE_POSTGRES || !t->primary_key || !t->primary_key->ncolumns)
		return false;
	bool loose = sl_dialect_of(sl_cast_plan_source(plan))->primary_key_nulls;
	for (size_t i = 0; i < t->primary_key->ncolumns; i++) {
		const sl_cast_column *cc = sl_cast_table_find_column(ct, t->primary_key->columns[i]);
		if (!cc || cc->src->nullable || cc->generated || !int_kind(cc->src->type.kind) ||
		    !int_kind(cc->type.kind) || (loose && !cc->src->identity))
			return false;
	}
	return true;
}

bool ddl_key_deferred(const gen *g, const sl_cast_table *ct)
{
	return g->keys_after_load && g->d && !(g->fl && g->fl->key_in_create) &&
	       sl_ddl_key_after_load(g->plan, ct);
}

static int create_table(sl_buf *b, gen *g, const sl_cast_table *ct)
{
	const sl_table *t = ct->src;
	int rc = sl_buf_printf(b, "CREATE TABLE %s", g->if_not_exists ? "IF NOT EXISTS " : "");
	if (!rc)
		rc = ddl_qname(b, g, ct->name);
	if (!rc)
		rc = sl_buf_puts(b, " (");
	bool rowid = false;
	for (size_t i = 0; !rc && i < ct->ncolumns; i++) {
		rc = sl_buf_printf(b, "%s\n  ", i ? "," : "");
		if (!rc)
			rc = column_def(b, g, t, &ct->columns[i]);
		rowid |= sqlite_rowid_pk(g, t, &ct->columns[i]);
	}
	if (!rc && t->primary_key && t->primary_key->ncolumns && !rowid && !ddl_key_deferred(g, ct) &&
	    ddl_flavour_keeps_key(g, ct, "primary key", t->primary_key->name,
				  (const char *const *)t->primary_key->columns, t->primary_key->ncolumns,
				  &rc)) {
		rc = sl_buf_puts(b, ",\n  ");
		if (!rc && g->e == SL_ENGINE_POSTGRES && t->primary_key->name && g->same) {
			rc = sl_buf_puts(b, "CONSTRAINT ");
			rc = rc ? rc : ddl_qi(b, g, t->primary_key->name);
			rc = rc ? rc : sl_buf_putc(b, ' ');
		}
		if (!rc)
			rc = sl_buf_puts(b, "PRIMARY KEY ");
		if (!rc)
			rc = ddl_qcols(b, g, ct, t->primary_key->columns, t->primary_key->ncolumns);
	}
	if (!rc && g->e == SL_ENGINE_SQLITE)
		rc = sqlite_inline(b, g, ct);
	if (!rc)
		rc = sl_buf_puts(b, "\n)");
	if (!rc && g->e == SL_ENGINE_MYSQL)
		rc = mysql_table_options(b, ct);
	return rc;
}

int sl_ddl_create_table(sl_buf *out, const sl_table *t, const sl_cast_plan *plan, sl_engine target)
{
	const sl_cast_table *ct = NULL;
	for (size_t i = 0; plan && i < sl_cast_plan_ntables(plan); i++)
		if (sl_cast_plan_table(plan, i)->src == t)
			ct = sl_cast_plan_table(plan, i);
	if (!ct || sl_cast_plan_target(plan) != target)
		return sl_error_set(SL_EINVALID,
				    "create table \"%s\": the cast plan is not for this table and target",
				    t ? t->name : "");
	gen g = { .plan = plan, .e = target, .same = sl_cast_plan_source(plan) == target };
	int rc = create_table(out, &g, ct);
	return rc == SL_ENOMEM ? sl_error_nomem() : rc;
}

int sl_ddl_create_cast_table(sl_buf *out, const sl_cast_table *ct, const sl_cast_plan *plan, sl_engine target,
			     bool if_not_exists)
{
	if (!ct || !ct->src || !plan || sl_cast_plan_target(plan) != target)
		return sl_error_set(SL_EINVALID, "create table: the cast plan is not for this target");
	gen g = { .plan = plan,
		  .e = target,
		  .if_not_exists = if_not_exists,
		  .same = sl_cast_plan_source(plan) == target };
	int rc = create_table(out, &g, ct);
	return rc == SL_ENOMEM ? sl_error_nomem() : rc;
}

/* ---- phase TABLES ----------------------------------------------------- */

static int create_enum(gen *g, const char *name, const char *const *labels, size_t n)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TYPE ");
	if (!rc)
		rc = ddl_qname(&b, g, name);
	if (!rc)
		rc = sl_buf_puts(&b, " AS ENUM (");
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = sl_ddl_quote_string(&b, g->e, labels[i]);
	}
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = ddl_add_stmt(g, SL_DDL_TABLES, NULL, &b);
	sl_buf_free(&b);
	return rc;
}

static int phase_tables(gen *g)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	if (g->e == SL_ENGINE_POSTGRES && g->same) {
		for (size_t i = 0; !rc && i < g->src->nenums; i++)
			rc = create_enum(g, g->src->enums[i].name, g->src->enums[i].labels,
					 g->src->enums[i].nlabels);
		for (size_t i = 0; !rc && i < g->src->nsequences; i++) {
			const sl_sequence *q = &g->src->sequences[i];
			if (q->owned_by_table)
				continue;
			sl_buf_clear(&b);
			rc = sl_buf_puts(&b, "CREATE SEQUENCE ");
			rc = rc ? rc : ddl_qname(&b, g, q->name);
			rc = rc ? rc
				: sl_buf_printf(&b, " INCREMENT BY %lld START WITH %lld",
						(long long)q->increment, (long long)q->start);
			rc = rc ? rc : ddl_add_stmt(g, SL_DDL_TABLES, NULL, &b);
		}
	} else if (g->e == SL_ENGINE_POSTGRES) {
		for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
			const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
			for (size_t j = 0; !rc && j < ct->ncolumns; j++)
				if (ct->columns[j].enum_type)
					rc = create_enum(g, ct->columns[j].enum_type,
							 ct->columns[j].type.labels,
							 ct->columns[j].type.nlabels);
		}
	}
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		sl_buf_clear(&b);
		rc = create_table(&b, g, ct);
		if (!rc)
			rc = ddl_add_stmt(g, SL_DDL_TABLES, ct->name, &b);
		if (!rc)
			rc = ddl_flavour_after_create(g, i);
	}
	sl_buf_free(&b);
	return rc;
}

/* ---- entry points ----------------------------------------------------- */

int sl_ddl_generate(sl_ddl **out, const sl_schema *src, const sl_cast_plan *plan, sl_engine target,
		    const sl_ddl_opts *opts)
{
	sl_ddl_opts defaults = SL_DDL_OPTS_INIT;
	sl_ddl *d = NULL;
	int rc = 0;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!src || !plan || sl_cast_plan_target(plan) != target ||
	    sl_cast_plan_source(plan) != src->engine) {
		rc = sl_error_set(SL_EINVALID,
				  "generate ddl: the cast plan was not made for this model and target");
		goto done;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->arena = sl_arena_new(0))) {
		rc = SL_ENOMEM;
		goto done;
	}
	d->target = target;
	gen g = { .d = d,
		  .src = src,
		  .plan = plan,
		  .e = target,
		  .schema = opts->target_schema,
		  .if_not_exists = opts->if_not_exists,
		  .same = src->engine == target,
		  .keys_after_load = opts->keys_after_load,
		  .opts = opts,
		  .fl = opts->flavour };
	for (size_t i = 0; !rc && target != SL_ENGINE_MYSQL && i < sl_cast_plan_ntables(plan); i++) {
		bool taken;
		const char *tn = sl_cast_plan_table(plan, i)->name;
		rc = name_check(&taken, &g, tn, tn, NS_INDEX, true); /* tables are relations */
	}
	rc = rc ? rc : ddl_flavour_prepare(&g);
	rc = rc ? rc : phase_tables(&g);
	rc = rc ? rc : ddl_phase_indexes(&g);
	rc = rc ? rc : ddl_phase_constraints(&g);
	rc = rc ? rc : ddl_phase_fkeys(&g);
	rc = rc ? rc : ddl_phase_sequences(&g);
	rc = rc ? rc : ddl_phase_views(&g);
	rc = rc ? rc : ddl_phase_triggers(&g);
	rc = rc ? rc : ddl_flavour_describe(&g);
done:
	if (rc == SL_ENOMEM)
		sl_error_nomem();
	if (rc)
		sl_ddl_free(d);
	else
		*out = d;
	return rc;
}

void sl_ddl_free(sl_ddl *d)
{
	if (!d)
		return;
	sl_arena_free(d->arena);
	free(d);
}

size_t sl_ddl_count(const sl_ddl *d, sl_ddl_phase phase)
{
	return (unsigned)phase < SL_DDL__NPHASES ? d->n[phase] : 0;
}

const sl_ddl_stmt *sl_ddl_statement(const sl_ddl *d, sl_ddl_phase phase, size_t i)
{
	return (unsigned)phase < SL_DDL__NPHASES && i < d->n[phase] ? &d->stmts[phase][i] : NULL;
}

size_t sl_ddl_nitems(const sl_ddl *d)
{
	return d->nitems;
}

const sl_ddl_item *sl_ddl_item_at(const sl_ddl *d, size_t i)
{
	return i < d->nitems ? &d->items[i] : NULL;
}

/* Writes text as SQL comment lines with the given lead. */
static int comment_lines(sl_buf *out, const char *lead, const char *text)
{
	int rc = 0;
	const char *p = text;
	while (!rc && p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		rc = sl_buf_printf(out, "%s%.*s\n", lead, (int)n, p);
		p = nl ? nl + 1 : NULL;
	}
	return rc;
}

const char *sl_ddl_flavour_text(const sl_ddl *d)
{
	return d ? d->flavour_text : NULL;
}

int sl_ddl_render(sl_buf *out, const sl_ddl *d)
{
	int rc = d->flavour_text ? comment_lines(out, "-- ", d->flavour_text) : 0;
	for (int ph = 0; !rc && ph < SL_DDL__NPHASES; ph++) {
		if (!d->n[ph])
			continue;
		rc = sl_buf_printf(out, "-- phase: %s\n", phase_names[ph]);
		for (size_t i = 0; !rc && i < d->n[ph]; i++)
			rc = sl_buf_printf(out, "%s;\n", d->stmts[ph][i].sql);
	}
	for (size_t i = 0; !rc && i < d->nitems; i++) {
		const sl_ddl_item *it = &d->items[i];
		rc = sl_buf_printf(out, "-- not translated: %s %s%s%s\"%s\": %s\n", it->kind,
				   it->table ? "\"" : "", it->table ? it->table : "", it->table ? "\"." : "",
				   it->name ? it->name : "", it->reason);
		if (!rc && it->original)
			rc = comment_lines(out, "--   ", it->original);
	}
	return rc;
}
