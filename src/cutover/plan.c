/*
 * plan.c - a runbook as a plan people can read before anything runs
 * (`sluice cutover plan`): per phase its tables, each step with what it
 * does, its gate, what happens when it fails, and which side is the side of
 * truth once it has run; then the rollback and the success criteria.
 */
#include "cutover_int.h"

#include <stdio.h>
#include <string.h>

static const char *fail_word(sl_on_fail f)
{
	return f == SL_ON_FAIL_ROLLBACK ? "rollback" : f == SL_ON_FAIL_CONTINUE ? "continue" : "stop";
}

static void list(sl_buf *b, const char *const *v, size_t n, const char *none)
{
	if (!n)
		sl_buf_puts(b, none);
	for (size_t i = 0; i < n; i++)
		sl_buf_printf(b, "%s%s", i ? ", " : "", v[i]);
}

static void gate_text(sl_buf *b, const sl_rb_gate *g)
{
	const char *sep = "";
	if (g->has_rehearsal) {
		sl_buf_printf(b, "%sa GO rehearsal of the pending migrations on the %s", sep,
			      g->rehearsal_on == SL_SIDE_TARGET ? "target" : "source");
		if (g->max_age_days > 0)
			sl_buf_printf(b, ", at most %.3g days old", g->max_age_days);
		sep = "; ";
	}
	if (g->has_rules) {
		sl_buf_printf(b, "%srules ", sep);
		list(b, g->rules, g->nrules, "(all)");
		sl_buf_printf(b, " pass on the %s",
			      g->rules_on == SL_SIDE_BOTH     ? "source and target"
			      : g->rules_on == SL_SIDE_SOURCE ? "source"
							      : "target");
		sep = "; ";
	}
	if (g->has_diff) {
		sl_buf_printf(b, "%sat most %lld discrepancies", sep, (long long)g->max_discrepancies);
		sep = "; ";
	}
	if (g->has_shadow) {
		sl_buf_printf(b, "%sshadow queries ", sep);
		list(b, g->queries, g->nqueries, "(all)");
		sl_buf_printf(b, " differ in at most %lld rows", (long long)g->max_differences);
		sep = "; ";
	}
	if (g->has_lag) {
		sl_buf_printf(b, "%ssync lag at most %.1fs", sep, g->max_lag_s);
		sep = "; ";
	}
	if (g->has_freeze)
		sl_buf_printf(b, "%sthe freeze holds %.1fs more", sep, g->min_freeze_left_s);
}

static void step_text(sl_buf *b, const sl_runbook *rb, const sl_rb_phase *p, const sl_rb_step *s)
{
	switch (s->type) {
	case SL_STEP_COPY:
		sl_buf_puts(b, "copy ");
		list(b, s->ntables ? s->tables : p->tables, s->ntables ? s->ntables : p->ntables, "");
		break;
	case SL_STEP_SYNC_START:
		sl_buf_printf(b, "capture changes on %zu tables, then copy them", p->ntables);
		break;
	case SL_STEP_WAIT_LAG:
		sl_buf_printf(b, "wait until the sync lag is at most %.1fs", s->gate.max_lag_s);
		break;
	case SL_STEP_APPROVE:
		sl_buf_puts(b, "approval by ");
		list(b, s->roles, s->nroles, "");
		break;
	case SL_STEP_FREEZE:
		if (s->command)
			sl_buf_printf(b, "freeze writes with \"%s\"", s->command);
		else
			sl_buf_printf(b, "deny writes on the %s",
				      s->side == SL_SIDE_SOURCE   ? "source"
				      : s->side == SL_SIDE_TARGET ? "target"
				      : s->rollback               ? "target"
								  : "source");
		sl_buf_printf(b, ", lifting itself after %.1fs",
			      (double)(s->budget_ms ? s->budget_ms : rb->downtime_budget_ms) / 1000);
		if (!s->rollback)
			sl_buf_printf(b, " (then: %s)",
				      s->exceed_rollback && p->nrollback ? "rollback" : "stop");
		break;
	case SL_STEP_DRAIN:
		sl_buf_puts(b, "apply the last changes (sync until nothing is behind)");
		break;
	case SL_STEP_SYNC_REVERSE:
		sl_buf_puts(b, "capture on the target toward the source, for the way back");
		break;
	case SL_STEP_SWITCH:
	case SL_STEP_COMMAND:
		sl_buf_printf(b, "run \"%s\"", s->command);
		if (s->timeout_s > 0)
			sl_buf_printf(b, " (timeout %.0fs)", s->timeout_s);
		break;
	case SL_STEP_UNFREEZE:
		sl_buf_puts(b, "lift the freeze; the window is measured");
		break;
	case SL_STEP_WATCH:
		sl_buf_printf(b, "watch for %.0fs, every %.0fs: ", s->watch_for_s, s->watch_every_s);
		gate_text(b, &s->gate);
		break;
	case SL_STEP_SYNC_STOP:
		sl_buf_puts(b, "stop the sync (the rollback window closes)");
		break;
	default:
		gate_text(b, &s->gate);
	}
	if (s->require.has_rules || s->require.has_diff || s->require.has_shadow || s->require.has_lag ||
	    s->require.has_freeze || s->require.has_rehearsal) {
		sl_buf_puts(b, "; requires ");
		gate_text(b, &s->require);
	}
}

