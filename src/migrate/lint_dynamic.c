/*
 * lint_dynamic.c - rules that need a database: each pending migration is
 * applied to a scratch database, and schema models taken before and after
 * (sl_conn_introspect) are compared with sl_schema_diff().
 *
 * The scratch database is built by replaying, from the files, every
 * migration the target's history records as applied; then each pending
 * migration in id order runs up, down (model must equal the one before up),
 * and up again, so the next one sees the schema it will meet. The target is
 * only read: its history, its model and whether a table has rows. Checklist:
 * the scratch database is dropped on every path out of sl_lint_dynamic().
 */
#include "lint_int.h"

#include "expand_glue.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sluice/error.h"
#include "sluice/migrate.h"
#include "sluice/schemadiff.h"

/* Stops the walk through pending migrations after a finding that leaves the scratch state unknown. */
#define STOP 1
/* A down left the scratch schema other than before up: build the scratch database again. */
#define REBUILD 2

typedef struct dyn {
	sl_lint_report *r;
	sl_conn *target;
	const sl_lint_opts *o;
	const sl_migration_set *set;
	sl_engine dialect;
	sl_conn *scratch;
	sl_schema *target_model;
	unsigned serial; /* scratch databases made by this run */
	char name[64];   /* the scratch database (sl_conn_scratch_*) */
	bool created;
	sl_lint_impact impact; /* the consumer rules, when opts->consumers */
} dyn;

/* ---- the scratch database ----------------------------------------------------- */

static void drop_scratch(dyn *d)
{
	sl_conn_close(d->scratch);
	d->scratch = NULL;
	if (!d->created)
		return;
	d->created = false;
	/* keep the error that brought us here: a failing drop only matters after success */
	sl_error e = *sl_error_last();
	char *msg = e.message ? strdup(e.message) : NULL;
	sl_conn_scratch_drop(d->target, d->name);
	if (msg && e.code)
		sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", msg);
	free(msg);
}

/*
 * A new empty scratch database beside the target (the driver's scratch
 * hooks: a file in the target's directory for SQLite, CREATE DATABASE on
 * the target's server elsewhere), opened in d->scratch through the caller's
 * open_scratch, which knows the target's credentials.
 */
static int create_scratch(dyn *d)
{
	bool cloned = false;
	int rc = 0;
	d->serial++;
	snprintf(d->name, sizeof(d->name), "sluice_lint_%ld_%u", (long)getpid(), d->serial);
	if (!d->o->open_scratch) {
		rc = sl_error_set(SL_EINVALID, "lint: no way to open a scratch database on %s",
				  sl_conn_display(d->target));
		goto done;
	}
	if ((rc = sl_conn_scratch_create(d->target, d->name, false, &cloned))) {
		sl_error_prefix("lint: creating scratch database %s on %s", d->name,
				sl_conn_display(d->target));
		goto done;
	}
	d->created = true;
	if ((rc = d->o->open_scratch(&d->scratch, d->o->ud, d->name)))
		sl_error_prefix("lint: opening scratch database %s", d->name);
done:
	return rc;
}

/* ---- running sections ------------------------------------------------------------ */

/*
 * Runs section s of m on the scratch database, in a transaction where the
 * engine allows. On failure *line is the failing statement's line.
 */
static int run_section(dyn *d, const sl_migration *m, sl_section s, size_t *line)
{
	sl_stmt_list list = SL_STMT_LIST_INIT;
	bool no_tx = false, tx;
	int rc = 0;
	const sl_migration_part *pt = sl_migration_part_get(m, s, d->dialect);

	if (s == SL_SECTION_UP && sl_migration_is_expand(m)) { /* expand, roll back, expand, contract */
		pt = sl_migration_part_get(m, SL_SECTION_EXPAND, d->dialect);
		*line = pt ? pt->directive_line : 1;
		return pt ? sl_mglue_rehearse(d->scratch, m, d->o->table) : 0;
	}
	*line = pt ? pt->directive_line : 1;
	if (!pt)
		goto done;
	no_tx = pt->no_tx;
	tx = sl_conn_has(d->scratch, SL_CAP_TRANSACTIONAL_DDL) && !no_tx;
	if ((rc = sl_migration_statements(&list, m, s, d->dialect)))
		goto done;
	if (tx && (rc = sl_conn_begin(d->scratch)))
		goto done;
	for (size_t i = 0; !rc && i < list.n; i++) {
		*line = list.items[i].line;
		rc = sl_conn_exec(d->scratch, list.items[i].text);
	}
	if (tx && !rc)
		rc = sl_conn_commit(d->scratch);
	if (rc && sl_conn_in_transaction(d->scratch)) {
		sl_error e = *sl_error_last();
		char *msg = strdup(e.message);
		sl_conn_rollback(d->scratch);
		if (msg)
			sl_error_set_db(rc, e.sqlstate, e.engine_code, "%s", msg);
		free(msg);
	}
done:
	sl_stmt_list_free(&list);
	return rc;
}

