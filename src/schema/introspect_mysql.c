/*
 * introspect_mysql.c - reads a MySQL/MariaDB database (the connection's
 * current one) from information_schema into the portable model.
 *
 * Uses only the public connection API (include/sluice/conn.h). Every catalog
 * query is read whole into a small string table first; tables are then built
 * one at a time, because sl_arena_push moves arrays: an sl_table pointer is
 * only valid until the next table is added, an sl_column until the next column.
 * MariaDB and MySQL differ in COLUMN_DEFAULT quoting and CHECK_CONSTRAINTS
 * columns; both are handled here (docs/drivers/mysql.md, "Introspection").
 */
#include "schema/introspect.h"
#include "sluice/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A catalog result as NUL-terminated strings (NULL for SQL NULL). */
typedef struct rows {
	size_t nrows, ncols;
	char **cells;
	sl_arena *arena;
} rows;

typedef struct ctx {
	sl_conn *c;
	sl_schema *s;
	const char *db;
	char *dbq; /* the database as a quoted literal */
	bool mariadb;
	const sl_introspect_opts *opts;
	rows tables, columns, stats, fks, checks, views, triggers;
} ctx;

static const char *cell(const rows *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static long num(const char *s)
{
	return s ? strtol(s, NULL, 10) : 0;
}

static int rows_add(rows *r, sl_batch *b)
{
	size_t old = r->nrows * r->ncols, add = b->nrows * r->ncols;
	char **nc = realloc(r->cells, (old + add + 1) * sizeof(char *));
	if (!nc)
		return sl_error_nomem();
	r->cells = nc;
	for (size_t i = 0; i < add; i++) {
		const sl_value *v = &b->values[i];
		char *s = NULL;
		if (v->type == SL_V_TEXT || v->type == SL_V_BLOB || v->type == SL_V_DECIMAL ||
		    v->type == SL_V_JSON) {
			s = sl_arena_strndup(r->arena, v->u.s.ptr, v->u.s.len);
		} else if (v->type != SL_V_NULL) {
			sl_buf tmp = SL_BUF_INIT;
			if (sl_value_format(&tmp, v) == 0)
				s = sl_arena_strdup(r->arena, sl_buf_cstr(&tmp));
			sl_buf_free(&tmp);
		}
		if (v->type != SL_V_NULL && !s)
			return sl_error_nomem();
		r->cells[old + i] = s;
	}
	r->nrows += b->nrows;
	return 0;
}

/* Runs sql and reads every row into r. */
static int load(ctx *x, rows *r, const char *sql)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = 0, n;
	r->arena = sl_arena_new(0);
	if (!r->arena) {
		rc = SL_ENOMEM;
		goto done;
	}
	rc = sl_conn_query(&cur, x->c, sql);
	if (rc)
		goto done;
	r->ncols = sl_cursor_ncols(cur);
	rc = sl_batch_init(&b, r->ncols, 256);
	while (!rc && (n = sl_cursor_fetch(cur, &b, 256)) > 0) {
		rc = rows_add(r, &b);
		sl_batch_reset(&b);
	}
	if (!rc && n < 0)
		rc = n;
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

static void rows_free(rows *r)
{
	free(r->cells);
	sl_arena_free(r->arena);
	memset(r, 0, sizeof(*r));
}

/* load() with the database literal substituted for every @DB. */
static int loadf(ctx *x, rows *r, const char *fmt)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = 0;
	for (const char *p = fmt; !rc && *p; p++) {
		if (p[0] == '@' && p[1] == 'D' && p[2] == 'B') {
			rc = sl_buf_puts(&sql, x->dbq);
			p += 2;
		} else {
			rc = sl_buf_putc(&sql, *p);
		}
	}
	if (!rc)
		rc = load(x, r, sql.ptr);
	sl_buf_free(&sql);
	return rc;
}

/* ---- the catalog queries ------------------------------------------------- */

