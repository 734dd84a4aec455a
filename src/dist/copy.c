/*
 * copy.c - the coordinator of a distributed copy (docs/commands/distributed.md):
 *
 *   plan    copy's own run with external_data: the tables are created and
 *           the parts (copy's split, sized by part_rows) recorded in the
 *           target's sluice_copy_state; then one chunk per part goes to the
 *           work table with the plan's fingerprint and the target's run id;
 *   finish  once every chunk is done, the run moves to post-data (one caller
 *           wins: the waiting coordinator, --finish, or for a run planned
 *           with --detach the worker that finished the last chunk) and copy
 *           resumes in the target: indexes, constraints, foreign keys,
 *           sequences, views, triggers;
 *   retry   the failed chunks go back to pending (--finish --retry-failed);
 *           a run whose exported snapshot is gone records that it continues
 *           without one.
 *
 * The source snapshot: a source that exports snapshots (SL_CAP_SNAPSHOT_EXPORT)
 * gets one from a waiting coordinator, in a transaction it holds while the
 * chunks are read; every worker reads its chunk in that snapshot.
 */
#include "dist_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"

static int add_list(json_t *o, const char *key, const char *const *v, size_t n)
{
	json_t *a = json_array();
	if (!a)
		return sl_error_nomem();
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])))
			return json_decref(a), sl_error_nomem();
	return json_object_set_new(o, key, a) ? sl_error_nomem() : 0;
}

/* What a worker needs to build the same plan (never a URL or a password). */
static int options_json(const sl_copy_opts *o, char **out)
{
	json_t *j = json_object();
	int rc = j ? 0 : sl_error_nomem();
	if (!rc && o->tables)
		rc = add_list(j, "tables", o->tables, o->ntables);
	if (!rc && o->nschemas)
		rc = add_list(j, "schemas", o->schemas, o->nschemas);
	if (!rc && (json_object_set_new(j, "all_schemas", json_boolean(o->all_schemas)) ||
		    json_object_set_new(j, "force", json_boolean(o->force)) ||
		    json_object_set_new(j, "batch_rows", json_integer((json_int_t)o->batch_rows)) ||
		    json_object_set_new(j, "max_rejects", json_integer(o->max_rejects)) ||
		    json_object_set_new(j, "part_rows", json_integer(o->part_rows)) ||
		    (o->flavour && json_object_set_new(j, "flavour", json_string(o->flavour->name)))))
		rc = sl_error_nomem();
	*out = rc ? NULL : json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!rc && !*out)
		rc = sl_error_nomem();
	json_decref(j);
	return rc;
}

static int list_of(json_t *o, const char *key, const char ***out, size_t *n)
{
	json_t *a = json_object_get(o, key);
	*n = 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return 0;
	const char **v = calloc(json_array_size(a) + 1, sizeof(*v));
	if (!v)
		return sl_error_nomem();
	size_t i;
	json_t *it;
	json_array_foreach(a, i, it)
	{
		if (json_is_string(it))
			v[(*n)++] = json_string_value(it);
	}
	*out = v;
	return 0;
}

int dist_copy_options(const sl_dist_run *run, sl_copy_opts *o, json_t **json, const char ***tables,
		      const char ***schemas)
{
	json_error_t err;
	json_decref(*json);
	free(*tables);
	free(*schemas);
	*tables = *schemas = NULL;
	*json = run->options ? json_loads(run->options, 0, &err) : json_object();
	if (!*json)
		return sl_error_set(SL_ECONFLICT, "run %s: its options are not JSON", run->id);
	int rc = list_of(*json, "tables", tables, &o->ntables);
	if (!rc)
		rc = list_of(*json, "schemas", schemas, &o->nschemas);
	o->tables = o->ntables ? *tables : NULL;
	o->schemas = *schemas;
	o->all_schemas = json_is_true(json_object_get(*json, "all_schemas"));
	o->force = json_is_true(json_object_get(*json, "force"));
	json_t *v = json_object_get(*json, "batch_rows");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		o->batch_rows = (size_t)json_integer_value(v);
	v = json_object_get(*json, "max_rejects");
	if (json_is_integer(v))
		o->max_rejects = json_integer_value(v);
	v = json_object_get(*json, "part_rows");
	if (json_is_integer(v))
		o->part_rows = json_integer_value(v);
	/* the target flavour travels with the run; copy.distribution comes from each worker's sluice.yaml,
	 * like cast rules, and the plan's fingerprint catches a worker whose differs */
	v = json_object_get(*json, "flavour");
	o->flavour = json_is_string(v) ? sl_flavour_named(json_string_value(v)) : NULL;
	if (!rc && json_is_string(v) && !o->flavour)
		rc = sl_error_set(SL_ECONFLICT, "run %s: unknown target flavour \"%s\"", run->id,
				  json_string_value(v));
	return rc;
}

