/*
 * test_config.c - unit tests of sluice.yaml loading: the typed fields,
 * defaults, ${NAME} interpolation and its secret flag, reserved sections
 * with positions, and the exact text of errors (file:line:column).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfyaml.h>

#include "sluice/config.h"

static const char example[] =
	"project: billing\n"
	"migrations:\n"
	"  dir: db/migrations\n"
	"  table: sluice_migrations\n"
	"  required: [ticket, pr, why, rollback]\n"
	"lint:\n"
	"  rules: { destructive-statement: error, missing-down: warn, index-not-concurrent: off }\n"
	"environments:\n"
	"  dev:  { url: \"sqlite:dev.db\" }\n"
	"  prod: { url: \"postgres://app:${SLUICE_TEST_PW}@db.internal/billing\", password_env: PGPASSWORD "
	"}\n"
	"consumers:\n"
	"  - name: finance-report\n"
	"    criticality: high\n"
	"state: .sluice/state.db\n";

static sl_config *parse_ok(const char *text)
{
	sl_config *c = NULL;
	if (sl_config_parse(&c, "conf/sluice.yaml", text, strlen(text)) != 0)
		fail_msg("parse failed: %s", sl_error_last()->message);
	return c;
}

static void parse_err(const char *text, const char *want)
{
	sl_config *c = (sl_config *)1;
	int rc = sl_config_parse(&c, "sluice.yaml", text, strlen(text));
	assert_int_equal(rc, SL_EINVALID);
	assert_null(c);
	if (strcmp(sl_error_last()->message, want) != 0)
		fail_msg("message\n  [%s]\nexpected\n  [%s]", sl_error_last()->message, want);
}

static void test_example(void **state)
{
	(void)state;
	setenv("SLUICE_TEST_PW", "s3cret", 1);
	sl_config *c = parse_ok(example);
	assert_string_equal(c->project, "billing");
	assert_string_equal(c->migrations_dir, "db/migrations");
	assert_string_equal(sl_config_resolve(c, c->migrations_dir), "conf/db/migrations");
	assert_string_equal(sl_config_resolve(c, "/abs"), "/abs");
	assert_string_equal(c->migrations_table, "sluice_migrations");
	assert_int_equal(c->nrequired, 4);
	assert_string_equal(c->required[3], "rollback");
	assert_int_equal(sl_config_lint_level(c, "destructive-statement", SL_LINT_OFF), SL_LINT_ERROR);
	assert_int_equal(sl_config_lint_level(c, "missing-down", SL_LINT_OFF), SL_LINT_WARN);
	assert_int_equal(sl_config_lint_level(c, "index-not-concurrent", SL_LINT_ERROR), SL_LINT_OFF);
	assert_int_equal(sl_config_lint_level(c, "other", SL_LINT_WARN), SL_LINT_WARN);
	assert_int_equal(c->lint_rules[1].line, 7);
	assert_string_equal(sl_config_env_url(c, "dev"), "sqlite:dev.db");
	assert_string_equal(sl_config_env_url(c, "prod"), "postgres://app:s3cret@db.internal/billing");
	const sl_config_env *prod = sl_config_env_get(c, "prod");
	assert_true(prod->url_secret);
	assert_false(sl_config_env_get(c, "dev")->url_secret);
	assert_string_equal(prod->password_env, "PGPASSWORD");
	assert_null(prod->flavour);
	assert_int_equal(prod->line, 10);
	assert_int_equal(prod->column, 3);
	assert_null(sl_config_env_url(c, "staging"));

	/* reserved sections stay readable with positions */
	struct fy_node *cons = sl_config_section(c, "consumers");
	assert_non_null(cons);
	assert_true(fy_node_is_sequence(cons));
	struct fy_node *first = fy_node_sequence_get_by_index(cons, 0);
	struct fy_node *crit = fy_node_mapping_lookup_by_string(first, "criticality", 11);
	char where[256];
	assert_string_equal(sl_config_where(c, crit, where, sizeof(where)), "conf/sluice.yaml:13:18");
	const char *s;
	bool secret = true;
	SL_OK_OR_FAIL(sl_config_string(&s, &secret, c, crit, "consumers[0].criticality"));
	assert_string_equal(s, "high");
	assert_false(secret);
	assert_int_equal(sl_config_string(&s, NULL, c, first, "consumers[0]"), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "conf/sluice.yaml:12:5: \"consumers[0]\" must be a string");
	assert_null(sl_config_section(c, "rules"));
	sl_config_free(c);
}