static int load_all(ctx *x)
{
	int rc = loadf(x, &x->tables,
		       "SELECT TABLE_NAME, TABLE_ROWS, TABLE_COMMENT, TABLE_COLLATION "
		       "FROM information_schema.TABLES WHERE TABLE_SCHEMA = @DB "
		       "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
	if (!rc)
		rc = loadf(x, &x->columns,
			   "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, "
			   "COLUMN_TYPE, "
			   "CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, "
			   "COLLATION_NAME, COLUMN_COMMENT, EXTRA, GENERATION_EXPRESSION "
			   "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @DB "
			   "ORDER BY TABLE_NAME, ORDINAL_POSITION");
	if (!rc)
		rc = loadf(
			x, &x->stats,
			!x->mariadb && sl_conn_has(x->c, SL_CAP_EXPR_INDEX)
				? "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, "
				  "INDEX_TYPE, EXPRESSION FROM information_schema.STATISTICS "
				  "WHERE TABLE_SCHEMA = @DB ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
				: "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, "
				  "INDEX_TYPE, NULL FROM information_schema.STATISTICS "
				  "WHERE TABLE_SCHEMA = @DB ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX");
	if (!rc)
		rc = loadf(
			x, &x->fks,
			"SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
			"k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE "
			"FROM information_schema.KEY_COLUMN_USAGE k "
			"JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
			"ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = "
			"k.CONSTRAINT_NAME "
			"AND r.TABLE_NAME = k.TABLE_NAME "
			"WHERE k.TABLE_SCHEMA = @DB AND k.REFERENCED_TABLE_NAME IS NOT NULL "
			"ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION");
	if (!rc && sl_conn_has(x->c, SL_CAP_CHECK_CONSTRAINTS))
		rc = loadf(
			x, &x->checks,
			x->mariadb
				? "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
				  "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = @DB "
				  "ORDER BY TABLE_NAME, CONSTRAINT_NAME"
				: "SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE "
				  "FROM information_schema.CHECK_CONSTRAINTS c "
				  "JOIN information_schema.TABLE_CONSTRAINTS t "
				  "ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = "
				  "c.CONSTRAINT_NAME "
				  "AND t.CONSTRAINT_TYPE = 'CHECK' WHERE c.CONSTRAINT_SCHEMA = @DB "
				  "ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME");
	if (!rc)
		rc = loadf(x, &x->views,
			   "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
			   "WHERE TABLE_SCHEMA = @DB ORDER BY TABLE_NAME");
	if (!rc)
		rc = loadf(x, &x->triggers,
			   "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, "
			   "ACTION_ORIENTATION, ACTION_STATEMENT FROM information_schema.TRIGGERS "
			   "WHERE TRIGGER_SCHEMA = @DB ORDER BY TRIGGER_NAME");
	return rc;
}

/* ---- column types -------------------------------------------------------- */

/* Parses the quoted labels of enum('a','b''c') / set(...) from COLUMN_TYPE. */
static int parse_labels(sl_schema *s, sl_type *t, const char *coltype)
{
	const char *p = strchr(coltype, '(');
	sl_buf lab = SL_BUF_INIT;
	int rc = 0;
	while (!rc && p && *p) {
		p = strchr(p, '\'');
		if (!p)
			break;
		p++;
		sl_buf_clear(&lab);
		while (!rc && *p) {
			if (p[0] == '\'' && p[1] == '\'') {
				rc = sl_buf_putc(&lab, '\'');
				p += 2;
			} else if (p[0] == '\\' && p[1]) {
				rc = sl_buf_putc(&lab, p[1]);
				p += 2;
			} else if (p[0] == '\'') {
				p++;
				break;
			} else {
				rc = sl_buf_putc(&lab, *p++);
			}
		}
		if (!rc)
			rc = sl_schema_strlist_add(s, &t->labels, &t->nlabels, sl_buf_cstr(&lab));
	}
	sl_buf_free(&lab);
	return rc;
}

static bool any_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(s, *list) == 0)
			return true;
	return false;
}

