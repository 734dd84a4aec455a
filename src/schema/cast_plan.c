/*
 * cast_plan.c - the cast plan as a model (include/sluice/cast.h): its
 * accessors, lookups, note counts and names. The plan is built by copy's
 * planner (src/copy/cast.c) and read here by the DDL generator (ddl.c), so
 * the schema layer never calls back into copy: data flows plan -> DDL ->
 * load (docs/ARCHITECTURE.md, "Copy: plan, DDL, load").
 */
#include "schema/cast_plan.h"
#include "sluice/dialect.h"

#include <stdlib.h>
#include <string.h>

const char *sl_cast_severity_name(sl_cast_severity s)
{
	switch (s) {
	case SL_CAST_LOSSY:
		return "lossy";
	case SL_CAST_ERROR:
		return "error";
	default:
		return "info";
	}
}

int sl_cast_fit_name(sl_buf *out, const char *name, sl_engine target)
{
	return sl_dialect_fit_name(out, name, target);
}

void sl_cast_plan_free(sl_cast_plan *p)
{
	if (!p)
		return;
	sl_arena_free(p->arena);
	free(p);
}

/* ---- accessors -------------------------------------------------------- */

sl_engine sl_cast_plan_source(const sl_cast_plan *p)
{
	return p->source;
}
sl_engine sl_cast_plan_target(const sl_cast_plan *p)
{
	return p->target;
}
size_t sl_cast_plan_ntables(const sl_cast_plan *p)
{
	return p->ntables;
}
size_t sl_cast_plan_nnotes(const sl_cast_plan *p)
{
	return p->nnotes;
}

const sl_cast_table *sl_cast_plan_table(const sl_cast_plan *p, size_t i)
{
	return i < p->ntables ? &p->tables[i] : NULL;
}

const sl_cast_note *sl_cast_plan_note(const sl_cast_plan *p, size_t i)
{
	return i < p->nnotes ? &p->notes[i] : NULL;
}

const sl_cast_table *sl_cast_plan_find_table(const sl_cast_plan *p, const char *schema, const char *name)
{
	for (size_t i = 0; name && i < p->ntables; i++) {
		const sl_table *t = p->tables[i].src;
		if (strcmp(t->name, name) == 0 && (!schema || !t->schema || strcmp(t->schema, schema) == 0))
			return &p->tables[i];
	}
	return NULL;
}

const sl_cast_table *sl_cast_plan_find_ref(const sl_cast_plan *p, const sl_table *t, const sl_fkey *fk)
{
	return sl_cast_plan_find_table(p, fk->ref_schema ? fk->ref_schema : t->schema, fk->ref_table);
}

const sl_cast_column *sl_cast_table_find_column(const sl_cast_table *t, const char *src_name)
{
	for (size_t i = 0; src_name && i < t->ncolumns; i++)
		if (strcmp(t->columns[i].src->name, src_name) == 0)
			return &t->columns[i];
	return NULL;
}

size_t sl_cast_plan_count(const sl_cast_plan *p, sl_cast_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nnotes; i++)
		n += p->notes[i].severity == sev;
	for (size_t i = 0; i < p->ntables; i++) {
		const sl_cast_table *t = &p->tables[i];
		for (size_t j = 0; j < t->nnotes; j++)
			n += t->notes[j].severity == sev;
		for (size_t c = 0; c < t->ncolumns; c++)
			for (size_t j = 0; j < t->columns[c].nnotes; j++)
				n += t->columns[c].notes[j].severity == sev;
	}
	return n;
}
