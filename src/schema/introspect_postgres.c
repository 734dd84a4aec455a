/*
 * introspect_postgres.c - reads PostgreSQL schemas into the portable model:
 * the search path's first by default, or those sl_introspect_opts names.
 *
 * Uses only the public connection API (conn.h): plain SQL against pg_catalog.
 * One query per object kind, each streamed row by row; rows are attached to
 * tables by the table's OID (oids[] runs parallel to s->tables, which is
 * complete before anything else is read). Tables are ordinary tables and
 * partitioned parents; partitions themselves are left out (their parent
 * stands for them). docs/drivers/postgres.md lists the type mapping.
 */
#include "schema/introspect.h"
#include "sluice/error.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct ix {
	sl_conn *c;
	sl_schema *s;
	const sl_introspect_opts *opts;
	int64_t nsp; /* the namespace being read: OID and name */
	const char *nspname;
	struct nsp_list *nsps; /* every namespace to read */
	int64_t *oids;         /* parallel to s->tables */
	size_t noids, cap_oids;
	/* the constraint being read (rows come one per column) */
	int64_t con_rel;
	const char *con_name;
	sl_key *key;
	sl_fkey *fkey;
	sl_index *index;
} ix;

typedef int (*row_fn)(ix *x, const sl_value *row);

/* Runs sql and calls fn for each row (fn must not run queries of its own). */
static int each_row(ix *x, const char *sql, row_fn fn)
{
	sl_cursor *cur = NULL;
	sl_batch b;
	int rc = 0;
	memset(&b, 0, sizeof(b));
	if ((rc = sl_conn_query(&cur, x->c, sql)) != 0)
		goto done;
	if ((rc = sl_batch_init(&b, sl_cursor_ncols(cur), 256)) != 0)
		goto done;
	for (;;) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 256);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t r = 0; !rc && r < b.nrows; r++)
			rc = fn(x, sl_batch_row(&b, r));
		if (rc)
			break;
	}
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

/* The value as a string in the model's arena; NULL for SQL NULL. */
static const char *str(ix *x, const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON)
		return sl_arena_strndup(x->s->arena, v->u.s.ptr, v->u.s.len);
	sl_buf b = SL_BUF_INIT;
	const char *r = NULL;
	if (!sl_value_format(&b, v))
		r = sl_arena_strdup(x->s->arena, sl_buf_cstr(&b));
	sl_buf_free(&b);
	return r;
}

static int64_t num(const sl_value *v)
{
	if (v->type == SL_V_INT)
		return v->u.i;
	if (v->type == SL_V_DECIMAL || v->type == SL_V_TEXT)
		return strtoll(v->u.s.ptr, NULL, 10);
	return 0;
}

static bool flag(const sl_value *v)
{
	return v->type == SL_V_BOOL && v->u.b;
}

static char ch(const sl_value *v)
{
	return v->type == SL_V_TEXT && v->u.s.len ? v->u.s.ptr[0] : '\0';
}

static sl_table *table_by_oid(ix *x, int64_t oid)
{
	for (size_t i = 0; i < x->noids && i < x->s->ntables; i++)
		if (x->oids[i] == oid)
			return &x->s->tables[i];
	return NULL;
}

static bool is_sluice(const ix *x, const char *name)
{
	return !x->opts->include_sluice && name && strncmp(name, "sluice_", 7) == 0;
}

/* Runs sql with every "@nsp@" replaced by the namespace OID. */
static int run_fmt(ix *x, row_fn fn, const char *sql)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	const char *p = sql, *at;
	while (!rc && (at = strstr(p, "@nsp@")) != NULL) {
		rc = sl_buf_put(&b, p, (size_t)(at - p));
		if (!rc)
			rc = sl_buf_printf(&b, "%" PRId64, x->nsp);
		p = at + 5;
	}
	if (!rc)
		rc = sl_buf_puts(&b, p);
	if (!rc)
		rc = each_row(x, b.ptr, fn);
	sl_buf_free(&b);
	return rc;
}

