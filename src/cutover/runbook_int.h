/*
 * runbook_int.h - internal to the runbook reader (src/cutover/runbook*.c).
 * runbook.c reads the document, its phases, roles, notify hooks and success
 * criteria; runbook_node.c reads one value (scalars, lists, durations,
 * numbers, booleans, sides, known keys) with errors naming file:line:col;
 * runbook_steps.c reads steps, their options and their gates.
 */
#ifndef SLUICE_CUTOVER_RUNBOOK_INT_H
#define SLUICE_CUTOVER_RUNBOOK_INT_H

#include "cutover_int.h"
#include <libfyaml.h>

/* The reader: the runbook being filled and where the YAML came from. */
typedef struct reader {
	sl_runbook *rb;
} reader;

const char *rb_where_of(reader *r, struct fy_node *n);
bool rb_is_null(struct fy_node *n);
int rb_scalar(reader *r, struct fy_node *n, const char **out, const char *what);
int rb_str_list(reader *r, struct fy_node *n, const char ***out, size_t *nout, const char ***wheres,
		const char *what);
int rb_duration(reader *r, struct fy_node *n, int64_t *ms, const char *what);
int rb_seconds(reader *r, struct fy_node *n, double *out, const char *what);
int rb_integer(reader *r, struct fy_node *n, int64_t *out, int64_t min, const char *what);
int rb_boolean(reader *r, struct fy_node *n, bool *out, const char *what);
int rb_one_of(reader *r, struct fy_node *n, const char *const *words, int *out, const char *what);
int rb_side(reader *r, struct fy_node *n, sl_side *out, bool both, const char *what);
int rb_check_keys(reader *r, struct fy_node *map, const char *const *known, const char *const *more,
		  const char *where);
struct fy_node *rb_get(struct fy_node *map, const char *key);
struct fy_node *rb_key_node(struct fy_node *map, const char *key);
int rb_need_mapping(reader *r, struct fy_node *n, const char *what);
int rb_read_steps(reader *r, struct fy_node *seq, sl_rb_step **out, size_t *nout, bool rollback,
		  const char *what);
int rb_name_steps(reader *r, sl_rb_phase *p, sl_rb_step *steps, size_t n, bool rollback);

#endif