int sl_runbook_plan_text(sl_buf *out, const sl_runbook *rb)
{
	sl_buf line = SL_BUF_INIT;
	sl_buf_printf(out, "runbook %s: %s -> %s, downtime budget %.1fs per freeze\n", rb->name,
		      rb->source_display, rb->target_display, (double)rb->downtime_budget_ms / 1000);
	if (rb->nroles) {
		sl_buf_puts(out, "roles:");
		for (size_t i = 0; i < rb->nroles; i++) {
			sl_buf_printf(out, " %s (", rb->roles[i].name);
			for (size_t k = 0; k < rb->roles[i].nmembers; k++)
				sl_buf_printf(out, "%s%s", k ? ", " : "", rb->roles[i].members[k]);
			sl_buf_printf(out, ")%s", i + 1 < rb->nroles ? "," : "");
		}
		sl_buf_putc(out, '\n');
	}
	for (size_t pi = 0; pi < rb->nphases; pi++) {
		const sl_rb_phase *p = &rb->phases[pi];
		const char *truth = p->truth == SL_SIDE_TARGET ? "target" : "source";
		bool frozen = false;
		sl_buf_printf(out, "\nphase %s", p->name);
		if (p->domain)
			sl_buf_printf(out, " (domain %s)", p->domain);
		sl_buf_puts(out, ": ");
		sl_buf_clear(&line);
		list(&line, p->tables, p->ntables, "(tables resolved from sluice.yaml)");
		sl_buf_printf(out, "%s\n", sl_buf_cstr(&line));
		sl_buf_printf(out, "  %-3s %-30s %-18s %-9s %s\n", "#", "step", "truth after", "on fail",
			      "what");
		for (size_t i = 0; i < p->nsteps; i++) {
			const sl_rb_step *s = &p->steps[i];
			if (s->type == SL_STEP_FREEZE)
				frozen = true;
			else if (s->type == SL_STEP_UNFREEZE)
				frozen = false;
			else if (s->type == SL_STEP_SWITCH)
				truth = "target";
			char t[40];
			snprintf(t, sizeof(t), "%s%s", truth, frozen ? " (frozen)" : "");
			sl_buf_clear(&line);
			step_text(&line, rb, p, s);
			sl_buf_printf(out, "  %-3zu %-30s %-18s %-9s %s\n", i + 1, s->id, t,
				      fail_word(s->on_fail), sl_buf_cstr(&line));
		}
		if (p->nrollback) {
			sl_buf_puts(out, "  rollback (steps that do not apply to how far the phase went are "
					 "skipped):\n");
			for (size_t i = 0; i < p->nrollback; i++) {
				sl_buf_clear(&line);
				step_text(&line, rb, p, &p->rollback[i]);
				sl_buf_printf(out, "  %-3zu %-30s %s\n", i + 1, p->rollback[i].id,
					      sl_buf_cstr(&line));
			}
		} else {
			sl_buf_puts(out, "  no rollback: a failed gate stops the run\n");
		}
	}
	if (rb->ncriteria)
		sl_buf_puts(out, "\nsuccess criteria:\n");
	static const char *const types[] = { "", "lost_rows", "rules", "downtime", "shadow", "diff" };
	for (size_t i = 0; i < rb->ncriteria; i++) {
		const sl_rb_criterion *c = &rb->criteria[i];
		sl_buf_printf(out, "  %-32s %-9s ", c->name, types[c->type]);
		sl_buf_clear(&line);
		if (c->type == SL_CRIT_DOWNTIME)
			sl_buf_printf(&line, "frozen at most %.1fs%s", (double)c->max_ms / 1000,
				      c->per_phase ? " per phase" : " in all");
		else if (c->type == SL_CRIT_RULES)
			list(&line, c->rules, c->nrules, "");
		else if (c->type == SL_CRIT_SHADOW)
			list(&line, c->queries, c->nqueries, "every shadow query");
		else
			list(&line, c->tables, c->ntables, "");
		if (c->type != SL_CRIT_DOWNTIME)
			sl_buf_printf(&line, " (at most %lld)", (long long)c->max);
		sl_buf_printf(out, "%s\n", sl_buf_cstr(&line));
	}
	sl_buf_free(&line);
	return 0;
}
