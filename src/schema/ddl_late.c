/*
 * ddl_late.c - the last DDL phases (include/sluice/ddl.h): SEQUENCES (identity
 * counters set past the copied rows), VIEWS (in dependency order, same
 * dialect only) and TRIGGERS (ON UPDATE columns carried as triggers).
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

/* ---- phase SEQUENCES -------------------------------------------------- */

static int64_t last_value(const gen *g, const sl_table *t, const char *col)
{
	for (size_t i = 0; i < g->src->nsequences; i++) {
		const sl_sequence *q = &g->src->sequences[i];
		if (q->owned_by_table && strcmp(q->owned_by_table, t->name) == 0 &&
		    (!q->schema || !t->schema || strcmp(q->schema, t->schema) == 0) &&
		    (!q->owned_by_column || strcmp(q->owned_by_column, col) == 0))
			return q->last_value;
	}
	return 0;
}

static int reset_identity(gen *g, const sl_cast_table *ct, const sl_cast_column *cc)
{
	sl_buf b = SL_BUF_INIT, q = SL_BUF_INIT, c = SL_BUF_INIT;
	long long last = (long long)last_value(g, ct->src, cc->src->name);
	int rc = ddl_qname(&q, g, ct->name);
	rc = rc ? rc : ddl_qi(&c, g, cc->name);
	if (rc)
		goto done;
	switch (g->e) {
	case SL_ENGINE_POSTGRES:
		rc = sl_buf_puts(&b, "SELECT setval(pg_get_serial_sequence(");
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, q.ptr);
		rc = rc ? rc : sl_buf_puts(&b, ", ");
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, cc->name);
		rc = rc ? rc : sl_buf_printf(&b, "), GREATEST(COALESCE(max(%s), 0), %lld, 1), ", c.ptr, last);
		if (!rc && last >= 1)
			rc = sl_buf_puts(&b, "true)");
		else if (!rc)
			rc = sl_buf_printf(&b, "COALESCE(max(%s), 0) >= 1)", c.ptr);
		rc = rc ? rc : sl_buf_printf(&b, " FROM %s", q.ptr);
		break;
	case SL_ENGINE_MYSQL:
		/* InnoDB raises a value below max(id)+1 to max(id)+1 by itself */
		rc = sl_buf_printf(&b, "ALTER TABLE %s AUTO_INCREMENT = %lld", q.ptr, last + 1);
		break;
	default:
		rc = sl_buf_puts(&b, "UPDATE sqlite_sequence SET seq = MAX(seq, ");
		rc = rc ? rc
			: sl_buf_printf(&b,
					"(SELECT COALESCE(max(%s), 0) FROM %s), %lld) WHERE name = ", c.ptr,
					q.ptr, last);
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, ct->name);
		rc = rc ? rc : ddl_add_stmt(g, SL_DDL_SEQUENCES, ct->name, &b);
		sl_buf_clear(&b);
		rc = rc ? rc : sl_buf_puts(&b, "INSERT INTO sqlite_sequence (name, seq) SELECT ");
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, ct->name);
		rc = rc ? rc
			: sl_buf_printf(&b,
					", MAX((SELECT COALESCE(max(%s), 0) FROM %s), %lld) "
					"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ",
					c.ptr, q.ptr, last);
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, ct->name);
		rc = rc ? rc : sl_buf_putc(&b, ')');
		break;
	}
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_SEQUENCES, ct->name, &b);
done:
	sl_buf_free(&b);
	sl_buf_free(&q);
	sl_buf_free(&c);
	return rc;
}

int ddl_phase_sequences(gen *g)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		for (size_t k = 0; !rc && k < ct->ncolumns; k++)
			if (ct->columns[k].identity)
				rc = reset_identity(g, ct, &ct->columns[k]);
	}
	for (size_t i = 0; !rc && i < g->src->nsequences; i++) {
		const sl_sequence *q = &g->src->sequences[i];
		if (q->owned_by_table)
			continue;
		if (!(g->same && g->e == SL_ENGINE_POSTGRES)) {
			rc = ddl_add_item(
				g, SL_DDL_SEQUENCES, "sequence", NULL, q->name, NULL,
				"free-standing sequences exist only on PostgreSQL (last value %lld)",
				(long long)q->last_value);
			continue;
		}
		if (q->last_value <= 0)
			continue;
		sl_buf_clear(&b);
		sl_buf n = SL_BUF_INIT;
		rc = ddl_qname(&n, g, q->name);
		rc = rc ? rc : sl_buf_puts(&b, "SELECT setval(");
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, sl_buf_cstr(&n));
		rc = rc ? rc : sl_buf_printf(&b, ", %lld, true)", (long long)q->last_value);
		rc = rc ? rc : ddl_add_stmt(g, SL_DDL_SEQUENCES, NULL, &b);
		sl_buf_free(&n);
	}
	sl_buf_free(&b);
	return rc;
}

