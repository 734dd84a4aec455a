/*
 * score.c - the scorecard: the runbook's success criteria, measured and
 * kept in the journal (cutover_scorecard).
 *
 * A criterion about tables (lost_rows, diff) is measured when the phase that
 * moves them closes its rollback window - at its sync-stop, right after the
 * last changes of either side were applied - or at the end of the run; the
 * others (rules, shadow, downtime) at the end. "Lost" rows are rows of the
 * old side the side of truth does not have: after a cutover, source rows
 * missing from the target; after a rollback, target rows missing from the
 * source (a write made on the target the rollback failed to carry back).
 * Rows the application added to the side of truth since are not losses.
 * Each criterion is measured once per run.
 */
#include "cutover_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static bool evaluated(const sl_journal *j, const char *name)
{
	for (size_t i = 0; i < j->nscores; i++)
		if (strcmp(j->scores[i].criterion, name) == 0)
			return true;
	return false;
}

static bool phase_has(const sl_rb_phase *p, const char *table)
{
	for (size_t i = 0; i < p->ntables; i++)
		if (strcmp(p->tables[i], table) == 0)
			return true;
	return false;
}

/* The phase that moves every one of tables, or SIZE_MAX. */
static size_t phase_moving(const sl_runbook *rb, const char *const *tables, size_t n)
{
	for (size_t pi = 0; pi < rb->nphases; pi++) {
		bool all = n > 0;
		for (size_t t = 0; all && t < n; t++)
			all = phase_has(&rb->phases[pi], tables[t]);
		if (all)
			return pi;
	}
	return SIZE_MAX;
}

/* The phase of c: of its tables, or of the tables its rules check. */
static size_t phase_of(const co_ctx *x, const sl_rb_criterion *c)
{
	if (c->type != SL_CRIT_RULES || !x->o->rules)
		return phase_moving(x->rb, c->tables, c->ntables);
	const char *t[64];
	size_t n = 0;
	for (size_t i = 0; i < x->o->rules->n && n < 64; i++) {
		const sl_rule *r = &x->o->rules->rules[i];
		bool want = false;
		for (size_t k = 0; k < c->nrules && !want; k++)
			want = !strcmp(c->rules[k], r->name) ||
			       (r->domain && !strcmp(c->rules[k], r->domain));
		if (want && r->table)
			t[n++] = r->table;
	}
	return phase_moving(x->rb, t, n);
}

static sl_side truth_of(const co_ctx *x, size_t pi)
{
	if (pi == SIZE_MAX) {
		/* the run as a whole: the target once any phase switched and stayed */
		for (size_t i = 0; i < x->rb->nphases; i++)
			if (x->ps[i].switch_done && !x->ps[i].switched_back && !x->ps[i].rolled_back)
				return SL_SIDE_TARGET;
		return SL_SIDE_SOURCE;
	}
	const co_phase_state *ps = &x->ps[pi];
	return ps->switch_done && !ps->switched_back && !ps->rolled_back ? SL_SIDE_TARGET
									 : x->rb->phases[pi].truth;
}

/* The freeze windows of the run, measured: their sum, or the longest phase's. */
static int downtime(co_ctx *x, bool per_phase, int64_t *ms, json_t *fig)
{
	sl_journal *j = NULL;
	int rc = sl_journal_load(&j, x->st, x->run_id);
	int64_t total = 0, worst = 0;
	json_t *arr = json_array();
	for (size_t p = 0; !rc && p < x->rb->nphases; p++) {
		int64_t phase_ms = 0;
		for (size_t i = 0; i < j->nfreezes; i++) {
			const sl_journal_freeze *f = &j->freezes[i];
			if (strcmp(f->phase, x->rb->phases[p].name) != 0)
				continue;
			int64_t end = f->ended_us ? f->ended_us : co_now_us();
			if (end > f->deadline_us)
				end = f->deadline_us;
			phase_ms += (end - f->started_us) / 1000;
		}
		if (phase_ms) {
			json_t *o = json_object();
			json_object_set_new(o, "phase", json_string(x->rb->phases[p].name));
			json_object_set_new(o, "freeze_ms", json_integer(phase_ms));
			json_array_append_new(arr, o);
		}
		total += phase_ms;
		worst = phase_ms > worst ? phase_ms : worst;
	}
	json_object_set_new(fig, "phases", arr);
	*ms = per_phase ? worst : total;
	sl_journal_free(j);
	return rc;
}

