/*
 * observe.c - watching migrations run: the runner's events
 * (sl_migrate_opts.on_event) are timed per statement and per migration;
 * around each statement the tables' storage ids are read on the migrating
 * connection (a changed id is a rewrite), and, where the engine lets a
 * second session see locks (SL_CAP_LOCK_OBSERVE), a thread polls them while
 * the statement runs and a last look after it catches every lock the open
 * transaction still holds. A lock taken inside a transaction is held until
 * the commit, so its time runs from the statement's start to the end of the
 * migration. Engines that lock the whole database for a write transaction
 * (SL_CAP_DB_WRITE_LOCK) get one database-wide lock per migration; elsewhere
 * a rebuild that blocks writers counts for its statement (inferred, noted).
 *
 * Fault targets act on STATEMENT, just before the runner executes it: the
 * statement is made to fail (sl_conn_fault_arm) or the connection is cut
 * (sl_conn_sever). Callbacks never query after a failed statement: the
 * runner's error must stay the thread's last error.
 */
#include "rehearse/rehearse_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"

#define POLL_NS 5000000L

typedef struct kv {
	char **k, **v;
	size_t n, cap;
} kv;

typedef struct held {
	size_t stmt; /* index in r->stmts, or (size_t)-1 when not recorded */
	size_t lock; /* index in that statement's locks */
	int64_t t0;
	int64_t instr0; /* ob->instr_us when it was taken */
	bool critical;
	char *table;
} held;

typedef struct mig_time {
	char *id;
	int64_t up_us, down_us;
	size_t ran; /* up statements that completed */
} mig_time;

struct rh_observer {
	sl_rehearsal *r;
	sl_conn *c, *obs;
	const sl_rehearse_opts *o;
	bool (*critical)(void *ud, const char *table);
	void *crit_ud;
	int round;
	bool record;
	rh_target fail_at, drop_at;
	bool has_fail, has_drop, fired;
	int64_t session;
	/* the migration and statement running */
	const char *mig;
	bool down, tx;
	int64_t mig_t0, stmt_t0;
	int64_t instr_us; /* time spent observing inside the migration: not the migration's own */
	int64_t stmt_instr0;
	kv storage;
	bool storage_ok;
	bool storage_noted;
	held *held;
	size_t nheld, capheld;
	mig_time *times;
	size_t ntimes;
	/* the polling thread */
	pthread_t th;
	bool th_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool polling, busy, stop;
	sl_lock_info *seen; /* locks seen while the statement ran (strings malloc'd) */
	size_t nseen, capseen;
};

/* ---- small helpers ---- */

static void kv_clear(kv *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->k[i]);
		free(m->v[i]);
	}
	m->n = 0;
}

static void kv_free(kv *m)
{
	kv_clear(m);
	free(m->k);
	free(m->v);
}

static int kv_add(void *ud, const char *name, const char *detail)
{
	kv *m = ud;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		char **k = realloc(m->k, cap * sizeof(*k));
		if (!k)
			return sl_error_nomem();
		m->k = k;
		char **v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return sl_error_nomem();
		m->v = v;
		m->cap = cap;
	}
	m->k[m->n] = rh_strdup(name);
	m->v[m->n] = rh_strdup(detail ? detail : "");
	if (!m->k[m->n] || !m->v[m->n]) {
		free(m->k[m->n]);
		free(m->v[m->n]);
		return sl_error_nomem();
	}
	m->n++;
	return 0;
}

static const char *kv_get(const kv *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->k[i], k) == 0)
			return m->v[i];
	return NULL;
}

static mig_time *time_of(rh_observer *ob, const char *id)
{
	for (size_t i = 0; i < ob->ntimes; i++)
		if (strcmp(ob->times[i].id, id) == 0)
			return &ob->times[i];
	mig_time *t = realloc(ob->times, (ob->ntimes + 1) * sizeof(*t));
	if (!t)
		return NULL;
	ob->times = t;
	t = &ob->times[ob->ntimes];
	*t = (mig_time){ .id = rh_strdup(id), .up_us = -1, .down_us = -1 };
	if (!t->id)
		return NULL;
	ob->ntimes++;
	return t;
}

