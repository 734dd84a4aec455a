/*
 * verdict.c - turning figures into GO or NO-GO with the thresholds of
 * sluice.yaml's `rehearsal:` section (docs/commands/rehearse.md lists each
 * and what it is compared with), and the key a cutover gate compares. A
 * fault drill (--fail-at, --drop-connection-at) is judged on one thing
 * only: whether the database holds exactly what sluice reported; it can
 * never be a GO.
 */
#include "rehearse/rehearse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void rh_spread(sl_rh_spread *s, int64_t *us, size_t n)
{
	memset(s, 0, sizeof(*s));
	if (!n)
		return;
	qsort(us, n, sizeof(*us), cmp_i64);
	s->n = n;
	s->min_us = us[0];
	s->max_us = us[n - 1];
	s->median_us = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
}

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

int rh_judge(sl_rehearsal *r, const sl_config_rehearsal *t)
{
	int rc = 0;
	if (r->fault.kind) {
		if (!r->fault.truthful)
			rc = rh_push_line(&r->failed, &r->nfailed, "%s drill: %s", r->fault.kind,
					  r->fault.explanation ? r->fault.explanation
							       : "the state differs from the report");
		r->verdict = r->fault.truthful ? "DRILL OK" : "DRILL FAILED";
		return rc;
	}
	int64_t work = r->verify_us + r->rules_us;
	for (size_t i = 0; !rc && i < r->nmigrations; i++) {
		const sl_rh_migration *m = &r->migrations[i];
		work += m->up.max_us + m->down.max_us;
		if (t->max_migration_ms >= 0 && m->up.max_us > t->max_migration_ms * 1000)
			rc = rh_push_line(
				&r->failed, &r->nfailed,
				"max_migration: migration %s took %.1f ms to apply, more than %lld ms", m->id,
				ms(m->up.max_us), (long long)t->max_migration_ms);
		if (!rc && t->max_exclusive_lock_ms >= 0 && m->block_us > t->max_exclusive_lock_ms * 1000)
			rc = rh_push_line(
				&r->failed, &r->nfailed,
				"max_exclusive_lock: migration %s kept writers out of \"%s\" for %.1f ms, "
				"more than %lld ms",
				m->id, m->block_table ? m->block_table : "?", ms(m->block_us),
				(long long)t->max_exclusive_lock_ms);
		if (!rc && !t->allow_rewrites && m->rewrites)
			for (size_t k = 0; !rc && k < r->nstmts; k++) {
				const sl_rh_stmt *s = &r->stmts[k];
				if (!s->down && s->round == 1 && strcmp(s->migration, m->id) == 0)
					for (size_t j = 0; !rc && j < s->nrewritten; j++)
						rc = rh_push_line(
							&r->failed, &r->nfailed,
							"allow_rewrites: migration %s statement %zu rewrites "
							"\"%s\" (%s)",
							m->id, s->index, s->rewritten[j],
							s->rewrite_notes[j]);
			}
		if (!rc && m->verify_failed)
			rc = rh_push_line(&r->failed, &r->nfailed, "verify: migration %s: %s", m->id,
					  m->verify_error ? m->verify_error
							  : "its verify query returned rows");
	}
	if (!rc && t->max_total_ms >= 0 && work > t->max_total_ms * 1000)
		rc = rh_push_line(&r->failed, &r->nfailed,
				  "max_total: up, verify, rules and down took %.1f ms, more than %lld ms",
				  ms(work), (long long)t->max_total_ms);
	if (!rc && t->max_rule_discrepancies >= 0 && r->rule_discrepancies > t->max_rule_discrepancies)
		rc = rh_push_line(
			&r->failed, &r->nfailed,
			"max_rule_discrepancies: the rules found %lld new discrepancies after up, more "
			"than %lld",
			(long long)r->rule_discrepancies, (long long)t->max_rule_discrepancies);
	if (!rc && t->require_rollback_fidelity && r->fidelity_checked && !r->fidelity_ok)
		rc = rh_push_line(
			&r->failed, &r->nfailed,
			"require_rollback_fidelity: the round trip did not restore the database: %s%s",
			r->nfidelity_diffs ? r->fidelity_diffs[0] : "fingerprints differ",
			r->nfidelity_diffs > 1 ? " (and more below)" : "");
	r->verdict = r->nfailed ? "NO-GO" : "GO";
	return rc;
}

int sl_rehearse_migrations_key(char out[SL_CHECKSUM_SIZE], const sl_rehearsal *r)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nmigrations; i++)
		rc = sl_buf_printf(&b, "%s %s\n", r->migrations[i].id, r->migrations[i].checksum);
	if (!rc)
		rc = sl_checksum_sql(out, b.ptr ? b.ptr : "", b.len);
	sl_buf_free(&b);
	return rc;
}
