/*
 * start.c - the commands around a sync run: start (capture, then the initial
 * copy), stop (remove everything sync made on both sides), pause, status,
 * and reverse (after a cutover, capture on the new primary toward the old).
 *
 * Capture is installed before the copy reads a row: every change committed
 * after the triggers exist is in the log, every change committed before is
 * seen by the copy, and applying a logged key again is harmless because
 * apply re-reads the current row (docs/sync.md, "Initial copy").
 */
#include "sync_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

/* "t1\ttrig\n..." -> the first line as `table "t1": trigger "trig"` in buf. */
static void first_trigger(char *buf, size_t n, const char *list)
{
	const char *tab = strchr(list, '\t'), *nl = strchr(list, '\n');
	if (!tab || !nl || nl < tab) {
		snprintf(buf, n, "%s", list);
		return;
	}
	snprintf(buf, n, "table \"%.*s\": trigger \"%.*s\"", (int)(tab - list), list, (int)(nl - tab - 1),
		 tab + 1);
}

static int check_clean_source(sl_conn *src)
{
	sl_buf list = SL_BUF_INIT;
	char what[300];
	int rc = sl_capture_list(src, &list);
	if (!rc && list.len) {
		first_trigger(what, sizeof(what), list.ptr);
		rc = sl_error_set(
			SL_ECONFLICT,
			"%s carries sluice capture triggers of another sync run (%s): remove them with "
			"`sluice sync stop --force` first",
			sl_conn_display(src), what);
	}
	bool log = false;
	if (!rc)
		rc = sl_sync_table_exists(src, SL_CAPTURE_LOG, &log);
	if (!rc && log)
		rc = sl_error_set(SL_ECONFLICT,
				  "%s already has a change log \"%s\" of another sync run: remove it with "
				  "`sluice sync stop --force` first",
				  sl_conn_display(src), SL_CAPTURE_LOG);
	sl_buf_free(&list);
	return rc;
}

static int keyless_refusal(const sl_copy_plan *plan)
{
	sl_buf names = SL_BUF_INIT;
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; !rc && i < plan->ntables; i++)
		if (plan->tables[i].keyless || plan->tables[i].nkey > 16)
			rc = sl_buf_printf(&names, "%s\"%s\"", n++ ? ", " : "", plan->tables[i].src->name);
	if (!rc && n)
		rc = sl_error_set(
			SL_EINVALID,
			"sync needs a primary key (or a unique key over NOT NULL columns) to find a "
			"changed row again; %s %s none: add one, or leave %s out with --tables",
			names.ptr, n == 1 ? "has" : "have", n == 1 ? "it" : "them");
	sl_buf_free(&names);
	return rc;
}

static int install(sl_conn *src, const sl_copy_plan *plan, const char *run_id, const char *target)
{
	bool tx = sl_conn_has(src, SL_CAP_TRANSACTIONAL_DDL);
	int64_t now = sl_sync_now_us();
	int rc = tx ? sl_conn_begin(src) : 0;
	if (!rc)
		rc = sl_capture_log_create(src);
	if (!rc)
		rc = sl_sync_meta_create(src);
	for (size_t i = 0; !rc && i < plan->ntables; i++) {
		const sl_copy_tplan *t = &plan->tables[i];
		char base[SL_SYNC_NAME_MAX], fp[17];
		sl_sync_trigger_base(base, t->src->name);
		sl_sync_fingerprint(fp, t->src);
		sl_capture_table ct = {
			.schema = NULL, .table = t->src->name, .key = t->key, .nkey = t->nkey, .name = base
		};
		rc = sl_sync_meta_add(src, run_id, t->src->name, base, fp, target, now);
		if (!rc)
			rc = sl_capture_add(src, &ct);
	}
	if (!rc && tx)
		rc = sl_conn_commit(src);
	return rc;
}

