/*
 * plan.c - the plan of a copy: introspects the source, keeps the selected
 * tables (dropping foreign keys, views and triggers that reach outside the
 * selection), makes the cast plan and the DDL, and decides per table how it
 * loads: ordered by which key, which columns are written (never a column the
 * target generates), and whether it can be split into key ranges.
 *
 * The source SELECT of a part is built here too, so the ordering and the
 * "after the checkpoint" condition are written in one place (docs/copy.md).
 */
#include "copy_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

/* Selected by --tables (by the names tables go by on the target: docs/schemas.md). */
static bool selected(const sl_schema *s, const sl_copy_opts *o, const sl_table *t)
{
	if (!o || !o->tables)
		return true;
	for (size_t i = 0; i < o->ntables; i++)
		if (sl_schema_find_flat(s, o->tables[i]) == t)
			return true;
	return false;
}

static bool in_model(const sl_schema *s, const char *table)
{
	return sl_schema_find_table(s, NULL, table) != NULL;
}

/* Keeps only the selected tables and what depends on them alone. */
static int select_tables(sl_schema *s, const sl_copy_opts *o)
{
	for (size_t i = 0; o && o->tables && i < o->ntables; i++)
		if (!sl_schema_find_flat(s, o->tables[i]))
			return sl_error_set(SL_ENOTFOUND, "plan the copy: no table \"%s\" in the source",
					    o->tables[i]);
	bool *keep = calloc(s->ntables + 1, sizeof(bool));
	if (!keep)
		return sl_error_nomem();
	for (size_t i = 0; i < s->ntables; i++)
		keep[i] = selected(s, o, &s->tables[i]);
	size_t n = 0;
	for (size_t i = 0; i < s->ntables; i++)
		if (keep[i])
			s->tables[n++] = s->tables[i];
	s->ntables = n;
	free(keep);
	for (size_t i = 0; i < s->ntables; i++) {
		sl_table *t = &s->tables[i];
		size_t k = 0;
		for (size_t j = 0; j < t->nfkeys; j++)
			if (sl_schema_find_ref(s, t, &t->fkeys[j]))
				t->fkeys[k++] = t->fkeys[j];
		t->nfkeys = k;
	}
	size_t nt = 0;
	for (size_t i = 0; i < s->ntriggers; i++)
		if (in_model(s, s->triggers[i].table))
			s->triggers[nt++] = s->triggers[i];
	s->ntriggers = nt;
	size_t nv = 0;
	for (size_t i = 0; i < s->nviews; i++) {
		bool ok = true;
		for (size_t j = 0; j < s->views[i].nreads; j++) {
			const char *rt = s->views[i].reads[j].table;
			bool is_view = false;
			for (size_t k = 0; k < s->nviews; k++)
				if (strcmp(s->views[k].name, rt) == 0)
					is_view = true;
			if (!is_view && !in_model(s, rt))
				ok = false;
		}
		if (ok)
			s->views[nv++] = s->views[i];
	}
	s->nviews = nv;
	return 0;
}