/* Fills t from DATA_TYPE and COLUMN_TYPE (and the numeric/length columns of the row). */
static int map_type(sl_schema *s, sl_type *t, const rows *r, size_t i)
{
	static const char *const texts[] = { "tinytext", "text", "mediumtext", "longtext", NULL };
	static const char *const blobs[] = { "binary",     "varbinary", "tinyblob", "blob",
					     "mediumblob", "longblob",  NULL };
	static const char *const geoms[] = {
		"geometry",        "point",        "linestring",         "polygon", "multipoint",
		"multilinestring", "multipolygon", "geometrycollection", NULL
	};
	const char *dt = cell(r, i, 4), *ct = cell(r, i, 5);
	bool uns = ct && strstr(ct, "unsigned") != NULL;
	int len = (int)num(cell(r, i, 6)), prec = (int)num(cell(r, i, 7));
	t->is_unsigned = uns;
	if (!dt)
		dt = "";
	if (!strcasecmp(dt, "tinyint"))
		t->kind = ct && !strncasecmp(ct, "tinyint(1)", 10) && !uns ? SL_T_BOOL : SL_T_INT16;
	else if (!strcasecmp(dt, "smallint"))
		t->kind = uns ? SL_T_INT32 : SL_T_INT16;
	else if (!strcasecmp(dt, "mediumint"))
		t->kind = SL_T_INT32;
	else if (!strcasecmp(dt, "int") || !strcasecmp(dt, "integer"))
		t->kind = uns ? SL_T_INT64 : SL_T_INT32;
	else if (!strcasecmp(dt, "bigint"))
		t->kind = SL_T_INT64;
	else if (!strcasecmp(dt, "year"))
		t->kind = SL_T_INT16;
	else if (!strcasecmp(dt, "float"))
		t->kind = SL_T_FLOAT32;
	else if (!strcasecmp(dt, "double") || !strcasecmp(dt, "real"))
		t->kind = SL_T_FLOAT64;
	else if (!strcasecmp(dt, "decimal") || !strcasecmp(dt, "numeric")) {
		t->kind = SL_T_DECIMAL;
		t->precision = prec;
		t->scale = (int)num(cell(r, i, 8));
	} else if (!strcasecmp(dt, "char")) {
		t->kind = SL_T_CHAR;
		t->length = len;
	} else if (!strcasecmp(dt, "varchar")) {
		t->kind = SL_T_VARCHAR;
		t->length = len;
	} else if (any_of(dt, texts))
		t->kind = SL_T_TEXT;
	else if (any_of(dt, blobs)) {
		t->kind = SL_T_BLOB;
		t->length = strncasecmp(dt, "varbinary", 9) == 0 || strcasecmp(dt, "binary") == 0 ? len : 0;
	} else if (!strcasecmp(dt, "date"))
		t->kind = SL_T_DATE;
	else if (!strcasecmp(dt, "time") || !strcasecmp(dt, "datetime") || !strcasecmp(dt, "timestamp")) {
		t->kind = !strcasecmp(dt, "time")       ? SL_T_TIME
			  : !strcasecmp(dt, "datetime") ? SL_T_TIMESTAMP
							: SL_T_TIMESTAMPTZ;
		t->precision = (int)num(cell(r, i, 9));
	} else if (!strcasecmp(dt, "json"))
		t->kind = SL_T_JSON;
	else if (!strcasecmp(dt, "uuid"))
		t->kind = SL_T_UUID;
	else if (!strcasecmp(dt, "enum") || !strcasecmp(dt, "set")) {
		t->kind = !strcasecmp(dt, "enum") ? SL_T_ENUM : SL_T_SET;
		return parse_labels(s, t, ct ? ct : "");
	} else if (!strcasecmp(dt, "bit")) {
		t->kind = SL_T_BIT;
		t->length = prec;
	} else if (any_of(dt, geoms))
		t->kind = SL_T_GEOMETRY;
	else
		t->kind = SL_T_OTHER;
	return 0;
}

