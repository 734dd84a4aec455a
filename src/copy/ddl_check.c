/*
 * ddl_check.c - finds which part of a CREATE TABLE a target refuses, and
 * checks a plan's tables before anything is copied (sl_copy_plan_validate,
 * for `copy --plan`).
 *
 * A refused statement is tried again in pieces: the table without its
 * defaults, then with each default alone, else each column alone. Each try
 * runs in a savepoint that is rolled back where DDL is transactional
 * (PostgreSQL, SQLite), or is created and dropped again (MySQL, during a
 * copy only: `--plan` checks MySQL by rule and never writes there). The
 * pieces that fail name the column and whether its default or its type is at
 * fault, so the message gives the fix rather than the whole CREATE TABLE
 * (docs/copy.md, "Tables the target refuses").
 */
#include "copy/cast_int.h"
#include "copy/copy_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

#define PROBE_SAVEPOINT "sluice_probe"
#define CHECK_SCHEMA    "sluice_plan_check"

void sl_copy_diag_free(sl_copy_diag *d)
{
	for (size_t i = 0; d && i < d->n; i++)
		free(d->v[i].message);
	if (d) {
		free(d->v);
		d->v = NULL;
		d->n = 0;
	}
}

static int add_fault(sl_copy_diag *d, size_t column, bool in_default, char *message)
{
	sl_copy_fault *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (!nv || !message) {
		free(message);
		return sl_error_nomem();
	}
	d->v = nv;
	d->v[d->n++] = (sl_copy_fault){ .column = column, .in_default = in_default, .message = message };
	return 0;
}

bool sl_copy_diag_defaults_only(const sl_copy_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (!d->v[i].in_default)
			return false;
	return d->n > 0;
}

/*
 * Runs the CREATE TABLE of ct and undoes it. 0 when it ran, with *msg NULL
 * when the target took it and the engine's message when it refused it;
 * SL_E* when something else failed (a lost connection).
 */
static int try_create(sl_conn *c, const sl_cast_table *ct, const sl_cast_plan *plan, char **msg)
{
	bool tx = sl_conn_has(c, SL_CAP_TRANSACTIONAL_DDL);
	sl_buf b = SL_BUF_INIT;
	*msg = NULL;
	int rc = sl_ddl_create_cast_table(&b, ct, plan, sl_conn_engine(c), false);
	if (!rc && tx)
		rc = sl_conn_savepoint(c, PROBE_SAVEPOINT);
	if (rc)
		goto done;
	int erc = sl_conn_exec(c, b.ptr);
	if (erc == SL_EDB) {
		*msg = strdup(sl_error_last()->message);
		if (!*msg)
			rc = sl_error_nomem();
	} else {
		rc = erc;
	}
	if (tx) {
		int r2 = sl_conn_rollback_to(c, PROBE_SAVEPOINT);
		r2 = r2 ? r2 : sl_conn_release(c, PROBE_SAVEPOINT);
		rc = rc ? rc : r2;
	} else if (erc == 0) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TABLE ");
		rc = rc ? rc : sl_conn_quote_ident(c, &b, ct->name);
		rc = rc ? rc : sl_conn_exec(c, b.ptr);
	}
done:
	sl_buf_free(&b);
	return rc;
}

