/*
 * run.c - one `sluice copy` run: refuses or resumes according to the state
 * in the target (resume.c), then walks the phases TABLES -> data -> INDEXES ->
 * CONSTRAINTS -> FOREIGN_KEYS -> SEQUENCES -> VIEWS -> TRIGGERS, recording
 * the next phase in the run row of sluice_copy_state (docs/copy.md).
 *
 * The data phase runs opts->jobs worker threads; each opens its own source
 * and target connections and takes table parts from a shared queue (the
 * mutex in sl_copy_shared guards the queue, the reject total, the first
 * error and event delivery). Errors are thread-local: a worker's first error
 * is copied into the shared state and set again on the calling thread.
 * The DDL phases are in phases.c, the result in result.c (run_int.h).
 */
#include "run_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice/error.h"
#include "sluice/util.h"

static const char *const phases[] = { "tables",    "data",  "indexes",  "constraints", "foreign_keys",
				      "sequences", "views", "triggers", "finished" };
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

/* ---- shared helpers used by the pump ---- */

bool sl_copy_should_stop(sl_copy_shared *sh)
{
	pthread_mutex_lock(sh->mutex);
	if (!sh->stop && sh->opts->interrupted && sh->opts->interrupted(sh->opts->interrupt_ud))
		sh->stop = sh->interrupted = true;
	bool s = sh->stop;
	pthread_mutex_unlock(sh->mutex);
	return s;
}

/* SL_EINTERRUPTED when the run was asked to stop (between phases and after the data phase). */
int copy_check_interrupt(run *r)
{
	if (!sl_copy_should_stop(&r->sh) || !r->sh.interrupted)
		return 0;
	return sl_error_set(
		SL_EINTERRUPTED,
		"interrupted: resume with --resume (the copy stopped after its last committed batch)");
}

bool sl_copy_add_rejects(sl_copy_shared *sh, int64_t n)
{
	pthread_mutex_lock(sh->mutex);
	sh->total_rejects += n;
	bool over = sh->total_rejects > sh->opts->max_rejects;
	if (over && n > 0) {
		sh->halted = true;
		sh->stop = true;
	}
	pthread_mutex_unlock(sh->mutex);
	return over && n > 0;
}

void sl_copy_emit(sl_copy_shared *sh, const sl_copy_event *ev)
{
	if (!sh->opts->on_event)
		return;
	pthread_mutex_lock(sh->mutex);
	sh->opts->on_event(sh->opts->event_ud, ev);
	pthread_mutex_unlock(sh->mutex);
}

void sl_copy_notice(const sl_copy_opts *o, const char *fmt, ...)
{
	if (!o->on_event)
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sl_copy_event ev = { .kind = SL_COPY_EV_NOTICE, .message = buf };
	o->on_event(o->event_ud, &ev);
}

void copy_notice(run *r, const char *fmt, ...)
{
	if (!r->o->on_event)
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sl_copy_event ev = { .kind = SL_COPY_EV_NOTICE, .message = buf };
	sl_copy_emit(&r->sh, &ev);
}

static void phase_event(run *r, const char *phase)
{
	sl_copy_event ev = { .kind = SL_COPY_EV_PHASE, .phase = phase };
	sl_copy_emit(&r->sh, &ev);
}

/* ---- sessions ---- */

static int setup_target(sl_conn *c, bool load)
{
	int rc = sl_conn_bulk_session(c, load);
	if (rc)
		sl_error_prefix("prepare the target session");
	return rc;
}