/*
 * MariaDB reports defaults as SQL (strings quoted, "NULL" for a NULL
 * default); MySQL reports the bare value and flags expressions with
 * DEFAULT_GENERATED. Either way the result is SQL text, or NULL for none.
 */
static const char *normalise_default(ctx *x, const char *def, const char *extra, const sl_type *t)
{
	if (!def || (x->mariadb && strcmp(def, "NULL") == 0))
		return NULL;
	if (x->mariadb || (extra && strstr(extra, "DEFAULT_GENERATED")) ||
	    !strncasecmp(def, "CURRENT_TIMESTAMP", 17))
		return sl_schema_strdup(x->s, def);
	switch (t->kind) {
	case SL_T_BOOL:
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
	case SL_T_FLOAT32:
	case SL_T_FLOAT64:
	case SL_T_DECIMAL:
		return sl_schema_strdup(x->s, def);
	default: {
		sl_buf q = SL_BUF_INIT;
		const char *r = NULL;
		sl_value v = sl_text(def);
		if (sl_conn_quote_literal(x->c, &q, &v) == 0)
			r = sl_schema_strdup(x->s, q.ptr);
		sl_buf_free(&q);
		return r;
	}
	}
}

/*
 * The ON UPDATE expression in a column's EXTRA: MariaDB writes "on update
 * current_timestamp()" or "...current_timestamp(3)", MySQL "DEFAULT_GENERATED
 * on update CURRENT_TIMESTAMP(3)". Normalised to CURRENT_TIMESTAMP[(p)].
 */
static const char *on_update_expr(ctx *x, const char *extra)
{
	const char *p = strcasestr(extra, "on update ");
	char buf[64];
	if (!p)
		return NULL;
	p += 10;
	if (strncasecmp(p, "current_timestamp", 17) != 0)
		return sl_schema_strdup(x->s, p);
	p += 17;
	long prec = *p == '(' ? strtol(p + 1, NULL, 10) : 0;
	if (prec > 0 && prec <= 6)
		snprintf(buf, sizeof(buf), "CURRENT_TIMESTAMP(%ld)", prec);
	else
		snprintf(buf, sizeof(buf), "CURRENT_TIMESTAMP");
	return sl_schema_strdup(x->s, buf);
}

static int add_columns(ctx *x, sl_table *t, const char *table_collation)
{
	const rows *r = &x->columns;
	for (size_t i = 0; i < r->nrows; i++) {
		if (!is(cell(r, i, 0), t->name))
			continue;
		sl_column *col = sl_table_add_column(x->s, t, cell(r, i, 1));
		if (!col)
			return SL_ENOMEM;
		int rc = map_type(x->s, &col->type, r, i);
		if (rc)
			return rc;
		const char *extra = cell(r, i, 12) ? cell(r, i, 12) : "";
		col->decl_type = sl_schema_strdup(x->s, cell(r, i, 5));
		col->nullable = is(cell(r, i, 3), "YES");
		col->identity = strstr(extra, "auto_increment") != NULL;
		const char *gen = cell(r, i, 13);
		if (gen && *gen) {
			col->generated_expr = sl_schema_strdup(x->s, gen);
			col->generated_stored = strstr(extra, "STORED") || strstr(extra, "PERSISTENT");
		} else {
			col->default_expr = normalise_default(x, cell(r, i, 2), extra, &col->type);
		}
		if (strcasestr(extra, "on update ") && !(col->on_update = on_update_expr(x, extra)))
			return SL_ENOMEM;
		const char *coll = cell(r, i, 10);
		if (coll && !is(coll, table_collation))
			col->collation = sl_schema_strdup(x->s, coll);
		const char *cmt = cell(r, i, 11);
		if (cmt && *cmt)
			col->comment = sl_schema_strdup(x->s, cmt);
	}
	return 0;
}