static bool kind_is_int(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

static bool key_not_null(const sl_table *t, const sl_key *k)
{
	for (size_t i = 0; i < k->ncolumns; i++) {
		const sl_column *c = sl_table_find_column(t, k->columns[i]);
		if (!c || c->nullable)
			return false;
	}
	return k->ncolumns > 0;
}

/* SQLite lets primary key columns hold NULL: a key is usable only when none does. */
static int key_has_null(sl_conn *src, const sl_table *t, const sl_key *k, bool *out)
{
	sl_buf b = SL_BUF_INIT;
	int64_t n = 0;
	int rc = sl_buf_puts(&b, "SELECT count(*) FROM (SELECT 1 FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(src, &b, t->name);
	for (size_t i = 0; !rc && i < k->ncolumns; i++) {
		rc = sl_buf_puts(&b, i ? " OR " : " WHERE ");
		if (!rc)
			rc = sl_conn_quote_ident(src, &b, k->columns[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " IS NULL");
	}
	if (!rc)
		rc = sl_buf_puts(&b, " LIMIT 1)");
	if (!rc)
		rc = sl_conn_query_int(src, b.ptr, &n);
	*out = n > 0;
	sl_buf_free(&b);
	return rc;
}

static int plan_table(sl_copy_plan *p, sl_copy_tplan *tp, sl_conn *src, const sl_table *t)
{
	sl_arena *a = p->arena;
	sl_buf flat = SL_BUF_INIT;
	tp->src = t;
	tp->cast = sl_cast_plan_find_table(p->casts, t->schema, t->name);
	if (!tp->cast)
		return sl_error_set(SL_ERROR, "plan the copy: table \"%s\" is not in the cast plan", t->name);
	int frc = sl_table_flat_name(&flat, p->schema, t);
	tp->ref = frc ? NULL : sl_arena_strdup(a, sl_buf_cstr(&flat));
	sl_buf_free(&flat);
	if (!tp->ref)
		return sl_error_nomem();
	const sl_key *key = NULL;
	/* a source whose primary key columns may hold NULL (SQLite) keeps the key unless a NULL is there */
	bool pk_nulls = sl_dialect_of(p->source)->primary_key_nulls;
	if (t->primary_key && (key_not_null(t, t->primary_key) || pk_nulls))
		key = t->primary_key;
	for (size_t i = 0; !key && i < t->nuniques; i++)
		if (key_not_null(t, &t->uniques[i]))
			key = &t->uniques[i];
	if (key && pk_nulls && !key_not_null(t, key)) {
		bool has_null = false;
		int rc = key_has_null(src, t, key, &has_null);
		if (rc)
			return rc;
		if (has_null)
			key = NULL;
	}
	tp->keyless = key == NULL;
	if (key) {
		tp->key = key->columns;
		tp->nkey = key->ncolumns;
		const sl_column *kc = sl_table_find_column(t, key->columns[0]);
		tp->int_key = key->ncolumns == 1 && kc && kind_is_int(kc->type.kind) &&
			      !(kc->type.kind == SL_T_INT64 && kc->type.is_unsigned);
	}
	tp->wcols = sl_arena_calloc(a, t->ncolumns + 1, sizeof(size_t));
	tp->wnames = sl_arena_calloc(a, t->ncolumns + 1, sizeof(char *));
	tp->key_in_row = sl_arena_calloc(a, tp->nkey + 1, sizeof(size_t));
	if (!tp->wcols || !tp->wnames || !tp->key_in_row)
		return SL_ENOMEM;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (tp->cast->columns[i].generated)
			continue;
		tp->wnames[tp->nwcols] = tp->cast->columns[i].name;
		tp->wcols[tp->nwcols++] = i;
	}
	/* key columns: their position in the select list (written columns first, then the rest) */
	size_t extra = tp->nwcols;
	for (size_t k = 0; k < tp->nkey; k++) {
		bool found = false;
		for (size_t j = 0; j < tp->nwcols; j++)
			if (strcmp(t->columns[tp->wcols[j]].name, tp->key[k]) == 0) {
				tp->key_in_row[k] = j;
				found = true;
			}
		if (!found)
			tp->key_in_row[k] = extra++;
	}
	return 0;
}

int sl_copy_plan_new(sl_copy_plan **out, sl_conn *src, sl_engine target, const sl_copy_opts *opts)
{
	sl_copy_plan *p = calloc(1, sizeof(*p));
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	sl_ddl_opts dopts = SL_DDL_OPTS_INIT;
	int rc = 0;
	*out = NULL;
	if (!p)
		return sl_error_nomem();
	p->arena = sl_arena_new(0);
	if (!p->arena) {
		rc = sl_error_nomem();
		goto done;
	}
	p->source = sl_conn_engine(src);
	p->target = target;
	if (opts) {
		io.schemas = opts->schemas;
		io.nschemas = opts->nschemas;
		io.all_schemas = opts->all_schemas;
	}
	rc = sl_conn_introspect(&p->schema, src, &io);
	if (rc) {
		sl_error_prefix("plan the copy: read the source schema");
		goto done;
	}
	rc = select_tables(p->schema, opts);
	if (rc)
		goto done;
	/* keys built after the rows: not when hooks compute or rewrite values (a key could repeat) */
	dopts.keys_after_load = !opts || !opts->hooks;
	if (opts) {
		dopts.flavour = opts->flavour;
		dopts.shard_tables = opts->shard_tables;
		dopts.shard_columns = opts->shard_columns;
		dopts.nshard = opts->nshard;
	}
	rc = sl_cast_plan_new(&p->casts, p->schema, target, opts ? opts->rules : NULL);
	if (!rc)
		rc = sl_ddl_generate(&p->ddl, p->schema, p->casts, target, &dopts);
	dopts.if_not_exists = true;
	if (!rc)
		rc = sl_ddl_generate(&p->ddl_ine, p->schema, p->casts, target, &dopts);
	if (rc) {
		sl_error_prefix("plan the copy");
		goto done;
	}
	p->ntables = p->schema->ntables;
	p->tables = sl_arena_calloc(p->arena, p->ntables + 1, sizeof(*p->tables));
	if (!p->tables) {
		rc = SL_ENOMEM;
		goto done;
	}
	for (size_t i = 0; !rc && i < p->ntables; i++)
		rc = plan_table(p, &p->tables[i], src, &p->schema->tables[i]);
done:
	if (rc) {
		sl_copy_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void sl_copy_plan_free(sl_copy_plan *p)
{
	if (!p)
		return;
	sl_ddl_free(p->ddl);
	sl_ddl_free(p->ddl_ine);
	sl_cast_plan_free(p->casts);
	sl_schema_free(p->schema);
	sl_arena_free(p->arena);
	free(p);
}

const sl_cast_plan *sl_copy_plan_casts(const sl_copy_plan *p)
{
	return p->casts;
}
const sl_ddl *sl_copy_plan_ddl(const sl_copy_plan *p)
{
	return p->ddl;
}
const sl_schema *sl_copy_plan_schema(const sl_copy_plan *p)
{
	return p->schema;
}

size_t sl_copy_plan_count(const sl_copy_plan *p, sl_cast_severity sev)
{
	return sl_cast_plan_count(p->casts, sev);
}

const sl_copy_tplan *sl_copy_plan_find(const sl_copy_plan *p, const char *table)
{
	for (size_t i = 0; i < p->ntables; i++)
		if (strcmp(p->tables[i].ref, table) == 0)
			return &p->tables[i];
	return NULL;
}

int sl_copy_plan_text(sl_buf *out, const sl_copy_plan *p)
{
	int rc = sl_cast_plan_text(out, p->casts);
	if (!rc && p->ddl_check)
		rc = sl_buf_printf(out, "%s\n", p->ddl_check);
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		const sl_copy_tplan *t = &p->tables[i];
		if (t->keyless)
			rc = sl_buf_printf(
				out,
				"load: \"%s\" has no usable key (no primary key or unique NOT NULL key): "
				"it is reloaded whole on resume\n",
				t->ref);
	}
	if (!rc && sl_schema_others_count(p->schema) > 0)
		rc = sl_copy_left_behind(out, p->schema);
	if (!rc)
		rc = sl_buf_puts(out, "\n");
	if (!rc)
		rc = sl_ddl_render(out, p->ddl);
	return rc;
}

int sl_copy_left_behind(sl_buf *out, const sl_schema *s)
{
	int64_t n = sl_schema_others_count(s);
	int rc = sl_buf_printf(out, "left behind: %" PRId64 " table%s in schemas not selected:", n,
			       n == 1 ? "" : "s");
	for (size_t i = 0; !rc && i < s->nothers; i++)
		rc = sl_buf_printf(out, "%s \"%s\" (%" PRId64 ")", i ? "," : "", s->others[i].schema,
				   s->others[i].ntables);
	if (!rc)
		rc = sl_buf_puts(out, "; copy them with --schema NAME or --all-schemas\n");
	return rc;
}

/* ---- the source query of a part ---- */

static int put_col(sl_buf *b, sl_conn *src, const char *name)
{
	return sl_conn_quote_ident(src, b, name);
}

static bool is_key_column(const sl_copy_tplan *t, const char *name)
{
	for (size_t k = 0; k < t->nkey; k++)
		if (strcmp(t->key[k], name) == 0)
			return true;
	return false;
}

/* A written column: the hook's expression in parentheses, or the column itself. */
static int put_read_col(sl_buf *b, sl_conn *src, const sl_copy_tplan *t, const char *name,
			const sl_copy_hooks *h)
{
	if (h && h->select_expr && !is_key_column(t, name)) {
		size_t mark = b->len;
		int rc = sl_buf_putc(b, '(');
		int got = rc ? rc : h->select_expr(h->ud, b, src, t->src, name);
		if (got < 0)
			return got;
		if (got > 0)
			return sl_buf_putc(b, ')');
		b->len = mark;
		if (b->ptr)
			b->ptr[mark] = '\0';
	}
	return put_col(b, src, name);
}

/* The hook's row filter as "(condition)" after glue; *glue becomes " AND " when one was written. */
static int put_filter(sl_buf *b, sl_conn *src, const sl_copy_tplan *t, const sl_copy_hooks *h,
		      const char **glue)
{
	if (!h || !h->row_filter)
		return 0;
	size_t mark = b->len;
	int rc = sl_buf_puts(b, *glue);
	if (!rc)
		rc = sl_buf_putc(b, '(');
	int got = rc ? rc : h->row_filter(h->ud, b, src, t->src);
	if (got < 0)
		return got;
	if (got == 0) {
		b->len = mark;
		if (b->ptr)
			b->ptr[mark] = '\0';
		return 0;
	}
	*glue = " AND ";
	return sl_buf_putc(b, ')');
}

int sl_copy_select_sql(sl_buf *out, sl_conn *src, const sl_copy_tplan *t, const sl_copy_part *p,
		       const sl_value *last, const sl_copy_hooks *hooks)
{
	int rc = sl_buf_puts(out, "SELECT ");
	size_t n = 0;
	for (size_t j = 0; !rc && j < t->nwcols; j++, n++) {
		if (n)
			rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = put_read_col(out, src, t, t->src->columns[t->wcols[j]].name, hooks);
	}
	for (size_t k = 0; !rc && k < t->nkey; k++) {
		if (t->key_in_row[k] < t->nwcols)
			continue;
		if (n++)
			rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = put_col(out, src, t->key[k]);
	}
	if (!rc && n == 0)
		rc = sl_buf_puts(out, "1");
	if (!rc)
		rc = sl_buf_puts(out, " FROM ");
	if (!rc && sl_conn_has(src, SL_CAP_SCHEMAS) && t->src->schema) {
		rc = sl_conn_quote_ident(src, out, t->src->schema);
		if (!rc)
			rc = sl_buf_putc(out, '.');
	}
	if (!rc)
		rc = sl_conn_quote_ident(src, out, t->src->name);
	const char *glue = " WHERE ";
	if (!rc)
		rc = put_filter(out, src, t, hooks, &glue);
	if (!rc && p->has_lo) {
		rc = sl_buf_puts(out, glue);
		if (!rc)
			rc = put_col(out, src, t->key[0]);
		if (!rc)
			rc = sl_buf_printf(out, " >= %lld", (long long)p->lo);
		glue = " AND ";
	}
	if (!rc && p->has_hi) {
		rc = sl_buf_puts(out, glue);
		if (!rc)
			rc = put_col(out, src, t->key[0]);
		if (!rc)
			rc = sl_buf_printf(out, " < %lld", (long long)p->hi);
		glue = " AND ";
	}
	if (!rc && last) {
		/* (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... */
		rc = sl_buf_printf(out, "%s(", glue);
		for (size_t i = 0; !rc && i < t->nkey; i++) {
			rc = sl_buf_puts(out, i ? " OR (" : "(");
			for (size_t j = 0; !rc && j <= i; j++) {
				if (j)
					rc = sl_buf_puts(out, " AND ");
				if (!rc)
					rc = put_col(out, src, t->key[j]);
				if (!rc)
					rc = sl_buf_puts(out, j < i ? " = " : " > ");
				if (!rc)
					rc = sl_conn_quote_literal(src, out, &last[j]);
			}
			if (!rc)
				rc = sl_buf_putc(out, ')');
		}
		if (!rc)
			rc = sl_buf_putc(out, ')');
	}
	for (size_t k = 0; !rc && k < t->nkey; k++) {
		rc = sl_buf_puts(out, k ? ", " : " ORDER BY ");
		if (!rc)
			rc = put_col(out, src, t->key[k]);
	}
	return rc;
}