/* ---- phases VIEWS and TRIGGERS ---------------------------------------- */

static bool view_ready(const sl_schema *s, const sl_view *v, const bool *done)
{
	for (size_t r = 0; r < v->nreads; r++)
		for (size_t j = 0; j < s->nviews; j++)
			if (!done[j] && &s->views[j] != v && strcmp(s->views[j].name, v->reads[r].table) == 0)
				return false;
	return true;
}

static int emit_view(gen *g, const sl_view *v)
{
	if (!g->same)
		return ddl_add_item(g, SL_DDL_VIEWS, "view", NULL, v->name, v->definition,
				    "views are %s SQL: not translated",
				    sl_engine_name(sl_cast_plan_source(g->plan)));
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b, "CREATE %sVIEW ", v->materialized ? "MATERIALIZED " : "");
	rc = rc ? rc : ddl_qname(&b, g, v->name);
	rc = rc ? rc : sl_buf_printf(&b, " AS %s", v->definition ? v->definition : "");
	/* a trailing ";" from a stored definition would end the statement early in a script */
	while (!rc && b.len && (b.ptr[b.len - 1] == ';' || isspace((unsigned char)b.ptr[b.len - 1])))
		b.ptr[--b.len] = '\0';
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_VIEWS, NULL, &b);
	sl_buf_free(&b);
	return rc;
}

/* Views in dependency order: a view comes after the views it reads. */
int ddl_phase_views(gen *g)
{
	const sl_schema *s = g->src;
	bool *done = calloc(s->nviews + 1, sizeof(*done));
	int rc = done ? 0 : SL_ENOMEM;
	size_t left = s->nviews;
	while (!rc && left) {
		size_t before = left;
		for (size_t i = 0; !rc && i < s->nviews; i++)
			if (!done[i] && view_ready(s, &s->views[i], done)) {
				rc = emit_view(g, &s->views[i]);
				done[i] = true;
				left--;
			}
		for (size_t i = 0; !rc && before == left && i < s->nviews; i++)
			if (!done[i]) { /* a cycle cannot be created; emit the rest in model order */
				rc = emit_view(g, &s->views[i]);
				done[i] = true;
				left--;
			}
	}
	free(done);
	return rc;
}

/*
 * What MySQL's ON UPDATE CURRENT_TIMESTAMP does, as a trigger (the cast
 * plan names it, sl_cast_table.on_update_trigger): when an UPDATE changes
 * the row, each such column the UPDATE left as it was gets the current time.
 * PostgreSQL: a BEFORE UPDATE trigger and its function; SQLite: an AFTER
 * UPDATE trigger that updates the row again (recursive triggers are off by
 * default; were they on, the second UPDATE changes nothing more).
 */
static int pg_on_update(gen *g, const sl_cast_table *ct)
{
	sl_buf b = SL_BUF_INIT, fn = SL_BUF_INIT;
	int rc = ddl_qname(&fn, g, ct->on_update_trigger);
	rc = rc ? rc
		: sl_buf_printf(&b, "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $sluice$\n",
				fn.ptr);
	rc = rc ? rc : sl_buf_puts(&b, "BEGIN\n  IF NEW IS DISTINCT FROM OLD THEN\n");
	for (size_t i = 0; !rc && i < ct->ncolumns; i++) {
		const sl_cast_column *cc = &ct->columns[i];
		if (!cc->on_update_sql)
			continue;
		rc = sl_buf_puts(&b, "    IF NEW.");
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		rc = rc ? rc : sl_buf_puts(&b, " IS NOT DISTINCT FROM OLD.");
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		rc = rc ? rc : sl_buf_puts(&b, " THEN NEW.");
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		rc = rc ? rc
			: sl_buf_printf(&b, " := %s; END IF;\n",
					cc->type.kind == SL_T_TIMESTAMPTZ ? "CURRENT_TIMESTAMP"
									  : "LOCALTIMESTAMP");
	}
	rc = rc ? rc : sl_buf_puts(&b, "  END IF;\n  RETURN NEW;\nEND\n$sluice$");
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_TRIGGERS, ct->name, &b);
	sl_buf_clear(&b);
	rc = rc ? rc : sl_buf_puts(&b, "CREATE TRIGGER ");
	rc = rc ? rc : ddl_qi(&b, g, ct->on_update_trigger);
	rc = rc ? rc : sl_buf_puts(&b, " BEFORE UPDATE ON ");
	rc = rc ? rc : ddl_qname(&b, g, ct->name);
	rc = rc ? rc : sl_buf_printf(&b, " FOR EACH ROW EXECUTE FUNCTION %s()", fn.ptr);
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_TRIGGERS, ct->name, &b);
	sl_buf_free(&b);
	sl_buf_free(&fn);
	return rc;
}