/* ---- keys and indexes ---------------------------------------------------- */

/* Builds the index from STATISTICS rows [from, to) and, for unique ones, the key. */
static int add_index(ctx *x, sl_table *t, size_t from, size_t to)
{
	const rows *r = &x->stats;
	const char *name = cell(r, from, 1);
	const char *type = cell(r, from, 5);
	bool primary = is(name, "PRIMARY"), unique = is(cell(r, from, 2), "0");
	sl_buf def = SL_BUF_INIT;
	int rc = 0;
	sl_index *ix = sl_table_add_index(x->s, t, name);
	if (!ix)
		return SL_ENOMEM;
	ix->primary = primary;
	ix->unique = unique;
	if (type && (is(type, "FULLTEXT") || is(type, "SPATIAL") || is(type, "HASH")))
		ix->method = sl_schema_strdup(x->s, type);
	ix->is_expression = sl_arena_calloc(x->s->arena, to - from, sizeof(bool));
	if (!ix->is_expression)
		return SL_ENOMEM;

	const char *kw = primary                ? "PRIMARY KEY"
			 : unique               ? "UNIQUE KEY"
			 : is(type, "FULLTEXT") ? "FULLTEXT KEY"
			 : is(type, "SPATIAL")  ? "SPATIAL KEY"
						: "KEY";
	rc = sl_buf_printf(&def, "%s ", kw);
	if (!rc && !primary) {
		rc = sl_conn_quote_ident(x->c, &def, name);
		if (!rc)
			rc = sl_buf_putc(&def, ' ');
	}
	if (!rc)
		rc = sl_buf_putc(&def, '(');
	for (size_t i = from; !rc && i < to; i++) {
		const char *colname = cell(r, i, 3), *expr = cell(r, i, 6);
		bool is_expr = !colname && expr;
		ix->is_expression[i - from] = is_expr;
		rc = sl_schema_strlist_add(x->s, &ix->columns, &ix->ncolumns,
					   is_expr ? expr : (colname ? colname : ""));
		if (!rc && i > from)
			rc = sl_buf_putc(&def, ',');
		if (!rc && is_expr)
			rc = sl_buf_printf(&def, "(%s)", expr);
		else if (!rc)
			rc = sl_conn_quote_ident(x->c, &def, colname ? colname : "");
		if (!rc && cell(r, i, 4))
			rc = sl_buf_printf(&def, "(%s)", cell(r, i, 4)); /* prefix length */
	}
	if (!rc)
		rc = sl_buf_putc(&def, ')');
	if (!rc && !(ix->definition = sl_schema_strdup(x->s, def.ptr)))
		rc = SL_ENOMEM;
	sl_buf_free(&def);
	if (rc || !unique)
		return rc;

	/* the key behind the index: the primary key, or a unique constraint */
	sl_key *k = NULL;
	if (primary) {
		k = sl_arena_calloc(x->s->arena, 1, sizeof(*k));
		if (k) {
			k->name = ix->name;
			t->primary_key = k;
		}
	} else {
		k = sl_table_add_unique(x->s, t, name);
	}
	if (!k)
		return SL_ENOMEM;
	k->columns = ix->columns;
	k->ncolumns = ix->ncolumns;
	return 0;
}

static int add_indexes(ctx *x, sl_table *t)
{
	const rows *r = &x->stats;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nrows;) {
		size_t j = i + 1;
		while (j < r->nrows && is(cell(r, j, 0), cell(r, i, 0)) && is(cell(r, j, 1), cell(r, i, 1)))
			j++;
		if (is(cell(r, i, 0), t->name))
			rc = add_index(x, t, i, j);
		i = j;
	}
	return rc;
}

