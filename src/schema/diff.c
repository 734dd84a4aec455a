/*
 * diff.c - comparing two schema models (include/sluice/schemadiff.h).
 *
 * The comparison is by name, object kind by object kind, table by table;
 * objects without a name (SQLite checks and unique keys) match by their
 * definition. Both models are only read; changes point into them.
 */
#include "sluice/schemadiff.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"

typedef struct differ {
	sl_schemadiff *d;
	const sl_schemadiff_opts *o;
	const sl_table *ot, *nt;
} differ;

static bool streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strlist_eq(const char **a, size_t na, const char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!streq(a[i], b[i]))
			return false;
	return true;
}

static int add(differ *x, sl_change_kind kind, const char *object, const sl_column *oc, const sl_column *nc,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int add(differ *x, sl_change_kind kind, const char *object, const sl_column *oc, const sl_column *nc,
	       const char *fmt, ...)
{
	sl_schemadiff *d = x->d;
	sl_schema_change *c = sl_arena_push(d->arena, &d->items, &d->n, &d->cap, sizeof(*c));
	if (!c)
		return sl_error_nomem();
	c->kind = kind;
	c->old_table = x->ot;
	c->new_table = x->nt;
	c->table = x->nt ? x->nt->name : x->ot->name;
	c->object = object;
	c->old_column = oc;
	c->new_column = nc;
	if (fmt) {
		sl_buf b = SL_BUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		int rc = sl_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		c->detail = rc ? NULL : sl_arena_strdup(d->arena, sl_buf_cstr(&b));
		sl_buf_free(&b);
		if (!c->detail)
			return sl_error_nomem();
	}
	return 0;
}

/* ---- types ------------------------------------------------------------------ */

static int int_rank(sl_tkind k)
{
	switch (k) {
	case SL_T_BOOL:
		return 1;
	case SL_T_INT16:
		return 2;
	case SL_T_INT32:
		return 3;
	case SL_T_INT64:
		return 4;
	default:
		return 0;
	}
}

static bool is_string(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT;
}

/* A string type's length limit; 0 for none. */
static int str_limit(const sl_type *t)
{
	return t->kind == SL_T_TEXT ? 0 : t->length;
}

bool sl_type_narrows(const sl_type *from, const sl_type *to, const char **why)
{
	const char *w = NULL;
	if (int_rank(from->kind) && int_rank(to->kind) && int_rank(to->kind) < int_rank(from->kind))
		w = "a smaller integer type";
	else if (int_rank(from->kind) > 1 && int_rank(to->kind) > 1 && from->is_unsigned != to->is_unsigned &&
		 int_rank(to->kind) == int_rank(from->kind))
		w = "the sign changed";
	else if (from->kind == SL_T_FLOAT64 && to->kind == SL_T_FLOAT32)
		w = "float64 to float32 loses precision";
	else if ((int_rank(from->kind) > 1 || from->kind == SL_T_DECIMAL) && to->kind == SL_T_FLOAT32)
		w = "an exact number into float32";
	else if (from->kind == SL_T_DECIMAL && to->kind == SL_T_DECIMAL && to->precision > 0) {
		if (from->precision == 0)
			w = "an unconstrained decimal gets a precision";
		else if (to->precision - to->scale < from->precision - from->scale)
			w = "fewer digits before the decimal point";
		else if (to->scale < from->scale)
			w = "fewer digits after the decimal point";
	} else if (from->kind == SL_T_DECIMAL && int_rank(to->kind) > 1) {
		w = "a decimal into an integer";
	} else if (is_string(from->kind) && is_string(to->kind) && str_limit(to) > 0 &&
		   (str_limit(from) == 0 || str_limit(to) < str_limit(from))) {
		w = str_limit(from) == 0 ? "an unbounded string gets a length limit"
					 : "a shorter length limit";
	} else if (from->kind == SL_T_TIMESTAMPTZ && to->kind == SL_T_TIMESTAMP) {
		w = "the time zone is dropped";
	} else if ((from->kind == SL_T_TIMESTAMP || from->kind == SL_T_TIMESTAMPTZ) &&
		   to->kind == SL_T_DATE) {
		w = "the time of day is dropped";
	}
	if (why)
		*why = w;
	return w != NULL;
}

static int type_text(sl_buf *b, const sl_column *c)
{
	int rc = sl_type_format(b, &c->type);
	if (!rc && c->decl_type)
		rc = sl_buf_printf(b, " [%s]", c->decl_type);
	return rc;
}

/* ---- columns ------------------------------------------------------------------ */

static int diff_column(differ *x, const sl_column *oc, const sl_column *nc)
{
	sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
	int rc = 0;
	if ((rc = type_text(&a, oc)) || (rc = type_text(&b, nc)))
		goto done;
	if (strcmp(sl_buf_cstr(&a), sl_buf_cstr(&b)) != 0 &&
	    (rc = add(x, SL_CHG_COLUMN_TYPE, nc->name, oc, nc, "%s -> %s", sl_buf_cstr(&a), sl_buf_cstr(&b))))
		goto done;
	if (oc->nullable != nc->nullable &&
	    (rc = add(x, SL_CHG_COLUMN_NULLABLE, nc->name, oc, nc, "%s -> %s",
		      oc->nullable ? "NULL" : "NOT NULL", nc->nullable ? "NULL" : "NOT NULL")))
		goto done;
	if (!x->o->ignore_defaults && !streq(oc->default_expr, nc->default_expr))
		rc = add(x, SL_CHG_COLUMN_DEFAULT, nc->name, oc, nc, "%s -> %s",
			 oc->default_expr ? oc->default_expr : "(none)",
			 nc->default_expr ? nc->default_expr : "(none)");
done:
	sl_buf_free(&a);
	sl_buf_free(&b);
	return rc;
}

static int diff_columns(differ *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < x->ot->ncolumns; i++) {
		const sl_column *oc = &x->ot->columns[i], *nc = sl_table_find_column(x->nt, oc->name);
		if (!nc)
			rc = add(x, SL_CHG_COLUMN_DROPPED, oc->name, oc, NULL, NULL);
		else
			rc = diff_column(x, oc, nc);
	}
	for (size_t i = 0; !rc && i < x->nt->ncolumns; i++) {
		const sl_column *nc = &x->nt->columns[i];
		if (!sl_table_find_column(x->ot, nc->name))
			rc = add(x, SL_CHG_COLUMN_ADDED, nc->name, NULL, nc, NULL);
	}
	return rc;
}

