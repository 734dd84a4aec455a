/*
 * check_shadow.c - the shadow check of a watch run: the workflow queries of
 * sluice.yaml `shadow:` (watch.shadow.queries, or all) run on the source
 * and the target and compared canonically (shadow.h). One figure per query:
 * the result rows that differ, judged by watch.thresholds.shadow; a query
 * that fails on either side is a breach carrying the engine's message.
 */
#include "watch_int.h"

#include <stdio.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/shadow.h"

/* The first difference, shortened: "missing EUR | 15.75". */
static const char *detail_of(watch_run *r, const sl_shadow_result *res)
{
	if (!res->nexamples)
		return NULL;
	const sl_shadow_example *e = &res->examples[0];
	const char *row = e->kind == 'x' ? e->target_row : e->source_row;
	const char *kind = e->kind == 'm' ? "missing" : e->kind == 'x' ? "extra" : "changed";
	return sl_arena_printf(r->a, "%lld of %lld/%lld rows differ; e.g. %s %.120s",
			       (long long)res->differences, (long long)res->source_rows,
			       (long long)res->target_rows, kind, row ? row : "");
}

int watch_check_shadow(watch_run *r)
{
	watch_db *src = NULL, *dst = NULL;
	const sl_watch_config *c = r->o->config;
	sl_shadow_opts so = SL_SHADOW_OPTS_INIT;
	so.max_examples = 1;
	int64_t t0 = watch_mono_ms();
	int rc = watch_db_get(&src, r, r->o->source);
	if (!rc)
		rc = watch_db_get(&dst, r, r->o->target);
	if (rc)
		return watch_failed(r, rc, "shadow", "(queries)", "rows", watch_mono_ms() - t0);
	for (size_t i = 0; !rc && i < r->nqueries && !watch_stopping(r); i++) {
		sl_shadow_result res;
		const sl_shadow_query *q = &r->queries[i];
		t0 = watch_mono_ms();
		rc = sl_shadow_run(&res, src->conn, dst->conn, q, &so);
		int64_t ms = watch_mono_ms() - t0;
		if (rc)
			rc = watch_failed(r, rc, "shadow", q->name, "rows", ms);
		else if (res.error)
			rc = watch_figure(r, "shadow", q->name, (double)res.differences, "rows", "breach",
					  NULL, res.error, ms);
		else
			rc = watch_figure(r, "shadow", q->name, (double)res.differences, "rows",
					  sl_watch_level_name(
						  sl_watch_judge((double)res.differences, c->shadow)),
					  watch_limit_text(r->a, c->shadow, false), detail_of(r, &res), ms);
		sl_shadow_result_clear(&res);
	}
	return rc;
}