static sl_fk_action fk_action(const char *rule)
{
	if (is(rule, "CASCADE"))
		return SL_FK_CASCADE;
	if (is(rule, "SET NULL"))
		return SL_FK_SET_NULL;
	if (is(rule, "SET DEFAULT"))
		return SL_FK_SET_DEFAULT;
	if (is(rule, "RESTRICT"))
		return SL_FK_RESTRICT;
	return SL_FK_NO_ACTION;
}

static int add_fkeys(ctx *x, sl_table *t)
{
	const rows *r = &x->fks;
	for (size_t i = 0; i < r->nrows;) {
		size_t j = i + 1;
		while (j < r->nrows && is(cell(r, j, 0), cell(r, i, 0)) && is(cell(r, j, 1), cell(r, i, 1)))
			j++;
		if (is(cell(r, i, 0), t->name)) {
			sl_fkey *fk = sl_table_add_fkey(x->s, t, cell(r, i, 1));
			if (!fk)
				return SL_ENOMEM;
			fk->ref_schema =
				is(cell(r, i, 3), x->db) ? NULL : sl_schema_strdup(x->s, cell(r, i, 3));
			fk->ref_table = sl_schema_strdup(x->s, cell(r, i, 4));
			fk->on_update = fk_action(cell(r, i, 6));
			fk->on_delete = fk_action(cell(r, i, 7));
			fk->validated = true;
			for (size_t k = i; k < j; k++) {
				size_t n = fk->ncolumns;
				if (sl_schema_strlist_add(x->s, &fk->columns, &n, cell(r, k, 2)) ||
				    sl_schema_strlist_add(x->s, &fk->ref_columns, &fk->ncolumns,
							  cell(r, k, 5)))
					return SL_ENOMEM;
			}
		}
		i = j;
	}
	return 0;
}

/* MariaDB's JSON is longtext plus CHECK (json_valid(`col`)) named after the column. */
static sl_column *json_check_column(const sl_table *t, const char *name, const char *clause)
{
	sl_column *col = name ? sl_table_find_column(t, name) : NULL;
	char want[512];
	if (!col || !clause)
		return NULL;
	snprintf(want, sizeof(want), "json_valid(`%s`)", name);
	return strcmp(clause, want) == 0 ? col : NULL;
}

static int add_checks(ctx *x, sl_table *t)
{
	const rows *r = &x->checks;
	for (size_t i = 0; i < r->nrows; i++) {
		if (!is(cell(r, i, 0), t->name))
			continue;
		sl_column *json = json_check_column(t, cell(r, i, 1), cell(r, i, 2));
		if (json) {
			if (json->type.kind == SL_T_TEXT)
				json->type.kind = SL_T_JSON;
			continue;
		}
		if (!sl_table_add_check(x->s, t, cell(r, i, 1), cell(r, i, 2)))
			return SL_ENOMEM;
	}
	return 0;
}

static int count_rows(ctx *x, sl_table *t)
{
	sl_buf sql = SL_BUF_INIT;
	int64_t n = 0;
	int rc = sl_buf_puts(&sql, "SELECT count(*) FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(x->c, &sql, t->name);
	if (!rc)
		rc = sl_conn_query_int(x->c, sql.ptr, &n);
	if (!rc) {
		t->row_count = n;
		t->row_count_exact = true;
	} else {
		sl_error_prefix("count rows of \"%s\"", t->name);
	}
	sl_buf_free(&sql);
	return rc;
}

static int add_tables(ctx *x)
{
	const rows *r = &x->tables;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nrows; i++) {
		const char *name = cell(r, i, 0);
		if (!x->opts->include_sluice && name && strncmp(name, "sluice_", 7) == 0)
			continue;
		sl_table *t = sl_schema_add_table(x->s, x->db, name);
		if (!t)
			return SL_ENOMEM;
		const char *cmt = cell(r, i, 2);
		if (cmt && *cmt)
			t->comment = sl_schema_strdup(x->s, cmt);
		if (cell(r, i, 3) && !(t->collation = sl_schema_strdup(x->s, cell(r, i, 3))))
			return SL_ENOMEM;
		rc = add_columns(x, t, cell(r, i, 3));
		if (!rc)
			rc = add_indexes(x, t);
		if (!rc)
			rc = add_fkeys(x, t);
		if (!rc)
			rc = add_checks(x, t);
		if (!rc && x->opts->exact_counts)
			rc = count_rows(x, t);
		else if (!rc)
			t->row_count = cell(r, i, 1) ? num(cell(r, i, 1)) : -1;
	}
	return rc;
}