/* ---- tables ---- */

static int on_table(ix *x, const sl_value *r)
{
	const char *name = str(x, &r[1]);
	if (!name)
		return SL_ENOMEM;
	if (is_sluice(x, name))
		return 0;
	sl_table *t = sl_schema_add_table(x->s, x->nspname, name);
	int64_t *o = sl_arena_push(x->s->arena, &x->oids, &x->noids, &x->cap_oids, sizeof(int64_t));
	if (!t || !o)
		return SL_ENOMEM;
	*o = num(&r[0]);
	int64_t est = num(&r[2]);
	t->row_count = est < 0 ? -1 : est;
	t->comment = str(x, &r[3]);
	return 0;
}

static const char TABLES_SQL[] =
	"SELECT c.oid::int8, c.relname::text, c.reltuples::int8, obj_description(c.oid, 'pg_class')"
	"  FROM pg_class c WHERE c.relnamespace = @nsp@"
	"   AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname";

/* ---- columns ---- */

static void map_type(sl_type *t, const char *base, char typtype, char category, int64_t typmod)
{
	static const struct {
		const char *name;
		sl_tkind kind;
	} simple[] = {
		{ "int2", SL_T_INT16 },        { "int4", SL_T_INT32 },         { "int8", SL_T_INT64 },
		{ "bool", SL_T_BOOL },         { "float4", SL_T_FLOAT32 },     { "float8", SL_T_FLOAT64 },
		{ "text", SL_T_TEXT },         { "citext", SL_T_TEXT },        { "name", SL_T_TEXT },
		{ "bytea", SL_T_BLOB },        { "date", SL_T_DATE },          { "interval", SL_T_INTERVAL },
		{ "uuid", SL_T_UUID },         { "json", SL_T_JSON },          { "jsonb", SL_T_JSON },
		{ "geometry", SL_T_GEOMETRY }, { "geography", SL_T_GEOMETRY },
	};
	t->kind = SL_T_OTHER;
	t->precision = -1;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (strcmp(base, simple[i].name) == 0)
			t->kind = simple[i].kind;
	if (strcmp(base, "numeric") == 0) {
		t->kind = SL_T_DECIMAL;
		t->precision = typmod >= 4 ? (int)(((typmod - 4) >> 16) & 0xffff) : 0;
		t->scale = typmod >= 4 ? (int)(int16_t)((typmod - 4) & 0xffff) : 0;
	} else if (strcmp(base, "bpchar") == 0) {
		t->kind = SL_T_CHAR;
		t->length = typmod >= 4 ? (int)(typmod - 4) : 0;
	} else if (strcmp(base, "varchar") == 0) {
		t->kind = typmod >= 4 ? SL_T_VARCHAR : SL_T_TEXT;
		t->length = typmod >= 4 ? (int)(typmod - 4) : 0;
	} else if (!strcmp(base, "time") || !strcmp(base, "timestamp") || !strcmp(base, "timestamptz")) {
		t->kind = base[4] == '\0' ? SL_T_TIME : base[9] == '\0' ? SL_T_TIMESTAMP : SL_T_TIMESTAMPTZ;
		t->precision = typmod >= 0 ? (int)typmod : -1;
	} else if (!strcmp(base, "bit") || !strcmp(base, "varbit")) {
		t->kind = SL_T_BIT;
		t->length = typmod > 0 ? (int)typmod : 0;
	} else if (typtype == 'e') {
		t->kind = SL_T_ENUM;
	} else if (category == 'A') {
		t->kind = SL_T_ARRAY;
	} else if (category == 'G') {
		t->kind = SL_T_GEOMETRY;
	}
}

/*
 * Columns: relid, name, decl, notnull, default, attgenerated, attidentity,
 * collation, comment, base type name, base typtype, typmod, base category,
 * element type name, is serial.
 */