int sl_copy_diagnose(sl_copy_diag *out, sl_conn *c, const sl_copy_plan *p, const sl_copy_tplan *t,
		     const char *message)
{
	const sl_cast_table *ct = t->cast;
	sl_cast_table probe = *ct;
	sl_table one_src = *ct->src;
	sl_cast_column *cols = calloc(ct->ncolumns + 1, sizeof(*cols));
	char *m = NULL;
	bool any_default = false;
	int rc = 0;
	out->v = NULL;
	out->n = 0;
	if (!cols)
		return sl_error_nomem();
	memcpy(cols, ct->columns, ct->ncolumns * sizeof(*cols));
	probe.columns = cols;
	for (size_t i = 0; i < ct->ncolumns; i++) {
		any_default |= cols[i].default_sql != NULL;
		cols[i].default_sql = NULL;
	}
	if (any_default)
		rc = try_create(c, &probe, p->casts, &m);
	if (!rc && any_default && !m) {
		/* the defaults are at fault: which ones */
		for (size_t i = 0; !rc && i < ct->ncolumns; i++) {
			if (!ct->columns[i].default_sql)
				continue;
			cols[i].default_sql = ct->columns[i].default_sql;
			rc = try_create(c, &probe, p->casts, &m);
			cols[i].default_sql = NULL;
			if (!rc && m)
				rc = add_fault(out, i, true, m);
			m = NULL;
		}
	} else if (!rc) {
		/* each column alone, without its default, key or identity: which types */
		free(m);
		m = NULL;
		one_src.primary_key = NULL;
		one_src.nuniques = one_src.nfkeys = one_src.nchecks = one_src.nindexes = 0;
		probe.src = &one_src;
		probe.ncolumns = 1;
		for (size_t i = 0; !rc && i < ct->ncolumns; i++) {
			sl_cast_column one = ct->columns[i];
			one.default_sql = NULL;
			one.identity = false;
			probe.columns = &one;
			rc = try_create(c, &probe, p->casts, &m);
			if (!rc && m)
				rc = add_fault(out, i, false, m);
			m = NULL;
		}
	}
	if (!rc && out->n == 0)
		rc = add_fault(out, SL_COPY_WHOLE_TABLE, false, strdup(message ? message : ""));
	free(m);
	free(cols);
	if (rc)
		sl_copy_diag_free(out);
	return rc;
}

int sl_copy_diag_text(sl_buf *out, const sl_copy_diag *d, const sl_copy_tplan *t, sl_engine target)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < d->n; i++) {
		const sl_copy_fault *f = &d->v[i];
		if (i)
			rc = sl_buf_puts(out, "; ");
		if (!rc && f->column == SL_COPY_WHOLE_TABLE) {
			rc = sl_buf_printf(out,
					   "%s refuses the table: %s (fix: cast rules for its columns in "
					   "sluice.yaml, or leave it out with --tables)",
					   sl_engine_name(target), f->message);
			continue;
		}
		if (rc)
			break;
		const sl_cast_column *cc = &t->cast->columns[f->column];
		if (f->in_default)
			rc = sl_buf_printf(out,
					   "column \"%s\": %s refuses the default %s: %s (fix: a cast rule "
					   "for \"%s.%s\" in sluice.yaml, or --force to create the table "
					   "without this default)",
					   cc->src->name, sl_engine_name(target), cc->default_sql, f->message,
					   t->src->name, cc->src->name);
		else
			rc = sl_buf_printf(out,
					   "column \"%s\": %s refuses the type %s: %s (fix: a cast rule "
					   "\"- column: %s.%s\" with a type %s takes, under \"casts\" in "
					   "sluice.yaml)",
					   cc->src->name, sl_engine_name(target), cc->type_sql, f->message,
					   t->src->name, cc->src->name, sl_engine_name(target));
	}
	return rc;
}

/* ---- checking a plan -------------------------------------------------- */

static const sl_copy_tplan *tplan_by_target(const sl_copy_plan *p, const char *target_name)
{
	for (size_t i = 0; target_name && i < p->ntables; i++)
		if (strcmp(p->tables[i].cast->name, target_name) == 0)
			return &p->tables[i];
	return NULL;
}

/* Each fault as an error note on its column (or its table). */
static int fault_notes(sl_copy_plan *p, const sl_copy_tplan *t, const sl_copy_diag *d)
{
	sl_cast_table *ct = (sl_cast_table *)t->cast;
	sl_cast_ctx x = { .plan = p->casts, .table = t->src, .ct = ct };
	int rc = 0;
	for (size_t i = 0; !rc && i < d->n; i++) {
		const sl_copy_fault *f = &d->v[i];
		if (f->column == SL_COPY_WHOLE_TABLE) {
			rc = sl_cast_add_note(p->casts, &ct->notes, &ct->nnotes, SL_CAST_ERROR,
					      "%s refuses the table: %s; fix: cast rules for its columns, or "
					      "leave it out with --tables",
					      sl_engine_name(p->target), f->message);
			continue;
		}
		sl_cast_column *cc = &ct->columns[f->column];
		if (f->in_default)
			rc = sl_cast_col_note(
				&x, cc, SL_CAST_ERROR,
				"%s refuses the default %s: %s; fix: a cast rule for \"%s.%s\", or "
				"--force to create the table without this default",
				sl_engine_name(p->target), cc->default_sql, f->message, t->src->name,
				cc->src->name);
		else
			rc = sl_cast_col_note(
				&x, cc, SL_CAST_ERROR,
				"%s refuses the type %s: %s; fix: a cast rule for \"%s.%s\" to a "
				"type it takes",
				sl_engine_name(p->target), cc->type_sql, f->message, t->src->name,
				cc->src->name);
	}
	return rc;
}