static int introspect(dyn *d, sl_schema **out)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	int rc = sl_conn_introspect(out, d->scratch, &io);
	if (!rc)
		sl_schema_sort(*out);
	return rc;
}

/* ---- locating and describing changes ------------------------------------------------ */

static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = text; n && (p = strcasestr(p, word)); p++) {
		bool before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
		if (before && after)
			return true;
	}
	return false;
}

/* Line of the first statement of section s naming word (then table), else the section's directive line. */
static size_t locate(dyn *d, const sl_migration *m, sl_section s, const char *word, const char *table)
{
	sl_stmt_list list = SL_STMT_LIST_INIT;
	const sl_migration_part *pt = sl_migration_part_get(m, s, d->dialect);
	size_t line = pt ? pt->directive_line : 1;
	if (!pt || sl_migration_statements(&list, m, s, d->dialect)) {
		sl_error_clear();
		goto done;
	}
	for (size_t pass = 0; pass < 2; pass++) {
		const char *w = pass == 0 ? word : table;
		for (size_t i = 0; w && i < list.n; i++) {
			if (has_word(list.items[i].text, w) &&
			    (pass == 1 || !table || has_word(list.items[i].text, table))) {
				line = list.items[i].line;
				goto done;
			}
		}
	}
done:
	sl_stmt_list_free(&list);
	return line;
}

static bool same_type(const sl_column *a, const sl_column *b)
{
	sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
	bool eq = sl_type_format(&x, &a->type) == 0 && sl_type_format(&y, &b->type) == 0 &&
		  strcmp(sl_buf_cstr(&x), sl_buf_cstr(&y)) == 0;
	sl_buf_free(&x);
	sl_buf_free(&y);
	return eq;
}

static bool same_shape(const sl_table *a, const sl_table *b)
{
	if (a->ncolumns != b->ncolumns)
		return false;
	for (size_t i = 0; i < a->ncolumns; i++)
		if (!same_type(&a->columns[i], &b->columns[i]))
			return false;
	return true;
}

/* Index of an added change of the same shape as dropped change c not yet paired, or -1. */
static long rename_partner(const sl_schemadiff *df, size_t c, const bool *paired)
{
	const sl_schema_change *x = &df->items[c];
	for (size_t i = 0; i < df->n; i++) {
		const sl_schema_change *y = &df->items[i];
		if (paired[i])
			continue;
		if (x->kind == SL_CHG_TABLE_DROPPED && y->kind == SL_CHG_TABLE_ADDED &&
		    same_shape(x->old_table, y->new_table))
			return (long)i;
		if (x->kind == SL_CHG_COLUMN_DROPPED && y->kind == SL_CHG_COLUMN_ADDED &&
		    strcmp(x->table, y->table) == 0 && same_type(x->old_column, y->new_column) &&
		    x->old_column->nullable == y->new_column->nullable)
			return (long)i;
	}
	return -1;
}

