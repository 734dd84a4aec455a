/*
 * prefetch.c - sl_prefetch (prefetch.h): a reader thread and two batches.
 * The caller holds at most one batch; the thread fills the other, hands it
 * over (ready) and waits until it is taken before it fills the one released.
 * A fetch failure ends the reading: its error is copied out of the thread's
 * last error and set again in the caller's by sl_prefetch_next.
 */
#include "db/prefetch.h"
#include "sluice/error.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sl_prefetch {
	sl_cursor *cur;
	size_t rows;
	sl_batch b[2];
	int held;  /* the batch the caller holds, -1: none */
	int ready; /* the batch filled and not yet taken, -1: none */
	int n;     /* the ready batch's fetch result */
	bool ended, stop, threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	/* the reader's failure, copied from its thread's last error */
	int err_code, err_engine;
	char err_sqlstate[6];
	char *err_msg;
};

/* One fetch into batch i; a failure is copied into p->err_* (any thread). */
static int fetch_into(sl_prefetch *p, int i)
{
	sl_batch_reset(&p->b[i]);
	int n = sl_cursor_fetch(p->cur, &p->b[i], p->rows);
	if (n < 0) {
		const sl_error *e = sl_error_last();
		p->err_code = e->code ? e->code : n;
		p->err_engine = e->engine_code;
		memcpy(p->err_sqlstate, e->sqlstate, sizeof(p->err_sqlstate));
		free(p->err_msg);
		p->err_msg = strdup(e->message ? e->message : "");
	}
	return n;
}

static void *reader(void *arg)
{
	sl_prefetch *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && !p->ended && p->ready >= 0)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->ended)
			break;
		int i = p->held == 0 ? 1 : 0;
		pthread_mutex_unlock(&p->mu);
		int n = fetch_into(p, i);
		pthread_mutex_lock(&p->mu);
		p->ready = i;
		p->n = n;
		if (n <= 0)
			p->ended = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int sl_prefetch_start(sl_prefetch **out, sl_cursor *cur, size_t batch_rows)
{
	*out = NULL;
	sl_prefetch *p = calloc(1, sizeof(*p));
	if (!p)
		return sl_error_nomem();
	p->cur = cur;
	p->rows = batch_rows ? batch_rows : 1;
	p->held = p->ready = -1;
	size_t ncols = sl_cursor_ncols(cur);
	int rc = sl_batch_init(&p->b[0], ncols, p->rows);
	if (!rc)
		rc = sl_batch_init(&p->b[1], ncols, p->rows);
	if (rc) {
		sl_batch_free(&p->b[0]);
		sl_batch_free(&p->b[1]);
		free(p);
		return rc;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->threaded = pthread_create(&p->th, NULL, reader, p) == 0;
	*out = p;
	return 0;
}

int sl_prefetch_next(sl_prefetch *p, sl_batch **out)
{
	int n;
	*out = NULL;
	if (!p->threaded) {
		if (p->ended)
			return 0;
		n = fetch_into(p, 0);
		p->ended = n <= 0;
		*out = &p->b[0];
	} else {
		pthread_mutex_lock(&p->mu);
		p->held = -1; /* the batch handed last is the reader's again */
		while (p->ready < 0 && !p->ended)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->ready >= 0) {
			p->held = p->ready;
			p->ready = -1;
			n = p->n;
			*out = &p->b[p->held];
			pthread_cond_broadcast(&p->cv);
		} else {
			n = 0; /* the end (or the failure) was handed already */
		}
		pthread_mutex_unlock(&p->mu);
	}
	if (n < 0)
		return sl_error_set_db(p->err_code, p->err_sqlstate[0] ? p->err_sqlstate : NULL,
				       p->err_engine, "%s", p->err_msg ? p->err_msg : "fetch failed");
	return n;
}

void sl_prefetch_stop(sl_prefetch *p)
{
	if (!p)
		return;
	if (p->threaded) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	sl_batch_free(&p->b[0]);
	sl_batch_free(&p->b[1]);
	free(p->err_msg);
	free(p);
}