/* Runs the tables phase on c inside the caller's transaction, noting each refusal. */
static int check_statements(sl_copy_plan *p, sl_conn *c, size_t *nrefused)
{
	int rc = 0;
	*nrefused = 0;
	for (size_t i = 0; !rc && i < sl_ddl_count(p->ddl, SL_DDL_TABLES); i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(p->ddl, SL_DDL_TABLES, i);
		if (st->flavour)
			continue; /* a call of the target's flavour: a server of the base engine has none */
		rc = sl_conn_savepoint(c, "sluice_check");
		int erc = rc ? 0 : sl_conn_exec(c, st->sql);
		if (!rc && erc != SL_EDB) {
			rc = erc ? erc : sl_conn_release(c, "sluice_check");
			continue;
		}
		char *msg = rc ? NULL : strdup(sl_error_last()->message);
		if (!rc && !msg)
			rc = sl_error_nomem();
		rc = rc ? rc : sl_conn_rollback_to(c, "sluice_check");
		rc = rc ? rc : sl_conn_release(c, "sluice_check");
		const sl_copy_tplan *t = tplan_by_target(p, st->table);
		(*nrefused)++;
		if (!rc && t) {
			sl_copy_diag d = { 0 };
			rc = sl_copy_diagnose(&d, c, p, t, msg);
			rc = rc ? rc : fault_notes(p, t, &d);
			sl_copy_diag_free(&d);
		} else if (!rc) {
			rc = sl_cast_add_note(p->casts, &p->casts->notes, &p->casts->nnotes, SL_CAST_ERROR,
					      "%s refuses %s: %s", sl_engine_name(p->target), st->sql, msg);
		}
		free(msg);
	}
	return rc;
}

/* Bytes a MySQL row reserves for a column (utf8mb4: 4 a character; TEXT/BLOB: their pointer). */
static size_t my_bytes(const sl_type *t)
{
	switch (t->kind) {
	case SL_T_BOOL:
		return 1;
	case SL_T_INT16:
		return 2;
	case SL_T_INT32:
	case SL_T_FLOAT32:
		return 4;
	case SL_T_INT64:
	case SL_T_FLOAT64:
	case SL_T_SET:
		return 8;
	case SL_T_DECIMAL:
		return (size_t)(t->precision > 0 ? t->precision : 65) / 2 + 1;
	case SL_T_DATE:
	case SL_T_TIME:
		return 3;
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
		return 8;
	case SL_T_CHAR:
		return (size_t)(t->length > 0 ? t->length : 1) * 4;
	case SL_T_VARCHAR:
		return (size_t)t->length * 4 + (t->length * 4 > 255 ? 2 : 1);
	case SL_T_UUID:
		return 36 * 4;
	case SL_T_ENUM:
		return 2;
	case SL_T_BIT:
		return (size_t)(t->length + 7) / 8;
	default:
		return 9; /* TEXT, BLOB, JSON: the part kept in the row */
	}
}

/* MySQL cannot roll DDL back: its hard limits, by rule. */
static int check_mysql_rules(sl_copy_plan *p, size_t *nrefused)
{
	int rc = 0;
	*nrefused = 0;
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		sl_cast_table *ct = (sl_cast_table *)p->tables[i].cast;
		const sl_table *t = ct->src;
		size_t row = 0, key = 0, wide = 0;
		for (size_t j = 0; j < ct->ncolumns; j++) {
			size_t n = my_bytes(&ct->columns[j].type);
			row += n;
			if (n > my_bytes(&ct->columns[wide].type))
				wide = j;
		}
		for (size_t k = 0; t->primary_key && k < t->primary_key->ncolumns; k++) {
			const sl_cast_column *cc = sl_cast_table_find_column(ct, t->primary_key->columns[k]);
			key += cc ? my_bytes(&cc->type) : 0;
		}
		if (row > 65535) {
			(*nrefused)++;
			rc = sl_cast_add_note(
				p->casts, &ct->notes, &ct->nnotes, SL_CAST_ERROR,
				"MySQL refuses a row of %zu bytes (more than 65,535; utf8mb4 counts "
				"4 bytes a character); fix: a cast rule to TEXT for its widest "
				"columns, such as \"%s.%s\" (%s)",
				row, t->name, ct->columns[wide].src->name, ct->columns[wide].type_sql);
		}
		if (!rc && key > 3072) {
			(*nrefused)++;
			rc = sl_cast_add_note(
				p->casts, &ct->notes, &ct->nnotes, SL_CAST_ERROR,
				"MySQL refuses a primary key of %zu bytes (more than InnoDB's 3,072; "
				"utf8mb4 counts 4 bytes a character); fix: cast rules to shorter "
				"types for its key columns",
				key);
		}
	}
	return rc;
}