static sl_rh_migration *mig_of(sl_rehearsal *r, const char *id)
{
	for (size_t i = 0; i < r->nmigrations; i++)
		if (strcmp(r->migrations[i].id, id) == 0)
			return &r->migrations[i];
	return NULL;
}

/* ---- the lock-polling thread ---- */

static int seen_add(void *ud, const sl_lock_info *l)
{
	rh_observer *ob = ud;
	for (size_t i = 0; i < ob->nseen; i++)
		if (strcmp(ob->seen[i].table, l->table) == 0 && strcmp(ob->seen[i].mode, l->mode) == 0)
			return 0;
	if (ob->nseen == ob->capseen) {
		size_t cap = ob->capseen ? ob->capseen * 2 : 8;
		sl_lock_info *s = realloc(ob->seen, cap * sizeof(*s));
		if (!s)
			return sl_error_nomem();
		ob->seen = s;
		ob->capseen = cap;
	}
	sl_lock_info *s = &ob->seen[ob->nseen];
	*s = *l;
	s->table = rh_strdup(l->table);
	s->mode = rh_strdup(l->mode);
	if (!s->table || !s->mode) {
		free((char *)s->table);
		free((char *)s->mode);
		return sl_error_nomem();
	}
	ob->nseen++;
	return 0;
}

static void seen_clear(rh_observer *ob)
{
	for (size_t i = 0; i < ob->nseen; i++) {
		free((char *)ob->seen[i].table);
		free((char *)ob->seen[i].mode);
	}
	ob->nseen = 0;
}

static int poll_one(void *ud, const sl_lock_info *l)
{
	rh_observer *ob = ud;
	pthread_mutex_lock(&ob->mu);
	int rc = seen_add(ob, l);
	pthread_mutex_unlock(&ob->mu);
	return rc;
}

static void *poll_main(void *arg)
{
	rh_observer *ob = arg;
	pthread_mutex_lock(&ob->mu);
	for (;;) {
		while (!ob->polling && !ob->stop)
			pthread_cond_wait(&ob->cv, &ob->mu);
		if (ob->stop)
			break;
		ob->busy = true;
		pthread_mutex_unlock(&ob->mu);
		if (sl_conn_observe_locks(ob->obs, ob->session, poll_one, ob) != 0)
			sl_error_clear(); /* a missed sample only loses precision */
		struct timespec ts = { .tv_sec = 0, .tv_nsec = POLL_NS };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&ob->mu);
		ob->busy = false;
		pthread_cond_broadcast(&ob->cv);
	}
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

