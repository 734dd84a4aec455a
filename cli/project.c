/*
 * project.c - loading the project (sluice.yaml, migrations/) and connecting
 * to a target for the migration commands (see project.h).
 */
#include "project.h"

#include "cli.h"
#include "sluice/error.h"
#include "sluice/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int cli_project_load(cli_project *p, bool load_set)
{
	bool named = p->config_path != NULL;
	const char *cfg_path = named ? p->config_path : "sluice.yaml";
	int rc = 0;
	if (named || file_exists(cfg_path))
		rc = sl_config_load(&p->cfg, cfg_path);
	if (rc)
		return rc;
	const char *dir = p->dir;
	if (!dir && p->cfg)
		dir = sl_config_resolve(p->cfg, p->cfg->migrations_dir);
	if (!dir)
		dir = "migrations";
	p->dir_resolved = strdup(dir);
	if (!p->dir_resolved)
		return sl_error_nomem();
	if (!p->table)
		p->table =
			p->cfg && p->cfg->migrations_table ? p->cfg->migrations_table : "sluice_migrations";
	if (load_set) {
		if (!file_exists(p->dir_resolved))
			return sl_error_set(SL_EINVALID,
					    "migrations directory \"%s\" does not exist (run `sluice init`)",
					    p->dir_resolved);
		rc = sl_migration_dir_load(&p->set, p->dir_resolved);
	}
	return rc;
}

void cli_project_free(cli_project *p)
{
	sl_migration_set_free(p->set);
	sl_config_free(p->cfg);
	free(p->dir_resolved);
	p->set = NULL;
	p->cfg = NULL;
	p->dir_resolved = NULL;
}

static int env_names(sl_buf *b, const sl_config *cfg)
{
	int rc = 0;
	for (size_t i = 0; cfg && !rc && i < cfg->nenvs; i++)
		rc = sl_buf_printf(b, "%s%s", i ? ", " : "", cfg->envs[i].name);
	return rc;
}

int cli_project_resolve(const cli_project *p, const char *target, const char **url, const sl_config_env **env)
{
	*url = NULL;
	*env = NULL;
	if (!target)
		target = getenv("SLUICE_URL");
	if (target && strchr(target, ':')) {
		*url = target;
		return 0;
	}
	if (target)
		*env = p->cfg ? sl_config_env_get(p->cfg, target) : NULL;
	else if (p->cfg && p->cfg->nenvs == 1)
		*env = &p->cfg->envs[0];
	if (*env) {
		*url = (*env)->url;
		return 0;
	}
	sl_buf b = SL_BUF_INIT;
	env_names(&b, p->cfg);
	int rc;
	if (target)
		rc = sl_error_set(SL_EINVALID,
				  "\"%s\" is neither a database URL nor an environment of %s%s%s", target,
				  p->cfg ? p->cfg->path : "sluice.yaml (not found)",
				  b.len ? "; environments: " : "", sl_buf_cstr(&b));
	else
		rc = sl_error_set(SL_EINVALID,
				  "no database named: give a URL or an environment%s%s%s, or set SLUICE_URL",
				  b.len ? " (" : "", sl_buf_cstr(&b), b.len ? ")" : "");
	sl_buf_free(&b);
	return rc;
}

int cli_url_apply_env(sl_url *u, const sl_config_env *env)
{
	if (!env || !env->password_env)
		return 0;
	const char *pw = getenv(env->password_env);
	if (!pw)
		return sl_error_set(SL_EINVALID, "environment \"%s\": variable %s (password_env) is not set",
				    env->name, env->password_env);
	return sl_url_set_password(u, pw); /* never printed */
}

int cli_project_open_beside(sl_conn **out, const char *url, const sl_config_env *env, const sl_conn *beside,
			    const char *scratch)
{
	sl_url *u = NULL;
	*out = NULL;
	int rc = sl_url_parse(&u, url);
	if (!rc && scratch)
		rc = sl_conn_scratch_url(beside, u, scratch);
	if (!rc)
		rc = cli_url_apply_env(u, env);
	if (!rc)
		rc = sl_conn_open_url(out, u);
	sl_url_free(u);
	return rc;
}

int cli_project_open(sl_conn **out, const char *url, const sl_config_env *env, const char *database,
		     bool create)
{
	sl_url *u = NULL;
	*out = NULL;
	int rc = sl_url_parse(&u, url);
	if (rc) {
		if (env)
			sl_error_prefix("environment \"%s\"", env->name);
		return rc;
	}
	if (create)
		u->create = true;
	if (database)
		rc = sl_url_set_database(u, database);
	if (!rc)
		rc = cli_url_apply_env(u, env);
	if (!rc)
		rc = sl_conn_open_url(out, u);
	sl_url_free(u);
	return rc;
}

static int connect(sl_conn **out, cli_project *p, const char *target, bool create)
{
	const char *url = NULL;
	const sl_config_env *env = NULL;
	*out = NULL;
	int rc = cli_project_resolve(p, target, &url, &env);
	return rc ? rc : cli_project_open(out, url, env, NULL, create);
}