/* 1 when table has at least one row in the target, 0 when empty or absent there. */
static int target_has_rows(dyn *d, const char *table, int *out)
{
	const sl_table *t = sl_schema_find_table(d->target_model, NULL, table);
	sl_buf q = SL_BUF_INIT;
	int64_t n = 0;
	int rc = 0;
	*out = 0;
	if (!t)
		goto done;
	if ((rc = sl_buf_puts(&q, "SELECT count(*) FROM (SELECT 1 AS x FROM ")))
		goto done;
	if (t->schema && sl_conn_has(d->target, SL_CAP_SCHEMAS) &&
	    ((rc = sl_conn_quote_ident(d->target, &q, t->schema)) || (rc = sl_buf_putc(&q, '.'))))
		goto done;
	if ((rc = sl_conn_quote_ident(d->target, &q, t->name)) ||
	    (rc = sl_buf_puts(&q, " LIMIT 1) sluice_probe")))
		goto done;
	if ((rc = sl_conn_query_int(d->target, sl_buf_cstr(&q), &n)))
		goto done;
	*out = n > 0;
done:
	sl_buf_free(&q);
	return rc;
}

static bool needs_value(const sl_column *c)
{
	return !c->nullable && !c->default_expr && !c->identity && !c->generated_expr;
}

static int check_change(dyn *d, const sl_migration *m, const sl_schemadiff *df, size_t i, bool *paired)
{
	const sl_schema_change *c = &df->items[i];
	const char *why = NULL;
	int rows = 0, rc = 0;
	long p;

	/* expand/contract keeps the old shape until no client uses it: dropping and renaming is its job */
	if (sl_migration_is_expand(m) &&
	    (c->kind == SL_CHG_TABLE_DROPPED || c->kind == SL_CHG_COLUMN_DROPPED ||
	     c->kind == SL_CHG_TABLE_ADDED || c->kind == SL_CHG_COLUMN_ADDED ||
	     c->kind == SL_CHG_COLUMN_NULLABLE))
		return 0;
	if ((c->kind == SL_CHG_TABLE_DROPPED || c->kind == SL_CHG_COLUMN_DROPPED) &&
	    (p = rename_partner(df, i, paired)) >= 0) {
		const sl_schema_change *a = &df->items[p];
		paired[p] = true;
		if (c->kind == SL_CHG_TABLE_DROPPED)
			return sl_lint_add(
				d->r, "rename-detected", m, locate(d, m, SL_SECTION_UP, a->table, c->table),
				"table \"%s\" dropped and \"%s\" of the same shape added: a rename breaks "
				"code still using the old name",
				c->table, a->table);
		return sl_lint_add(
			d->r, "rename-detected", m, locate(d, m, SL_SECTION_UP, a->object, c->table),
			"column \"%s\".\"%s\" dropped and \"%s\" of the same type added: a rename breaks "
			"code still using the old name",
			c->table, c->object, a->object);
	}
	switch (c->kind) {
	case SL_CHG_TABLE_DROPPED:
		rc = sl_lint_add(d->r, "drop-detected", m, locate(d, m, SL_SECTION_UP, c->table, NULL),
				 "table \"%s\" existed before this migration and is gone", c->table);
		break;
	case SL_CHG_COLUMN_DROPPED:
		rc = sl_lint_add(d->r, "drop-detected", m, locate(d, m, SL_SECTION_UP, c->object, c->table),
				 "column \"%s\".\"%s\" existed before this migration and is gone", c->table,
				 c->object);
		break;
	case SL_CHG_COLUMN_TYPE:
		if (sl_type_narrows(&c->old_column->type, &c->new_column->type, &why))
			rc = sl_lint_add(d->r, "type-narrowing", m,
					 locate(d, m, SL_SECTION_UP, c->object, c->table),
					 "column \"%s\".\"%s\" type narrows (%s): %s", c->table, c->object,
					 why, c->detail);
		break;
	case SL_CHG_COLUMN_NULLABLE:
	case SL_CHG_COLUMN_ADDED:
		if (paired[i] || !needs_value(c->new_column) || (c->old_column && !c->old_column->nullable))
			break;
		if ((rc = target_has_rows(d, c->table, &rows)) || !rows)
			break;
		rc = sl_lint_add(d->r, "not-null-without-default", m,
				 locate(d, m, SL_SECTION_UP, c->object, c->table),
				 "column \"%s\".\"%s\" %s NOT NULL without a default, and \"%s\" has rows in "
				 "the target",
				 c->table, c->object, c->old_column ? "becomes" : "is added", c->table);
		break;
	default:
		break;
	}
	return rc;
}

