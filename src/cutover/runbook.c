/*
 * runbook.c - reading a cutover runbook (docs/runbook.md, which must list
 * every key accepted here) into the model of include/sluice/cutover.h.
 *
 * The file is YAML, walked key by key: an unknown key, step type or value
 * is an error naming "file:line:col" with the nearest known word as a
 * suggestion. A step is written `TYPE` or `TYPE: {options}`. Names that
 * need the project (domains, rules, queries) or a database (tables) are
 * checked later by runbook_check.c. Every string lives in the runbook's
 * arena; the document and its text are kept for positions.
 */
#include "cutover/runbook_int.h"
#include "sluice/util.h"
#include "cutover_int.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "sluice/error.h"
#include "sluice/url.h"

#define MAX_RUNBOOK_SIZE ((size_t)4 << 20)

static const char *const top_keys[] = { "runbook", "description", "project",         "source",
					"target",  "roles",       "downtime_budget", "approval_timeout",
					"notify",  "phases",      "success",         NULL };
static const char *const notify_keys[] = { "command", "timeout", "events", "dry_run", NULL };
static const char *const phase_keys[] = { "name",  "domain",   "tables", "truth",
					  "steps", "rollback", "note",   NULL };
static const char *const success_keys[] = { "name", "type", "tables", "rules", "queries",
					    "max",  "per",  "note",   NULL };
static const char *const criterion_names[] = { "lost_rows", "rules", "downtime", "shadow", "diff", NULL };