static void set_names(sl_dist_run *run, const char *const names[4])
{
	snprintf(run->source, sizeof(run->source), "%s", names[0] ? names[0] : "");
	snprintf(run->target, sizeof(run->target), "%s", names[1] ? names[1] : "");
	snprintf(run->source_ref, sizeof(run->source_ref), "%s", names[2] ? names[2] : "");
	snprintf(run->target_ref, sizeof(run->target_ref), "%s", names[3] ? names[3] : "");
}

/* What the run's reads of the source are (the run's snapshot_mode), for status and summaries. */
#define MODE_NONE_DETACHED                                                                                   \
	"none: planned with --detach, so no coordinator holds an exported snapshot; each chunk reads its "   \
	"own consistent snapshot at its own moment"
#define MODE_PER_CHUNK                                                                                       \
	"per chunk: each chunk reads its own consistent snapshot at its own moment (the binary log "         \
	"position is recorded with each attempt)"
#define MODE_STATEMENT                                                                                       \
	"per chunk: each chunk reads in one statement, its own read transaction; a source written "          \
	"during the run is not one snapshot"

/*
 * The source snapshot of the run: with hold and a source that exports
 * snapshots, a REPEATABLE READ transaction on a session of its own (*holder,
 * kept open by the caller while the data phase lasts) whose snapshot every
 * chunk reads; otherwise what holds for the chunks' reads, in run->snapshot_mode.
 */
static int plan_snapshot(const sl_copy_opts *o, bool hold, sl_dist_run *run, sl_conn **holder)
{
	sl_conn *c = NULL;
	dist_snap_kind k = DIST_SNAP_STATEMENT;
	int rc = o->connect(&c, SL_COPY_SOURCE, o->connect_ud);
	if (!rc)
		rc = dist_snapshot_export(c, hold, run->snapshot, sizeof(run->snapshot), &k);
	if (!rc && k == DIST_SNAP_EXPORTED) {
		snprintf(run->snapshot_mode, sizeof(run->snapshot_mode),
			 "exported snapshot %s: every chunk reads the source as of the plan (held by the "
			 "waiting coordinator)",
			 run->snapshot);
		*holder = c;
		c = NULL;
	} else if (!rc)
		snprintf(run->snapshot_mode, sizeof(run->snapshot_mode), "%s",
			 k == DIST_SNAP_DETACHED    ? MODE_NONE_DETACHED
			 : k == DIST_SNAP_PER_CHUNK ? MODE_PER_CHUNK
						    : MODE_STATEMENT);
	if (rc)
		sl_error_prefix("export the source snapshot");
	sl_conn_close(c);
	return rc;
}

int sl_dist_copy_plan(sl_dist *d, const sl_copy_opts *o, const char *const names[4],
		      const sl_dist_plan_opts *plo, sl_dist_run *run, sl_copy_result **res, sl_conn **holder)
{
	sl_copy_opts po = *o;
	sl_copy_part_runner *pr = NULL;
	sl_copy_part_info *parts = NULL;
	sl_dist_chunk *chunks = NULL;
	size_t np = 0, nc = 0;
	memset(run, 0, sizeof(*run));
	if (holder)
		*holder = NULL;
	po.external_data = true;
	int rc = sl_copy_run(res, &po);
	if (!rc)
		rc = sl_copy_part_runner_open(&pr, &po, NULL);
	if (!rc)
		rc = sl_copy_part_runner_fingerprint(pr, run->fingerprint);
	if (!rc)
		rc = sl_copy_part_runner_parts(pr, &parts, &np);
	if (!rc && !(chunks = calloc(np + 1, sizeof(*chunks))))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < np; i++) {
		if (parts[i].failed || parts[i].done)
			continue;
		sl_dist_chunk *c = &chunks[nc++];
		snprintf(c->table, sizeof(c->table), "%s", parts[i].table);
		c->part = parts[i].part;
		c->nparts = parts[i].nparts;
		c->has_lo = parts[i].has_lo;
		c->has_hi = parts[i].has_hi;
		c->lo = parts[i].lo;
		c->hi = parts[i].hi;
		c->expected = parts[i].expected;
	}
	if (!rc) {
		snprintf(run->kind, sizeof(run->kind), "copy");
		snprintf(run->state, sizeof(run->state), "%s", nc ? "loading" : "post-data");
		snprintf(run->copy_run, sizeof(run->copy_run), "%s", sl_copy_part_runner_run_id(pr));
		set_names(run, names);
		run->lease_s = plo->lease_s > 0 ? plo->lease_s : 30;
		run->max_attempts = plo->max_attempts > 0 ? plo->max_attempts : 3;
		run->detached = !holder;
		rc = options_json(o, &run->options);
	}
	/* before the chunks can be claimed: every read of the run sees the snapshot */
	if (!rc && nc)
		rc = plan_snapshot(o, holder != NULL, run, holder);
	if (!rc)
		rc = sl_dist_run_create(d, run, chunks, nc);
	if (rc && holder) {
		sl_conn_close(*holder);
		*holder = NULL;
	}
	if (rc)
		sl_error_prefix("plan the distributed copy");
	sl_copy_part_runner_close(pr);
	sl_copy_part_infos_free(parts, np);
	free(chunks);
	return rc;
}