static int evaluate(co_ctx *x, const sl_rb_criterion *c, size_t pi, sl_journal_score *sc, json_t *fig,
		    char *figure, char *limit)
{
	int64_t v = 0, lost = 0;
	int rc = 0;
	sl_side truth = truth_of(x, pi);
	const char *truth_name = truth == SL_SIDE_TARGET ? "target" : "source";
	json_object_set_new(fig, "truth", json_string(truth_name));
	switch (c->type) {
	case SL_CRIT_LOST_ROWS:
		rc = co_diff_tables(x, c->tables, c->ntables, truth, &v, &lost, fig);
		sc->ok = !rc && lost <= c->max;
		snprintf(figure, 64, "%lld lost", (long long)lost);
		snprintf(limit, 64, "<= %lld", (long long)c->max);
		break;
	case SL_CRIT_DIFF:
		rc = co_diff_tables(x, c->tables, c->ntables, truth, &v, NULL, fig);
		sc->ok = !rc && v <= c->max;
		snprintf(figure, 64, "%lld discrepanc%s", (long long)v, v == 1 ? "y" : "ies");
		snprintf(limit, 64, "<= %lld", (long long)c->max);
		break;
	case SL_CRIT_RULES:
		rc = co_rules_eval(x, c->rules, c->nrules, truth, &v, fig);
		sc->ok = !rc && v <= c->max;
		snprintf(figure, 64, "%lld failing on the %s", (long long)v, truth_name);
		snprintf(limit, 64, "<= %lld", (long long)c->max);
		break;
	case SL_CRIT_SHADOW:
		rc = co_shadow_eval(x, c->queries, c->nqueries, &v, fig);
		sc->ok = !rc && v <= c->max;
		snprintf(figure, 64, "%lld difference%s", (long long)v, v == 1 ? "" : "s");
		snprintf(limit, 64, "<= %lld", (long long)c->max);
		break;
	case SL_CRIT_DOWNTIME:
		rc = downtime(x, c->per_phase, &v, fig);
		sc->ok = !rc && v <= c->max_ms;
		snprintf(figure, 64, "%.3fs frozen%s", (double)v / 1000,
			 c->per_phase ? " (longest phase)" : "");
		snprintf(limit, 64, "<= %.3fs", (double)c->max_ms / 1000);
		break;
	}
	return rc;
}

/* At the end, what a sync still running has not applied goes over before anything is compared. */
static void drain_active(co_ctx *x)
{
	for (size_t pi = 0; pi < x->rb->nphases; pi++) {
		sl_sync_opts so;
		sl_sync_stats stats;
		if (!x->ps[pi].sync)
			continue;
		co_sync_opts(x, &x->rb->phases[pi], x->ps[pi].sync == 2, &so);
		if (sl_sync_run(&stats, &so) != 0)
			sl_error_clear(); /* the comparison says what is missing */
	}
}

int co_score(co_ctx *x, size_t pi, bool at_end)
{
	sl_journal *j = NULL;
	if (at_end)
		drain_active(x);
	int rc = sl_journal_load(&j, x->st, x->run_id);
	for (size_t i = 0; !rc && i < x->rb->ncriteria; i++) {
		const sl_rb_criterion *c = &x->rb->criteria[i];
		size_t cp = phase_of(x, c);
		if (evaluated(j, c->name))
			continue;
		if (!at_end && (cp != pi || (c->type != SL_CRIT_LOST_ROWS && c->type != SL_CRIT_DIFF)))
			continue;
		json_t *fig = json_object();
		char figure[64] = "", limit[64] = "";
		sl_journal_score sc = { .criterion = c->name,
					.type = (const char *[]){ "", "lost_rows", "rules", "downtime",
								  "shadow", "diff" }[c->type],
					.phase = cp < x->rb->nphases ? x->rb->phases[cp].name : NULL };
		int erc = evaluate(x, c, cp, &sc, fig, figure, limit);
		if (erc) {
			/* a criterion that cannot be measured fails; the run goes on to say so */
			json_object_set_new(fig, "error", json_string(sl_error_last()->message));
			snprintf(figure, sizeof(figure), "not measured");
			sc.ok = false;
			sl_error_clear();
		}
		char *detail = json_dumps(fig, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sc.figure = figure;
		sc.limit = limit;
		sc.detail = detail;
		rc = sl_journal_score_set(x->st, x->run_id, &sc);
		if (!rc)
			co_event(x, SL_CO_EV_NOTICE, NULL, NULL, "scorecard: %s %s: %s (%s)",
				 sc.ok ? "PASS" : "FAIL", c->name, figure, limit);
		free(detail);
		json_decref(fig);
	}
	sl_journal_free(j);
	return rc;
}