static const char COLUMNS_SQL[] =
	"SELECT a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
	"       pg_get_expr(d.adbin, d.adrelid), a.attgenerated::text, a.attidentity::text,"
	"       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END,"
	"       col_description(a.attrelid, a.attnum),"
	"       b.typname::text, b.typtype::text,"
	"       (CASE WHEN t.typtype = 'd' AND a.atttypmod = -1 THEN t.typtypmod ELSE a.atttypmod END)::int8,"
	"       b.typcategory::text, CASE WHEN b.typcategory = 'A' THEN format_type(b.typelem, NULL) END,"
	"       a.attidentity = '' AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'"
	"         AND pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) IS NOT NULL"
	"  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
	"  JOIN pg_namespace n ON n.oid = c.relnamespace"
	"  JOIN pg_type t ON t.oid = a.atttypid"
	"  JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
	"  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
	"  LEFT JOIN pg_collation co ON co.oid = a.attcollation"
	" WHERE c.relnamespace = @nsp@ AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
	"   AND a.attnum > 0 AND NOT a.attisdropped"
	" ORDER BY a.attrelid, a.attnum";

static int on_column(ix *x, const sl_value *r)
{
	sl_table *t = table_by_oid(x, num(&r[0]));
	if (!t)
		return 0;
	sl_column *col = sl_table_add_column(x->s, t, str(x, &r[1]));
	if (!col)
		return SL_ENOMEM;
	col->decl_type = str(x, &r[2]);
	col->nullable = !flag(&r[3]);
	const char *expr = str(x, &r[4]);
	if (ch(&r[5]) == 's') {
		col->generated_expr = expr;
		col->generated_stored = true;
	} else {
		col->default_expr = expr;
	}
	col->identity = ch(&r[6]) != '\0' || flag(&r[14]);
	col->collation = str(x, &r[7]);
	col->comment = str(x, &r[8]);
	const char *base = str(x, &r[9]);
	if (!base)
		return SL_ENOMEM;
	map_type(&col->type, base, ch(&r[10]), ch(&r[12]), num(&r[11]));
	if (col->type.kind == SL_T_ENUM)
		col->type.elem = base;
	else if (col->type.kind == SL_T_ARRAY)
		col->type.elem = str(x, &r[13]);
	return 0;
}

static const char ENUM_COLUMNS_SQL[] =
	"SELECT a.attrelid::int8, a.attname::text, e.enumlabel::text"
	"  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
	"  JOIN pg_type t ON t.oid = a.atttypid"
	"  JOIN pg_enum e ON e.enumtypid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
	" WHERE c.relnamespace = @nsp@ AND c.relkind IN ('r', 'p') AND a.attnum > 0"
	"   AND NOT a.attisdropped"
	" ORDER BY a.attrelid, a.attnum, e.enumsortorder";

static int on_enum_label(ix *x, const sl_value *r)
{
	sl_table *t = table_by_oid(x, num(&r[0]));
	const char *name = str(x, &r[1]), *label = str(x, &r[2]);
	sl_column *col = t && name ? sl_table_find_column(t, name) : NULL;
	if (!col || !label)
		return 0;
	return sl_schema_strlist_add(x->s, &col->type.labels, &col->type.nlabels, label);
}

/* ---- constraints (one row per constraint column) ---- */

static const char CONSTRAINTS_SQL[] =
	"SELECT con.conrelid::int8, con.conname::text, con.contype::text, a.attname::text,"
	"       fa.attname::text, rn.nspname::text, rc.relname::text, con.confdeltype::text,"
	"       con.confupdtype::text, con.condeferrable, con.convalidated,"
	"       pg_get_constraintdef(con.oid), rn.oid = c.relnamespace"
	"  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid"
	"  LEFT JOIN LATERAL unnest(con.conkey) WITH ORDINALITY k(n, o) ON true"
	"  LEFT JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n"
	"  LEFT JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = con.confkey[k.o]"
	"  LEFT JOIN pg_class rc ON rc.oid = con.confrelid"
	"  LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
	" WHERE c.relnamespace = @nsp@ AND con.contype IN ('p', 'u', 'f', 'c')"
	" ORDER BY con.conrelid, con.conname, k.o";