/* ---- keys and indexes ------------------------------------------------------------ */

static int columns_text(sl_buf *b, const char **cols, size_t n)
{
	int rc = sl_buf_putc(b, '(');
	for (size_t i = 0; !rc && i < n; i++)
		rc = sl_buf_printf(b, "%s%s", i ? ", " : "", cols[i]);
	return rc ? rc : sl_buf_putc(b, ')');
}

static int diff_pkey(differ *x)
{
	const sl_key *a = x->ot->primary_key, *b = x->nt->primary_key;
	sl_buf ta = SL_BUF_INIT, tb = SL_BUF_INIT;
	int rc = 0;
	if (!a && !b)
		return 0;
	if (a && b && strlist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns))
		return 0;
	if ((a && (rc = columns_text(&ta, a->columns, a->ncolumns))) ||
	    (b && (rc = columns_text(&tb, b->columns, b->ncolumns))))
		goto done;
	rc = add(x, SL_CHG_PKEY_CHANGED, "primary key", NULL, NULL, "%s -> %s",
		 a ? sl_buf_cstr(&ta) : "(none)", b ? sl_buf_cstr(&tb) : "(none)");
done:
	sl_buf_free(&ta);
	sl_buf_free(&tb);
	return rc;
}

static const sl_key *find_unique(const sl_table *t, const sl_key *k)
{
	for (size_t i = 0; i < t->nuniques; i++) {
		const sl_key *u = &t->uniques[i];
		if (k->name && u->name ? streq(k->name, u->name)
				       : strlist_eq(k->columns, k->ncolumns, u->columns, u->ncolumns))
			return u;
	}
	return NULL;
}

static int key_label(differ *x, const sl_key *k, const char **out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = columns_text(&b, k->columns, k->ncolumns);
	*out = rc ? NULL
		  : (k->name ? sl_arena_printf(x->d->arena, "%s %s", k->name, sl_buf_cstr(&b))
			     : sl_arena_strdup(x->d->arena, sl_buf_cstr(&b)));
	sl_buf_free(&b);
	return rc ? rc : (*out ? 0 : sl_error_nomem());
}

static int diff_uniques(differ *x)
{
	const char *label;
	int rc = 0;
	for (size_t i = 0; !rc && i < x->ot->nuniques; i++)
		if (!find_unique(x->nt, &x->ot->uniques[i]) &&
		    !(rc = key_label(x, &x->ot->uniques[i], &label)))
			rc = add(x, SL_CHG_UNIQUE_DROPPED, label, NULL, NULL, NULL);
	for (size_t i = 0; !rc && i < x->nt->nuniques; i++)
		if (!find_unique(x->ot, &x->nt->uniques[i]) &&
		    !(rc = key_label(x, &x->nt->uniques[i], &label)))
			rc = add(x, SL_CHG_UNIQUE_ADDED, label, NULL, NULL, NULL);
	return rc;
}