/* "sluice_dist_post_<run id>": held by whoever runs the run's post-data. */
static void post_lock_name(char *out, size_t n, const char *run_id)
{
	snprintf(out, n, "sluice_dist_post_%s", run_id);
}

/* The target must hold the run's copy, not another one. */
static int check_target(const sl_dist_run *run, const sl_copy_opts *o)
{
	sl_conn *dst = NULL;
	char *rid = NULL, *phase = NULL;
	int rc = o->connect(&dst, SL_COPY_TARGET, o->connect_ud);
	if (!rc)
		rc = sl_copy_target_run(dst, &rid, &phase);
	if (!rc && strcmp(rid, run->copy_run) != 0)
		rc = sl_error_set(SL_ECONFLICT, "the target holds copy %s, not run %s's copy %s", rid,
				  run->id, run->copy_run);
	sl_conn_close(dst);
	free(rid);
	free(phase);
	return rc;
}

/* Post-data under the run's lock; *res NULL when another caller finished the run meanwhile. */
static int post_data_locked(sl_dist *d, const sl_dist_run *run, sl_copy_opts *po, const char *who,
			    sl_copy_result **res)
{
	sl_dist_run now = { 0 };
	int rc = sl_dist_run_get(d, run->id, &now);
	if (!rc && strcmp(now.state, "finished") == 0)
		goto done; /* finished by the holder we waited for */
	if (!rc && strcmp(now.state, "post-data") != 0)
		rc = sl_error_set(SL_ECONFLICT, "run %s is %s", run->id, now.state);
	if (!rc)
		rc = check_target(run, po);
	po->external_data = true;
	po->resume = true;
	po->restart = false;
	if (!rc)
		rc = sl_copy_run(res, po);
	if (!rc && *res && (*res)->parts_pending)
		rc = sl_error_set(SL_ECONFLICT, "the target still has %lld parts to load",
				  (long long)(*res)->parts_pending);
	if (!rc)
		rc = sl_dist_run_finished(d, run->id, who);
done:
	sl_dist_run_clear(&now);
	return rc;
}

int sl_dist_copy_finish(sl_dist *d, const sl_dist_run *run, const sl_copy_opts *o, const char *who,
			sl_copy_result **res)
{
	sl_copy_opts po = *o;
	json_t *json = NULL;
	const char **tables = NULL, **schemas = NULL;
	char lock[128];
	bool locked = false;
	*res = NULL;
	if (strcmp(run->kind, "copy") != 0)
		return sl_error_set(SL_EINVALID, "run %s is a %s, not a copy", run->id, run->kind);
	if (strcmp(run->state, "finished") == 0)
		return sl_error_set(SL_ECONFLICT, "run %s is already finished", run->id);
	/* the run's own selection and settings, whatever this command line says */
	int rc = dist_copy_options(run, &po, &json, &tables, &schemas);
	bool loading = strcmp(run->state, "loading") == 0;
	if (!rc && loading)
		rc = sl_dist_run_advance(d, run->id, "loading", "post-data");
	else if (!rc && strcmp(run->state, "post-data") != 0)
		rc = sl_error_set(SL_ECONFLICT, "run %s is %s", run->id, run->state);
	/* one post-data at a time: a second caller waits, then finds the run finished */
	post_lock_name(lock, sizeof(lock), run->id);
	if (!rc)
		rc = sl_conn_lock(d->c, lock, -1);
	locked = !rc;
	if (!rc)
		rc = post_data_locked(d, run, &po, who, res);
	if (locked && !sl_conn_severed(d->c)) {
		int urc = sl_conn_unlock(d->c, lock);
		rc = rc ? rc : urc;
	}
	if (rc)
		sl_error_prefix("finish the distributed copy %s", run->id);
	json_decref(json);
	free(tables);
	free(schemas);
	return rc;
}

int sl_dist_copy_retry(sl_dist *d, const sl_dist_run *run, const sl_copy_opts *o, int64_t *n, bool *lost)
{
	sl_conn *src = NULL;
	/* is the run's snapshot still there? (the coordinator that held it may have gone) */
	int rc = run->snapshot[0] ? o->connect(&src, SL_COPY_SOURCE, o->connect_ud) : 0;
	if (!rc)
		rc = dist_snapshot_retry(d, run, src, NULL, "the source", n, lost);
	sl_conn_close(src);
	return rc;
}