/* Removes capture from src: the triggers of meta's tables (or of every sluice trigger with force). */
static int remove_capture(sl_conn *src, const sl_sync_meta *m, bool force)
{
	sl_buf list = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && m && i < m->nrows; i++) {
		sl_capture_table ct = { .table = m->rows[i].table, .name = m->rows[i].trigger };
		rc = sl_capture_drop(src, &ct);
	}
	if (!rc && force)
		rc = sl_capture_list(src, &list);
	for (char *line = list.ptr; !rc && line && *line;) {
		char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		if (!tab || !nl)
			break;
		*tab = '\0';
		*nl = '\0';
		size_t n = strlen(tab + 1);
		if (n > 2 && tab[n - 1] == '_') /* trigger = base + "_i" / "_u" / "_d" */
			tab[n - 1] = '\0';
		sl_capture_table ct = { .table = line, .name = tab + 1 };
		rc = sl_capture_drop(src, &ct);
		line = nl + 1;
	}
	if (!rc)
		rc = sl_conn_exec(src, "DROP TABLE IF EXISTS " SL_CAPTURE_LOG);
	if (!rc)
		rc = sl_conn_exec(src, "DROP TABLE IF EXISTS " SL_SYNC_META_TABLE);
	sl_buf_free(&list);
	return rc;
}

static int remove_target_state(sl_conn *dst, const sl_sync_meta *m)
{
	sl_buf q = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && m && i < m->nrows; i++) {
		char stage[SL_SYNC_NAME_MAX];
		sl_sync_stage_name(stage, m->rows[i].table);
		sl_buf_clear(&q);
		rc = sl_buf_puts(&q, "DROP TABLE IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(dst, &q, stage);
		if (!rc)
			rc = sl_conn_exec(dst, q.ptr);
	}
	if (!rc)
		rc = sl_conn_exec(dst, "DROP TABLE IF EXISTS " SL_SYNC_STATE_TABLE);
	sl_buf_free(&q);
	return rc;
}

static int run_copy(const sl_sync_opts *o, const sl_copy_plan *plan, bool resume)
{
	sl_copy_opts co = SL_COPY_OPTS_INIT;
	sl_copy_result *res = NULL;
	const char **names = calloc(plan->ntables + 1, sizeof(*names));
	if (!names)
		return sl_error_nomem();
	for (size_t i = 0; i < plan->ntables; i++)
		names[i] = plan->tables[i].src->name;
	co.tables = names;
	co.ntables = plan->ntables;
	co.rules = o->rules;
	co.resume = resume;
	co.restart = !resume && o->copy_restart;
	co.jobs = o->copy_jobs > 0 ? o->copy_jobs : 2;
	co.flavour = o->flavour;
	co.shard_tables = o->shard_tables;
	co.shard_columns = o->shard_columns;
	co.nshard = o->nshard;
	co.connect = o->connect;
	co.connect_ud = o->connect_ud;
	co.on_event = o->on_copy_event;
	co.event_ud = o->copy_event_ud;
	int rc = sl_copy_run(&res, &co);
	if (rc)
		sl_error_prefix(
			"the initial copy stopped (capture stays installed: continue it with `sluice sync "
			"start --resume`)");
	sl_copy_result_free(res);
	free(names);
	return rc;
}

/* --resume of the run meta names: check its state on the target, then continue its initial copy. */
static int resume_run(const sl_sync_opts *o, sl_conn **src, sl_conn **dst, sl_sync_meta *meta,
		      sl_copy_plan **plan)
{
	int rc = sl_sync_meta_read(meta, *src);
	if (!rc && !o->resume)
		rc = sl_error_set(SL_ECONFLICT,
				  "%s already has sync run %s toward %s: stop it with `sluice sync stop`, "
				  "or continue its initial copy with `sluice sync start --resume`",
				  sl_conn_display(*src), meta->run_id, meta->target);
	if (!rc) {
		sl_sync_state st = { 0 };
		rc = sl_sync_state_read(&st, *dst, meta->run_id);
		sl_sync_state_free(&st);
	}
	if (!rc)
		rc = sl_sync_plan(plan, *src, sl_conn_engine(*dst), meta, o->rules);
	sl_conn_close(*src);
	sl_conn_close(*dst);
	*src = *dst = NULL;
	if (!rc)
		rc = run_copy(o, *plan, true);
	return rc;
}