static void test_defaults_and_empty(void **state)
{
	(void)state;
	sl_config *c = parse_ok("");
	assert_string_equal(c->migrations_dir, "migrations");
	assert_string_equal(c->migrations_table, "sluice_migrations");
	assert_string_equal(c->state, ".sluice/state.db");
	assert_null(c->project);
	assert_int_equal(c->nenvs, 0);
	assert_null(sl_config_section(c, "consumers"));
	sl_config_free(c);
	c = parse_ok("# only a comment\n");
	sl_config_free(c);
	c = parse_ok("project: x\n");
	assert_string_equal(sl_config_resolve(c, "migrations"), "conf/migrations");
	sl_config_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	unsetenv("SLUICE_TEST_UNSET");
	parse_err("project: a\nmigrations:\n  dir: m\n  requird: [ticket]\n",
		  "sluice.yaml:4:3: unknown key \"requird\" in \"migrations\" (did you mean \"required\"?)");
	parse_err("environments:\n  prod:\n    url: [a, b]\n",
		  "sluice.yaml:3:11: \"environments.prod.url\" must be a string");
	parse_err("environments:\n  prod:\n    url:\n",
		  "sluice.yaml:3:5: \"environments.prod.url\" must be a string");
	parse_err("environments:\n  prod: { password_env: X }\n",
		  "sluice.yaml:2:11: \"environments.prod\" has no \"url\"");
	parse_err("environments:\n  prod: { url: x, pasword_env: X }\n",
		  "sluice.yaml:2:19: unknown key \"pasword_env\" in \"environments.prod\" (did you mean "
		  "\"password_env\"?)");
	parse_err(
		"environments:\n  prod: { url: x, flavour: oracle }\n",
		"sluice.yaml:2:28: \"environments.prod.flavour\" must be one of citus, yugabyte, cockroach, "
		"vitess, not \"oracle\"");
	parse_err("environments:\n  prod:\n    url: \"postgres://u:${SLUICE_TEST_UNSET}@h/db\"\n",
		  "sluice.yaml:3:11: \"environments.prod.url\": environment variable \"SLUICE_TEST_UNSET\" "
		  "is not set");
	parse_err("state: \"${not closed\"\n",
		  "sluice.yaml:1:9: \"state\": \"${\" must be followed by a variable name and \"}\" (write "
		  "\"$${\" for a literal \"${\")");
	parse_err("projet: x\n",
		  "sluice.yaml:1:1: unknown top-level key \"projet\" (did you mean \"project\"?)");
	parse_err("zzzzzz: x\n", "sluice.yaml:1:1: unknown top-level key \"zzzzzz\"");
	parse_err("lint:\n  rules:\n    missing-down: fatal\n",
		  "sluice.yaml:3:19: \"lint.rules.missing-down\" must be off, warn or error, not \"fatal\"");
	parse_err("migrations: [a]\n", "sluice.yaml:1:14: \"migrations\" must be a mapping");
	parse_err("migrations:\n  required: ticket\n",
		  "sluice.yaml:2:13: \"migrations.required\" must be a list of field names");
	parse_err("migrations:\n  table: \"x; DROP TABLE y\"\n",
		  "sluice.yaml:2:11: \"migrations.table\": \"x; DROP TABLE y\" is not a plain table name "
		  "(letters, digits, \"_\", optionally schema.table)");
	parse_err("- a\n- b\n", "sluice.yaml:1:3: the top level must be a mapping of keys (project, "
				"migrations, environments, ...)");
	parse_err("a: &x 1\nproject: *x\n", "sluice.yaml:1:1: unknown top-level key \"a\"");
	parse_err("project: &x 1\nstate: *x\n", "sluice.yaml:2:9: \"state\" must be a string");
	/* YAML syntax errors carry libfyaml's position and message */
	sl_config *c = NULL;
	assert_int_equal(sl_config_parse(&c, "sluice.yaml", "project: [a\n", 12), SL_EINVALID);
	assert_null(c);
	assert_true(strncmp(sl_error_last()->message, "sluice.yaml:", 12) == 0);
	assert_int_equal(sl_config_parse(&c, "sluice.yaml", "a: 1\na: 2\n", 10), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "sluice.yaml:2:1:"));
}

static void test_env_flavour(void **state)
{
	(void)state;
	sl_config *c = parse_ok("environments:\n  cluster: { url: \"postgres://h/db\", flavour: citus }\n");
	assert_string_equal(sl_config_env_get(c, "cluster")->flavour, "citus");
	sl_config_free(c);
}

static void test_escape_and_secret(void **state)
{
	(void)state;
	setenv("SLUICE_TEST_HOST", "db.example", 1);
	sl_config *c =
		parse_ok("environments:\n  a: { url: \"mysql://${SLUICE_TEST_HOST}/x?p=$${literal}$5\" }\n");
	assert_string_equal(sl_config_env_url(c, "a"), "mysql://db.example/x?p=${literal}$5");
	assert_true(sl_config_env_get(c, "a")->url_secret);
	sl_config_free(c);
}

/* found by fuzz_config: libfyaml 0.7.12 looped forever on this directive */
static void test_fuzz_invalid_utf8_directive(void **state)
{
	sl_config *c = NULL;
	(void)state;
	assert_int_equal(sl_config_parse(&c, "sluice.yaml", "%\xff\xff\xff!", 5), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "sluice.yaml:1:2: invalid UTF-8: YAML files must be UTF-8");
	assert_int_equal(sl_config_parse(&c, "sluice.yaml", "project: caf\xc3\xa9\n", 14), 0);
	assert_string_equal(c->project, "caf\xc3\xa9");
	sl_config_free(c);
	assert_int_equal(sl_config_parse(&c, "sluice.yaml", "a: 1\nproject: \xed\xa0\x80\n", 18),
			 SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "sluice.yaml:2:10: invalid UTF-8: YAML files must be UTF-8");
}

