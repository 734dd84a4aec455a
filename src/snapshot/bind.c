/*
 * bind.c - the masking rules of sluice.yaml bound to the source's columns,
 * with every check that can be made before a row moves: the table and the
 * column exist (else the nearest name is suggested), the rule fits the
 * column's type, NULL only where the column takes it, unique columns stay
 * unique, keys stay readable, both ends of a relationship are masked alike
 * so joins hold, and a key is given when a rule needs one. Then the fail-
 * closed check: every column that looks like personal data has a rule.
 */
#include "snapshot_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/pii.h"
#include "sluice/util.h"

tbind *sl_snap_table(const snap *s, const char *table)
{
	for (size_t i = 0; i < s->schema->ntables; i++)
		if (strcmp(s->schema->tables[i].name, table) == 0)
			return &s->tables[i];
	return NULL;
}

colbind *sl_snap_column(const tbind *tb, const char *column)
{
	for (size_t i = 0; tb && i < tb->ncols; i++)
		if (strcmp(tb->cols[i].c->name, column) == 0)
			return &tb->cols[i];
	return NULL;
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

static bool is_unique(const sl_table *t, const char *col)
{
	if (t->primary_key && sl_str_in(col, t->primary_key->columns, t->primary_key->ncolumns))
		return true;
	for (size_t i = 0; i < t->nuniques; i++)
		if (sl_str_in(col, t->uniques[i].columns, t->uniques[i].ncolumns))
			return true;
	for (size_t i = 0; i < t->nindexes; i++) {
		const sl_index *x = &t->indexes[i];
		if (!x->unique || x->where)
			continue;
		for (size_t j = 0; j < x->ncolumns; j++)
			if (!x->is_expression[j] && strcmp(x->columns[j], col) == 0)
				return true;
	}
	return false;
}

static const char **names_of_tables(snap *s)
{
	const char **l = sl_arena_calloc(s->a, s->schema->ntables + 1, sizeof(*l));
	for (size_t i = 0; l && i < s->schema->ntables; i++)
		l[i] = s->schema->tables[i].name;
	return l;
}

static const char **names_of_columns(snap *s, const sl_table *t)
{
	const char **l = sl_arena_calloc(s->a, t->ncolumns + 1, sizeof(*l));
	for (size_t i = 0; l && i < t->ncolumns; i++)
		l[i] = t->columns[i].name;
	return l;
}

/* SL_EINVALID "pos: snapshot.masks.T.C: <message>" */
static int bad(const sl_snapshot_mask *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(const sl_snapshot_mask *m, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s: snapshot.masks.%s.%s: %s", m->where_column, m->table, m->column,
			    msg);
}

static int check_rule(snap *s, const tbind *tb, const sl_snapshot_mask *m, colbind *cb)
{
	const sl_mask_rule *r = cb->rule;
	const sl_column *c = cb->c;
	if (c->generated_expr)
		return bad(m,
			   "the column is generated from other columns: it is not copied, mask the columns "
			   "it is made from");
	if (sl_mask_rule_check(r, &cb->target)) {
		char *msg = strdup(sl_error_last()->message);
		int rc = bad(m, "%s", msg ? msg : "the rule does not apply");
		free(msg);
		return rc;
	}
	if (r->kind == SL_MASK_NULL && !c->nullable)
		return bad(m, "the column is NOT NULL: use fixed (one value) or another rule");
	if (cb->unique && r->kind == SL_MASK_FIXED)
		return bad(m, "the column is unique: one fixed value would repeat; use hash or a fake");
	if (cb->unique &&
	    (r->kind == SL_MASK_DATE_SHIFT || r->kind == SL_MASK_JSON || (r->kind == SL_MASK_NOISE && r->by)))
		return bad(m, "the column is unique and rule \"%s\" cannot keep it unique; use hash or keep",
			   sl_mask_kind_name(r->kind));
	if (sl_str_in(c->name, tb->ident, tb->nident) && r->kind == SL_MASK_SQL)
		return bad(m, "the column is the table's key, which the copy reads as it is: use hash");
	if (r->kind == SL_MASK_SHUFFLE && !tb->nident)
		return bad(m, "shuffle needs a table with a primary key or a unique NOT NULL key");
	if (r->by) {
		const sl_column *b = sl_table_find_column(tb->t, r->by);
		if (!b) {
			const char *near = sl_config_nearest(r->by, names_of_columns(s, tb->t));
			return near ? bad(m,
					  "\"by\": table \"%s\" has no column \"%s\" (did you mean \"%s\"?)",
					  tb->t->name, r->by, near)
				    : bad(m, "\"by\": table \"%s\" has no column \"%s\"", tb->t->name, r->by);
		}
		if (b->generated_expr)
			return bad(m, "\"by\": column \"%s\" is generated and is not read", r->by);
	}
	if (sl_mask_rule_keyed(r) && !s->masker)
		return bad(m,
			   "rule \"%s\" needs the masking key: give --key-env NAME (or snapshot.key_env), "
			   "NAME being an environment variable that holds the key",
			   sl_mask_kind_name(r->kind));
	return 0;
}

static int bind_one(snap *s, const sl_snapshot_mask *m)
{
	tbind *tb = sl_snap_table(s, m->table);
	if (!tb) {
		if (s->o->copy.tables)
			return 0; /* a table left out with --tables */
		const char *near = sl_config_nearest(m->table, names_of_tables(s));
		return near ? sl_error_set(SL_EINVALID,
					   "%s: snapshot.masks: no table \"%s\" in the source (did you "
					   "mean \"%s\"?)",
					   m->where_table, m->table, near)
			    : sl_error_set(SL_EINVALID, "%s: snapshot.masks: no table \"%s\" in the source",
					   m->where_table, m->table);
	}
	const sl_column *c = sl_table_find_column(tb->t, m->column);
	if (!c) {
		const char *near = sl_config_nearest(m->column, names_of_columns(s, tb->t));
		return near ? bad(m, "table \"%s\" has no column \"%s\" (did you mean \"%s\"?)", m->table,
				  m->column, near)
			    : bad(m, "table \"%s\" has no column \"%s\"", m->table, m->column);
	}
	colbind *cb = &tb->cols[tb->ncols++];
	cb->c = c;
	cb->rule = &m->rule;
	sl_mask_target_from_column(&cb->target, c);
	cb->unique = is_unique(tb->t, c->name);
	sl_buf b = SL_BUF_INIT;
	int rc = sl_mask_rule_text(&b, &m->rule);
	if (!rc && !(cb->text = sl_arena_strdup(s->a, sl_buf_cstr(&b))))
		rc = sl_error_nomem();
	sl_buf_free(&b);
	if (!rc)
		rc = check_rule(s, tb, m, cb);
	if (!rc && m->rule.kind != SL_MASK_KEEP && m->rule.kind != SL_MASK_SQL)
		tb->transform = true;
	return rc;
}

/* Both ends of each relationship masked alike, or neither: otherwise the join breaks. */
static int check_relationships(snap *s)
{
	for (size_t i = 0; i < s->nrels; i++) {
		const sl_relationship *r = &s->rels[i];
		for (size_t k = 0; k < r->ncolumns; k++) {
			const colbind *a = sl_snap_column(sl_snap_table(s, r->table), r->columns[k]);
			const colbind *b = sl_snap_column(sl_snap_table(s, r->ref_table), r->ref_columns[k]);
			bool ma = a && a->rule->kind != SL_MASK_KEEP, mb = b && b->rule->kind != SL_MASK_KEEP;
			if (!ma && !mb)
				continue;
			if (ma && mb && strcmp(a->text, b->text) == 0 && sl_mask_rule_value_only(a->rule))
				continue;
			return sl_error_set(
				SL_EINVALID,
				"relationship %s: %s.%s is masked with %s and %s.%s with %s: both "
				"ends need the same rule, one that depends on the value alone (hash, "
				"email, name, ...), or the rows no longer join",
				r->name, r->table, r->columns[k], ma ? a->text : "keep", r->ref_table,
				r->ref_columns[k], mb ? b->text : "keep");
		}
	}
	return 0;
}

int sl_snap_bind(snap *s)
{
	const sl_snapshot_config *cfg = s->o->config;
	int rc = 0;
	s->tables = sl_arena_calloc(s->a, s->schema->ntables + 1, sizeof(*s->tables));
	if (!s->tables)
		return sl_error_nomem();
	for (size_t i = 0; i < s->schema->ntables; i++) {
		tbind *tb = &s->tables[i];
		const sl_table *t = &s->schema->tables[i];
		tb->t = t;
		tb->cols = sl_arena_calloc(s->a, t->ncolumns + 1, sizeof(*tb->cols));
		if (!tb->cols)
			return sl_error_nomem();
		const sl_key *k = t->primary_key;
		for (size_t j = 0; !k && j < t->nuniques; j++)
			if (key_not_null(t, &t->uniques[j]))
				k = &t->uniques[j];
		if (k) {
			tb->ident = k->columns;
			tb->nident = k->ncolumns;
		}
	}
	for (size_t i = 0; !rc && cfg && i < cfg->nmasks; i++)
		rc = bind_one(s, &cfg->masks[i]);
	if (!rc)
		rc = check_relationships(s);
	return rc;
}

int sl_snap_fail_closed(snap *s)
{
	sl_pii_report *r = NULL;
	sl_pii_opts po = SL_PII_OPTS_INIT;
	sl_buf msg = SL_BUF_INIT;
	size_t missing = 0;
	po.sample_rows = s->o->pii_sample > 0 ? s->o->pii_sample : 200;
	int rc = sl_pii_scan(&r, s->src, s->schema, &po);
	for (size_t i = 0; !rc && i < r->ncols; i++) {
		const sl_pii_column *f = &r->cols[i];
		colbind *cb = sl_snap_column(sl_snap_table(s, f->table), f->column);
		if (cb) {
			cb->flagged = sl_arena_printf(s->a, "%s: %s", sl_pii_kind_name(f->kind), f->reason);
			if (!cb->flagged)
				rc = sl_error_nomem();
			continue;
		}
		rc = sl_buf_printf(&msg, "\n  %s.%s: %s (%s); suggested rule: %s", f->table, f->column,
				   sl_pii_kind_name(f->kind), f->reason, f->suggest);
		missing++;
	}
	if (!rc && missing)
		rc = sl_error_set(
			SL_EINVALID,
			"snapshot refused: %zu column%s look%s like personal data and %s no masking rule "
			"(fail closed):%s\nGive each a rule under snapshot.masks in sluice.yaml (`sluice "
			"pii scan SOURCE` writes a section to start from), or `keep` for a column you "
			"checked and found harmless",
			missing, missing == 1 ? "" : "s", missing == 1 ? "s" : "",
			missing == 1 ? "has" : "have", msg.ptr);
	sl_buf_free(&msg);
	sl_pii_report_free(r);
	return rc;
}