int cli_project_connect(sl_conn **out, cli_project *p, const char *target)
{
	return connect(out, p, target, false);
}

int cli_project_connect_target(sl_conn **out, cli_project *p, const char *target)
{
	return connect(out, p, target, true);
}

void cli_project_display(const cli_project *p, const char *target, char *out, size_t n)
{
	const char *url = NULL;
	const sl_config_env *env = NULL;
	sl_url *u = NULL;
	if (cli_project_resolve(p, target, &url, &env) == 0 && env)
		snprintf(out, n, "%s", env->name);
	else if (sl_url_parse(&u, url ? url : target ? target : "") == 0)
		snprintf(out, n, "%s", u->redacted);
	else
		snprintf(out, n, "?");
	sl_url_free(u);
	sl_error_clear();
}

void cli_project_record(cli_project *p, int (*fn)(sl_state *st, void *ud), void *ud)
{
	sl_state *st = NULL;
	if (!p->cfg)
		return;
	if (sl_state_open(&st, sl_config_resolve(p->cfg, p->cfg->state)) != 0 || fn(st, ud) != 0)
		fprintf(stderr, "sluice: warning: not recorded in the state store: %s\n",
			sl_error_last()->message);
	sl_state_close(st);
	sl_error_clear();
}

int cli_open_scratch(sl_conn **out, void *ud, const char *database)
{
	const cli_scratch *x = ud;
	return cli_project_open_beside(out, x->url, x->env, x->target, database);
}

sl_migrate_opts cli_project_migrate_opts(const cli_project *p)
{
	sl_migrate_opts o = SL_MIGRATE_OPTS_INIT;
	o.table = p->table;
	o.on_event = cli_print_event;
	return o;
}

int cli_migrate_run(cli_project *p, const char *target, bool create, long lock_timeout_s, cli_migrate_fn fn,
		    void *ud)
{
	sl_conn *c = NULL;
	int rc = cli_project_load(p, true);
	if (!rc)
		rc = create ? cli_project_connect_target(&c, p, target) : cli_project_connect(&c, p, target);
	if (!rc) {
		sl_migrate_opts o = cli_project_migrate_opts(p);
		o.lock_timeout_ms = lock_timeout_s < 0 ? -1 : lock_timeout_s * 1000;
		rc = fn(c, p, &o, ud);
	}
	sl_conn_close(c);
	cli_project_free(p);
	return rc;
}

void cli_print_event(void *ud, const sl_migrate_event *ev)
{
	bool *dry = ud;
	const char *title = ev->migration && ev->migration->title ? ev->migration->title : "";
	switch (ev->kind) {
	case SL_MEV_START:
		if (ev->detail && strcmp(ev->detail, "verify") == 0)
			break;
		if (ev->detail && strcmp(ev->detail, "contract") == 0)
			fprintf(stderr, "%s %s %s\n", dry && *dry ? "would contract" : "contracting", ev->id,
				title);
		else if (ev->detail && strcmp(ev->detail, "expand") == 0)
			fprintf(stderr, "%s %s %s (expand/contract)\n",
				dry && *dry ? "would expand" : "expanding", ev->id, title);
		else if (ev->detail && strcmp(ev->detail, "resume expand") == 0)
			fprintf(stderr, "resuming the expand of %s %s\n", ev->id, title);
		else if (ev->detail && strcmp(ev->detail, "roll back expand") == 0)
			fprintf(stderr, "rolling back the expand of %s %s\n", ev->id, title);
		else
			fprintf(stderr, "%s %s %s\n",
				ev->down ? "reverting" : (dry && *dry ? "would apply" : "applying"), ev->id,
				title);
		break;
	case SL_MEV_STATEMENT:
		if (dry && *dry)
			printf("-- %s\n%s;\n\n", ev->id, ev->statement);
		break;
	case SL_MEV_DONE:
		if (ev->detail && strcmp(ev->detail, "verify") == 0)
			fprintf(stderr, "verified %s %s\n", ev->id, title);
		else if (ev->detail && strcmp(ev->detail, "baseline") == 0)
			fprintf(stderr, "baseline %s %s\n", ev->id, title);
		else if (!(dry && *dry) && ev->detail)
			fprintf(stderr, "  %s (%lld ms)\n", ev->detail, (long long)ev->duration_ms);
		else if (!(dry && *dry))
			fprintf(stderr, "  done in %lld ms\n", (long long)ev->duration_ms);
		break;
	case SL_MEV_FAILED:
		if (ev->detail)
			fprintf(stderr, "FAILED %s: %s\n", ev->id, ev->detail);
		break;
	case SL_MEV_VERIFY_FAILED:
	case SL_MEV_STATEMENT_DONE:
		break;
	case SL_MEV_REPAIRED:
		fprintf(stderr, "repaired %s: %s\n", ev->id, ev->detail);
		break;
	case SL_MEV_WAITING:
		fprintf(stderr, "waiting up to %lld ms for the migration lock held by another run\n",
			(long long)ev->duration_ms);
		break;
	}
}