int copy_open_side(run *r, sl_conn **out, sl_copy_side side)
{
	int rc = r->o->connect(out, side, r->o->connect_ud);
	if (!rc && side == SL_COPY_TARGET)
		rc = setup_target(*out, true);
	if (rc && *out) {
		sl_conn_close(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- workers ---- */

void copy_record_error(run *r, int rc)
{
	pthread_mutex_lock(&r->mu);
	if (!r->err_code && rc != SL_EINTERRUPTED) {
		r->err_code = rc;
		r->err_msg = strdup(sl_error_last()->message);
	}
	r->sh.stop = true;
	copy_iq_wake(r);
	pthread_mutex_unlock(&r->mu);
}

static int cmp_parts(const void *a, const void *b)
{
	const sl_copy_part *x = *(sl_copy_part *const *)a, *y = *(sl_copy_part *const *)b;
	return (x->expected < y->expected) - (x->expected > y->expected);
}

typedef struct worker_arg {
	run *r;
	sl_copy_part **queue;
	size_t nqueue;
} worker_arg;

/*
 * A data worker: loads the parts of the queue one after the other and, when
 * the index statements are queued (r->iq), runs those of every table whose
 * parts are all loaded first, so the indexes of the big tables are built
 * while the small ones still load.
 */
static void *worker(void *ud)
{
	worker_arg *wa = ud;
	run *r = wa->r;
	sl_conn *src = NULL, *dst = NULL;
	copy_work w;
	int rc = copy_open_side(r, &src, SL_COPY_SOURCE);
	if (!rc)
		rc = copy_open_side(r, &dst, SL_COPY_TARGET);
	if (rc)
		copy_record_error(r, rc);
	while (!rc && copy_iq_next(r, wa->queue, wa->nqueue, &w)) {
		const sl_copy_tplan *t = w.part ? sl_copy_plan_find(r->plan, w.part->table) : NULL;
		if (w.stmt)
			rc = copy_iq_run(r, dst, w.stmt);
		else if (t)
			rc = sl_copy_pump(&r->sh, src, dst, t, w.part);
		copy_iq_done(r, &w);
		if (rc)
			copy_record_error(r, rc);
	}
	sl_conn_close(src);
	sl_conn_close(dst);
	sl_error_clear(); /* the thread's message buffer dies with the thread */
	return NULL;
}

static int run_workers(run *r)
{
	sl_copy_part **queue = calloc(r->nparts + 1, sizeof(*queue));
	size_t nq = 0;
	int jobs = r->o->jobs > 0 ? r->o->jobs : 1;
	pthread_t th[64];
	int started = 0;
	if (!queue)
		return sl_error_nomem();
	for (size_t i = 0; i < r->nparts; i++)
		if (!r->parts[i].done && !r->parts[i].failed)
			queue[nq++] = &r->parts[i];
	qsort(queue, nq, sizeof(*queue), cmp_parts);
	for (size_t i = 0; r->iq && i < nq; i++)
		copy_iq_add_part(r, queue[i]);
	if (sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK))
		jobs = 1; /* one writer per database */
	if (jobs > 64)
		jobs = 64;
	if ((size_t)jobs > nq)
		jobs = nq ? (int)nq : 1;
	worker_arg wa = { .r = r, .queue = queue, .nqueue = nq };
	r->next_part = 0;
	if (nq) {
		if (jobs == 1) {
			worker(&wa);
		} else {
			for (int i = 0; i < jobs; i++) {
				if (pthread_create(&th[i], NULL, worker, &wa) != 0) {
					copy_record_error(r, sl_error_set(SL_ERROR, "start copy worker %d",
									  i + 1));
					break;
				}
				started++;
			}
			for (int i = 0; i < started; i++)
				pthread_join(th[i], NULL);
		}
	}
	free(queue);
	if (r->err_code)
		return sl_error_set(r->err_code, "%s", r->err_msg ? r->err_msg : "copy failed");
	if (r->sh.interrupted)
		return copy_check_interrupt(r);
	if (r->sh.halted)
		return sl_error_set(SL_ECHECK,
				    "copy halted: %" PRId64 " rows rejected, more than --max-rejects %" PRId64
				    " (see %s; the copy can be resumed)",
				    r->sh.total_rejects, r->o->max_rejects, SL_COPY_REJECTS_TABLE);
	return 0;
}

/* ---- parts ---- */

/*
 * How many key ranges a table of `rows` estimated rows over a key span of
 * `span` gets: jobs * 2, or with part_rows one per part_rows rows (at most
 * 4096, never more than the span).
 */
static int parts_for(const sl_copy_opts *o, int64_t rows, int64_t span)
{
	int64_t n = (o->jobs > 0 ? o->jobs : 1) * 2;
	if (o->part_rows > 0)
		n = rows / o->part_rows + (rows % o->part_rows != 0);
	if (n > 4096)
		n = 4096;
	if (n > span)
		n = span;
	return n < 1 ? 1 : (int)n;
}

/* SELECT fn(key) FROM table on src: the key's min or max. */
static int key_bound(sl_conn *src, const sl_table *t, const char *key, const char *fn, int64_t *out)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b, "SELECT %s(", fn);
	if (!rc)
		rc = sl_conn_quote_ident(src, &b, key);
	if (!rc)
		rc = sl_buf_puts(&b, ") FROM ");
	if (!rc && sl_conn_has(src, SL_CAP_SCHEMAS) && t->schema) {
		rc = sl_conn_quote_ident(src, &b, t->schema);
		if (!rc)
			rc = sl_buf_putc(&b, '.');
	}
	if (!rc)
		rc = sl_conn_quote_ident(src, &b, t->name);
	if (!rc)
		rc = sl_conn_query_int(src, b.ptr, out);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_split(sl_copy_range **out, int *nout, sl_conn *src, const sl_table *t, const char *key,
		  const sl_copy_opts *o)
{
	int n = 1;
	int64_t lo = 0, hi = 0;
	int rc = 0;
	*out = NULL;
	*nout = 0;
	if (key && t->row_count >= (o->split_rows > 0 ? o->split_rows : 200000)) {
		rc = key_bound(src, t, key, "min", &lo);
		if (!rc)
			rc = key_bound(src, t, key, "max", &hi);
		if (rc)
			return rc;
		if (hi > lo)
			n = parts_for(o, t->row_count, hi - lo);
	}
	sl_copy_range *v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return sl_error_nomem();
	/* hi - lo + 1 key values in n ranges, the first (values % n) one value longer: none is empty */
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	uint64_t values = span == UINT64_MAX ? span : span + 1;
	uint64_t q = values / (uint64_t)n, extra = values % (uint64_t)n;
	for (int i = 0; i < n; i++) {
		uint64_t a = (uint64_t)i, b = (uint64_t)i + 1;
		v[i].has_lo = i > 0;
		v[i].lo = (int64_t)((uint64_t)lo + q * a + (a < extra ? a : extra));
		v[i].has_hi = i < n - 1;
		v[i].hi = (int64_t)((uint64_t)lo + q * b + (b < extra ? b : extra));
		v[i].expected = t->row_count >= 0 ? t->row_count / n : -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int copy_make_parts(run *r, const sl_copy_tplan *t)
{
	int jobs = r->o->jobs > 0 ? r->o->jobs : 1;
	bool split =
		t->int_key && (jobs > 1 || r->o->part_rows > 0) && !sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK);
	sl_copy_range *v = NULL;
	int n = 0;
	int rc = sl_copy_split(&v, &n, r->src, t->src, split ? t->key[0] : NULL, r->o);
	for (int i = 0; !rc && i < n; i++) {
		sl_copy_part p = { .table = (char *)t->ref, .part = i, .nparts = n };
		p.has_lo = v[i].has_lo;
		p.lo = v[i].lo;
		p.has_hi = v[i].has_hi;
		p.hi = v[i].hi;
		p.expected = v[i].expected;
		rc = sl_copy_state_add_part(r->dst, r->run_id, &p);
	}
	free(v);
	return rc;
}

int copy_make_all_parts(run *r)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < r->plan->ntables; i++)
		rc = copy_make_parts(r, &r->plan->tables[i]);
	if (rc)
		sl_error_prefix("plan the table parts");
	return rc;
}

