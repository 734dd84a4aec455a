/*
 * gates.c - the measurements a runbook gates on: integrity rules (rules.h),
 * row diffs (diff.h), shadow reads (shadow.h), sync lag (sync.h), a GO
 * rehearsal of exactly the pending migrations (state.h), and the time a
 * standing freeze fence has left. Each adds its figures to the step's JSON
 * object (journaled, shown to approvers, bound into approval digests) and
 * says whether it passed and, when not, why in one line.
 *
 * A diff or shadow read while a sync follower runs may catch a change in
 * flight: a failing comparison is repeated after the follower had time to
 * apply it (up to three rounds), and only what persists fails the gate.
 * Under a freeze, after a drain, the first round is exact.
 */
#include "cutover_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/diff.h"
#include "sluice/error.h"
#include "sluice/migrate.h"
#include "sluice/shadow.h"

#define SETTLE_ROUNDS  3
#define SETTLE_SECONDS 1.5

static bool selected(const sl_rule *r, const char *const *names, size_t n)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], r->name) == 0 || (r->domain && strcmp(names[i], r->domain) == 0))
			return true;
	return false;
}

static const char *side_name(sl_side s)
{
	return s == SL_SIDE_SOURCE ? "source" : "target";
}

/* One rule on one side (or a reconcile rule on both): its status into arr. */
static int one_rule(co_ctx *x, const sl_rule *r, sl_conn *c, const sl_schema *s, sl_conn *c2,
		    const sl_schema *s2, const char *on, json_t *arr, int64_t *failing)
{
	sl_rule_result *res = NULL;
	int rc = c2 ? sl_rule_reconcile(&res, r, c, s, c2, s2) : sl_rule_run(&res, r, c, s);
	sl_rule_status st = SL_RULE_ERROR;
	json_t *o = json_object();
	(void)x;
	json_object_set_new(o, "rule", json_string(r->name));
	json_object_set_new(o, "on", json_string(on));
	if (rc == 0) {
		st = sl_rule_judge(r, res->violations, res->rows_checked);
		json_object_set_new(o, "violations", json_integer(res->violations));
	} else if (rc == SL_EDB || rc == SL_EINVALID) {
		json_object_set_new(o, "error", json_string(sl_error_last()->message));
		sl_error_clear();
		rc = 0;
	}
	json_object_set_new(o, "status", json_string(sl_rule_status_name(st)));
	json_array_append_new(arr, o);
	if (st == SL_RULE_HALT || st == SL_RULE_ERROR)
		(*failing)++;
	sl_rule_result_free(res);
	return rc;
}

static int open_side(co_ctx *x, sl_side side, sl_conn **c, sl_schema **s)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	int rc = co_connect(x, side, c);
	if (!rc)
		rc = sl_conn_introspect(s, *c, &io);
	return rc;
}

int co_rules_eval(co_ctx *x, const char *const *names, size_t n, sl_side on, int64_t *failing, json_t *fig)
{
	const sl_rules *rules = x->o->rules;
	sl_conn *c[2] = { NULL, NULL };
	sl_schema *s[2] = { NULL, NULL };
	json_t *arr = json_array();
	int rc = 0;
	*failing = 0;
	for (size_t i = 0; !rc && rules && i < rules->n; i++) {
		const sl_rule *r = &rules->rules[i];
		if (!selected(r, names, n))
			continue;
		bool reconcile = r->type == SL_RULE_RECONCILE;
		for (int side = 0; !rc && side < 2; side++) {
			if (!reconcile && on != SL_SIDE_BOTH && (sl_side)side != on)
				continue;
			if (reconcile && side == 1)
				break;
			for (int k = 0; !rc && k < (reconcile ? 2 : 1); k++) {
				int sd = reconcile ? k : side;
				if (!c[sd] && (rc = open_side(x, (sl_side)sd, &c[sd], &s[sd])) != 0)
					sl_error_prefix("rules on the %s", side_name((sl_side)sd));
			}
			if (!rc && reconcile)
				rc = one_rule(x, r, c[0], s[0], c[1], s[1], "source -> target", arr, failing);
			else if (!rc)
				rc = one_rule(x, r, c[side], s[side], NULL, NULL, side_name((sl_side)side),
					      arr, failing);
		}
	}
	json_object_set_new(fig, "rules", arr);
	json_object_set_new(fig, "rules_failing", json_integer(*failing));
	for (int i = 0; i < 2; i++) {
		sl_schema_free(s[i]);
		sl_conn_close(c[i]);
	}
	return rc;
}

