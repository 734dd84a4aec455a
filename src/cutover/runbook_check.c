/*
 * runbook_check.c - what makes a runbook runnable beyond its shape: unique
 * step ids, roles that exist, freezes that are lifted, sync steps in an
 * order sync can follow (co_runbook_structure); names that exist in
 * sluice.yaml (sl_runbook_resolve); tables that exist in the source
 * (sl_runbook_check_tables). Every error names the runbook's position and,
 * for a misspelt name, the nearest existing one.
 */
#include "cutover_int.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/consumers.h"
#include "sluice/error.h"
#include "sluice/shadow.h"

static int at(const char *where, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int at(const char *where, const char *hint, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hint)
		return sl_error_set(SL_EINVALID, "%s: %s (did you mean \"%s\"?)", where, msg, hint);
	return sl_error_set(SL_EINVALID, "%s: %s", where, msg);
}

static bool allowed_in_rollback(sl_step_type t)
{
	switch (t) {
	case SL_STEP_FREEZE:
	case SL_STEP_DRAIN:
	case SL_STEP_SWITCH:
	case SL_STEP_UNFREEZE:
	case SL_STEP_SYNC_STOP:
	case SL_STEP_DIFF:
	case SL_STEP_CHECK:
	case SL_STEP_SHADOW:
	case SL_STEP_COMMAND:
	case SL_STEP_WAIT_LAG:
		return true;
	default:
		return false;
	}
}

static const sl_rb_role *find_role(const sl_runbook *rb, const char *name)
{
	for (size_t i = 0; i < rb->nroles; i++)
		if (strcmp(rb->roles[i].name, name) == 0)
			return &rb->roles[i];
	return NULL;
}

static int check_approve(const sl_runbook *rb, const sl_rb_step *s)
{
	const char *names[64];
	size_t n = 0;
	for (size_t i = 0; i < rb->nroles && n < 63; i++)
		names[n++] = rb->roles[i].name;
	names[n] = NULL;
	for (size_t i = 0; i < s->nroles; i++) {
		if (find_role(rb, s->roles[i]))
			continue;
		if (!rb->nroles)
			return at(s->where, NULL,
				  "step \"%s\" asks role \"%s\", but the runbook defines no roles:", s->id,
				  s->roles[i]);
		return at(s->where, sl_nearest_name(s->roles[i], names, n),
			  "step \"%s\": no role \"%s\" under roles:", s->id, s->roles[i]);
	}
	return 0;
}

/* Freeze steps are lifted later in the same list; a rollback target exists where one is asked. */
static int check_list(const sl_runbook *rb, const sl_rb_phase *p, const sl_rb_step *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const sl_rb_step *s = &v[i];
		int rc = 0;
		if (s->rollback && !allowed_in_rollback(s->type))
			return at(s->where, NULL,
				  "step type \"%s\" cannot undo anything: a rollback has freeze, drain, "
				  "wait-lag, "
				  "diff, check, shadow, switch, unfreeze, sync-stop and command steps",
				  sl_step_type_name(s->type));
		if (s->type == SL_STEP_APPROVE && (rc = check_approve(rb, s)) != 0)
			return rc;
		if (!s->rollback && s->on_fail == SL_ON_FAIL_ROLLBACK && !p->nrollback)
			return at(
				s->where, NULL,
				"step \"%s\" says on_fail: rollback, but phase \"%s\" has no rollback: steps",
				s->id, p->name);
		if (s->type == SL_STEP_FREEZE) {
			bool lifted = false;
			for (size_t j = i + 1; j < n && !lifted; j++)
				lifted = v[j].type == SL_STEP_UNFREEZE;
			if (!lifted)
				return at(s->where, NULL,
					  "step \"%s\" freezes writes, but no unfreeze step follows it in "
					  "phase "
					  "\"%s\"",
					  s->id, p->name);
		}
	}
	return 0;
}

/*
 * sync allows one run per pair of databases at a time, and reverse capture
 * on the target conflicts with another phase's: each phase's sync goes
 * start -> (reverse) -> stop, and ends before a later phase starts its own.
 */