static sl_fk_action fk_action(char c)
{
	switch (c) {
	case 'r':
		return SL_FK_RESTRICT;
	case 'c':
		return SL_FK_CASCADE;
	case 'n':
		return SL_FK_SET_NULL;
	case 'd':
		return SL_FK_SET_DEFAULT;
	default:
		return SL_FK_NO_ACTION;
	}
}

/* True when s[0] is '(' and its match is s[n-1] (quotes and identifiers skipped). */
static bool wrapped(const char *s, size_t n)
{
	int depth = 0;
	char quote = 0;
	if (n < 2 || s[0] != '(' || s[n - 1] != ')')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (quote) {
			quote = s[i] == quote ? 0 : quote;
		} else if (s[i] == '\'' || s[i] == '"') {
			quote = s[i];
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')' && --depth == 0 && i != n - 1) {
			return false;
		}
	}
	return depth == 0;
}

/* "CHECK ((a > 0)) NOT VALID" -> "a > 0" */
static const char *check_expr(ix *x, const char *def)
{
	size_t n = strlen(def);
	if (n > 10 && strcmp(def + n - 10, " NOT VALID") == 0)
		n -= 10;
	if (n > 6 && strncmp(def, "CHECK ", 6) == 0) {
		def += 6;
		n -= 6;
	}
	for (int k = 0; k < 2 && wrapped(def, n); k++) {
		def++;
		n -= 2;
	}
	return sl_arena_strndup(x->s->arena, def, n);
}

static int new_constraint(ix *x, sl_table *t, const sl_value *r, const char *name)
{
	char type = ch(&r[2]);
	x->key = NULL;
	x->fkey = NULL;
	if (type == 'p') {
		x->key = sl_arena_calloc(x->s->arena, 1, sizeof(sl_key));
		if (!x->key)
			return SL_ENOMEM;
		x->key->name = name;
		t->primary_key = x->key;
	} else if (type == 'u') {
		if (!(x->key = sl_table_add_unique(x->s, t, name)))
			return SL_ENOMEM;
	} else if (type == 'f') {
		if (!(x->fkey = sl_table_add_fkey(x->s, t, name)))
			return SL_ENOMEM;
		x->fkey->ref_schema = flag(&r[12]) ? NULL : str(x, &r[5]);
		x->fkey->ref_table = str(x, &r[6]);
		x->fkey->on_delete = fk_action(ch(&r[7]));
		x->fkey->on_update = fk_action(ch(&r[8]));
		x->fkey->deferrable = flag(&r[9]);
		x->fkey->validated = flag(&r[10]);
	} else if (type == 'c') {
		const char *def = str(x, &r[11]);
		if (!def || !sl_table_add_check(x->s, t, name, check_expr(x, def)))
			return SL_ENOMEM;
	}
	return 0;
}

static int on_constraint(ix *x, const sl_value *r)
{
	int64_t rel = num(&r[0]);
	sl_table *t = table_by_oid(x, rel);
	const char *name = str(x, &r[1]);
	int rc = 0;
	if (!t || !name)
		return 0;
	if (rel != x->con_rel || !x->con_name || strcmp(name, x->con_name) != 0) {
		x->con_rel = rel;
		x->con_name = name;
		if ((rc = new_constraint(x, t, r, name)) != 0)
			return rc;
	}
	const char *col = str(x, &r[3]);
	if (!col)
		return 0;
	if (x->key)
		rc = sl_schema_strlist_add(x->s, &x->key->columns, &x->key->ncolumns, col);
	else if (x->fkey) {
		size_t nref = x->fkey->ncolumns;
		rc = sl_schema_strlist_add(x->s, &x->fkey->columns, &x->fkey->ncolumns, col);
		if (!rc)
			rc = sl_schema_strlist_add(x->s, &x->fkey->ref_columns, &nref, str(x, &r[4]));
	}
	return rc;
}