/* ---- phases ---- */

const char *copy_phase_name(int i)
{
	return i >= 0 && (size_t)i < NPHASES ? phases[i] : "?";
}

int copy_phase_index(const char *phase, int *stmt_done)
{
	*stmt_done = 0;
	for (size_t i = 0; i < NPHASES; i++) {
		size_t n = strlen(phases[i]);
		if (strncmp(phase, phases[i], n) == 0 && (phase[n] == '\0' || phase[n] == ':')) {
			if (phase[n] == ':')
				*stmt_done = (int)strtol(phase + n + 1, NULL, 10); /* written by set_phase */
			return (int)i;
		}
	}
	return -1;
}

int copy_set_phase(run *r, const char *phase, int stmt)
{
	char buf[64];
	if (stmt > 0)
		snprintf(buf, sizeof(buf), "%s:%d", phase, stmt);
	else
		snprintf(buf, sizeof(buf), "%s", phase);
	return sl_copy_state_set_phase(r->dst, r->run_id, buf);
}

bool copy_transactional(run *r)
{
	return sl_conn_has(r->dst, SL_CAP_TRANSACTIONAL_DDL);
}

/* Index in the plan of the table whose target name is name, or SIZE_MAX. */
size_t copy_table_index(const run *r, const char *target_name)
{
	for (size_t i = 0; target_name && i < r->plan->ntables; i++)
		if (strcmp(r->plan->tables[i].cast->name, target_name) == 0)
			return i;
	return SIZE_MAX;
}