/* The plan of a new run: a clean source, a target free of other sync state, tables with keys. */
static int plan_new_run(const sl_sync_opts *o, sl_conn *src, sl_conn *dst, sl_copy_plan **plan)
{
	bool exists = false;
	sl_copy_opts co = SL_COPY_OPTS_INIT;
	int rc = check_clean_source(src);
	if (!rc)
		rc = sl_sync_table_exists(dst, SL_SYNC_STATE_TABLE, &exists);
	if (!rc && exists)
		rc = sl_error_set(
			SL_ECONFLICT,
			"%s already holds sync state (table \"%s\"): another sync applies to it; stop "
			"that one first",
			sl_conn_display(dst), SL_SYNC_STATE_TABLE);
	co.tables = o->tables;
	co.ntables = o->ntables;
	co.rules = o->rules;
	co.flavour = o->flavour;
	if (!rc)
		rc = sl_copy_plan_new(plan, src, sl_conn_engine(dst), &co);
	if (!rc && (*plan)->ntables == 0)
		rc = sl_error_set(SL_EINVALID, "%s has no tables to capture", sl_conn_display(src));
	if (!rc)
		rc = keyless_refusal(*plan);
	return rc;
}

/* Undo a half-made install (engines without transactional DDL), keeping the error that stopped it. */
static void undo_install(sl_conn *src)
{
	char *msg = strdup(sl_error_last()->message);
	int code = sl_error_last()->code;
	if (sl_conn_in_transaction(src))
		sl_conn_rollback(src);
	sl_sync_meta m2 = { 0 };
	if (sl_sync_meta_read(&m2, src) == 0)
		remove_capture(src, &m2, false);
	else
		remove_capture(src, NULL, false);
	sl_sync_meta_free(&m2);
	sl_error_set(code, "%s", msg ? msg : "sync start failed");
	free(msg);
}

int sl_sync_start(const sl_sync_opts *o)
{
	sl_conn *src = NULL, *dst = NULL;
	sl_copy_plan *plan = NULL;
	sl_sync_meta meta = { 0 };
	char run_id[17];
	bool installed = false;
	int rc = sl_sync_connect(&src, o, SL_COPY_SOURCE);
	if (!rc)
		rc = sl_sync_connect(&dst, o, SL_COPY_TARGET);
	if (rc)
		goto done;
	if (!sl_conn_has(src, SL_CAP_CAPTURE)) {
		rc = sl_error_set(SL_EINVALID, "%s cannot capture changes", sl_conn_display(src));
		goto done;
	}
	bool exists = false;
	if ((rc = sl_sync_table_exists(src, SL_SYNC_META_TABLE, &exists)) != 0)
		goto done;
	if (exists) {
		rc = resume_run(o, &src, &dst, &meta, &plan);
		goto done;
	}
	if (o->resume) {
		rc = sl_error_set(SL_ENOTFOUND, "no sync was started on %s: nothing to resume",
				  sl_conn_display(src));
		goto done;
	}
	if ((rc = plan_new_run(o, src, dst, &plan)) != 0)
		goto done;
	sl_sync_new_run_id(run_id);
	rc = install(src, plan, run_id, sl_conn_display(dst));
	installed = true;
	if (!rc)
		rc = sl_sync_state_create(dst, run_id, sl_conn_display(src), sl_sync_now_us());
	if (rc)
		goto done;
	sl_sync_notice(o, "capture installed on %zu table%s (run %s)", plan->ntables,
		       plan->ntables == 1 ? "" : "s", run_id);
	sl_conn_close(src);
	sl_conn_close(dst);
	src = dst = NULL;
	installed = false; /* from here on a failure keeps capture for --resume */
	if (!o->no_copy)
		rc = run_copy(o, plan, false);
done:
	if (rc && installed && src)
		undo_install(src);
	sl_sync_meta_free(&meta);
	sl_copy_plan_free(plan);
	sl_conn_close(src);
	sl_conn_close(dst);
	if (rc)
		sl_error_prefix("sync start");
	return rc;
}

int sl_sync_stop(const sl_sync_opts *o)
{
	sl_conn *src = NULL, *dst = NULL;
	sl_sync_meta meta = { 0 };
	int rc = sl_sync_connect(&src, o, SL_COPY_SOURCE);
	if (rc)
		goto done;
	bool has = sl_sync_meta_read(&meta, src) == 0;
	sl_error_clear();
	if (!has && !o->force) {
		sl_buf list = SL_BUF_INIT;
		rc = sl_capture_list(src, &list);
		bool log = false;
		if (!rc)
			rc = sl_sync_table_exists(src, SL_CAPTURE_LOG, &log);
		if (!rc && (list.len || log))
			rc = sl_error_set(
				SL_ECONFLICT,
				"%s has no sync run of its own but carries sluice capture objects: remove "
				"them with --force",
				sl_conn_display(src));
		else if (!rc)
			rc = sl_error_set(SL_ENOTFOUND, "no sync was started on %s", sl_conn_display(src));
		sl_buf_free(&list);
		goto done;
	}
	rc = remove_capture(src, has ? &meta : NULL, o->force);
	if (rc)
		goto done;
	if (sl_sync_connect(&dst, o, SL_COPY_TARGET) != 0) {
		sl_sync_notice(o,
			       "capture removed from the source; the target is unreachable (%s): its table "
			       "\"%s\" stays",
			       sl_error_last()->message, SL_SYNC_STATE_TABLE);
		sl_error_clear();
		goto done;
	}
	rc = remove_target_state(dst, has ? &meta : NULL);
done:
	sl_sync_meta_free(&meta);
	sl_conn_close(src);
	sl_conn_close(dst);
	if (rc)
		sl_error_prefix("sync stop");
	return rc;
}