static const sl_index *find_index(const sl_table *t, const char *name)
{
	for (size_t i = 0; name && i < t->nindexes; i++)
		if (streq(t->indexes[i].name, name))
			return &t->indexes[i];
	return NULL;
}

static bool index_eq(const sl_index *a, const sl_index *b)
{
	return a->unique == b->unique && a->primary == b->primary &&
	       strlist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns) && streq(a->where, b->where) &&
	       streq(a->method, b->method);
}

static int diff_indexes(differ *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < x->ot->nindexes; i++) {
		const sl_index *a = &x->ot->indexes[i], *b = find_index(x->nt, a->name);
		if (!b)
			rc = add(x, SL_CHG_INDEX_DROPPED, a->name, NULL, NULL, NULL);
		else if (!index_eq(a, b))
			rc = add(x, SL_CHG_INDEX_CHANGED, a->name, NULL, NULL, "%s",
				 b->definition ? b->definition : "columns, uniqueness, method or predicate");
	}
	for (size_t i = 0; !rc && i < x->nt->nindexes; i++)
		if (!find_index(x->ot, x->nt->indexes[i].name))
			rc = add(x, SL_CHG_INDEX_ADDED, x->nt->indexes[i].name, NULL, NULL, NULL);
	return rc;
}

static const sl_fkey *find_fkey(const sl_table *t, const sl_fkey *k)
{
	for (size_t i = 0; i < t->nfkeys; i++) {
		const sl_fkey *f = &t->fkeys[i];
		if (k->name && f->name ? streq(k->name, f->name)
				       : strlist_eq(k->columns, k->ncolumns, f->columns, f->ncolumns) &&
						 streq(k->ref_table, f->ref_table))
			return f;
	}
	return NULL;
}

static bool fkey_eq(const sl_fkey *a, const sl_fkey *b)
{
	return strlist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns) &&
	       streq(a->ref_table, b->ref_table) &&
	       strlist_eq(a->ref_columns, a->ncolumns, b->ref_columns, b->ncolumns) &&
	       a->on_delete == b->on_delete && a->on_update == b->on_update && a->deferrable == b->deferrable;
}

static const char *fkey_label(differ *x, const sl_fkey *k)
{
	return k->name ? k->name : sl_arena_printf(x->d->arena, "-> %s", k->ref_table ? k->ref_table : "?");
}

static int diff_fkeys(differ *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < x->ot->nfkeys; i++) {
		const sl_fkey *a = &x->ot->fkeys[i], *b = find_fkey(x->nt, a);
		if (!b)
			rc = add(x, SL_CHG_FKEY_DROPPED, fkey_label(x, a), NULL, NULL, NULL);
		else if (!fkey_eq(a, b))
			rc = add(x, SL_CHG_FKEY_CHANGED, fkey_label(x, a), NULL, NULL, NULL);
	}
	for (size_t i = 0; !rc && i < x->nt->nfkeys; i++)
		if (!find_fkey(x->ot, &x->nt->fkeys[i]))
			rc = add(x, SL_CHG_FKEY_ADDED, fkey_label(x, &x->nt->fkeys[i]), NULL, NULL, NULL);
	return rc;
}

static const sl_check *find_check(const sl_table *t, const sl_check *k)
{
	for (size_t i = 0; i < t->nchecks; i++) {
		const sl_check *c = &t->checks[i];
		if (k->name && c->name ? streq(k->name, c->name) : streq(k->expr, c->expr))
			return c;
	}
	return NULL;
}

static int diff_checks(differ *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < x->ot->nchecks; i++) {
		const sl_check *a = &x->ot->checks[i], *b = find_check(x->nt, a);
		const char *label = a->name ? a->name : a->expr;
		if (!b)
			rc = add(x, SL_CHG_CHECK_DROPPED, label, NULL, NULL, NULL);
		else if (!streq(a->expr, b->expr))
			rc = add(x, SL_CHG_CHECK_CHANGED, label, NULL, NULL, "%s -> %s", a->expr, b->expr);
	}
	for (size_t i = 0; !rc && i < x->nt->nchecks; i++)
		if (!find_check(x->ot, &x->nt->checks[i]))
			rc = add(x, SL_CHG_CHECK_ADDED,
				 x->nt->checks[i].name ? x->nt->checks[i].name : x->nt->checks[i].expr, NULL,
				 NULL, NULL);
	return rc;
}

/* ---- tables ---------------------------------------------------------------------- */

static const sl_table *find_table(const differ *x, const sl_schema *s, const sl_table *t)
{
	for (size_t i = 0; i < s->ntables; i++)
		if (streq(s->tables[i].name, t->name) &&
		    (!x->o->match_schema || streq(s->tables[i].schema, t->schema)))
			return &s->tables[i];
	return NULL;
}