/* ---- indexes (one row per key column) ---- */

static const char INDEXES_SQL[] =
	"SELECT i.indrelid::int8, ic.relname::text, i.indisunique, i.indisprimary, am.amname::text,"
	"       pg_get_indexdef(i.indexrelid), pg_get_expr(i.indpred, i.indrelid), k.n::int8,"
	"       a.attname::text, pg_get_indexdef(i.indexrelid, k.o::int, true), k.o"
	"  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
	"  JOIN pg_class c ON c.oid = i.indrelid JOIN pg_am am ON am.oid = ic.relam"
	"  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)"
	"  LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n AND k.n > 0"
	" WHERE c.relnamespace = @nsp@ AND c.relkind IN ('r', 'p') AND k.o <= i.indnkeyatts"
	" ORDER BY i.indrelid, ic.relname, k.o";

static int on_index(ix *x, const sl_value *r)
{
	sl_table *t = table_by_oid(x, num(&r[0]));
	if (!t)
		return 0;
	if (num(&r[10]) == 1) {
		if (!(x->index = sl_table_add_index(x->s, t, str(x, &r[1]))))
			return SL_ENOMEM;
		x->index->unique = flag(&r[2]);
		x->index->primary = flag(&r[3]);
		const char *m = str(x, &r[4]);
		x->index->method = m && strcmp(m, "btree") != 0 ? m : NULL;
		x->index->definition = str(x, &r[5]);
		x->index->where = str(x, &r[6]);
	}
	sl_index *i = x->index;
	if (!i)
		return 0;
	bool expr = num(&r[7]) == 0;
	const char *col = expr ? str(x, &r[9]) : str(x, &r[8]);
	bool *flags = sl_arena_alloc(x->s->arena, (i->ncolumns + 1) * sizeof(bool));
	if (!flags)
		return SL_ENOMEM;
	if (i->ncolumns)
		memcpy(flags, i->is_expression, i->ncolumns * sizeof(bool));
	flags[i->ncolumns] = expr;
	i->is_expression = flags;
	return sl_schema_strlist_add(x->s, &i->columns, &i->ncolumns, col ? col : "");
}

/* ---- views ---- */

static const char VIEWS_SQL[] =
	"SELECT c.oid::int8, c.relname::text, c.relkind = 'm', pg_get_viewdef(c.oid, true)"
	"  FROM pg_class c WHERE c.relnamespace = @nsp@ AND c.relkind IN ('v', 'm')"
	" ORDER BY c.relname";

static int on_view(ix *x, const sl_value *r)
{
	const char *name = str(x, &r[1]);
	if (!name || is_sluice(x, name))
		return 0;
	sl_view *v = sl_schema_add_view(x->s, x->nspname, name);
	if (!v)
		return SL_ENOMEM;
	v->materialized = flag(&r[2]);
	const char *def = str(x, &r[3]);
	if (def) {
		size_t n = strlen(def);
		while (n && (def[n - 1] == ';' || def[n - 1] == ' ' || def[n - 1] == '\n'))
			n--;
		while (n && (*def == ' ' || *def == '\n'))
			def++, n--;
		def = sl_arena_strndup(x->s->arena, def, n);
	}
	v->definition = def;
	/* view oids follow the table oids, in the views' order */
	int64_t *o = sl_arena_push(x->s->arena, &x->oids, &x->noids, &x->cap_oids, sizeof(int64_t));
	if (!o)
		return SL_ENOMEM;
	*o = num(&r[0]);
	return 0;
}

static const char VIEW_DEPS_SQL[] =
	"SELECT DISTINCT v.oid::int8, tn.nspname::text, t.relname::text, a.attname::text"
	"  FROM pg_class v JOIN pg_rewrite rw ON rw.ev_class = v.oid"
	"  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid"
	"   AND d.refclassid = 'pg_class'::regclass"
	"  JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid"
	"  JOIN pg_namespace tn ON tn.oid = t.relnamespace"
	"  LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0"
	" WHERE v.relnamespace = @nsp@ AND v.relkind IN ('v', 'm')"
	" ORDER BY 1, 2, 3, 4";