/* ---- views and triggers -------------------------------------------------- */

/* Reads one `ident` at *p (doubled backticks inside); returns false when *p is not one. */
static bool read_ident(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	if (*s != '`')
		return false;
	for (s++; *s; s++) {
		if (*s == '`' && s[1] == '`')
			s++;
		else if (*s == '`')
			break;
		if (n + 1 < cap)
			out[n++] = *s;
	}
	if (*s != '`')
		return false;
	out[n] = '\0';
	*p = s + 1;
	return true;
}

#define MAX_ALIASES 64

typedef struct view_scan {
	char alias[MAX_ALIASES][128];
	char table[MAX_ALIASES][128];
	size_t n;
} view_scan;

static const char *alias_table(const view_scan *vs, const char *a)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->alias[i], a) == 0)
			return vs->table[i];
	return NULL;
}

static bool has_read(const sl_view *v, const char *table, const char *column)
{
	for (size_t i = 0; i < v->nreads; i++)
		if (is(v->reads[i].table, table) &&
		    ((!column && !v->reads[i].column) || is(v->reads[i].column, column)))
			return true;
	return false;
}

/*
 * MariaDB and MySQL store view bodies with every name quoted and qualified:
 * `db`.`t`.`col`, `db`.`t` `alias`, `alias`.`col`. Two passes: tables and
 * aliases first, then column references resolved through them. Names in
 * string literals could be misread; view bodies rarely quote backticks.
 */
static int scan_view(ctx *x, sl_view *v, const char *def)
{
	view_scan *vs = calloc(1, sizeof(*vs));
	char a[128], b[128], c[128];
	int rc = 0;
	if (!vs)
		return sl_error_nomem();
	for (int pass = 0; !rc && pass < 2; pass++) {
		for (const char *p = def; !rc && *p;) {
			const char *q = p;
			if (!read_ident(&q, a, sizeof(a))) {
				p++;
				continue;
			}
			if (*q != '.') {
				p = q;
				continue;
			}
			q++;
			if (!read_ident(&q, b, sizeof(b))) {
				p = q;
				continue;
			}
			bool three = *q == '.' && q[1] == '`';
			if (three) {
				q++;
				read_ident(&q, c, sizeof(c));
				if (pass == 1 && strcmp(a, x->db) == 0)
					rc = has_read(v, b, c) ? 0 : sl_view_add_read(x->s, v, NULL, b, c);
			} else if (strcmp(a, x->db) == 0 && sl_schema_find_table(x->s, NULL, b)) {
				/* `db`.`table` [`alias`] */
				const char *s = q;
				while (*s == ' ')
					s++;
				if (pass == 0 && vs->n < MAX_ALIASES) {
					snprintf(vs->table[vs->n], 128, "%s", b);
					snprintf(vs->alias[vs->n], 128, "%s", b);
					if (*s == '`' && read_ident(&s, c, sizeof(c)) && *s != '.')
						snprintf(vs->alias[vs->n], 128, "%s", c);
					vs->n++;
				}
			} else if (pass == 1 && alias_table(vs, a)) {
				const char *tab = alias_table(vs, a);
				rc = has_read(v, tab, b) ? 0 : sl_view_add_read(x->s, v, NULL, tab, b);
			}
			p = q;
		}
	}
	/* a table that is joined but none of whose columns is named still counts */
	for (size_t i = 0; !rc && i < vs->n; i++) {
		bool any = false;
		for (size_t k = 0; k < v->nreads; k++)
			any |= is(v->reads[k].table, vs->table[i]);
		if (!any)
			rc = sl_view_add_read(x->s, v, NULL, vs->table[i], NULL);
	}
	free(vs);
	return rc;
}