static void test_rehearsal(void **state)
{
	(void)state;
	sl_config *c =
		parse_ok("domains:\n  billing: [invoices, payments]\n  audit: { tables: [audit_log] }\n"
			 "rehearsal:\n  max_migration: 30s\n  max_total: 1.5m\n  max_exclusive_lock: 250ms\n"
			 "  critical_domains: [billing, audit]\n  allow_rewrites: no\n"
			 "  max_rule_discrepancies: 3\n  require_rollback_fidelity: false\n"
			 "  scratch_prefix: rh_\n");
	assert_int_equal(c->rehearsal.max_migration_ms, 30000);
	assert_int_equal(c->rehearsal.max_total_ms, 90000);
	assert_int_equal(c->rehearsal.max_exclusive_lock_ms, 250);
	assert_int_equal(c->rehearsal.ncritical_domains, 2);
	assert_string_equal(c->rehearsal.critical_domains[1], "audit");
	assert_false(c->rehearsal.allow_rewrites);
	assert_int_equal(c->rehearsal.max_rule_discrepancies, 3);
	assert_false(c->rehearsal.require_rollback_fidelity);
	assert_string_equal(c->rehearsal.scratch_prefix, "rh_");
	sl_config_free(c);
	c = parse_ok("project: x\n");
	assert_int_equal(c->rehearsal.max_migration_ms, -1);
	assert_true(c->rehearsal.allow_rewrites);
	assert_true(c->rehearsal.require_rollback_fidelity);
	assert_int_equal(c->rehearsal.max_rule_discrepancies, 0);
	assert_string_equal(c->rehearsal.scratch_prefix, "sluice_rehearse_");
	sl_config_free(c);

	parse_err("rehearsal:\n  max_migraton: 5s\n", "sluice.yaml:2:3: unknown key \"max_migraton\" in "
						      "\"rehearsal\" (did you mean \"max_migration\"?)");
	parse_err("rehearsal:\n  max_total: 5\n", "sluice.yaml:2:14: \"rehearsal.max_total\": \"5\" has no "
						  "unit: write ms, s, m or h (\"30s\")");
	parse_err("rehearsal:\n  max_total: soon\n", "sluice.yaml:2:14: \"rehearsal.max_total\": \"soon\" is "
						     "not a duration (a number and ms, s, m or "
						     "h: \"30s\")");
	parse_err("rehearsal:\n  allow_rewrites: maybe\n",
		  "sluice.yaml:2:19: \"rehearsal.allow_rewrites\" must be true or false");
	parse_err("rehearsal:\n  max_rule_discrepancies: -1\n",
		  "sluice.yaml:2:27: \"rehearsal.max_rule_discrepancies\" must be a whole number >= 0, not "
		  "\"-1\"");
	parse_err("domains:\n  billing: [a]\nrehearsal:\n  critical_domains: [biling]\n",
		  "sluice.yaml:4:22: \"rehearsal.critical_domains\": no domain \"biling\" (did you mean "
		  "\"billing\"?)");
	parse_err("rehearsal:\n  critical_domains: [billing]\n",
		  "sluice.yaml:2:22: \"rehearsal.critical_domains\": \"billing\" is not a domain: "
		  "sluice.yaml has no "
		  "\"domains\" section");
	parse_err("rehearsal:\n  scratch_prefix: \"Bad-Prefix\"\n",
		  "sluice.yaml:2:20: \"rehearsal.scratch_prefix\": \"Bad-Prefix\" must be 3-32 lowercase "
		  "letters, "
		  "digits or \"_\", starting with a letter");
	parse_err("rehearsal: [a]\n", "sluice.yaml:1:13: \"rehearsal\" must be a mapping");
	parse_err("rehersal:\n  max_total: 5s\n",
		  "sluice.yaml:1:1: unknown top-level key \"rehersal\" (did you mean \"rehearsal\"?)");
	int64_t ms = 0;
	assert_int_equal(sl_config_parse_duration("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(sl_config_parse_duration("0.5ms", &ms), 0);
	assert_int_equal(ms, 1);
	assert_int_equal(sl_config_parse_duration("-3s", &ms), SL_EINVALID);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/sluice-cfg-XXXXXX", path[256];
	sl_config *c = NULL;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sluice.yaml", dir);
	assert_int_equal(sl_config_load(&c, path), SL_ENOTFOUND);
	assert_null(c);
	assert_non_null(strstr(sl_error_last()->message, path));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("project: p\nmigrations: { dir: mig }\n", f);
	fclose(f);
	SL_OK_OR_FAIL(sl_config_load(&c, path));
	assert_string_equal(c->project, "p");
	char want[300];
	snprintf(want, sizeof(want), "%s/mig", dir);
	assert_string_equal(sl_config_resolve(c, c->migrations_dir), want);
	sl_config_free(c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults_and_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_env_flavour),
		cmocka_unit_test(test_escape_and_secret),
		cmocka_unit_test(test_fuzz_invalid_utf8_directive),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_rehearsal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