static int on_view_dep(ix *x, const sl_value *r)
{
	int64_t oid = num(&r[0]);
	/* view oids follow the table oids in x->oids */
	for (size_t i = 0; i < x->s->nviews; i++) {
		if (x->oids[x->s->ntables + i] != oid)
			continue;
		sl_view *v = &x->s->views[i];
		const char *schema = str(x, &r[1]), *table = str(x, &r[2]), *col = str(x, &r[3]);
		if (!table)
			return 0;
		/* a table-level row adds nothing when columns of that table are known */
		if (!col)
			for (size_t k = 0; k < v->nreads; k++)
				if (strcmp(v->reads[k].table, table) == 0)
					return 0;
		return sl_view_add_read(x->s, v, schema, table, col);
	}
	return 0;
}

/* ---- triggers, sequences, enums ---- */

static const char TRIGGERS_SQL[] =
	"SELECT tg.tgname::text, c.relname::text, tg.tgtype::int8, pg_get_triggerdef(tg.oid)"
	"  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid"
	" WHERE c.relnamespace = @nsp@ AND NOT tg.tgisinternal AND NOT c.relispartition"
	" ORDER BY c.relname, tg.tgname";

static int on_trigger(ix *x, const sl_value *r)
{
	const char *table = str(x, &r[1]);
	if (!table || is_sluice(x, table))
		return 0;
	sl_trigger *t = sl_schema_add_trigger(x->s, x->nspname, str(x, &r[0]));
	if (!t)
		return SL_ENOMEM;
	int64_t type = num(&r[2]);
	t->table = table;
	t->for_each_row = type & 1;
	t->timing = type & 64 ? "INSTEAD OF" : type & 2 ? "BEFORE" : "AFTER";
	static const struct {
		int bit;
		const char *name;
	} ev[] = { { 4, "INSERT" }, { 16, "UPDATE" }, { 8, "DELETE" }, { 32, "TRUNCATE" } };
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < 4; i++)
		if (type & ev[i].bit)
			rc = sl_buf_printf(&b, "%s%s", b.len ? " OR " : "", ev[i].name);
	t->events = rc ? NULL : sl_arena_strdup(x->s->arena, sl_buf_cstr(&b));
	sl_buf_free(&b);
	t->definition = str(x, &r[3]);
	return t->events ? 0 : SL_ENOMEM;
}

static const char SEQUENCES_SQL[] =
	"SELECT sc.relname::text, s.seqstart, s.seqincrement,"
	"       COALESCE(pg_sequence_last_value(sc.oid), 0), tc.relname::text, a.attname::text"
	"  FROM pg_sequence s JOIN pg_class sc ON sc.oid = s.seqrelid"
	"  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = sc.oid"
	"   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
	"  LEFT JOIN pg_class tc ON tc.oid = d.refobjid"
	"  LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
	" WHERE sc.relnamespace = @nsp@ ORDER BY sc.relname";

static int on_sequence(ix *x, const sl_value *r)
{
	const char *name = str(x, &r[0]), *owner = str(x, &r[4]);
	if (!name || is_sluice(x, name) || is_sluice(x, owner))
		return 0;
	sl_sequence *q = sl_schema_add_sequence(x->s, x->nspname, name);
	if (!q)
		return SL_ENOMEM;
	q->start = num(&r[1]);
	q->increment = num(&r[2]);
	q->last_value = num(&r[3]);
	q->owned_by_table = owner;
	q->owned_by_column = str(x, &r[5]);
	return 0;
}

static const char ENUMS_SQL[] =
	"SELECT t.typname::text, e.enumlabel::text FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid"
	" WHERE t.typnamespace = @nsp@ ORDER BY t.typname, e.enumsortorder";