static int set_check(sl_copy_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_check(sl_copy_plan *p, const char *fmt, ...)
{
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!rc && !(p->ddl_check = sl_arena_strdup(p->arena, sl_buf_cstr(&b))))
		rc = sl_error_nomem();
	sl_buf_free(&b);
	return rc;
}

int sl_copy_plan_validate(sl_copy_plan *p, sl_conn *target)
{
	sl_conn *mem = NULL, *c = target;
	const sl_dialect *d = sl_dialect_of(p->target);
	size_t n = 0, refused = 0;
	int rc = 0;
	for (size_t i = 0; i < sl_ddl_count(p->ddl, SL_DDL_TABLES); i++)
		n += !sl_ddl_statement(p->ddl, SL_DDL_TABLES, i)->flavour; /* not run: check_statements */
	if (d->ddl_check == SL_DDL_CHECK_RULES) {
		rc = check_mysql_rules(p, &refused);
		return rc ? rc
			  : set_check(p,
				      "ddl: %zu statements checked by rule (%s cannot roll DDL back): "
				      "%zu refused",
				      n, d->title, refused);
	}
	if (d->ddl_check == SL_DDL_CHECK_MEMORY) {
		rc = sl_conn_open(&mem, d->memory_url);
		c = mem;
	} else if (!c || sl_conn_engine(c) != p->target) {
		return set_check(p,
				 "ddl: not checked on the target (no connection to it): the statements may "
				 "still be refused");
	}
	rc = rc ? rc : sl_conn_begin(c);
	if (!rc && d->ddl_check == SL_DDL_CHECK_ROLLBACK && d->set_local_schema) {
		sl_buf set = SL_BUF_INIT;
		rc = sl_conn_exec(c, "CREATE SCHEMA " CHECK_SCHEMA);
		rc = rc ? rc : sl_buf_printf(&set, "%s%s", d->set_local_schema, CHECK_SCHEMA);
		rc = rc ? rc : sl_conn_exec(c, sl_buf_cstr(&set));
		sl_buf_free(&set);
	}
	if (!rc)
		rc = check_statements(p, c, &refused);
	if (c && sl_conn_in_transaction(c)) {
		char *m = rc ? strdup(sl_error_last()->message) : NULL;
		int code = rc ? sl_error_last()->code : 0;
		int r2 = sl_conn_rollback(c);
		if (rc)
			sl_error_set(code, "%s", m ? m : "check failed");
		free(m);
		rc = rc ? rc : r2;
	}
	if (!rc)
		rc = set_check(p,
			       "ddl: %zu statements run on %s%s%s in a transaction rolled back: %zu refused",
			       n, mem ? "an in-memory " : "a scratch schema of the target",
			       mem ? d->title : "", mem ? " database" : "", refused);
	sl_conn_close(mem);
	if (rc)
		sl_error_prefix("check the plan's DDL on the target");
	return rc;
}

int sl_copy_plan_check(sl_copy_plan *p, const sl_copy_opts *o, char **unreached)
{
	sl_conn *tc = NULL;
	*unreached = NULL;
	if (sl_dialect_of(p->target)->ddl_check == SL_DDL_CHECK_ROLLBACK && o->connect &&
	    o->connect(&tc, SL_COPY_TARGET, o->connect_ud) != 0) {
		*unreached = strdup(sl_error_last()->message);
		sl_error_clear();
		if (!*unreached)
			return sl_error_nomem();
	}
	int rc = sl_copy_plan_validate(p, tc);
	sl_conn_close(tc);
	return rc;
}