int sl_sync_pause(const sl_sync_opts *o, bool paused)
{
	sl_conn *dst = NULL;
	bool exists = false;
	int rc = sl_sync_connect(&dst, o, SL_COPY_TARGET);
	if (!rc)
		rc = sl_sync_table_exists(dst, SL_SYNC_STATE_TABLE, &exists);
	if (!rc && !exists)
		rc = sl_error_set(SL_ENOTFOUND, "%s holds no sync state", sl_conn_display(dst));
	if (!rc)
		rc = sl_sync_state_pause(dst, paused);
	sl_conn_close(dst);
	if (rc)
		sl_error_prefix("sync %s", paused ? "pause" : "resume");
	return rc;
}

static int64_t count_behind(sl_conn *src)
{
	int64_t n = -1;
	if (sl_conn_query_int(src, "SELECT count(*) FROM " SL_CAPTURE_LOG " WHERE op <> 'H'", &n) != 0) {
		sl_error_clear();
		return -1;
	}
	return n;
}

int sl_sync_status_get(sl_sync_status **out, const sl_sync_opts *o)
{
	sl_conn *src = NULL, *dst = NULL;
	sl_sync_meta meta = { 0 };
	sl_sync_state st = { 0 };
	sl_sync_status *s = calloc(1, sizeof(*s));
	bool has_meta = false;
	int rc = s ? 0 : sl_error_nomem();
	*out = NULL;
	if (!rc && sl_sync_connect(&src, o, SL_COPY_SOURCE) == 0) {
		has_meta = sl_sync_meta_read(&meta, src) == 0;
		s->behind = has_meta ? count_behind(src) : -1;
	} else if (!rc) {
		s->behind = -1;
	}
	sl_error_clear();
	if (!rc)
		rc = sl_sync_connect(&dst, o, SL_COPY_TARGET);
	if (!rc)
		rc = sl_sync_state_read(&st, dst, has_meta ? meta.run_id : NULL);
	if (rc)
		goto done;
	s->run_id = strdup(st.run_id);
	s->source = strdup(st.source);
	s->target = strdup(sl_conn_display(dst));
	s->applied = st.applied;
	s->batches = st.batches;
	s->rate = st.rate;
	s->started_us = st.started_us;
	s->updated_us = st.updated_us;
	s->paused = st.paused;
	s->last_error = st.last_error ? strdup(st.last_error) : NULL;
	s->lag_seconds = st.heartbeat_us > 0 ? (double)(sl_sync_now_us() - st.heartbeat_us) / 1e6 : -1;
	double span = (double)(st.updated_us - st.started_us) / 1e6;
	s->avg_rate = span > 0 ? (double)st.applied / span : 0;
	if (has_meta) {
		s->tables = calloc(meta.nrows + 1, sizeof(char *));
		for (size_t i = 0; s->tables && i < meta.nrows; i++)
			if ((s->tables[i] = strdup(meta.rows[i].table)) != NULL)
				s->ntables++;
	}
	if (!s->run_id || !s->source || !s->target)
		rc = sl_error_nomem();
done:
	sl_sync_meta_free(&meta);
	sl_sync_state_free(&st);
	sl_conn_close(src);
	sl_conn_close(dst);
	if (rc) {
		sl_sync_status_free(s);
		sl_error_prefix("sync status");
		return rc;
	}
	*out = s;
	return 0;
}

void sl_sync_status_free(sl_sync_status *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntables; i++)
		free(s->tables[i]);
	free(s->tables);
	free(s->run_id);
	free(s->source);
	free(s->target);
	free(s->last_error);
	free(s);
}