/* The target table a source table went to (copy fits long names to the engine). */
static const sl_table *target_table(const sl_schema *ds, sl_conn *dst, const char *name)
{
	const sl_table *t = sl_rules_find_table(ds, name);
	sl_buf b = SL_BUF_INIT;
	if (!t && sl_cast_fit_name(&b, name, sl_conn_engine(dst)) == 0)
		t = sl_rules_find_table(ds, sl_buf_cstr(&b));
	sl_buf_free(&b);
	return t;
}

int co_diff_tables(co_ctx *x, const char *const *tables, size_t n, sl_side truth, int64_t *discrepancies,
		   int64_t *lost, json_t *fig)
{
	sl_conn *src = NULL, *dst = NULL;
	sl_schema *ss = NULL, *ds = NULL;
	json_t *arr = json_array();
	int rc = open_side(x, SL_SIDE_SOURCE, &src, &ss);
	if (!rc)
		rc = open_side(x, SL_SIDE_TARGET, &dst, &ds);
	*discrepancies = 0;
	if (lost)
		*lost = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_table *st = sl_rules_find_table(ss, tables[i]),
			       *dt = target_table(ds, dst, tables[i]);
		json_t *o = json_object();
		json_object_set_new(o, "table", json_string(tables[i]));
		json_array_append_new(arr, o);
		if (!st || !dt) {
			int64_t rows = 0;
			if (st || dt)
				rc = sl_diff_count_rows(&rows, st ? src : dst, NULL, st ? st->name : dt->name,
							NULL);
			json_object_set_new(o, st ? "only_in_source" : "only_in_target", json_integer(rows));
			*discrepancies += rows > 0 ? rows : 1;
			if (lost && ((st && truth == SL_SIDE_TARGET) || (dt && truth == SL_SIDE_SOURCE)))
				*lost += rows;
			continue;
		}
		sl_diff_spec spec = { .src_schema = sl_conn_has(src, SL_CAP_SCHEMAS) ? st->schema : NULL,
				      .src_table = st->name,
				      .dst_schema = sl_conn_has(dst, SL_CAP_SCHEMAS) ? dt->schema : NULL,
				      .dst_table = dt->name,
				      .src_model = st,
				      .dst_model = dt };
		sl_diff_result *r = NULL;
		rc = sl_diff_table(&r, src, dst, &spec, NULL, NULL, NULL);
		if (rc) {
			sl_error_prefix("diff \"%s\"", tables[i]);
			break;
		}
		int64_t d = r->changed + r->missing + r->extra;
		*discrepancies += d;
		/* rows of the old side the side of truth lacks */
		if (lost)
			*lost += truth == SL_SIDE_TARGET ? r->missing : r->extra;
		json_object_set_new(o, "source_rows", json_integer(r->src_rows));
		json_object_set_new(o, "target_rows", json_integer(r->dst_rows));
		json_object_set_new(o, "changed", json_integer(r->changed));
		json_object_set_new(o, "missing", json_integer(r->missing));
		json_object_set_new(o, "extra", json_integer(r->extra));
		sl_diff_result_free(r);
	}
	json_object_set_new(fig, "diff", arr);
	json_object_set_new(fig, "discrepancies", json_integer(*discrepancies));
	sl_schema_free(ss);
	sl_schema_free(ds);
	sl_conn_close(src);
	sl_conn_close(dst);
	return rc;
}