static int check_sync(const sl_runbook *rb)
{
	for (size_t pi = 0; pi < rb->nphases; pi++) {
		const sl_rb_phase *p = &rb->phases[pi];
		int state = 0; /* 0 none, 1 forward, 2 reverse */
		const sl_rb_step *last = NULL;
		for (size_t i = 0; i < p->nsteps; i++) {
			const sl_rb_step *s = &p->steps[i];
			const char *why = NULL;
			switch (s->type) {
			case SL_STEP_SYNC_START:
				if (state)
					why = "starts a sync while the phase's sync runs";
				state = 1;
				last = s;
				break;
			case SL_STEP_WAIT_LAG:
			case SL_STEP_DRAIN:
				if (!state)
					why = "needs a sync: put a sync-start step before it";
				break;
			case SL_STEP_SYNC_REVERSE:
				if (state != 1)
					why = "reverses a sync: put a sync-start (and a drain, after a "
					      "freeze) before it";
				state = 2;
				last = s;
				break;
			case SL_STEP_SYNC_STOP:
				if (!state)
					why = "stops a sync, but none was started in this phase";
				state = 0;
				break;
			default:
				break;
			}
			if (why)
				return at(s->where, NULL, "step \"%s\" %s", s->id, why);
		}
		bool later = false;
		for (size_t q = pi + 1; q < rb->nphases && !later; q++)
			for (size_t i = 0; i < rb->phases[q].nsteps && !later; i++)
				later = rb->phases[q].steps[i].type == SL_STEP_SYNC_START;
		if (state && later)
			return at(last->where, NULL,
				  "phase \"%s\" leaves its sync running (\"%s\") while a later phase starts "
				  "its own: "
				  "end it with a sync-stop step (one sync per pair of databases at a time)",
				  p->name, last->id);
	}
	return 0;
}

/* A step listed before s with the same id, or NULL. */
static const sl_rb_step *earlier_with_id(const sl_runbook *rb, const sl_rb_step *s)
{
	for (size_t pi = 0; pi < rb->nphases; pi++) {
		const sl_rb_phase *p = &rb->phases[pi];
		for (int pass = 0; pass < 2; pass++) {
			const sl_rb_step *v = pass ? p->rollback : p->steps;
			size_t n = pass ? p->nrollback : p->nsteps;
			for (size_t i = 0; i < n; i++) {
				if (&v[i] == s)
					return NULL;
				if (strcmp(v[i].id, s->id) == 0)
					return &v[i];
			}
		}
	}
	return NULL;
}

int co_runbook_structure(sl_runbook *rb)
{
	int rc = 0;
	for (size_t i = 0; i < rb->nroles; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(rb->roles[i].name, rb->roles[j].name) == 0)
				return sl_error_set(SL_EINVALID, "%s: role \"%s\" is defined twice", rb->path,
						    rb->roles[i].name);
	}
	for (size_t pi = 0; pi < rb->nphases; pi++)
		for (size_t pj = 0; pj < pi; pj++)
			if (strcmp(rb->phases[pi].name, rb->phases[pj].name) == 0)
				return sl_error_set(SL_EINVALID, "%s: two phases are called \"%s\"",
						    rb->phases[pi].where, rb->phases[pi].name);
	/* unique ids across the runbook */
	for (size_t pi = 0; pi < rb->nphases; pi++) {
		const sl_rb_phase *p = &rb->phases[pi];
		for (int pass = 0; pass < 2; pass++) {
			const sl_rb_step *v = pass ? p->rollback : p->steps;
			size_t n = pass ? p->nrollback : p->nsteps;
			for (size_t i = 0; i < n; i++) {
				const sl_rb_step *e = earlier_with_id(rb, &v[i]);
				if (e)
					return at(v[i].where, NULL,
						  "step id \"%s\" is used twice (also at %s)", v[i].id,
						  e->where);
			}
		}
		if ((rc = check_list(rb, p, p->steps, p->nsteps)) != 0 ||
		    (rc = check_list(rb, p, p->rollback, p->nrollback)) != 0)
			return rc;
	}
	return check_sync(rb);
}

/* ---- names against sluice.yaml ---- */

typedef struct names {
	const char **v;
	size_t n;
} names;

static int names_add(names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return 0;
	const char **v = realloc(ns->v, (ns->n + 2) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	ns->v = v;
	ns->v[ns->n++] = s;
	ns->v[ns->n] = NULL;
	return 0;
}

static bool has(const names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return true;
	return false;
}

typedef struct known {
	names rules;   /* rule names and rule groups */
	names queries; /* shadow queries */
	bool have_shadow;
} known;

static int check_rule_names(const known *k, const char *where, const char *owner, const char *const *v,
			    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!has(&k->rules, v[i]))
			return at(where, sl_nearest_name(v[i], k->rules.v, k->rules.n),
				  "%s: no rule or rule group \"%s\" in sluice.yaml", owner, v[i]);
	return 0;
}