/* A statement of a later phase that belongs to, or references, a table the target refused. */
bool copy_on_failed_table(const run *r, const sl_ddl_stmt *st)
{
	size_t a = copy_table_index(r, st->table), b = copy_table_index(r, st->ref_table);
	return r->failed && ((a != SIZE_MAX && r->failed[a]) || (b != SIZE_MAX && r->failed[b]));
}

static int phase_data(run *r)
{
	int rc = sl_copy_state_parts(r->dst, &r->parts, &r->nparts);
	if (rc)
		return rc;
	int64_t prior = sl_copy_state_total_rejects(r->dst);
	r->sh.total_rejects = prior > 0 ? prior : 0;
	if (r->sh.total_rejects > r->o->max_rejects) {
		r->sh.halted = true;
		return sl_error_set(SL_ECHECK,
				    "copy halted: %" PRId64
				    " rows already rejected, more than --max-rejects %" PRId64
				    " (raise the limit to go on with --resume)",
				    r->sh.total_rejects, r->o->max_rejects);
	}
	for (size_t i = 0; i < r->nparts; i++) {
		const sl_copy_tplan *t = sl_copy_plan_find(r->plan, r->parts[i].table);
		if (t && t->keyless && !r->parts[i].done && !r->parts[i].failed)
			copy_notice(r,
				    "\"%s\" has no usable key (no primary key or unique NOT NULL key): it is "
				    "loaded whole in "
				    "one transaction, and reloaded from the start after an interruption",
				    t->ref);
	}
	if (r->o->external_data) {
		/* workers load the parts: go on only once every one is done */
		int64_t pending = 0;
		for (size_t i = 0; i < r->nparts; i++)
			pending += !r->parts[i].done && !r->parts[i].failed;
		r->res->parts_pending = pending;
		if (pending)
			return 0;
	} else {
		/* the index statements start as their tables finish loading (not with --data-only) */
		if (!r->o->data_only && copy_iq_applies(r))
			rc = copy_iq_new(r);
		if (!rc)
			rc = run_workers(r);
	}
	if (!rc)
		rc = copy_set_phase(r, r->o->data_only ? "finished" : "indexes", 0);
	return rc;
}

static int walk_phases(run *r, int phase, int stmt)
{
	int rc = 0;
	for (int ph = phase; !rc && ph < (int)NPHASES - 1; ph++) {
		int from = ph == phase ? stmt : 0;
		if ((rc = copy_check_interrupt(r)) != 0)
			break;
		phase_event(r, phases[ph]);
		switch (ph) {
		case 0:
			rc = copy_phase_tables(r);
			if (!rc && r->o->schema_only)
				ph = 1; /* skip data */
			break;
		case 1:
			rc = phase_data(r);
			if (!rc && (r->o->data_only || r->res->parts_pending))
				return 0;
			break;
		case 2:
			rc = from ? copy_run_ddl_phase(r, r->plan->ddl, SL_DDL_INDEXES, from, "constraints",
						       true)
				  : copy_run_index_phase(r);
			break;
		case 3:
			rc = copy_run_ddl_phase(r, r->plan->ddl, SL_DDL_CONSTRAINTS, from, "foreign_keys",
						true);
			break;
		case 4:
			rc = copy_run_fk_phase(r, from);
			break;
		case 5:
			rc = copy_run_ddl_phase(r, r->plan->ddl, SL_DDL_SEQUENCES, from, "views", false);
			break;
		case 6:
			rc = copy_run_optional_phase(r, SL_DDL_VIEWS, from, "triggers");
			break;
		case 7:
			rc = copy_run_optional_phase(r, SL_DDL_TRIGGERS, from, "finished");
			if (!rc)
				copy_list_untranslated(r);
			break;
		}
	}
	if (!rc && r->nfailed) {
		/* tables were left out: not finished until --resume has created and copied them */
		rc = copy_set_phase(r, "incomplete", 0);
		copy_notice(
			r,
			"copy incomplete: %zu table%s not created (listed above); fix them (a cast rule in "
			"sluice.yaml) and run again with --resume to copy them",
			r->nfailed, r->nfailed == 1 ? " was" : "s were");
	}
	return rc;
}