int co_shadow_eval(co_ctx *x, const char *const *names, size_t n, int64_t *differences, json_t *fig)
{
	sl_shadow_query *qs = NULL;
	size_t nq = 0;
	sl_conn *src = NULL, *dst = NULL;
	json_t *arr = json_array();
	sl_shadow_opts so = SL_SHADOW_OPTS_INIT;
	int rc = sl_shadow_queries_load(&qs, &nq, x->o->cfg, NULL);
	*differences = 0;
	if (!rc)
		rc = co_connect(x, SL_SIDE_SOURCE, &src);
	if (!rc)
		rc = co_connect(x, SL_SIDE_TARGET, &dst);
	so.max_examples = 3;
	for (size_t i = 0; !rc && i < nq; i++) {
		bool want = n == 0;
		for (size_t k = 0; !want && k < n; k++)
			want = strcmp(names[k], qs[i].name) == 0;
		if (!want)
			continue;
		sl_shadow_result res = { 0 };
		rc = sl_shadow_run(&res, src, dst, &qs[i], &so);
		if (rc)
			break;
		json_t *o = json_object();
		json_object_set_new(o, "query", json_string(res.name));
		json_object_set_new(o, "source_rows", json_integer(res.source_rows));
		json_object_set_new(o, "target_rows", json_integer(res.target_rows));
		json_object_set_new(o, "differences", json_integer(res.differences));
		if (res.error)
			json_object_set_new(o, "error", json_string(res.error));
		json_array_append_new(arr, o);
		*differences += res.differences + (res.error ? 1 : 0);
		sl_shadow_result_clear(&res);
	}
	json_object_set_new(fig, "shadow", arr);
	json_object_set_new(fig, "differences", json_integer(*differences));
	free(qs);
	sl_conn_close(src);
	sl_conn_close(dst);
	return rc;
}

/* The sync of phase p that is installed now: reverse once sync-reverse ran. */
static bool reverse_now(co_ctx *x, const sl_rb_phase *p)
{
	size_t pi = (size_t)(p - x->rb->phases);
	return x->ps[pi].sync == 2;
}

static int lag_once(co_ctx *x, const sl_rb_phase *p, const sl_rb_gate *g, json_t *fig, bool *pass,
		    sl_buf *why)
{
	sl_sync_opts so;
	sl_sync_status *st = NULL;
	bool rev = reverse_now(x, p);
	co_sync_opts(x, p, rev, &so);
	int rc = sl_sync_status_get(&st, &so);
	if (rc)
		return rc;
	json_object_set_new(fig, "lag_seconds", json_real(st->lag_seconds));
	json_object_set_new(fig, "behind", json_integer(st->behind));
	json_object_set_new(fig, "direction", json_string(rev ? "reverse" : "forward"));
	*pass = st->lag_seconds >= 0 && st->lag_seconds <= g->max_lag_s;
	if (!*pass) {
		if (st->lag_seconds < 0)
			sl_buf_printf(why, "sync lag unknown (no heartbeat applied yet)");
		else
			sl_buf_printf(why, "sync lag %.1fs is over %.1fs", st->lag_seconds, g->max_lag_s);
	}
	sl_sync_status_free(st);
	return 0;
}

int co_gate_wait_lag(co_ctx *x, const sl_rb_phase *p, const sl_rb_gate *g, double timeout_s, json_t *fig,
		     bool *pass, sl_buf *why)
{
	double t0 = co_mono();
	co_follower *f = reverse_now(x, p) ? &x->rev : &x->fwd;
	char msg[600];
	int rc = 0;
	*pass = false;
	for (;;) {
		sl_buf_clear(why);
		if (co_follower_health(f, msg, sizeof(msg)) != 0) {
			sl_buf_printf(why, "the sync follower stopped: %s", msg);
			break;
		}
		rc = lag_once(x, p, g, fig, pass, why);
		if (rc || *pass || co_cancelled(x))
			break;
		if (co_mono() - t0 > timeout_s) {
			sl_buf_printf(why, " after waiting %.0fs", timeout_s);
			break;
		}
		co_nap(0.5);
	}
	json_object_set_new(fig, "waited_seconds",
			    json_real((double)(int64_t)((co_mono() - t0) * 10) / 10.0));
	return rc;
}