static int check_query_names(const known *k, const char *where, const char *owner, const char *const *v,
			     size_t n, bool any)
{
	if (any && !k->have_shadow)
		return at(where, NULL,
			  "%s compares shadow queries, but sluice.yaml has no \"shadow:\" section", owner);
	for (size_t i = 0; i < n; i++)
		if (!has(&k->queries, v[i]))
			return at(where, sl_nearest_name(v[i], k->queries.v, k->queries.n),
				  "%s: no shadow query \"%s\" in sluice.yaml", owner, v[i]);
	return 0;
}

static int check_gate(const known *k, const sl_rb_step *s, const sl_rb_gate *g)
{
	char owner[300];
	snprintf(owner, sizeof(owner), "step \"%s\"", s->id);
	int rc = 0;
	if (g->has_rules)
		rc = check_rule_names(k, s->where, owner, g->rules, g->nrules);
	if (!rc && g->has_shadow)
		rc = check_query_names(k, s->where, owner, g->queries, g->nqueries, true);
	return rc;
}

static int check_env(const sl_runbook *rb, const sl_config *cfg, const char *key, const char *value)
{
	if (strchr(value, ':') || (cfg && sl_config_env_get(cfg, value)))
		return 0;
	char where[512];
	struct fy_node *n = fy_node_mapping_lookup_by_string(fy_document_root(rb->doc), key, FY_NT);
	sl_yaml_where(rb->path, n, where, sizeof(where));
	if (!cfg)
		return at(where, NULL,
			  "%s \"%s\" is not a URL, and there is no sluice.yaml to name an environment", key,
			  value);
	names envs = { 0 };
	for (size_t i = 0; i < cfg->nenvs; i++)
		names_add(&envs, cfg->envs[i].name);
	int rc = at(where, sl_nearest_name(value, envs.v, envs.n),
		    "%s \"%s\" is neither a URL nor an environment of sluice.yaml", key, value);
	free(envs.v);
	return rc;
}

static int resolve_domains(sl_runbook *rb, sl_config *cfg)
{
	sl_consumers *cs = NULL;
	int rc = 0;
	bool need = false;
	for (size_t i = 0; i < rb->nphases; i++)
		need = need || rb->phases[i].domain;
	if (!need)
		return 0;
	if (!cfg)
		return sl_error_set(SL_EINVALID,
				    "%s: phase \"%s\" names a domain, but there is no sluice.yaml",
				    rb->phases[0].where_domain, rb->phases[0].name);
	if ((rc = sl_consumers_load(&cs, cfg)) != 0)
		return rc;
	names all = { 0 };
	for (size_t i = 0; i < cs->ndomains; i++)
		names_add(&all, cs->domains[i].name);
	for (size_t i = 0; !rc && i < rb->nphases; i++) {
		sl_rb_phase *p = &rb->phases[i];
		if (!p->domain)
			continue;
		const sl_domain *d = sl_consumers_find_domain(cs, p->domain);
		if (!d) {
			rc = at(p->where_domain, sl_nearest_name(p->domain, all.v, all.n),
				"phase \"%s\": no domain \"%s\" under domains: in sluice.yaml", p->name,
				p->domain);
			break;
		}
		if (!d->ntables) {
			rc = at(p->where_domain, NULL, "phase \"%s\": domain \"%s\" lists no tables", p->name,
				p->domain);
			break;
		}
		p->tables = sl_arena_calloc(rb->arena, d->ntables, sizeof(char *));
		p->where_tables = sl_arena_calloc(rb->arena, d->ntables, sizeof(char *));
		if (!p->tables || !p->where_tables) {
			rc = sl_error_nomem();
			break;
		}
		for (size_t t = 0; t < d->ntables; t++) {
			p->tables[t] = sl_arena_strdup(rb->arena, d->tables[t].name);
			p->where_tables[t] = p->where_domain;
		}
		p->ntables = d->ntables;
	}
	free(all.v);
	sl_consumers_free(cs);
	return rc;
}

