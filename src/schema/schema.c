/*
 * schema.c - building, sorting and querying the portable schema model
 * (include/sluice/schema.h). Everything is allocated in the model's arena.
 */
#include "sluice/schema.h"
#include "sluice/error.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sl_schema_new(sl_schema **out, sl_engine engine)
{
	*out = NULL;
	sl_schema *s = calloc(1, sizeof(*s));
	if (!s)
		return sl_error_nomem();
	s->engine = engine;
	s->arena = sl_arena_new(0);
	if (!s->arena) {
		free(s);
		return SL_ENOMEM;
	}
	*out = s;
	return 0;
}

void sl_schema_free(sl_schema *s)
{
	if (!s)
		return;
	sl_arena_free(s->arena);
	free(s);
}

const char *sl_schema_strdup(sl_schema *s, const char *str)
{
	return str ? sl_arena_strdup(s->arena, str) : NULL;
}

/* Appends an element and, when name is given, sets its name (first field after schema/name rules below). */
#define PUSH(s, arr, n, cap) sl_arena_push((s)->arena, &(arr), &(n), &(cap), sizeof(*(arr)))

sl_table *sl_schema_add_table(sl_schema *s, const char *schema, const char *name)
{
	sl_table *t = PUSH(s, s->tables, s->ntables, s->cap_tables);
	if (t) {
		t->schema = sl_schema_strdup(s, schema);
		t->name = sl_schema_strdup(s, name);
		t->row_count = -1;
	}
	return t;
}

sl_column *sl_table_add_column(sl_schema *s, sl_table *t, const char *name)
{
	sl_column *c = PUSH(s, t->columns, t->ncolumns, t->cap_columns);
	if (c) {
		c->name = sl_schema_strdup(s, name);
		c->nullable = true;
		c->type.precision = -1;
	}
	return c;
}

sl_index *sl_table_add_index(sl_schema *s, sl_table *t, const char *name)
{
	sl_index *i = PUSH(s, t->indexes, t->nindexes, t->cap_indexes);
	if (i)
		i->name = sl_schema_strdup(s, name);
	return i;
}

sl_key *sl_table_add_unique(sl_schema *s, sl_table *t, const char *name)
{
	sl_key *k = PUSH(s, t->uniques, t->nuniques, t->cap_uniques);
	if (k)
		k->name = sl_schema_strdup(s, name);
	return k;
}

sl_fkey *sl_table_add_fkey(sl_schema *s, sl_table *t, const char *name)
{
	sl_fkey *f = PUSH(s, t->fkeys, t->nfkeys, t->cap_fkeys);
	if (f) {
		f->name = sl_schema_strdup(s, name);
		f->validated = true;
	}
	return f;
}

sl_check *sl_table_add_check(sl_schema *s, sl_table *t, const char *name, const char *expr)
{
	sl_check *c = PUSH(s, t->checks, t->nchecks, t->cap_checks);
	if (c) {
		c->name = sl_schema_strdup(s, name);
		c->expr = sl_schema_strdup(s, expr);
	}
	return c;
}

sl_view *sl_schema_add_view(sl_schema *s, const char *schema, const char *name)
{
	sl_view *v = PUSH(s, s->views, s->nviews, s->cap_views);
	if (v) {
		v->schema = sl_schema_strdup(s, schema);
		v->name = sl_schema_strdup(s, name);
	}
	return v;
}

int sl_view_add_read(sl_schema *s, sl_view *v, const char *schema, const char *table, const char *column)
{
	for (size_t i = 0; i < v->nreads; i++) {
		const sl_view_dep *d = &v->reads[i];
		if (strcmp(d->table, table) == 0 &&
		    ((!d->column && !column) || (d->column && column && strcmp(d->column, column) == 0)))
			return 0;
	}
	sl_view_dep *d = PUSH(s, v->reads, v->nreads, v->cap_reads);
	if (!d)
		return SL_ENOMEM;
	d->schema = sl_schema_strdup(s, schema);
	d->table = sl_schema_strdup(s, table);
	d->column = sl_schema_strdup(s, column);
	return 0;
}

sl_trigger *sl_schema_add_trigger(sl_schema *s, const char *schema, const char *name)
{
	sl_trigger *t = PUSH(s, s->triggers, s->ntriggers, s->cap_triggers);
	if (t) {
		t->schema = sl_schema_strdup(s, schema);
		t->name = sl_schema_strdup(s, name);
	}
	return t;
}

sl_sequence *sl_schema_add_sequence(sl_schema *s, const char *schema, const char *name)
{
	sl_sequence *q = PUSH(s, s->sequences, s->nsequences, s->cap_sequences);
	if (q) {
		q->schema = sl_schema_strdup(s, schema);
		q->name = sl_schema_strdup(s, name);
		q->start = 1;
		q->increment = 1;
	}
	return q;
}

sl_enum_type *sl_schema_add_enum(sl_schema *s, const char *schema, const char *name)
{
	sl_enum_type *e = PUSH(s, s->enums, s->nenums, s->cap_enums);
	if (e) {
		e->schema = sl_schema_strdup(s, schema);
		e->name = sl_schema_strdup(s, name);
	}
	return e;
}