static int add_views(ctx *x)
{
	const rows *r = &x->views;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nrows; i++) {
		sl_view *v = sl_schema_add_view(x->s, x->db, cell(r, i, 0));
		if (!v)
			return SL_ENOMEM;
		const char *def = cell(r, i, 1) ? cell(r, i, 1) : "";
		v->definition = sl_schema_strdup(x->s, def);
		rc = scan_view(x, v, def);
	}
	return rc;
}

static int add_triggers(ctx *x)
{
	const rows *r = &x->triggers;
	for (size_t i = 0; i < r->nrows; i++) {
		sl_trigger *tg = sl_schema_add_trigger(x->s, x->db, cell(r, i, 0));
		if (!tg)
			return SL_ENOMEM;
		tg->table = sl_schema_strdup(x->s, cell(r, i, 1));
		tg->timing = sl_schema_strdup(x->s, cell(r, i, 2));
		tg->events = sl_schema_strdup(x->s, cell(r, i, 3));
		tg->for_each_row = is(cell(r, i, 4), "ROW");
		sl_buf def = SL_BUF_INIT;
		int rc = sl_buf_puts(&def, "CREATE TRIGGER ");
		if (!rc)
			rc = sl_conn_quote_ident(x->c, &def, cell(r, i, 0));
		if (!rc)
			rc = sl_buf_printf(&def, " %s %s ON ", tg->timing ? tg->timing : "",
					   tg->events ? tg->events : "");
		if (!rc)
			rc = sl_conn_quote_ident(x->c, &def, tg->table ? tg->table : "");
		if (!rc)
			rc = sl_buf_printf(&def, " FOR EACH ROW %s", cell(r, i, 5) ? cell(r, i, 5) : "");
		if (!rc)
			tg->definition = sl_schema_strdup(x->s, def.ptr);
		sl_buf_free(&def);
		if (rc || !tg->definition)
			return rc ? rc : SL_ENOMEM;
	}
	return 0;
}

int sl_introspect_mysql(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts)
{
	ctx x = { .c = c, .opts = opts };
	sl_buf q = SL_BUF_INIT;
	int rc = 0;
	*out = NULL;

	x.db = sl_conn_database(c);
	if (!x.db || !*x.db) {
		rc = sl_error_set(SL_EINVALID, "no database selected: add one to the URL");
		goto done;
	}
	sl_value dbv = sl_text(x.db);
	rc = sl_conn_quote_literal(c, &q, &dbv);
	if (rc)
		goto done;
	x.dbq = q.ptr;
	x.mariadb = strstr(sl_conn_server_version(c), "MariaDB") != NULL;
	rc = sl_schema_new(&x.s, SL_ENGINE_MYSQL);
	if (rc)
		goto done;
	x.s->server_version = sl_schema_strdup(x.s, sl_conn_server_version(c));
	x.s->database = sl_schema_strdup(x.s, x.db);
	rc = load_all(&x);
	if (!rc)
		rc = add_tables(&x);
	if (!rc)
		rc = add_views(&x);
	if (!rc)
		rc = add_triggers(&x);
done:
	rows_free(&x.tables);
	rows_free(&x.columns);
	rows_free(&x.stats);
	rows_free(&x.fks);
	rows_free(&x.checks);
	rows_free(&x.views);
	rows_free(&x.triggers);
	sl_buf_free(&q);
	if (rc) {
		sl_schema_free(x.s);
		x.s = NULL;
	}
	*out = x.s;
	return rc;
}