static void poll_start(rh_observer *ob)
{
	if (!ob->th_started)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->polling = true;
	pthread_cond_broadcast(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

/* Stops sampling and waits until the thread no longer uses the observer connection. */
static void poll_stop(rh_observer *ob)
{
	if (!ob->th_started)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->polling = false;
	while (ob->busy)
		pthread_cond_wait(&ob->cv, &ob->mu);
	pthread_mutex_unlock(&ob->mu);
}

int rh_observer_new(rh_observer **out, sl_rehearsal *r, sl_conn *scratch, sl_conn *observer_conn,
		    const sl_rehearse_opts *o, bool (*critical)(void *ud, const char *table), void *crit_ud)
{
	rh_observer *ob = calloc(1, sizeof(*ob));
	*out = NULL;
	if (!ob)
		return sl_error_nomem();
	ob->r = r;
	ob->c = scratch;
	ob->obs = observer_conn;
	ob->o = o;
	ob->critical = critical;
	ob->crit_ud = crit_ud;
	ob->round = 1;
	ob->record = true;
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	int rc = sl_conn_session_id(scratch, &ob->session);
	if (!rc && ob->obs) {
		if (pthread_create(&ob->th, NULL, poll_main, ob) == 0)
			ob->th_started = true;
		else
			rc = sl_error_set(SL_ERROR, "start the lock observer thread");
	}
	if (rc) {
		rh_observer_free(ob);
		return rc;
	}
	*out = ob;
	return 0;
}

void rh_observer_free(rh_observer *ob)
{
	if (!ob)
		return;
	if (ob->th_started) {
		pthread_mutex_lock(&ob->mu);
		ob->stop = true;
		ob->polling = false;
		pthread_cond_broadcast(&ob->cv);
		pthread_mutex_unlock(&ob->mu);
		pthread_join(ob->th, NULL);
	}
	pthread_mutex_destroy(&ob->mu);
	pthread_cond_destroy(&ob->cv);
	seen_clear(ob);
	free(ob->seen);
	kv_free(&ob->storage);
	for (size_t i = 0; i < ob->nheld; i++)
		free(ob->held[i].table);
	free(ob->held);
	for (size_t i = 0; i < ob->ntimes; i++)
		free(ob->times[i].id);
	free(ob->times);
	free(ob);
}

void rh_observer_faults(rh_observer *ob, const rh_target *fail_at, const rh_target *drop_at)
{
	ob->has_fail = fail_at != NULL;
	ob->has_drop = drop_at != NULL;
	if (fail_at)
		ob->fail_at = *fail_at;
	if (drop_at)
		ob->drop_at = *drop_at;
	ob->fired = false;
}

void rh_observer_round(rh_observer *ob, int round, bool record)
{
	ob->round = round;
	ob->record = record;
	for (size_t i = 0; i < ob->ntimes; i++) {
		ob->times[i].up_us = ob->times[i].down_us = -1;
		ob->times[i].ran = 0;
	}
}

size_t rh_observer_ran(const rh_observer *ob, const char *id)
{
	for (size_t i = 0; i < ob->ntimes; i++)
		if (strcmp(ob->times[i].id, id) == 0)
			return ob->times[i].ran;
	return 0;
}

bool rh_observer_fired(const rh_observer *ob)
{
	return ob->fired;
}

int64_t rh_observer_mig_us(const rh_observer *ob, const char *id, bool down)
{
	for (size_t i = 0; i < ob->ntimes; i++)
		if (strcmp(ob->times[i].id, id) == 0)
			return down ? ob->times[i].down_us : ob->times[i].up_us;
	return -1;
}

/* ---- statements ---- */

static bool matches(const rh_target *t, const sl_migrate_event *ev)
{
	return strcmp(t->migration, ev->id) == 0 && t->statement == ev->index;
}

static void on_statement(rh_observer *ob, const sl_migrate_event *ev)
{
	int64_t t_in = rh_now_us();
	if (!ev->down && ob->has_fail && !ob->fired && matches(&ob->fail_at, ev)) {
		if (sl_conn_fault_arm(ob->c, "exec", 1, SL_EDB) == 0)
			ob->fired = true;
	}
	if (!ev->down && ob->has_drop && !ob->fired && matches(&ob->drop_at, ev)) {
		sl_conn_sever(ob->c);
		ob->fired = true;
	}
	kv_clear(&ob->storage);
	ob->storage_ok = false;
	if (!sl_conn_severed(ob->c)) {
		/* a query: an armed exec fault counts execs only, so the statement still gets it */
		ob->storage_ok = sl_conn_table_storage(ob->c, kv_add, &ob->storage) == 0;
		if (!ob->storage_ok && !ob->storage_noted) {
			/* say once that rewrites went unseen, and why (a missing privilege, say) */
			ob->storage_noted = true;
			rh_push_line(&ob->r->notes, &ob->r->nnotes,
				     "rewrites: table storage ids could not be read: %s",
				     sl_error_last()->message);
		}
		if (!ob->storage_ok)
			sl_error_clear();
	}
	pthread_mutex_lock(&ob->mu);
	seen_clear(ob);
	pthread_mutex_unlock(&ob->mu);
	ob->stmt_t0 = rh_now_us();
	ob->instr_us += ob->stmt_t0 - t_in;
	ob->stmt_instr0 = ob->instr_us;
	poll_start(ob);
}

static char *one_line(const char *sql)
{
	char buf[204];
	size_t j = 0;
	bool space = false;
	for (const char *p = sql; *p && j < 200; p++) {
		bool ws = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
		if (ws) {
			space = j > 0;
			continue;
		}
		if (space && j < 199)
			buf[j++] = ' ';
		space = false;
		buf[j++] = *p;
	}
	buf[j] = '\0';
	if (j >= 200)
		memcpy(buf + 197, "...", 4);
	return rh_strdup(buf);
}

static int add_lock(sl_rh_stmt *s, const char *table, const char *mode, bool reads, bool observed, int64_t us,
		    bool critical)
{
	for (size_t i = 0; i < s->nlocks; i++)
		if (strcmp(s->locks[i].table, table) == 0) {
			if (reads && !s->locks[i].blocks_reads) {
				char *m = rh_strdup(mode);
				if (!m)
					return SL_ENOMEM;
				free(s->locks[i].mode);
				s->locks[i].mode = m;
				s->locks[i].blocks_reads = true;
			}
			return 0;
		}
	sl_rh_lock *l = realloc(s->locks, (s->nlocks + 1) * sizeof(*l));
	if (!l)
		return sl_error_nomem();
	s->locks = l;
	l = &s->locks[s->nlocks];
	*l = (sl_rh_lock){ .table = rh_strdup(table),
			   .mode = rh_strdup(mode),
			   .blocks_reads = reads,
			   .observed = observed,
			   .held_us = us,
			   .critical = critical };
	if (!l->table || !l->mode) {
		free(l->table);
		free(l->mode);
		return sl_error_nomem();
	}
	s->nlocks++;
	return 0;
}

/*
 * Whether this transaction already holds a lock on table (taken by an
 * earlier statement, whose record keeps it). A stronger mode now is
 * written into that record: it is the same lock, upgraded.
 */
static bool already_held(rh_observer *ob, const char *table, const sl_lock_info *now)
{
	for (size_t i = 0; i < ob->nheld; i++) {
		const held *h = &ob->held[i];
		if (strcmp(h->table, table) != 0)
			continue;
		if (now && now->blocks_reads && h->stmt < ob->r->nstmts &&
		    h->lock < ob->r->stmts[h->stmt].nlocks) {
			sl_rh_lock *l = &ob->r->stmts[h->stmt].locks[h->lock];
			char *m = l->blocks_reads ? NULL : rh_strdup(now->mode);
			if (m) {
				free(l->mode);
				l->mode = m;
				l->blocks_reads = true;
			}
		}
		return true;
	}
	return false;
}

static int hold(rh_observer *ob, size_t stmt, size_t lock, const char *table, bool critical)
{
	if (ob->nheld == ob->capheld) {
		size_t cap = ob->capheld ? ob->capheld * 2 : 8;
		held *h = realloc(ob->held, cap * sizeof(*h));
		if (!h)
			return sl_error_nomem();
		ob->held = h;
		ob->capheld = cap;
	}
	ob->held[ob->nheld] =
		(held){ .stmt = stmt,
			.lock = lock,
			.t0 = ob->stmt_t0,
			.instr0 = ob->stmt_instr0, /* observation since then is not the lock's */
			.critical = critical,
			.table = rh_strdup(table) };
	if (!ob->held[ob->nheld].table)
		return sl_error_nomem();
	ob->nheld++;
	return 0;
}

static bool is_critical(rh_observer *ob, const char *table)
{
	return ob->critical ? ob->critical(ob->crit_ud, table) : true;
}

/* Locks of a statement that succeeded: observed, inferred from a rewrite, or database-wide. */
static int statement_locks(rh_observer *ob, sl_rh_stmt *s, size_t si, const sl_migrate_event *ev)
{
	int rc = 0;
	if (ob->obs && !ob->tx) {
		/* outside a transaction the statement's locks ended with it: only the samples saw them */
	} else if (ob->obs) {
		rc = sl_conn_observe_locks(ob->obs, ob->session, seen_add, ob); /* thread is idle */
		if (rc) {
			sl_error_clear();
			rc = 0;
		}
	}
	for (size_t i = 0; !rc && i < ob->nseen; i++) {
		const sl_lock_info *l = &ob->seen[i];
		if (!l->blocks_writes)
			continue;
		bool crit = is_critical(ob, l->table);
		if (ob->tx && already_held(ob, l->table, l))
			continue; /* taken by an earlier statement of this transaction */
		rc = add_lock(s, l->table, l->mode, l->blocks_reads, true, ev->duration_us, crit);
		if (!rc && ob->tx)
			rc = hold(ob, si, s->nlocks - 1, l->table, crit);
	}
	if (!rc && !ob->obs && sl_conn_has(ob->c, SL_CAP_DB_WRITE_LOCK) && !already_held(ob, "*", NULL)) {
		rc = add_lock(s, "*", "database write lock", false, false, ev->duration_us,
			      is_critical(ob, "*"));
		if (!rc && ob->tx)
			rc = hold(ob, si, s->nlocks - 1, "*", is_critical(ob, "*"));
	}
	return rc;
}

static int statement_rewrites(rh_observer *ob, sl_rh_stmt *s, const sl_migrate_event *ev)
{
	kv after = { 0 };
	int rc = 0;
	if (!ob->storage_ok)
		return 0;
	if (sl_conn_table_storage(ob->c, kv_add, &after) != 0) {
		sl_error_clear();
		kv_free(&after);
		return 0;
	}
	for (size_t i = 0; !rc && i < after.n; i++) {
		const char *was = kv_get(&ob->storage, after.k[i]);
		if (!was || strcmp(was, after.v[i]) == 0)
			continue;
		char note[200];
		bool blocks = false;
		rc = sl_conn_rewrite_how(ob->c, ev->changes, note, sizeof(note), &blocks);
		char **t = rc ? NULL : realloc(s->rewritten, (s->nrewritten + 1) * sizeof(*t));
		char **n = t ? realloc(s->rewrite_notes, (s->nrewritten + 1) * sizeof(*n)) : NULL;
		if (t)
			s->rewritten = t;
		if (n)
			s->rewrite_notes = n;
		if (!rc && (!t || !n))
			rc = sl_error_nomem();
		if (!rc) {
			s->rewritten[s->nrewritten] = rh_strdup(after.k[i]);
			s->rewrite_notes[s->nrewritten] = rh_strdup(note);
			s->nrewritten++;
		}
		/* a rebuild that blocks writers without a lock view: counted for the statement */
		if (!rc && blocks && !ob->obs && !sl_conn_has(ob->c, SL_CAP_DB_WRITE_LOCK))
			rc = add_lock(s, after.k[i], "writes blocked while rebuilt", false, false,
				      ev->duration_us, is_critical(ob, after.k[i]));
	}
	kv_free(&after);
	return rc;
}

static void on_statement_done(rh_observer *ob, const sl_migrate_event *ev)
{
	int64_t t_in = rh_now_us();
	poll_stop(ob);
	bool failed = ev->detail && strcmp(ev->detail, "failed") == 0;
	if (!failed && !ev->down) {
		mig_time *t = time_of(ob, ev->id);
		if (t)
			t->ran++;
	}
	if (!ob->record)
		return;
	sl_rehearsal *r = ob->r;
	sl_rh_stmt *v = realloc(r->stmts, (r->nstmts + 1) * sizeof(*v));
	if (!v)
		return;
	r->stmts = v;
	sl_rh_stmt *s = &r->stmts[r->nstmts];
	*s = (sl_rh_stmt){ .migration = rh_strdup(ev->id),
			   .down = ev->down,
			   .round = ob->round,
			   .index = ev->index,
			   .line = ev->line,
			   .sql = one_line(ev->statement),
			   .us = ev->duration_us,
			   .changes = ev->changes,
			   .failed = failed };
	r->nstmts++;
	if (failed || sl_conn_severed(ob->c))
		return; /* no query now: the runner's error must stay the last error */
	sl_error e = *sl_error_last();
	char *msg = e.message ? strdup(e.message) : NULL;
	statement_rewrites(ob, s, ev);
	statement_locks(ob, s, r->nstmts - 1, ev);
	ob->instr_us += rh_now_us() - t_in;
	/* restore whatever error was current: the runner may still be reporting one */
	if (msg)
		sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", msg);
	free(msg);
}

/* The migration committed (or failed): locks held in its transaction end now. */
static void release_held(rh_observer *ob)
{
	int64_t now = rh_now_us();
	sl_rehearsal *r = ob->r;
	for (size_t i = 0; i < ob->nheld; i++) {
		held *h = &ob->held[i];
		if (h->stmt < r->nstmts && h->lock < r->stmts[h->stmt].nlocks)
			r->stmts[h->stmt].locks[h->lock].held_us = now - h->t0 - (ob->instr_us - h->instr0);
		free(h->table);
	}
	ob->nheld = 0;
}

static void on_done(rh_observer *ob, const sl_migrate_event *ev)
{
	int64_t us = rh_now_us() - ob->mig_t0 - ob->instr_us; /* the migration's own time */
	release_held(ob);
	mig_time *t = time_of(ob, ev->id);
	if (t) {
		if (ev->down)
			t->down_us = us;
		else
			t->up_us = us;
	}
	sl_rh_migration *m = mig_of(ob->r, ev->id);
	if (!m || ev->down || ob->round != 1)
		return;
	for (size_t i = 0; i < ob->r->nstmts; i++) {
		const sl_rh_stmt *s = &ob->r->stmts[i];
		if (s->down || s->round != 1 || strcmp(s->migration, ev->id) != 0)
			continue;
		m->rewrites += s->nrewritten;
		for (size_t k = 0; k < s->nlocks; k++)
			if (s->locks[k].critical && s->locks[k].held_us > m->block_us) {
				m->block_us = s->locks[k].held_us;
				free(m->block_table);
				m->block_table = rh_strdup(s->locks[k].table);
			}
	}
}

void rh_observer_event(void *ud, const sl_migrate_event *ev)
{
	rh_observer *ob = ud;
	switch (ev->kind) {
	case SL_MEV_START:
		ob->mig = ev->id;
		ob->down = ev->down;
		ob->tx = ev->detail && strcmp(ev->detail, "transactional") == 0;
		ob->mig_t0 = rh_now_us();
		for (size_t i = 0; i < ob->nheld; i++)
			free(ob->held[i].table);
		ob->nheld = 0;
		ob->instr_us = 0;
		if (!ev->down) {
			sl_rh_migration *m = mig_of(ob->r, ev->id);
			if (m)
				m->transactional = ob->tx;
		}
		rh_progress(ob->o, ev->down ? "down" : "up", "%s", ev->id);
		break;
	case SL_MEV_STATEMENT:
		on_statement(ob, ev);
		break;
	case SL_MEV_STATEMENT_DONE:
		on_statement_done(ob, ev);
		break;
	case SL_MEV_DONE:
	case SL_MEV_FAILED:
		if (ev->detail && strcmp(ev->detail, "verify") == 0)
			break;
		on_done(ob, ev);
		break;
	default:
		break;
	}
}
