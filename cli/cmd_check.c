/*
 * cmd_check.c - `sluice check [ENV ...]`: runs the integrity rules of
 * sluice.yaml (include/sluice/rules.h, docs/rules.md) against each
 * environment given (reconcile rules against their own source and target),
 * judges each pass / warn / halt, prints them and records the run in the
 * state store (include/sluice/state.h). `--history [RULE]` lists past runs.
 * Exit 1 when a halt rule fails; 3 when a rule could not run; 2 for a bad
 * config (positions and rule names come from the library).
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/rules.h"
#include "sluice/state.h"
#include "sluice/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TARGETS 16

/* An open database: what the user called it (never a password) and its model. */
typedef struct target {
	const char *spec; /* as given: environment name or URL */
	char *display;    /* environment name, or the URL with the password masked */
	sl_conn *conn;
	sl_schema *schema;
} target;

typedef struct check_run {
	cli_project p;
	sl_rules *rules;
	target targets[MAX_TARGETS * 3];
	size_t ntargets;
	const char *only_rule, *only_domain;
	cli_list schemas; /* PostgreSQL schemas whose tables the rules name */
	bool all_schemas;
	bool json;
	json_t *jresults;
	size_t counts[4]; /* by sl_rule_status */
	sl_state *state;
	int64_t run_id;
} check_run;

/* Opens (once) the database called spec: an environment of sluice.yaml or a URL; NULL: the default. */
static int open_target(target **out, check_run *x, const char *spec)
{
	const char *key = spec ? spec : "";
	for (size_t i = 0; i < x->ntargets; i++)
		if (strcmp(x->targets[i].spec, key) == 0) {
			*out = &x->targets[i];
			return 0;
		}
	if (x->ntargets >= sizeof(x->targets) / sizeof(x->targets[0]))
		return sl_error_set(SL_EINVALID, "too many databases in one check run");
	target *t = &x->targets[x->ntargets];
	memset(t, 0, sizeof(*t));
	t->spec = key;
	int rc = cli_project_connect(&t->conn, &x->p, spec);
	if (rc)
		return rc;
	x->ntargets++;
	if (spec && !strchr(spec, ':'))
		t->display = strdup(spec);
	else if (!spec && x->p.cfg && x->p.cfg->nenvs == 1 && !getenv("SLUICE_URL"))
		t->display = strdup(x->p.cfg->envs[0].name);
	else
		t->display = strdup(sl_conn_display(t->conn));
	if (!t->display)
		return sl_error_nomem();
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	io.schemas = x->schemas.v;
	io.nschemas = x->schemas.n;
	io.all_schemas = x->all_schemas;
	if ((rc = sl_rules_read_only(t->conn)) != 0 ||
	    (rc = sl_conn_introspect(&t->schema, t->conn, &io)) != 0)
		sl_error_prefix("check \"%s\"", t->display);
	*out = t;
	return rc;
}

static bool selected(const check_run *x, const sl_rule *r)
{
	if (x->only_rule && strcmp(r->name, x->only_rule) != 0)
		return false;
	if (x->only_domain && (!r->domain || strcmp(r->domain, x->only_domain) != 0))
		return false;
	return true;
}

static const char *status_label(sl_rule_status s)
{
	switch (s) {
	case SL_RULE_PASS:
		return "PASS";
	case SL_RULE_WARN:
		return "WARN";
	case SL_RULE_HALT:
		return "HALT";
	default:
		return "ERROR";
	}
}