static int on_enum(ix *x, const sl_value *r)
{
	const char *name = str(x, &r[0]);
	if (!name)
		return SL_ENOMEM;
	sl_enum_type *e = x->s->nenums ? &x->s->enums[x->s->nenums - 1] : NULL;
	if (!e || strcmp(e->name, name) != 0)
		e = sl_schema_add_enum(x->s, x->nspname, name);
	if (!e)
		return SL_ENOMEM;
	return sl_schema_strlist_add(x->s, &e->labels, &e->nlabels, str(x, &r[1]));
}

/* ---- driver ---- */

/* The schemas to read, in order: oids and names (names in the model's arena). */
typedef struct nsp_list {
	int64_t *oids;
	const char **names;
	size_t n, cap_oids, cap_names; /* n counts both arrays */
} nsp_list;

static int on_namespace(ix *x, const sl_value *r)
{
	nsp_list *l = x->nsps;
	int64_t *o = sl_arena_push(x->s->arena, &l->oids, &l->n, &l->cap_oids, sizeof(int64_t));
	if (!o)
		return SL_ENOMEM;
	l->n--; /* both arrays share the count */
	const char **nm = sl_arena_push(x->s->arena, &l->names, &l->n, &l->cap_names, sizeof(char *));
	if (!nm)
		return SL_ENOMEM;
	*o = num(&r[0]);
	*nm = str(x, &r[1]);
	return *nm ? 0 : SL_ENOMEM;
}

static const char SYSTEM_SCHEMAS[] =
	"nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'";

/* Appends one schema by name; a schema that does not exist is an error naming it (unless missing_ok). */
static int add_namespace(ix *x, const char *name, bool missing_ok)
{
	sl_buf sql = SL_BUF_INIT;
	size_t before = x->nsps->n;
	int rc = sl_buf_puts(&sql, "SELECT oid::int8, nspname::text FROM pg_namespace WHERE nspname = ");
	if (!rc && name) {
		sl_value v = sl_text(name);
		rc = sl_conn_quote_literal(x->c, &sql, &v);
	} else if (!rc) {
		rc = sl_buf_puts(&sql, "current_schema()");
	}
	if (!rc)
		rc = each_row(x, sql.ptr, on_namespace);
	if (!rc && x->nsps->n == before && !missing_ok)
		rc = sl_error_set(SL_ENOTFOUND, "schema \"%s\" does not exist",
				  name ? name : "(current_schema)");
	sl_buf_free(&sql);
	return rc;
}

static int find_namespaces(ix *x)
{
	int rc = 0;
	if (x->opts->all_schemas) {
		sl_buf sql = SL_BUF_INIT;
		rc = sl_buf_printf(
			&sql, "SELECT oid::int8, nspname::text FROM pg_namespace WHERE %s ORDER BY nspname",
			SYSTEM_SCHEMAS);
		if (!rc)
			rc = each_row(x, sql.ptr, on_namespace);
		sl_buf_free(&sql);
	} else if (x->opts->nschemas) {
		for (size_t i = 0; !rc && i < x->opts->nschemas; i++) {
			bool dup = false;
			for (size_t j = 0; j < i; j++)
				dup = dup || strcmp(x->opts->schemas[i], x->opts->schemas[j]) == 0;
			if (!dup)
				rc = add_namespace(x, x->opts->schemas[i], x->opts->schemas_missing_ok);
		}
		if (!rc && x->nsps->n == 0)
			rc = add_namespace(x, NULL, false);
	} else {
		rc = add_namespace(x, x->opts->schema, false);
	}
	x->s->nschemas = x->nsps->n;
	return rc;
}

static int on_default_schema(ix *x, const sl_value *r)
{
	x->s->default_schema = str(x, &r[0]);
	return 0;
}