int sl_runbook_resolve(sl_runbook *rb, sl_config *cfg, const sl_rules *rules)
{
	known k = { 0 };
	sl_shadow_query *qs = NULL;
	size_t nq = 0;
	int rc = check_env(rb, cfg, "source", rb->source);
	if (!rc)
		rc = check_env(rb, cfg, "target", rb->target);
	if (!rc)
		rc = resolve_domains(rb, cfg);
	for (size_t i = 0; !rc && rules && i < rules->n; i++) {
		rc = names_add(&k.rules, rules->rules[i].name);
		if (!rc && rules->rules[i].domain)
			rc = names_add(&k.rules, rules->rules[i].domain);
	}
	if (!rc && cfg && sl_config_section(cfg, "shadow")) {
		k.have_shadow = true;
		rc = sl_shadow_queries_load(&qs, &nq, cfg, NULL);
		for (size_t i = 0; !rc && i < nq; i++)
			rc = names_add(&k.queries, qs[i].name);
	}
	for (size_t pi = 0; !rc && pi < rb->nphases; pi++) {
		const sl_rb_phase *p = &rb->phases[pi];
		for (int pass = 0; !rc && pass < 2; pass++) {
			const sl_rb_step *v = pass ? p->rollback : p->steps;
			size_t n = pass ? p->nrollback : p->nsteps;
			for (size_t i = 0; !rc && i < n; i++) {
				rc = check_gate(&k, &v[i], &v[i].gate);
				if (!rc)
					rc = check_gate(&k, &v[i], &v[i].require);
			}
		}
	}
	for (size_t i = 0; !rc && i < rb->ncriteria; i++) {
		const sl_rb_criterion *c = &rb->criteria[i];
		char owner[300];
		snprintf(owner, sizeof(owner), "success criterion \"%s\"", c->name);
		if (c->type == SL_CRIT_RULES)
			rc = check_rule_names(&k, c->where, owner, c->rules, c->nrules);
		else if (c->type == SL_CRIT_SHADOW)
			rc = check_query_names(&k, c->where, owner, c->queries, c->nqueries, true);
	}
	free(k.rules.v);
	free(k.queries.v);
	free(qs);
	return rc;
}

/* ---- tables against the source ---- */

static int check_table(const sl_schema *s, const char *where, const char *owner, const char *name)
{
	if (sl_rules_find_table(s, name))
		return 0;
	names all = { 0 };
	sl_buf b = SL_BUF_INIT;
	for (size_t i = 0; i < s->ntables; i++) {
		sl_buf_clear(&b);
		if (sl_table_flat_name(&b, s, &s->tables[i]) == 0)
			names_add(&all, s->tables[i].name);
	}
	int rc = at(where, sl_nearest_name(name, all.v, all.n), "%s: the source has no table \"%s\"", owner,
		    name);
	sl_buf_free(&b);
	free(all.v);
	return rc;
}

int sl_runbook_check_tables(const sl_runbook *rb, const sl_schema *source)
{
	int rc = 0;
	for (size_t pi = 0; !rc && pi < rb->nphases; pi++) {
		const sl_rb_phase *p = &rb->phases[pi];
		char owner[300];
		snprintf(owner, sizeof(owner), "phase \"%s\"%s%s%s", p->name, p->domain ? " (domain \"" : "",
			 p->domain ? p->domain : "", p->domain ? "\")" : "");
		for (size_t t = 0; !rc && t < p->ntables; t++)
			rc = check_table(source, p->where_tables ? p->where_tables[t] : p->where, owner,
					 p->tables[t]);
		for (int pass = 0; !rc && pass < 2; pass++) {
			const sl_rb_step *v = pass ? p->rollback : p->steps;
			size_t n = pass ? p->nrollback : p->nsteps;
			for (size_t i = 0; !rc && i < n; i++) {
				snprintf(owner, sizeof(owner), "step \"%s\"", v[i].id);
				for (size_t t = 0; !rc && t < v[i].ntables; t++)
					rc = check_table(source, v[i].where, owner, v[i].tables[t]);
			}
		}
	}
	for (size_t i = 0; !rc && i < rb->ncriteria; i++) {
		const sl_rb_criterion *c = &rb->criteria[i];
		char owner[300];
		snprintf(owner, sizeof(owner), "success criterion \"%s\"", c->name);
		for (size_t t = 0; !rc && t < c->ntables; t++)
			rc = check_table(source, c->where_tables ? c->where_tables[t] : c->where, owner,
					 c->tables[t]);
	}
	return rc;
}
