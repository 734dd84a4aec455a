/*
 * cast_plan.h - internal: the cast plan object (include/sluice/cast.h) as
 * part of the schema model. The copy planner (src/copy/cast*.c) fills it;
 * the DDL generator (ddl.c) and everything after it only read it through the
 * accessors of cast_plan.c. This header is for the planner alone.
 */
#ifndef SLUICE_SCHEMA_CAST_PLAN_H
#define SLUICE_SCHEMA_CAST_PLAN_H

#include "sluice/arena.h"
#include "sluice/cast.h"

struct sl_cast_plan {
	sl_arena *arena; /* every string and array of the plan */
	const sl_schema *src;
	sl_engine source, target;
	sl_cast_table *tables;
	size_t ntables;
	sl_cast_note *notes;
	size_t nnotes;
};

#endif