int co_err(const sl_runbook *rb, struct fy_node *n, const char *fmt, ...)
{
	char msg[900], where[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s: %s", sl_yaml_where(rb->path, n, where, sizeof(where)), msg);
}

static int read_phase(reader *r, struct fy_node *n, sl_rb_phase *p)
{
	struct fy_node *v;
	int rc;
	memset(p, 0, sizeof(*p));
	p->where = rb_where_of(r, n);
	if ((rc = rb_need_mapping(r, n, "a phase")) != 0 ||
	    (rc = rb_check_keys(r, n, phase_keys, NULL, "a phase")) != 0)
		return rc;
	if (!(v = rb_get(n, "name")))
		return co_err(r->rb, n, "a phase needs a \"name\"");
	if ((rc = rb_scalar(r, v, &p->name, "name")) != 0)
		return rc;
	for (const char *c = p->name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-'))
			return co_err(r->rb, v, "phase name \"%s\": use letters, digits, '_' and '-'",
				      p->name);
	struct fy_node *d = rb_get(n, "domain"), *t = rb_get(n, "tables");
	if (!d == !t)
		return co_err(r->rb, n, "phase \"%s\" needs one of \"domain\" (of sluice.yaml) or \"tables\"",
			      p->name);
	if (d) {
		p->where_domain = rb_where_of(r, d);
		rc = rb_scalar(r, d, &p->domain, "domain");
	} else {
		p->where_domain = rb_where_of(r, t);
		rc = rb_str_list(r, t, &p->tables, &p->ntables, &p->where_tables, "tables");
	}
	if (rc)
		return rc;
	p->truth = SL_SIDE_SOURCE;
	if ((v = rb_get(n, "truth")) != NULL && (rc = rb_side(r, v, &p->truth, false, "truth")) != 0)
		return rc;
	char what[200];
	snprintf(what, sizeof(what), "the steps of phase \"%s\"", p->name);
	if ((rc = rb_read_steps(r, rb_get(n, "steps"), &p->steps, &p->nsteps, false, what)) != 0)
		return rc;
	if ((v = rb_get(n, "rollback")) != NULL) {
		snprintf(what, sizeof(what), "the rollback of phase \"%s\"", p->name);
		if ((rc = rb_read_steps(r, v, &p->rollback, &p->nrollback, true, what)) != 0)
			return rc;
	}
	if (!(rc = rb_name_steps(r, p, p->steps, p->nsteps, false)))
		rc = rb_name_steps(r, p, p->rollback, p->nrollback, true);
	return rc;
}

static int read_roles(reader *r, struct fy_node *n)
{
	sl_runbook *rb = r->rb;
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return co_err(rb, n, "\"roles\" must map each role to the names of its members");
	size_t cnt = (size_t)fy_node_mapping_item_count(n);
	if (!(rb->roles = sl_arena_calloc(rb->arena, cnt + 1, sizeof(*rb->roles))))
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node_pair *kv;
	int rc = 0;
	while (!rc && (kv = fy_node_mapping_iterate(n, &it)) != NULL) {
		sl_rb_role *role = &rb->roles[rb->nroles++];
		rc = rb_scalar(r, fy_node_pair_key(kv), &role->name, "roles");
		if (!rc)
			rc = rb_str_list(r, fy_node_pair_value(kv), &role->members, &role->nmembers, NULL,
					 role->name);
	}
	return rc;
}

static int read_notify(reader *r, struct fy_node *n)
{
	sl_runbook *rb = r->rb;
	struct fy_node *v;
	int rc;
	if ((rc = rb_need_mapping(r, n, "\"notify\"")) != 0 ||
	    (rc = rb_check_keys(r, n, notify_keys, NULL, "\"notify\"")) != 0)
		return rc;
	if (!(v = rb_get(n, "command")))
		return co_err(rb, n,
			      "\"notify\" needs \"command\": the hook that gets each event as JSON on stdin");
	if ((rc = rb_scalar(r, v, &rb->notify, "command")) != 0)
		return rc;
	if ((v = rb_get(n, "timeout")) != NULL &&
	    (rc = rb_seconds(r, v, &rb->notify_timeout_s, "timeout")) != 0)
		return rc;
	if ((v = rb_get(n, "dry_run")) != NULL &&
	    (rc = rb_boolean(r, v, &rb->notify_dry_run, "dry_run")) != 0)
		return rc;
	if ((v = rb_get(n, "events")) != NULL) {
		const char **ev = NULL, **wh = NULL;
		size_t nev = 0;
		if ((rc = rb_str_list(r, v, &ev, &nev, &wh, "events")) != 0)
			return rc;
		rb->notify_events = 0;
		for (size_t i = 0; i < nev; i++) {
			unsigned k =
				strcmp(ev[i], "all") == 0 ? SL_CO_EV_ALL : sl_cutover_event_from_name(ev[i]);
			if (!k || k == SL_CO_EV_NOTICE) {
				static const char *const names[] = { "step_started",
								     "step_done",
								     "gate_failed",
								     "approval_needed",
								     "approved",
								     "freeze",
								     "unfreeze",
								     "switched",
								     "rollback_started",
								     "rollback_done",
								     "stopped",
								     "done",
								     "all",
								     NULL };
				const char *best = sl_config_nearest(ev[i], names);
				return sl_error_set(SL_EINVALID, "%s: unknown event \"%s\"%s%s%s", wh[i],
						    ev[i], best ? " (did you mean \"" : "", best ? best : "",
						    best ? "\"?)" : "");
			}
			rb->notify_events |= k;
		}
	}
	return 0;
}

static int read_criterion(reader *r, struct fy_node *n, sl_rb_criterion *c)
{
	struct fy_node *v;
	int rc, type = 0;
	memset(c, 0, sizeof(*c));
	c->where = rb_where_of(r, n);
	if ((rc = rb_need_mapping(r, n, "a success criterion")) != 0 ||
	    (rc = rb_check_keys(r, n, success_keys, NULL, "a success criterion")) != 0)
		return rc;
	if (!(v = rb_get(n, "name")) || (rc = rb_scalar(r, v, &c->name, "name")) != 0)
		return v ? rc : co_err(r->rb, n, "a success criterion needs a \"name\"");
	if (!(v = rb_get(n, "type")))
		return co_err(r->rb, n,
			      "success criterion \"%s\" needs a \"type\" (lost_rows, rules, downtime, "
			      "shadow or diff)",
			      c->name);
	if ((rc = rb_one_of(r, v, criterion_names, &type, "type")) != 0)
		return rc;
	c->type = (sl_criterion_type)(type + 1);
	if ((v = rb_get(n, "tables")) != NULL &&
	    (rc = rb_str_list(r, v, &c->tables, &c->ntables, &c->where_tables, "tables")) != 0)
		return rc;
	if ((v = rb_get(n, "rules")) != NULL &&
	    (rc = rb_str_list(r, v, &c->rules, &c->nrules, NULL, "rules")) != 0)
		return rc;
	if ((v = rb_get(n, "queries")) != NULL &&
	    (rc = rb_str_list(r, v, &c->queries, &c->nqueries, NULL, "queries")) != 0)
		return rc;
	if ((v = rb_get(n, "per")) != NULL) {
		static const char *const per[] = { "run", "phase", NULL };
		int i = 0;
		if ((rc = rb_one_of(r, v, per, &i, "per")) != 0)
			return rc;
		c->per_phase = i == 1;
	}
	v = rb_get(n, "max");
	if (c->type == SL_CRIT_DOWNTIME) {
		if (!v)
			return co_err(r->rb, n,
				      "success criterion \"%s\" needs \"max\": the longest downtime allowed",
				      c->name);
		return rb_duration(r, v, &c->max_ms, "max");
	}
	if (v && (rc = rb_integer(r, v, &c->max, 0, "max")) != 0)
		return rc;
	if ((c->type == SL_CRIT_LOST_ROWS || c->type == SL_CRIT_DIFF) && !c->ntables)
		return co_err(r->rb, n, "success criterion \"%s\" needs \"tables\"", c->name);
	if (c->type == SL_CRIT_RULES && !c->nrules)
		return co_err(
			r->rb, n,
			"success criterion \"%s\" needs \"rules\" (rules or rule groups of sluice.yaml)",
			c->name);
	return 0;
}

static int endpoint_display(reader *r, const char *s, const char **out)
{
	if (!strchr(s, ':')) {
		*out = s;
		return 0;
	}
	sl_url *u = NULL;
	int rc = sl_url_parse(&u, s);
	if (!rc && !(*out = sl_arena_strdup(r->rb->arena, u->redacted)))
		rc = sl_error_nomem();
	sl_url_free(u);
	return rc;
}

static int read_root(reader *r, struct fy_node *root)
{
	sl_runbook *rb = r->rb;
	struct fy_node *v;
	int rc;
	if (!root || fy_node_get_type(root) != FYNT_MAPPING)
		return co_err(rb, root, "a runbook is a mapping (runbook:, source:, target:, phases:, ...)");
	if ((rc = rb_check_keys(r, root, top_keys, NULL, "the runbook")) != 0)
		return rc;
	if (!(v = rb_get(root, "runbook")))
		return co_err(rb, root,
			      "the runbook needs a name: \"runbook: NAME\" (its runs, lock and approvals "
			      "go by it)");
	if ((rc = rb_scalar(r, v, &rb->name, "runbook")) != 0)
		return rc;
	if (!*rb->name || strlen(rb->name) > 100)
		return co_err(rb, v, "the runbook's name must be 1 to 100 characters");
	if ((v = rb_get(root, "project")) != NULL) {
		const char *p = NULL;
		if ((rc = rb_scalar(r, v, &p, "project")) != 0)
			return rc;
		rb->project = p[0] == '/' ? p : sl_arena_printf(rb->arena, "%s/%s", rb->dir, p);
	}
	static const char *const sides[] = { "source", "target" };
	for (int i = 0; i < 2; i++) {
		const char **dst = i ? &rb->target : &rb->source,
			   **disp = i ? &rb->target_display : &rb->source_display;
		if (!(v = rb_get(root, sides[i])))
			return co_err(rb, root,
				      "the runbook needs \"%s\": an environment of sluice.yaml or a URL",
				      sides[i]);
		if ((rc = rb_scalar(r, v, dst, sides[i])) != 0)
			return rc;
		if ((rc = endpoint_display(r, *dst, disp)) != 0)
			return co_err(rb, v, "\"%s\": %s", sides[i], sl_error_last()->message);
	}
	rb->downtime_budget_ms = 60000;
	if ((v = rb_get(root, "downtime_budget")) != NULL &&
	    (rc = rb_duration(r, v, &rb->downtime_budget_ms, "downtime_budget")) != 0)
		return rc;
	if (v && rb->downtime_budget_ms < 1)
		return co_err(rb, v, "\"downtime_budget\" must be above 0");
	if ((v = rb_get(root, "approval_timeout")) != NULL &&
	    (rc = rb_seconds(r, v, &rb->approval_timeout_s, "approval_timeout")) != 0)
		return rc;
	if ((v = rb_get(root, "roles")) != NULL && (rc = read_roles(r, v)) != 0)
		return rc;
	rb->notify_timeout_s = 10;
	rb->notify_events = SL_CO_EV_ALL;
	if ((v = rb_get(root, "notify")) != NULL && (rc = read_notify(r, v)) != 0)
		return rc;
	v = rb_get(root, "phases");
	if (!v || fy_node_get_type(v) != FYNT_SEQUENCE || fy_node_sequence_item_count(v) < 1)
		return co_err(rb, v ? v : root, "the runbook needs \"phases\": a list, one phase per domain");
	size_t cnt = (size_t)fy_node_sequence_item_count(v);
	if (!(rb->phases = sl_arena_calloc(rb->arena, cnt, sizeof(*rb->phases))))
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	while (!rc && (item = fy_node_sequence_iterate(v, &it)) != NULL)
		rc = read_phase(r, item, &rb->phases[rb->nphases++]);
	if (rc)
		return rc;
	if ((v = rb_get(root, "success")) != NULL) {
		if (fy_node_get_type(v) != FYNT_SEQUENCE)
			return co_err(rb, v, "\"success\" must be a list of criteria");
		cnt = (size_t)fy_node_sequence_item_count(v);
		if (!(rb->criteria = sl_arena_calloc(rb->arena, cnt + 1, sizeof(*rb->criteria))))
			return sl_error_nomem();
		it = NULL;
		while (!rc && (item = fy_node_sequence_iterate(v, &it)) != NULL)
			rc = read_criterion(r, item, &rb->criteria[rb->ncriteria++]);
	}
	if (!rc)
		rc = co_runbook_structure(rb);
	return rc;
}

static const char *dir_of(sl_arena *a, const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return sl_arena_strdup(a, ".");
	if (s == path)
		return sl_arena_strdup(a, "/");
	return sl_arena_strndup(a, path, (size_t)(s - path));
}

int sl_runbook_parse(sl_runbook **out, const char *path, const char *text, size_t len)
{
	sl_arena *a = sl_arena_new(0);
	sl_runbook *rb = a ? sl_arena_calloc(a, 1, sizeof(*rb)) : NULL;
	reader r = { .rb = rb };
	int rc = 0;
	*out = NULL;
	if (!rb || !(rb->text = sl_arena_alloc(a, len + 1)) || !(rb->path = sl_arena_strdup(a, path)) ||
	    !(rb->dir = dir_of(a, path))) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	rb->arena = a;
	memcpy(rb->text, text, len);
	rb->text[len] = '\0';
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)text, len, md);
	int off = snprintf(rb->digest, sizeof(rb->digest), "sha256:");
	for (size_t i = 0; i < sizeof(md); i++)
		off += snprintf(rb->digest + off, sizeof(rb->digest) - (size_t)off, "%02x", md[i]);
	rc = sl_yaml_parse(&rb->doc, path, rb->text, len);
	if (!rc && !rb->doc)
		rc = sl_error_set(SL_EINVALID, "%s: the runbook is empty", path);
	if (!rc)
		rc = read_root(&r, fy_document_root(rb->doc));
	if (rc) {
		sl_runbook_free(rb);
		return rc;
	}
	*out = rb;
	return 0;
}