static int diff_table(differ *x)
{
	int rc = diff_columns(x);
	if (!rc)
		rc = diff_pkey(x);
	if (!rc)
		rc = diff_uniques(x);
	if (!rc)
		rc = diff_indexes(x);
	if (!rc)
		rc = diff_fkeys(x);
	if (!rc)
		rc = diff_checks(x);
	return rc;
}

int sl_schema_diff(sl_schemadiff **out, const sl_schema *a, const sl_schema *b,
		   const sl_schemadiff_opts *opts)
{
	static const sl_schemadiff_opts dflt = SL_SCHEMADIFF_OPTS_INIT;
	differ x = { .o = opts ? opts : &dflt };
	int rc = 0;

	*out = NULL;
	if (!(x.d = calloc(1, sizeof(*x.d))) || !(x.d->arena = sl_arena_new(0))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; !rc && i < a->ntables; i++) {
		x.ot = &a->tables[i];
		x.nt = find_table(&x, b, x.ot);
		if (!x.nt) {
			rc = add(&x, SL_CHG_TABLE_DROPPED, NULL, NULL, NULL, NULL);
			continue;
		}
		rc = diff_table(&x);
	}
	for (size_t i = 0; !rc && i < b->ntables; i++) {
		x.ot = NULL;
		x.nt = &b->tables[i];
		if (!find_table(&x, a, x.nt))
			rc = add(&x, SL_CHG_TABLE_ADDED, NULL, NULL, NULL, NULL);
	}
	if (!rc) {
		*out = x.d;
		x.d = NULL;
	}
done:
	sl_schemadiff_free(x.d);
	return rc;
}

void sl_schemadiff_free(sl_schemadiff *d)
{
	if (!d)
		return;
	sl_arena_free(d->arena);
	free(d);
}

const char *sl_change_kind_name(sl_change_kind k)
{
	static const char *const names[] = { "table added",
					     "table dropped",
					     "column added",
					     "column dropped",
					     "column type changed",
					     "column nullability changed",
					     "column default changed",
					     "primary key changed",
					     "unique key added",
					     "unique key dropped",
					     "index added",
					     "index dropped",
					     "index changed",
					     "foreign key added",
					     "foreign key dropped",
					     "foreign key changed",
					     "check added",
					     "check dropped",
					     "check changed" };
	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static const char *object_word(sl_change_kind k)
{
	switch (k) {
	case SL_CHG_TABLE_ADDED:
	case SL_CHG_TABLE_DROPPED:
		return "table";
	case SL_CHG_COLUMN_ADDED:
	case SL_CHG_COLUMN_DROPPED:
	case SL_CHG_COLUMN_TYPE:
	case SL_CHG_COLUMN_NULLABLE:
	case SL_CHG_COLUMN_DEFAULT:
		return "column";
	case SL_CHG_PKEY_CHANGED:
		return "primary key of";
	case SL_CHG_UNIQUE_ADDED:
	case SL_CHG_UNIQUE_DROPPED:
		return "unique key";
	case SL_CHG_INDEX_ADDED:
	case SL_CHG_INDEX_DROPPED:
	case SL_CHG_INDEX_CHANGED:
		return "index";
	case SL_CHG_FKEY_ADDED:
	case SL_CHG_FKEY_DROPPED:
	case SL_CHG_FKEY_CHANGED:
		return "foreign key";
	default:
		return "check";
	}
}

static const char *verb(sl_change_kind k)
{
	const char *name = sl_change_kind_name(k);
	const char *sp = strrchr(name, ' ');
	return sp ? sp + 1 : name;
}

int sl_schema_change_format(sl_buf *out, const sl_schema_change *c)
{
	const char *what = object_word(c->kind);
	int rc;
	if (!c->object || c->kind == SL_CHG_PKEY_CHANGED)
		rc = sl_buf_printf(out, "%s \"%s\" %s", what, c->table, verb(c->kind));
	else if (c->kind <= SL_CHG_COLUMN_DEFAULT)
		rc = sl_buf_printf(out, "%s \"%s\".\"%s\" %s%s", what, c->table, c->object,
				   c->kind == SL_CHG_COLUMN_TYPE       ? "type "
				   : c->kind == SL_CHG_COLUMN_NULLABLE ? "nullability "
				   : c->kind == SL_CHG_COLUMN_DEFAULT  ? "default "
								       : "",
				   verb(c->kind));
	else
		rc = sl_buf_printf(out, "%s \"%s\" on \"%s\" %s", what, c->object, c->table, verb(c->kind));
	if (!rc && c->detail)
		rc = sl_buf_printf(out, ": %s", c->detail);
	return rc;
}