/* Connects both ends, plans the cast and refuses a plan with errors unless --force. */
static int open_run(run *r)
{
	int rc = r->o->connect(&r->src, SL_COPY_SOURCE, r->o->connect_ud);
	if (!rc)
		rc = r->o->connect(&r->dst, SL_COPY_TARGET, r->o->connect_ud);
	if (!rc)
		rc = sl_conn_refuse_same_database(r->src, r->dst, "copy");
	if (!rc)
		rc = setup_target(r->dst, false);
	if (!rc)
		rc = sl_copy_plan_new(&r->plan, r->src, sl_conn_engine(r->dst), r->o);
	if (!rc) {
		r->failed = calloc(r->plan->ntables + 1, sizeof(*r->failed));
		r->ferr = calloc(r->plan->ntables + 1, sizeof(*r->ferr));
		if (!r->failed || !r->ferr)
			rc = sl_error_nomem();
	}
	if (rc)
		goto done;
	rc = copy_left_behind(r);
	if (rc)
		goto done;
	size_t nerr = sl_copy_plan_count(r->plan, SL_CAST_ERROR);
	if (nerr && !r->o->force)
		rc = sl_error_set(
			SL_EINVALID,
			"the cast plan has %zu error note%s (see `sluice copy --plan`): add cast rules "
			"or run with --force",
			nerr, nerr == 1 ? "" : "s");
done:
	return rc;
}

int sl_copy_run(sl_copy_result **out, const sl_copy_opts *opts)
{
	run r = { .o = opts };
	int rc = 0, phase = 0, stmt = 0;
	double t0 = sl_now_s();
	bool mu_init = false;
	*out = NULL;
	if (!opts || !opts->connect)
		return sl_error_set(SL_EINVALID, "copy: no connect callback");
	if (opts->schema_only && opts->data_only)
		return sl_error_set(SL_EINVALID, "copy: --schema-only and --data-only exclude each other");
	r.res = calloc(1, sizeof(*r.res));
	if (!r.res || pthread_mutex_init(&r.mu, NULL) != 0) {
		free(r.res);
		return sl_error_nomem();
	}
	mu_init = true;
	r.sh.opts = opts;
	r.sh.mutex = &r.mu;
	rc = open_run(&r);
	if (rc)
		goto done;
	rc = copy_start(&r, &phase, &stmt);
	if (rc)
		goto done;
	r.sh.run_id = r.run_id;
	if (phase == (int)NPHASES - 1) {
		copy_notice(&r, "copy %s is already finished", r.run_id);
	} else {
		rc = walk_phases(&r, phase, stmt);
	}
done:
	if (r.plan && r.dst && r.run_id) {
		char *m = rc ? strdup(sl_error_last()->message) : NULL;
		int code = rc ? sl_error_last()->code : 0;
		copy_fill_result(&r);
		char *rid = NULL, *ph = NULL;
		if (!sl_copy_state_run(r.dst, &rid, &ph, NULL))
			r.res->finished = strcmp(ph, "finished") == 0;
		free(rid);
		free(ph);
		if (rc)
			sl_error_set(code ? code : rc, "%s", m ? m : "copy failed");
		free(m);
	}
	r.res->run_id = r.run_id;
	r.res->halted = r.sh.halted;
	r.res->seconds = sl_now_s() - t0;
	*out = r.res;
	copy_iq_free(&r);
	sl_copy_parts_free(r.parts, r.nparts);
	for (size_t i = 0; r.ferr && i < r.plan->ntables; i++)
		free(r.ferr[i]);
	free(r.ferr);
	free(r.failed);
	sl_copy_plan_free(r.plan);
	sl_conn_close(r.src);
	sl_conn_close(r.dst);
	free(r.err_msg);
	if (mu_init)
		pthread_mutex_destroy(&r.mu);
	return rc;
}