static int on_other(ix *x, const sl_value *r)
{
	sl_schema *s = x->s;
	sl_schema_other *o = sl_arena_push(s->arena, &s->others, &s->nothers, &s->cap_others, sizeof(*o));
	if (!o)
		return SL_ENOMEM;
	o->schema = str(x, &r[0]);
	o->ntables = num(&r[1]);
	return o->schema ? 0 : SL_ENOMEM;
}

/* The default schema, and how many tables each schema that was not read holds. */
static int find_others(ix *x)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = each_row(x, "SELECT current_schema()::text", on_default_schema);
	if (!rc)
		rc = sl_buf_printf(
			&sql,
			"SELECT n.nspname::text, count(*)::int8 FROM pg_class c JOIN pg_namespace n "
			"ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
			"AND c.relname::text NOT LIKE 'sluice\\_%%' AND n.%s",
			SYSTEM_SCHEMAS);
	for (size_t i = 0; !rc && i < x->nsps->n; i++)
		rc = sl_buf_printf(&sql, " AND n.oid <> %" PRId64, x->nsps->oids[i]);
	if (!rc)
		rc = sl_buf_puts(&sql, " GROUP BY 1 ORDER BY 1");
	if (!rc)
		rc = each_row(x, sql.ptr, on_other);
	sl_buf_free(&sql);
	return rc;
}

static int on_count(ix *x, const sl_value *r)
{
	x->con_rel = num(&r[0]);
	return 0;
}

static int count_rows(ix *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < x->s->ntables; i++) {
		sl_table *t = &x->s->tables[i];
		sl_buf sql = SL_BUF_INIT;
		rc = sl_buf_puts(&sql, "SELECT count(*) FROM ");
		if (!rc)
			rc = sl_conn_quote_ident(x->c, &sql, t->schema);
		if (!rc)
			rc = sl_buf_putc(&sql, '.');
		if (!rc)
			rc = sl_conn_quote_ident(x->c, &sql, t->name);
		if (!rc)
			rc = each_row(x, sql.ptr, on_count);
		if (!rc) {
			t->row_count = x->con_rel;
			t->row_count_exact = true;
		}
		sl_buf_free(&sql);
	}
	x->con_rel = 0;
	return rc;
}

int sl_introspect_postgres(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts)
{
	ix x;
	int rc = 0;
	*out = NULL;
	memset(&x, 0, sizeof(x));
	nsp_list nsps = { 0 };
	x.c = c;
	x.opts = opts;
	x.nsps = &nsps;
	if ((rc = sl_schema_new(&x.s, SL_ENGINE_POSTGRES)) != 0)
		goto done;
	x.s->server_version = sl_schema_strdup(x.s, sl_conn_server_version(c));
	x.s->database = sl_schema_strdup(x.s, sl_conn_database(c));
	if ((rc = find_namespaces(&x)) != 0 || (rc = find_others(&x)) != 0)
		goto done;
	/* tables of every schema first: everything else hangs off them, and their array must not move after
	 */
	for (size_t i = 0; !rc && i < nsps.n; i++) {
		x.nsp = nsps.oids[i];
		x.nspname = nsps.names[i];
		rc = run_fmt(&x, on_table, TABLES_SQL);
	}
	for (size_t i = 0; !rc && i < nsps.n; i++) {
		x.nsp = nsps.oids[i];
		x.nspname = nsps.names[i];
		if ((rc = run_fmt(&x, on_column, COLUMNS_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_enum_label, ENUM_COLUMNS_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_constraint, CONSTRAINTS_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_index, INDEXES_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_view, VIEWS_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_view_dep, VIEW_DEPS_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_trigger, TRIGGERS_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_sequence, SEQUENCES_SQL)) != 0 ||
		    (rc = run_fmt(&x, on_enum, ENUMS_SQL)) != 0)
			break;
	}
	if (rc)
		goto done;
	if (opts->exact_counts && (rc = count_rows(&x)) != 0)
		goto done;
	*out = x.s;
	x.s = NULL;
done:
	sl_schema_free(x.s);
	return rc;
}