int sl_runbook_load(sl_runbook **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = sl_read_file(&text, &len, path, MAX_RUNBOOK_SIZE, "runbook");
	if (!rc)
		rc = sl_runbook_parse(out, path, text, len);
	free(text);
	return rc;
}

void sl_runbook_free(sl_runbook *rb)
{
	if (!rb)
		return;
	if (rb->doc)
		fy_document_destroy(rb->doc);
	sl_arena_free(rb->arena);
}

const sl_rb_step *sl_runbook_find_step(const sl_runbook *rb, const char *id, const sl_rb_phase **phase)
{
	const sl_rb_step *found = NULL;
	size_t hits = 0, idlen = strlen(id);
	for (size_t p = 0; p < rb->nphases; p++) {
		const sl_rb_phase *ph = &rb->phases[p];
		for (int pass = 0; pass < 2; pass++) {
			const sl_rb_step *v = pass ? ph->rollback : ph->steps;
			size_t n = pass ? ph->nrollback : ph->nsteps;
			for (size_t i = 0; i < n; i++) {
				const char *sid = v[i].id;
				size_t sl = strlen(sid);
				if (strcmp(sid, id) == 0) {
					if (phase)
						*phase = ph;
					return &v[i];
				}
				/* "freeze" for "billing.freeze" when it is the only one */
				if (sl > idlen && sid[sl - idlen - 1] == '.' &&
				    strcmp(sid + sl - idlen, id) == 0) {
					found = &v[i];
					hits++;
					if (phase)
						*phase = ph;
				}
			}
		}
	}
	return hits == 1 ? found : NULL;
}
