/*
 * scratch.c - the scratch databases a dry run walks the plan against:
 * "sluice_cutover_<run>_s" beside the source and "_t" beside the target,
 * made with the rehearsal's driver hooks (sl_conn_scratch_*): a native clone
 * where the engine has one (SQLite's backup API, PostgreSQL's TEMPLATE when
 * no other session is connected), else an empty database filled by `sluice
 * copy`. Every step then runs against them exactly as it would for real -
 * copy, sync, gates, the freeze fence and its watchdog, the rollback -
 * except hooks not marked dry_run. They are dropped when the dry run ends;
 * the next dry run drops those a killed one left.
 */
#include "cutover_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/copy.h"
#include "sluice/error.h"

typedef struct fill {
	co_ctx *x;
	sl_side side;
} fill;

/* copy's connect: the real database as the source, its scratch copy as the target */
static int fill_connect(sl_conn **out, sl_copy_side side, void *ud)
{
	fill *f = ud;
	const sl_cutover_opts *o = f->x->o;
	if (side == SL_COPY_SOURCE)
		return o->connect(out, o->connect_ud, f->side, NULL, NULL, false);
	return o->connect(out, o->connect_ud, f->side, f->x->beside[f->side], f->x->scratch[f->side], false);
}

static int make_one(co_ctx *x, sl_side side, const char *suffix)
{
	const sl_cutover_opts *o = x->o;
	bool cloned = false;
	sl_schema *s = NULL;
	int rc = 0;
	snprintf(x->scratch[side], sizeof(x->scratch[side]), "sluice_cutover_%lld_%s", (long long)x->run_id,
		 suffix);
	if (!x->beside[side])
		rc = o->connect(&x->beside[side], o->connect_ud, side, NULL, NULL, side == SL_SIDE_TARGET);
	if (!rc)
		rc = sl_conn_scratch_drop(x->beside[side], x->scratch[side]);
	if (!rc)
		rc = sl_conn_scratch_create(x->beside[side], x->scratch[side], true, &cloned);
	if (!rc && !cloned) {
		sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
		io.exact_counts = false;
		rc = sl_conn_introspect(&s, x->beside[side], &io);
	}
	if (!rc && !cloned && s->ntables > 0) {
		fill f = { .x = x, .side = side };
		sl_copy_opts co = SL_COPY_OPTS_INIT;
		sl_copy_result *res = NULL;
		co.connect = fill_connect;
		co.connect_ud = &f;
		rc = sl_copy_run(&res, &co);
		sl_copy_result_free(res);
		if (rc)
			sl_error_prefix("fill the scratch copy \"%s\"", x->scratch[side]);
	}
	sl_schema_free(s);
	if (!rc)
		co_event(x, SL_CO_EV_NOTICE, NULL, NULL, "dry run: the %s is the scratch copy \"%s\" (%s)",
			 side == SL_SIDE_SOURCE ? "source" : "target", x->scratch[side],
			 cloned ? "cloned" : "copied");
	return rc;
}

int co_scratch_setup(co_ctx *x)
{
	int rc = make_one(x, SL_SIDE_SOURCE, "s");
	if (!rc)
		rc = make_one(x, SL_SIDE_TARGET, "t");
	if (rc)
		sl_error_prefix("dry run");
	return rc;
}

void co_scratch_teardown(co_ctx *x)
{
	co_saved_error keep;
	co_error_save(&keep);
	for (int side = 0; side < 2; side++) {
		if (!x->scratch[side][0])
			continue;
		if (!x->beside[side] &&
		    x->o->connect(&x->beside[side], x->o->connect_ud, (sl_side)side, NULL, NULL, false) != 0)
			continue;
		sl_conn_scratch_drop(x->beside[side], x->scratch[side]);
		x->scratch[side][0] = '\0';
	}
	co_error_restore(&keep);
}