static int json_str(sl_buf *b, const char *s)
{
	int rc = sl_buf_putc(b, '"');
	for (; !rc && s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rc = sl_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			rc = sl_buf_printf(b, "\\u%04x", c);
		else
			rc = sl_buf_putc(b, (char)c);
	}
	return rc ? rc : sl_buf_putc(b, '"');
}

int sl_sync_status_json(sl_buf *out, const sl_sync_status *s)
{
	int rc = sl_buf_puts(out, "{\"run_id\":");
	if (!rc)
		rc = json_str(out, s->run_id);
	if (!rc)
		rc = sl_buf_puts(out, ",\"source\":");
	if (!rc)
		rc = json_str(out, s->source);
	if (!rc)
		rc = sl_buf_puts(out, ",\"target\":");
	if (!rc)
		rc = json_str(out, s->target);
	if (!rc)
		rc = sl_buf_puts(out, ",\"tables\":[");
	for (size_t i = 0; !rc && i < s->ntables; i++) {
		if (i)
			rc = sl_buf_putc(out, ',');
		if (!rc)
			rc = json_str(out, s->tables[i]);
	}
	if (!rc)
		rc = sl_buf_printf(out,
				   "],\"applied\":%lld,\"batches\":%lld,\"behind\":%lld,\"lag_seconds\":%.3f,"
				   "\"rate\":%.1f,\"avg_rate\":%.1f,\"paused\":%s,\"last_error\":",
				   (long long)s->applied, (long long)s->batches, (long long)s->behind,
				   s->lag_seconds, s->rate, s->avg_rate, s->paused ? "true" : "false");
	if (!rc)
		rc = s->last_error ? json_str(out, s->last_error) : sl_buf_puts(out, "null");
	if (!rc)
		rc = sl_buf_puts(out, "}\n");
	return rc;
}

/* Swaps the sides of the caller's connect callback: the reverse sync's source is the old target. */
typedef struct swap_ud {
	sl_copy_connect_fn connect;
	void *ud;
} swap_ud;

static int swapped_connect(sl_conn **out, sl_copy_side side, void *ud)
{
	swap_ud *s = ud;
	return s->connect(out, side == SL_COPY_SOURCE ? SL_COPY_TARGET : SL_COPY_SOURCE, s->ud);
}

int sl_sync_reverse(const sl_sync_opts *o)
{
	sl_conn *src = NULL, *dst = NULL;
	sl_sync_meta meta = { 0 };
	sl_copy_plan *plan = NULL;
	const char **names = NULL;
	int rc = sl_sync_connect(&src, o, SL_COPY_SOURCE);
	if (!rc)
		rc = sl_sync_connect(&dst, o, SL_COPY_TARGET);
	if (!rc)
		rc = sl_sync_meta_read(&meta, src);
	if (rc)
		goto done;
	int64_t behind = count_behind(src);
	if (behind != 0 && !o->force) {
		rc = sl_error_set(
			SL_ECONFLICT,
			"the forward change log on %s still holds %lld change%s: stop the writers, drain "
			"it with `sluice sync run`, then reverse (or use --force)",
			sl_conn_display(src), (long long)behind, behind == 1 ? "" : "s");
		goto done;
	}
	rc = sl_sync_plan(&plan, src, sl_conn_engine(dst), &meta, o->rules);
	if (!rc && !(names = calloc(plan->ntables + 1, sizeof(*names))))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < plan->ntables; i++)
		names[i] = plan->tables[i].cast->name;
	if (!rc)
		rc = remove_capture(src, &meta, false);
	if (!rc)
		rc = remove_target_state(dst, &meta);
	sl_conn_close(src);
	sl_conn_close(dst);
	src = dst = NULL;
	if (rc)
		goto done;
	swap_ud su = { .connect = o->connect, .ud = o->connect_ud };
	sl_sync_opts ro = *o;
	ro.connect = swapped_connect;
	ro.connect_ud = &su;
	ro.tables = names;
	ro.ntables = plan->ntables;
	ro.no_copy = true;
	ro.resume = false;
	ro.rules = NULL; /* the forward rules name the old source's types */
	rc = sl_sync_start(&ro);
done:
	free(names);
	sl_copy_plan_free(plan);
	sl_sync_meta_free(&meta);
	sl_conn_close(src);
	sl_conn_close(dst);
	if (rc)
		sl_error_prefix("sync reverse");
	return rc;
}