static int check_up(dyn *d, const sl_migration *m, const sl_schema *before, const sl_schema *after)
{
	sl_schemadiff *df = NULL;
	bool *paired = NULL;
	int rc = sl_schema_diff(&df, before, after, NULL);
	if (rc)
		goto done;
	if (!(paired = calloc(df->n + 1, sizeof(*paired)))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; !rc && i < df->n; i++)
		rc = check_change(d, m, df, i, paired);
done:
	free(paired);
	sl_schemadiff_free(df);
	return rc;
}

/* 0, or REBUILD when the schema after down differs from before up. */
static int check_down(dyn *d, const sl_migration *m, const sl_schema *before, const sl_schema *after_down)
{
	sl_schemadiff *df = NULL;
	sl_buf b = SL_BUF_INIT;
	const sl_migration_part *pt = sl_migration_part_get(m, SL_SECTION_DOWN, d->dialect);
	int rc = sl_schema_diff(&df, before, after_down, NULL);
	for (size_t i = 0; !rc && df && i < df->n; i++) {
		if (i && (rc = sl_buf_puts(&b, "; ")))
			break;
		rc = sl_schema_change_format(&b, &df->items[i]);
	}
	if (!rc && df && df->n)
		rc = sl_lint_add(d->r, "down-not-inverse", m, pt ? pt->directive_line : 1,
				 "after up then down the schema differs from before up: %s", sl_buf_cstr(&b));
	if (!rc && df && df->n)
		rc = REBUILD;
	sl_buf_free(&b);
	sl_schemadiff_free(df);
	return rc;
}

static int apply_failed(dyn *d, const sl_migration *m, size_t line, const char *what)
{
	const char *msg = sl_error_last()->message;
	char *copy = strdup(msg ? msg : "unknown error");
	int rc = copy ? sl_lint_add(d->r, "apply-failed", m, line, "%s fails on the scratch database: %s",
				    what, copy)
		      : sl_error_nomem();
	free(copy);
	sl_error_clear();
	return rc ? rc : STOP;
}

/* ---- the walk ------------------------------------------------------------------------- */

/* Replays the up sections of migrations [0, upto) of st that are applied (all of them when pending_too). */
static int replay(dyn *d, const sl_migrate_status *st, size_t upto, bool pending_too)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < upto; i++) {
		const sl_mig_status *s = &st->items[i];
		size_t line;
		if (!s->file || (s->state == SL_MIG_PENDING && !pending_too) ||
		    s->state == SL_MIG_MISSING_FILE)
			continue;
		if (run_section(d, s->file, SL_SECTION_UP, &line))
			rc = apply_failed(d, s->file, line,
					  "replaying the up section of this applied migration");
	}
	return rc;
}

typedef struct locate_ctx {
	dyn *d;
	const sl_migration *m;
} locate_ctx;

static size_t locate_up(void *ud, const char *word, const char *table)
{
	locate_ctx *x = ud;
	return locate(x->d, x->m, SL_SECTION_UP, word, table);
}

static int check_consumers(dyn *d, const sl_migration *m, const sl_schema *before, const sl_schema *after)
{
	locate_ctx lx = { .d = d, .m = m };
	sl_lint_after in = { .r = d->r,
			     .m = m,
			     .scratch = d->scratch,
			     .before = before,
			     .after = after,
			     .locate = locate_up,
			     .locate_ud = &lx };
	return sl_lint_impact_after(&d->impact, &in);
}

static int lint_one(dyn *d, const sl_migrate_status *st, size_t idx)
{
	const sl_migration *m = st->items[idx].file;
	sl_schema *before = NULL, *after = NULL, *after_down = NULL;
	size_t line;
	int rc = introspect(d, &before);
	if (rc)
		goto done;
	if (d->impact.cs && (rc = sl_lint_impact_before(&d->impact, d->scratch, before)))
		goto done;
	if (run_section(d, m, SL_SECTION_UP, &line)) {
		rc = apply_failed(d, m, line, "the up section");
		goto done;
	}
	if ((rc = introspect(d, &after)) || (rc = check_up(d, m, before, after)))
		goto done;
	if (d->impact.cs && (rc = check_consumers(d, m, before, after)))
		goto done;
	if (d->o->only || !sl_migration_part_get(m, SL_SECTION_DOWN, d->dialect))
		goto done;
	if (run_section(d, m, SL_SECTION_DOWN, &line)) {
		rc = apply_failed(d, m, line, "the down section");
		goto done;
	}
	if ((rc = introspect(d, &after_down)) || (rc = check_down(d, m, before, after_down)))
		goto done;
	if (run_section(d, m, SL_SECTION_UP, &line))
		rc = apply_failed(d, m, line, "the up section, run again after down,");
done:
	sl_schema_free(before);
	sl_schema_free(after);
	sl_schema_free(after_down);
	return rc;
}