static int rehearsal(co_ctx *x, const sl_rb_gate *g, json_t *fig, bool *pass, sl_buf *why)
{
	sl_conn *c = NULL;
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	sl_buf lines = SL_BUF_INIT;
	char key[SL_CHECKSUM_SIZE];
	bool exists = false;
	int64_t id = 0;
	size_t pending = 0;
	*pass = false;
	if (!x->o->set) {
		sl_buf_puts(why, "no migrations directory: nothing to match a rehearsal against");
		return 0;
	}
	int rc = co_connect(x, g->rehearsal_on, &c);
	if (!rc)
		rc = sl_history_exists(c, x->o->history_table, &exists);
	if (!rc && !exists) {
		sl_buf_printf(why, "the %s has no history table \"%s\"", side_name(g->rehearsal_on),
			      x->o->history_table);
		goto done;
	}
	if (!rc)
		rc = sl_history_load(&h, c, x->o->history_table);
	if (!rc)
		rc = sl_migrate_status_build(&st, x->o->set, h, sl_conn_engine(c));
	for (size_t i = 0; !rc && st && i < st->n; i++)
		if (st->items[i].state == SL_MIG_PENDING) {
			rc = sl_buf_printf(&lines, "%s %s\n", st->items[i].id, st->items[i].checksum);
			pending++;
		}
	if (!rc)
		rc = sl_checksum_sql(key, lines.ptr ? lines.ptr : "", lines.len);
	if (!rc)
		rc = sl_state_rehearsal_go(x->st, key, g->max_age_days, &id);
	if (rc)
		goto done;
	json_object_set_new(fig, "migrations_key", json_string(key));
	json_object_set_new(fig, "pending_migrations", json_integer((json_int_t)pending));
	json_object_set_new(fig, "rehearsal_id", id ? json_integer(id) : json_null());
	if (g->max_age_days > 0)
		json_object_set_new(fig, "max_age_days", json_real(g->max_age_days));
	*pass = id > 0;
	if (id > 0) {
		free(x->rehearsal_id);
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)id);
		x->rehearsal_id = strdup(buf);
	} else {
		sl_buf_printf(why,
			      "no GO rehearsal of these %zu pending migration%s%s (run `sluice rehearse` on "
			      "the %s)",
			      pending, pending == 1 ? "" : "s",
			      g->max_age_days > 0 ? " within the maximum age" : "",
			      side_name(g->rehearsal_on));
	}
done:
	sl_buf_free(&lines);
	sl_migrate_status_free(st);
	sl_history_free(h);
	sl_conn_close(c);
	return rc;
}

static double dval_lag(json_t *fig)
{
	json_t *v = json_object_get(fig, "lag_seconds");
	return json_is_number(v) ? json_number_value(v) : -1;
}

static void sep(sl_buf *why)
{
	if (why->len)
		sl_buf_puts(why, "; ");
}

static bool follower_running(co_ctx *x, const sl_rb_phase *p)
{
	size_t pi = (size_t)(p - x->rb->phases);
	return (int)pi == x->follower_phase && (x->fwd.running || x->rev.running);
}

/* The rules gate: the rules named, none failing (the first five failures named in why). */
static int rules_gate(co_ctx *x, const sl_rb_gate *g, json_t *fig, bool *pass, sl_buf *why)
{
	int64_t failing = 0;
	int rc = co_rules_eval(x, g->rules, g->nrules, g->rules_on, &failing, fig);
	if (!rc && failing) {
		json_t *arr = json_object_get(fig, "rules"), *v;
		size_t i, named = 0;
		*pass = false;
		sep(why);
		sl_buf_printf(why, "%lld %s failed:", (long long)failing, failing == 1 ? "rule" : "rules");
		json_array_foreach(arr, i, v)
		{
			const char *st = json_string_value(json_object_get(v, "status"));
			if (!st || (strcmp(st, "halt") && strcmp(st, "error")) || named++ >= 5)
				continue;
			sl_buf_printf(why, "%s \"%s\" on the %s (%s", named > 1 ? ";" : "",
				      json_string_value(json_object_get(v, "rule")),
				      json_string_value(json_object_get(v, "on")), st);
			if (json_object_get(v, "violations"))
				sl_buf_printf(why, ", %lld violations",
					      (long long)json_integer_value(
						      json_object_get(v, "violations")));
			sl_buf_putc(why, ')');
		}
	}
	return rc;
}