int sl_schema_strlist_add(sl_schema *s, const char ***list, size_t *n, const char *name)
{
	const char **nl = sl_arena_alloc(s->arena, (*n + 1) * sizeof(char *));
	if (!nl)
		return SL_ENOMEM;
	if (*n)
		memcpy(nl, *list, *n * sizeof(char *));
	nl[*n] = sl_schema_strdup(s, name);
	if (name && !nl[*n])
		return SL_ENOMEM;
	*list = nl;
	(*n)++;
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_table(const void *a, const void *b)
{
	const sl_table *x = a, *y = b;
	int c = cmp_str(x->schema, y->schema);
	return c ? c : cmp_str(x->name, y->name);
}

static int cmp_view(const void *a, const void *b)
{
	const sl_view *x = a, *y = b;
	int c = cmp_str(x->schema, y->schema);
	return c ? c : cmp_str(x->name, y->name);
}

static int cmp_trigger(const void *a, const void *b)
{
	const sl_trigger *x = a, *y = b;
	int c = cmp_str(x->table, y->table);
	return c ? c : cmp_str(x->name, y->name);
}

static int cmp_sequence(const void *a, const void *b)
{
	return cmp_str(((const sl_sequence *)a)->name, ((const sl_sequence *)b)->name);
}

static int cmp_enum(const void *a, const void *b)
{
	return cmp_str(((const sl_enum_type *)a)->name, ((const sl_enum_type *)b)->name);
}

static int cmp_index(const void *a, const void *b)
{
	return cmp_str(((const sl_index *)a)->name, ((const sl_index *)b)->name);
}

/* Keys and foreign keys: by their column lists, since names are engine-made. */
static int cmp_cols(const char **a, size_t na, const char **b, size_t nb)
{
	for (size_t i = 0; i < na && i < nb; i++) {
		int c = cmp_str(a[i], b[i]);
		if (c)
			return c;
	}
	return na < nb ? -1 : na > nb;
}

static int cmp_key(const void *a, const void *b)
{
	const sl_key *x = a, *y = b;
	return cmp_cols(x->columns, x->ncolumns, y->columns, y->ncolumns);
}

static int cmp_fkey(const void *a, const void *b)
{
	const sl_fkey *x = a, *y = b;
	int c = cmp_cols(x->columns, x->ncolumns, y->columns, y->ncolumns);
	return c ? c : cmp_str(x->ref_table, y->ref_table);
}

static int cmp_check(const void *a, const void *b)
{
	const sl_check *x = a, *y = b;
	int c = cmp_str(x->name, y->name);
	return c ? c : cmp_str(x->expr, y->expr);
}

#define SORT(arr, n, fn)                                                                                     \
	do {                                                                                                 \
		if ((n) > 1)                                                                                 \
			qsort((arr), (n), sizeof(*(arr)), (fn));                                             \
	} while (0)

void sl_schema_sort(sl_schema *s)
{
	SORT(s->tables, s->ntables, cmp_table);
	SORT(s->views, s->nviews, cmp_view);
	SORT(s->triggers, s->ntriggers, cmp_trigger);
	SORT(s->sequences, s->nsequences, cmp_sequence);
	SORT(s->enums, s->nenums, cmp_enum);
	for (size_t i = 0; i < s->ntables; i++) {
		sl_table *t = &s->tables[i];
		SORT(t->indexes, t->nindexes, cmp_index);
		SORT(t->uniques, t->nuniques, cmp_key);
		SORT(t->fkeys, t->nfkeys, cmp_fkey);
		SORT(t->checks, t->nchecks, cmp_check);
	}
}

sl_table *sl_schema_find_table(const sl_schema *s, const char *schema, const char *name)
{
	for (size_t i = 0; i < s->ntables; i++) {
		sl_table *t = &s->tables[i];
		if (strcmp(t->name, name) == 0 && (!schema || cmp_str(t->schema, schema) == 0))
			return t;
	}
	return NULL;
}

const sl_table *sl_schema_find_table_ci(const sl_schema *s, const char *schema, const char *name)
{
	const sl_table *t = sl_schema_find_table(s, schema, name);
	for (size_t i = 0; !t && i < s->ntables; i++)
		if (strcasecmp(s->tables[i].name, name) == 0 &&
		    (!schema || !s->tables[i].schema || strcmp(s->tables[i].schema, schema) == 0))
			t = &s->tables[i];
	return t;
}

sl_table *sl_schema_find_ref(const sl_schema *s, const sl_table *t, const sl_fkey *fk)
{
	return sl_schema_find_table(s, fk->ref_schema ? fk->ref_schema : t->schema, fk->ref_table);
}

int sl_table_flat_name(sl_buf *out, const sl_schema *s, const sl_table *t)
{
	bool keep = s->nschemas <= 1 || !t->schema || !s->default_schema ||
		    strcmp(t->schema, s->default_schema) == 0;
	return keep ? sl_buf_puts(out, t->name) : sl_buf_printf(out, "%s__%s", t->schema, t->name);
}

const sl_table *sl_schema_find_flat(const sl_schema *s, const char *name)
{
	sl_buf b = SL_BUF_INIT;
	const sl_table *found = NULL;
	for (int pass = 0; pass < 2 && !found; pass++)
		for (size_t i = 0; i < s->ntables && !found; i++) {
			sl_buf_clear(&b);
			if (sl_table_flat_name(&b, s, &s->tables[i]))
				break;
			if (pass ? strcasecmp(sl_buf_cstr(&b), name) == 0
				 : strcmp(sl_buf_cstr(&b), name) == 0)
				found = &s->tables[i];
		}
	sl_buf_free(&b);
	return found;
}

int64_t sl_schema_others_count(const sl_schema *s)
{
	int64_t n = 0;
	for (size_t i = 0; i < s->nothers; i++)
		n += s->others[i].ntables;
	return n;
}

sl_column *sl_table_find_column(const sl_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

const sl_column *sl_table_find_column_ci(const sl_table *t, const char *name)
{
	const sl_column *c = sl_table_find_column(t, name);
	for (size_t i = 0; !c && i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			c = &t->columns[i];
	return c;
}

static const char *const tkind_names[SL_T__COUNT] = {
	[SL_T_UNKNOWN] = "unknown",
	[SL_T_BOOL] = "bool",
	[SL_T_INT16] = "int16",
	[SL_T_INT32] = "int32",
	[SL_T_INT64] = "int64",
	[SL_T_FLOAT32] = "float32",
	[SL_T_FLOAT64] = "float64",
	[SL_T_DECIMAL] = "decimal",
	[SL_T_CHAR] = "char",
	[SL_T_VARCHAR] = "varchar",
	[SL_T_TEXT] = "text",
	[SL_T_BLOB] = "blob",
	[SL_T_DATE] = "date",
	[SL_T_TIME] = "time",
	[SL_T_TIMESTAMP] = "timestamp",
	[SL_T_TIMESTAMPTZ] = "timestamptz",
	[SL_T_INTERVAL] = "interval",
	[SL_T_UUID] = "uuid",
	[SL_T_JSON] = "json",
	[SL_T_ENUM] = "enum",
	[SL_T_SET] = "set",
	[SL_T_ARRAY] = "array",
	[SL_T_BIT] = "bit",
	[SL_T_GEOMETRY] = "geometry",
	[SL_T_OTHER] = "other",
};

bool sl_tkind_is_int(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

const char *sl_tkind_name(sl_tkind k)
{
	return (unsigned)k < SL_T__COUNT ? tkind_names[k] : "unknown";
}

sl_tkind sl_tkind_family(sl_tkind k)
{
	switch (k) {
	case SL_T_INT16:
	case SL_T_INT32:
		return SL_T_INT64;
	case SL_T_FLOAT32:
		return SL_T_FLOAT64;
	case SL_T_CHAR:
	case SL_T_VARCHAR:
		return SL_T_TEXT;
	default:
		return k;
	}
}

const char *sl_fk_action_name(sl_fk_action a)
{
	switch (a) {
	case SL_FK_RESTRICT:
		return "restrict";
	case SL_FK_CASCADE:
		return "cascade";
	case SL_FK_SET_NULL:
		return "set null";
	case SL_FK_SET_DEFAULT:
		return "set default";
	default:
		return "no action";
	}
}

static int format_labels(sl_buf *out, const sl_type *t)
{
	int rc = sl_buf_putc(out, '(');
	for (size_t i = 0; !rc && i < t->nlabels; i++) {
		if (i)
			rc = sl_buf_putc(out, ',');
		if (!rc)
			rc = sl_buf_putc(out, '\'');
		for (const char *p = t->labels[i]; !rc && *p; p++)
			rc = *p == '\'' ? sl_buf_puts(out, "''") : sl_buf_putc(out, *p);
		if (!rc)
			rc = sl_buf_putc(out, '\'');
	}
	return rc ? rc : sl_buf_putc(out, ')');
}

int sl_type_format(sl_buf *out, const sl_type *t)
{
	int rc = sl_buf_puts(out, sl_tkind_name(t->kind));
	switch (t->kind) {
	case SL_T_DECIMAL:
		if (!rc && t->precision > 0)
			rc = sl_buf_printf(out, "(%d,%d)", t->precision, t->scale);
		break;
	case SL_T_CHAR:
	case SL_T_VARCHAR:
	case SL_T_BIT:
		if (!rc && t->length > 0)
			rc = sl_buf_printf(out, "(%d)", t->length);
		break;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
		if (!rc && t->precision >= 0)
			rc = sl_buf_printf(out, "(%d)", t->precision);
		break;
	case SL_T_ENUM:
	case SL_T_SET:
		if (!rc && t->nlabels)
			rc = format_labels(out, t);
		else if (!rc && t->elem)
			rc = sl_buf_printf(out, ":%s", t->elem);
		break;
	case SL_T_ARRAY:
		if (!rc && t->elem)
			rc = sl_buf_printf(out, "<%s>", t->elem);
		break;
	default:
		break;
	}
	if (!rc && t->is_unsigned)
		rc = sl_buf_puts(out, " unsigned");
	return rc;
}