/*
 * After a down that did not restore the schema the scratch state is unknown:
 * start again from an empty database, replaying up to and including idx.
 */
static int rebuild(dyn *d, const sl_migrate_status *st, size_t idx)
{
	drop_scratch(d);
	int rc = create_scratch(d);
	if (!rc)
		rc = replay(d, st, idx + 1, true);
	return rc;
}

/* --only: every migration before it (applied or pending) from its file, then its up. */
static int walk_only(dyn *d, const sl_migrate_status *st)
{
	for (size_t i = 0; i < st->n; i++) {
		if (strcmp(st->items[i].id, d->o->only) != 0 &&
		    sl_migration_id_cmp(st->items[i].id, d->o->only) != 0)
			continue;
		if (!st->items[i].file)
			return sl_error_set(SL_ENOTFOUND, "migration %s: its file is gone", d->o->only);
		int rc = replay(d, st, i, true);
		if (!rc)
			rc = lint_one(d, st, i);
		return rc == STOP ? 0 : rc;
	}
	return sl_error_set(SL_ENOTFOUND, "no migration %s in the migrations directory", d->o->only);
}

static int walk(dyn *d, const sl_migrate_status *st)
{
	if (d->o->only)
		return walk_only(d, st);
	int rc = replay(d, st, st->n, false);
	for (size_t i = 0; !rc && i < st->n; i++) {
		if (st->items[i].state != SL_MIG_PENDING || !st->items[i].file)
			continue;
		rc = lint_one(d, st, i);
		if (rc == REBUILD)
			rc = rebuild(d, st, i);
	}
	return rc == STOP ? 0 : rc;
}

int sl_lint_dynamic(sl_lint_report *r, sl_conn *target, const sl_migration_set *set, const sl_lint_opts *opts)
{
	static const sl_lint_opts dflt = SL_LINT_OPTS_INIT;
	dyn d = { .r = r,
		  .target = target,
		  .o = opts ? opts : &dflt,
		  .set = set,
		  .dialect = sl_conn_engine(target) };
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	size_t npending = 0;
	int rc = 0;

	io.exact_counts = false;
	if ((rc = sl_history_load(&h, target, d.o->table)) ||
	    (rc = sl_migrate_status_build(&st, set, h, d.dialect)))
		goto done;
	for (size_t i = 0; i < st->n; i++)
		npending += st->items[i].state == SL_MIG_PENDING && st->items[i].file;
	if (!npending && !d.o->only)
		goto done;
	/* the map is built for every migration: only when there is a consumer to check or a caller to tell */
	if (d.o->consumers && (d.o->consumers->n || d.o->on_impact))
		d.impact.cs = d.o->consumers;
	d.impact.on_impact = d.o->on_impact;
	d.impact.impact_ud = d.o->impact_ud;
	if ((rc = sl_conn_introspect(&d.target_model, target, &io)))
		goto done;
	/* what the consumers' queries use on the target: a query a pending migration breaks keeps it */
	for (size_t i = 0; d.impact.cs && !rc && i < d.impact.cs->n; i++)
		rc = sl_consumer_derive(d.impact.cs, &d.impact.cs->items[i], target, d.target_model, NULL);
	if (rc)
		goto done;
	if ((rc = create_scratch(&d)))
		goto done;
	rc = walk(&d, st);
done:
	drop_scratch(&d);
	sl_lint_impact_free(&d.impact);
	sl_schema_free(d.target_model);
	sl_migrate_status_free(st);
	sl_history_free(h);
	return rc;
}