static int sqlite_on_update(gen *g, const sl_cast_table *ct)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TRIGGER ");
	rc = rc ? rc : ddl_qi(&b, g, ct->on_update_trigger);
	rc = rc ? rc : sl_buf_puts(&b, " AFTER UPDATE ON ");
	rc = rc ? rc : ddl_qi(&b, g, ct->name);
	rc = rc ? rc : sl_buf_puts(&b, " FOR EACH ROW WHEN ");
	for (size_t i = 0; !rc && i < ct->ncolumns; i++) {
		rc = sl_buf_puts(&b, i ? " OR NEW." : "NEW.");
		rc = rc ? rc : ddl_qi(&b, g, ct->columns[i].name);
		rc = rc ? rc : sl_buf_puts(&b, " IS NOT OLD.");
		rc = rc ? rc : ddl_qi(&b, g, ct->columns[i].name);
	}
	rc = rc ? rc : sl_buf_puts(&b, "\nBEGIN UPDATE ");
	rc = rc ? rc : ddl_qi(&b, g, ct->name);
	bool first = true;
	for (size_t i = 0; !rc && i < ct->ncolumns; i++) {
		const sl_cast_column *cc = &ct->columns[i];
		if (!cc->on_update_sql)
			continue;
		rc = sl_buf_puts(&b, first ? " SET " : ", ");
		first = false;
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		rc = rc ? rc : sl_buf_puts(&b, " = CASE WHEN NEW.");
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		rc = rc ? rc : sl_buf_puts(&b, " IS OLD.");
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		/* the text form the copy writes: UTC, ISO 8601 with a space, 'Z' when zoned */
		rc = rc ? rc
			: sl_buf_printf(&b, " THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f%s', 'now') ELSE NEW.",
					cc->type.kind == SL_T_TIMESTAMPTZ ? "Z" : "");
		rc = rc ? rc : ddl_qi(&b, g, cc->name);
		rc = rc ? rc : sl_buf_puts(&b, " END");
	}
	rc = rc ? rc : sl_buf_puts(&b, " WHERE rowid = NEW.rowid; END");
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_TRIGGERS, ct->name, &b);
	sl_buf_free(&b);
	return rc;
}

int ddl_phase_triggers(gen *g)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < g->src->ntriggers; i++) {
		const sl_trigger *tr = &g->src->triggers[i];
		const char *def = tr->definition ? tr->definition : "";
		while (isspace((unsigned char)*def))
			def++;
		if (!g->same) {
			rc = ddl_add_item(g, SL_DDL_TRIGGERS, "trigger", tr->table, tr->name, tr->definition,
					  "triggers are %s code: not translated",
					  sl_engine_name(sl_cast_plan_source(g->plan)));
		} else if (strncasecmp(def, "CREATE", 6) != 0) {
			rc = ddl_add_item(g, SL_DDL_TRIGGERS, "trigger", tr->table, tr->name, tr->definition,
					  "only the trigger body is known");
		} else {
			sl_buf_clear(&b);
			rc = sl_buf_puts(&b, def);
			rc = rc ? rc : ddl_add_stmt(g, SL_DDL_TRIGGERS, tr->table, &b);
		}
	}
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		if (ct->on_update_trigger && g->e == SL_ENGINE_POSTGRES)
			rc = pg_on_update(g, ct);
		else if (ct->on_update_trigger && g->e == SL_ENGINE_SQLITE)
			rc = sqlite_on_update(g, ct);
	}
	sl_buf_free(&b);
	return rc;
}