/* The diff gate: the phase's tables within the discrepancies allowed, given a follower time to settle. */
static int diff_gate(co_ctx *x, const sl_rb_phase *p, const sl_rb_step *s, const sl_rb_gate *g, json_t *fig,
		     bool *pass, sl_buf *why)
{
	size_t pi = (size_t)(p - x->rb->phases);
	int rc = 0;
	const char *const *t = NULL;
	size_t n = 0;
	int64_t disc = 0;
	co_step_tables(p, s, &t, &n);
	sl_side truth = x->ps[pi].switch_done && !x->ps[pi].switched_back ? SL_SIDE_TARGET : p->truth;
	for (int round = 1; !rc; round++) {
		rc = co_diff_tables(x, t, n, truth, &disc, NULL, fig);
		if (rc || disc <= g->max_discrepancies || round >= SETTLE_ROUNDS || !follower_running(x, p))
			break;
		json_object_set_new(fig, "settle_rounds", json_integer(round + 1));
		co_nap(SETTLE_SECONDS);
	}
	if (!rc && disc > g->max_discrepancies) {
		*pass = false;
		sep(why);
		sl_buf_printf(why, "%lld %s (at most %lld allowed)", (long long)disc,
			      disc == 1 ? "discrepancy" : "discrepancies", (long long)g->max_discrepancies);
	}
	return rc;
}

int co_gate_eval(co_ctx *x, const sl_rb_phase *p, const sl_rb_step *s, const sl_rb_gate *g, json_t *fig,
		 bool *pass, sl_buf *why)
{
	size_t pi = (size_t)(p - x->rb->phases);
	int rc = 0;
	bool ok = true;
	*pass = true;
	if (g->has_rehearsal) {
		rc = rehearsal(x, g, fig, &ok, why);
		*pass = *pass && ok;
	}
	if (!rc && g->has_rules)
		rc = rules_gate(x, g, fig, pass, why);
	if (!rc && g->has_diff)
		rc = diff_gate(x, p, s, g, fig, pass, why);
	if (!rc && g->has_shadow) {
		int64_t d = 0;
		for (int round = 1; !rc; round++) {
			rc = co_shadow_eval(x, g->queries, g->nqueries, &d, fig);
			if (rc || d <= g->max_differences || round >= SETTLE_ROUNDS ||
			    !follower_running(x, p))
				break;
			co_nap(SETTLE_SECONDS);
		}
		if (!rc && d > g->max_differences) {
			*pass = false;
			sep(why);
			sl_buf_printf(why, "%lld shadow %s (at most %lld allowed)", (long long)d,
				      d == 1 ? "difference" : "differences", (long long)g->max_differences);
		}
	}
	if (!rc && g->has_lag) {
		sl_buf w = SL_BUF_INIT;
		/* a sync started a moment ago has applied no heartbeat yet: give it a few */
		for (double t0 = co_mono(); !rc; co_nap(0.25)) {
			sl_buf_clear(&w);
			rc = lag_once(x, p, g, fig, &ok, &w);
			if (rc || ok || dval_lag(fig) >= 0 || co_mono() - t0 > 5 || co_cancelled(x))
				break;
		}
		if (!rc && !ok) {
			*pass = false;
			sep(why);
			sl_buf_puts(why, sl_buf_cstr(&w));
		}
		sl_buf_free(&w);
	}
	if (!rc && g->has_freeze) {
		double left = -1;
		rc = co_freeze_left(x, pi, &left);
		json_object_set_new(fig, "freeze_left_seconds", json_real(left));
		if (!rc && left < g->min_freeze_left_s) {
			*pass = false;
			sep(why);
			if (left < 0)
				sl_buf_puts(why, "no freeze fence stands");
			else
				sl_buf_printf(why, "the freeze lifts in %.1fs, under the %.1fs required",
					      left, g->min_freeze_left_s);
		}
	}
	return rc;
}