static char *examples_json(const sl_rule_result *res)
{
	json_t *a = json_array();
	for (size_t i = 0; res && i < res->nexamples; i++)
		json_array_append_new(a, json_string(res->examples[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* Prints, records and counts one rule's outcome (res NULL when the rule failed to run). */
static int report(check_run *x, const sl_rule *r, const char *env, const sl_rule_result *res,
		  const char *error, int64_t ms)
{
	sl_rule_status st = res ? sl_rule_judge(r, res->violations, res->rows_checked) : SL_RULE_ERROR;
	char *ex = examples_json(res);
	x->counts[st]++;
	if (x->json) {
		json_t *o = json_object();
		json_object_set_new(o, "rule", json_string(r->name));
		json_object_set_new(o, "domain", r->domain ? json_string(r->domain) : json_null());
		json_object_set_new(o, "type", json_string(sl_rule_type_name(r->type)));
		json_object_set_new(o, "environment", json_string(env));
		json_object_set_new(o, "status", json_string(sl_rule_status_name(st)));
		json_object_set_new(o, "severity",
				    json_string(r->severity == SL_SEVERITY_WARN ? "warn" : "halt"));
		json_object_set_new(o, "violations", res ? json_integer(res->violations) : json_null());
		json_object_set_new(o, "rows_checked",
				    res && res->rows_checked >= 0 ? json_integer(res->rows_checked)
								  : json_null());
		json_object_set_new(o, "threshold", json_string(r->threshold_text));
		json_t *a = json_array();
		for (size_t i = 0; res && i < res->nexamples; i++)
			json_array_append_new(a, json_string(res->examples[i]));
		json_object_set_new(o, "examples", a);
		json_object_set_new(o, "summary",
				    res && res->summary ? json_string(res->summary) : json_null());
		json_object_set_new(o, "error", error ? json_string(error) : json_null());
		json_object_set_new(o, "duration_ms", json_integer(ms));
		json_array_append_new(x->jresults, o);
	} else {
		char name[300];
		snprintf(name, sizeof(name), "%s%s%s", r->domain ? r->domain : "", r->domain ? "/" : "",
			 r->name);
		printf("  %-5s %-44s ", status_label(st), name);
		if (!res)
			printf("could not run: %s\n", error ? error : "?");
		else if (res->rows_checked >= 0)
			printf("%lld violation(s) in %lld row(s)", (long long)res->violations,
			       (long long)res->rows_checked);
		else
			printf("%lld violation(s)", (long long)res->violations);
		if (res) {
			if (st != SL_RULE_PASS || strcmp(r->threshold_text, "0") != 0)
				printf(" (threshold %s)", r->threshold_text);
			putchar('\n');
			if (res->summary)
				printf("        %s\n", res->summary);
			for (size_t i = 0; st != SL_RULE_PASS && i < res->nexamples; i++)
				printf("        %s\n", res->examples[i]);
		}
	}
	int rc = 0;
	if (x->state) {
		sl_state_result sr = {
			.rule = r->name,
			.domain = r->domain,
			.type = sl_rule_type_name(r->type),
			.environment = env,
			.status = sl_rule_status_name(st),
			.violations = res ? res->violations : 0,
			.rows_checked = res ? res->rows_checked : -1,
			.threshold = r->threshold_text,
			.examples = ex,
			.message = error ? error : (res ? res->summary : NULL),
			.duration_ms = ms,
		};
		rc = sl_state_result_add(x->state, x->run_id, &sr);
	}
	free(ex);
	return rc;
}

/* Runs one rule; a database error becomes an ERROR result, anything else stops the run. */
static int run_one(check_run *x, const sl_rule *r, target *src, target *dst)
{
	sl_rule_result *res = NULL;
	int64_t t0 = sl_now_ms();
	char env[600];
	int rc;
	if (dst) {
		snprintf(env, sizeof(env), "%s -> %s", src->display, dst->display);
		rc = sl_rule_reconcile(&res, r, src->conn, src->schema, dst->conn, dst->schema);
	} else {
		snprintf(env, sizeof(env), "%s", src->display);
		rc = sl_rule_run(&res, r, src->conn, src->schema);
	}
	if (rc && rc != SL_EDB) {
		sl_rule_result_free(res);
		return rc;
	}
	char *msg = rc ? strdup(sl_error_last()->message) : NULL;
	rc = report(x, r, env, res, msg, sl_now_ms() - t0);
	free(msg);
	sl_rule_result_free(res);
	return rc;
}

static const char *overall(const check_run *x)
{
	if (x->counts[SL_RULE_HALT])
		return "halt";
	if (x->counts[SL_RULE_ERROR])
		return "error";
	if (x->counts[SL_RULE_WARN])
		return "warn";
	return "pass";
}

static int history_row(const sl_state_history_row *h, void *ud)
{
	json_t *a = ud;
	if (a) {
		json_t *o = json_object();
		json_object_set_new(o, "run_id", json_integer(h->run_id));
		json_object_set_new(o, "started_at", json_string(h->started_at ? h->started_at : ""));
		json_object_set_new(o, "finished_at",
				    h->finished_at ? json_string(h->finished_at) : json_null());
		json_object_set_new(o, "environment",
				    json_string(h->result.environment ? h->result.environment : ""));
		json_object_set_new(o, "rule", json_string(h->result.rule ? h->result.rule : ""));
		json_object_set_new(o, "domain",
				    h->result.domain ? json_string(h->result.domain) : json_null());
		json_object_set_new(o, "status", json_string(h->result.status ? h->result.status : ""));
		json_object_set_new(o, "violations", json_integer(h->result.violations));
		json_object_set_new(o, "rows_checked",
				    h->result.rows_checked >= 0 ? json_integer(h->result.rows_checked)
								: json_null());
		json_object_set_new(o, "threshold",
				    json_string(h->result.threshold ? h->result.threshold : ""));
		json_t *ex = h->result.examples ? json_loads(h->result.examples, 0, NULL) : NULL;
		json_object_set_new(o, "examples", ex ? ex : json_array());
		json_array_append_new(a, o);
		return 0;
	}
	printf("%6lld  %-24s  %-5s  %-36s  %8lld  %10lld  %-8s  %s\n", (long long)h->run_id,
	       h->started_at ? h->started_at : "", h->result.status ? h->result.status : "",
	       h->result.rule ? h->result.rule : "", (long long)h->result.violations,
	       (long long)h->result.rows_checked, h->result.threshold ? h->result.threshold : "",
	       h->result.environment ? h->result.environment : "");
	return 0;
}

static int show_history(check_run *x, const char *rule, long limit)
{
	sl_state *st = NULL;
	const char *path = sl_config_resolve(x->p.cfg, x->p.cfg->state);
	json_t *a = x->json ? json_array() : NULL;
	int rc = sl_state_open(&st, path);
	if (!rc && !x->json)
		printf("%6s  %-24s  %-5s  %-36s  %8s  %10s  %-8s  %s\n", "run", "started (UTC)", "status",
		       "rule", "violate", "rows", "threshold", "environment");
	if (!rc)
		rc = sl_state_history(st, rule, limit > 0 ? (size_t)limit : 0, history_row, a);
	if (!rc && a) {
		char *s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
	}
	json_decref(a);
	sl_state_close(st);
	return rc;
}

/* Connects to every database the selected rules need and checks the rules against each model. */
static int prepare(check_run *x, const char **envs, int nenvs, target **env_targets, bool *need_envs)
{
	int rc = 0;
	*need_envs = false;
	for (size_t i = 0; i < x->rules->n; i++) {
		const sl_rule *r = &x->rules->rules[i];
		if (selected(x, r) && r->type != SL_RULE_RECONCILE)
			*need_envs = true;
	}
	if (*need_envs) {
		for (int i = 0; !rc && i < (nenvs ? nenvs : 1); i++)
			rc = open_target(&env_targets[i], x, nenvs ? envs[i] : NULL);
	}
	for (size_t i = 0; !rc && i < x->rules->n; i++) {
		const sl_rule *r = &x->rules->rules[i];
		target *s = NULL, *d = NULL;
		if (!selected(x, r))
			continue;
		if (r->type == SL_RULE_RECONCILE) {
			rc = open_target(&s, x, r->source);
			if (!rc)
				rc = open_target(&d, x, r->target);
			if (!rc)
				rc = sl_rule_validate(r, s->schema);
			if (!rc)
				rc = sl_rule_validate(r, d->schema);
			continue;
		}
		for (int k = 0; !rc && k < (nenvs ? nenvs : 1); k++)
			rc = sl_rule_validate(r, env_targets[k]->schema);
	}
	return rc;
}

static int run_checks(check_run *x, const char **envs, int nenvs, int *exit_code)
{
	target *env_targets[MAX_TARGETS] = { 0 };
	bool need_envs = false;
	sl_buf names = SL_BUF_INIT;
	int rc = prepare(x, envs, nenvs, env_targets, &need_envs);
	if (rc)
		goto done;
	for (int i = 0; !rc && need_envs && i < (nenvs ? nenvs : 1); i++)
		rc = sl_buf_printf(&names, "%s%s", i ? ", " : "", env_targets[i]->display);
	for (size_t i = 0; !rc && i < x->rules->n; i++) {
		const sl_rule *r = &x->rules->rules[i];
		if (selected(x, r) && r->type == SL_RULE_RECONCILE &&
		    !strstr(sl_buf_cstr(&names), "reconcile"))
			rc = sl_buf_printf(&names, "%sreconcile", names.len ? ", " : "");
	}
	if (rc)
		goto done;
	const char *path = sl_config_resolve(x->p.cfg, x->p.cfg->state);
	if ((rc = sl_state_open(&x->state, path)) != 0 ||
	    (rc = sl_state_run_begin(x->state, &x->run_id, sl_buf_cstr(&names))) != 0)
		goto done;
	for (int k = 0; need_envs && k < (nenvs ? nenvs : 1); k++) {
		if (!x->json)
			printf("check %s\n", env_targets[k]->display);
		for (size_t i = 0; !rc && i < x->rules->n; i++) {
			const sl_rule *r = &x->rules->rules[i];
			if (selected(x, r) && r->type != SL_RULE_RECONCILE)
				rc = run_one(x, r, env_targets[k], NULL);
		}
	}
	bool header = false;
	for (size_t i = 0; !rc && i < x->rules->n; i++) {
		const sl_rule *r = &x->rules->rules[i];
		target *s = NULL, *d = NULL;
		if (!selected(x, r) || r->type != SL_RULE_RECONCILE)
			continue;
		if (!x->json && !header)
			printf("reconcile\n");
		header = true;
		rc = open_target(&s, x, r->source);
		if (!rc)
			rc = open_target(&d, x, r->target);
		if (!rc)
			rc = run_one(x, r, s, d);
	}
	if (rc)
		goto done;
	rc = sl_state_run_finish(x->state, x->run_id, overall(x));
	if (rc)
		goto done;
	if (x->json) {
		json_t *root = json_object(), *c = json_object();
		json_object_set_new(root, "run_id", json_integer(x->run_id));
		json_object_set_new(root, "status", json_string(overall(x)));
		json_object_set_new(root, "state", json_string(path));
		json_object_set_new(root, "results", json_incref(x->jresults));
		for (int s = 0; s < 4; s++)
			json_object_set_new(c, sl_rule_status_name((sl_rule_status)s),
					    json_integer((json_int_t)x->counts[s]));
		json_object_set_new(root, "counts", c);
		char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			puts(text);
		free(text);
		json_decref(root);
	} else {
		printf("\n%zu pass, %zu warn, %zu halt, %zu error (run %lld recorded in %s)\n",
		       x->counts[SL_RULE_PASS], x->counts[SL_RULE_WARN], x->counts[SL_RULE_HALT],
		       x->counts[SL_RULE_ERROR], (long long)x->run_id, path);
	}
	*exit_code = x->counts[SL_RULE_HALT]    ? EXIT_PROBLEMS
		     : x->counts[SL_RULE_ERROR] ? EXIT_DATABASE
						: EXIT_OK;
done:
	if (rc && x->state && x->run_id)
		sl_state_run_finish(x->state, x->run_id, "error");
	sl_buf_free(&names);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	check_run x = { 0 };
	bool history = false;
	long limit = 20;
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE", "project file (default sluice.yaml)", &x.p.config_path },
		{ "json", 0, CLI_FLAG, NULL, "machine-readable output", &x.json },
		{ "rule", 0, CLI_STRING, "NAME", "run only this rule", &x.only_rule },
		{ "domain", 0, CLI_STRING, "NAME", "run only the rules of this domain", &x.only_domain },
		{ "history", 0, CLI_FLAG, NULL, "list past runs from the state store (argument: a rule name)",
		  &history },
		{ "limit", 0, CLI_INT, "N", "--history: the last N runs (default 20, 0: all)", &limit },
		{ "schema", 0, CLI_LIST, "NAME",
		  "PostgreSQL: the rules' tables are in this schema (default: the search path's first)",
		  &x.schemas },
		{ "all-schemas", 0, CLI_FLAG, NULL,
		  "PostgreSQL: the rules' tables are in any schema, named schema__table outside the default",
		  &x.all_schemas },
		{ 0 }
	};
	const char *pos[MAX_TARGETS];
	int npos = 0, exit_code = EXIT_OK, rc;
	int prc = cli_parse("check", opts, argc, argv, pos, MAX_TARGETS, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (history && npos > 1)
		return cli_usage_error("check", "--history takes at most one rule name");
	if (x.schemas.n && x.all_schemas)
		return cli_usage_error("check", "--schema and --all-schemas exclude each other");
	if (!x.p.config_path)
		x.p.config_path = "sluice.yaml";
	x.jresults = json_array();
	rc = cli_project_load(&x.p, false);
	if (!rc)
		rc = sl_rules_load(&x.rules, x.p.cfg);
	if (!rc && history)
		rc = show_history(&x, npos ? pos[0] : NULL, limit);
	else if (!rc && x.only_rule && !sl_rules_find(x.rules, x.only_rule))
		rc = sl_error_set(SL_EINVALID, "no rule named \"%s\" in %s", x.only_rule, x.p.cfg->path);
	else if (!rc && x.rules->n == 0)
		rc = sl_error_set(SL_EINVALID, "%s has no rules (see docs/rules.md)", x.p.cfg->path);
	else if (!rc)
		rc = run_checks(&x, pos, npos, &exit_code);
	for (size_t i = 0; i < x.ntargets; i++) {
		sl_schema_free(x.targets[i].schema);
		sl_conn_close(x.targets[i].conn);
		free(x.targets[i].display);
	}
	sl_state_close(x.state);
	json_decref(x.jresults);
	sl_rules_free(x.rules);
	cli_project_free(&x.p);
	return rc ? cli_fail(rc) : exit_code;
}
