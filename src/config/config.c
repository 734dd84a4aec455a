/*
 * config.c - loading and checking sluice.yaml (see include/sluice/config.h
 * and docs/config.md, which must list every key accepted here).
 *
 * libfyaml builds the document; this file walks it key by key into the typed
 * sl_config. YAML aliases are refused rather than resolved (no "billion
 * laughs"). libfyaml 0.7 has no start mark for collections, so a mapping's
 * or sequence's position is that of its first scalar, and an empty one
 * borrows its key's position. The YAML text is kept in the config's arena:
 * the document's scalars point into it.
 */
#include "config/config_int.h"
#include "sluice/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfyaml.h>

#include "sluice/error.h"
#include "sluice/util.h"

static const char *const top_keys[] = { "project",   "migrations", "lint",        "environments", "state",
					"consumers", "domains",    "rules",       "casts",        "copy",
					"check",     "rehearsal",  "criticality", "snapshot",     "shadow",
					"watch",     NULL };
static const char *const reserved_keys[] = { "consumers", "domains",  "criticality", "rules", "casts", "copy",
					     "check",     "snapshot", "shadow",      "watch", NULL };
static int load_root(sl_config *c, struct fy_node *root)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;

	if (!root || cfg_is_null(root))
		return 0;
	if (fy_node_get_type(root) != FYNT_MAPPING)
		return cfg_err_at(c, root, NULL,
				  "the top level must be a mapping of keys (project, "
				  "migrations, environments, ...)");
	while ((p = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = cfg_key_name(&name, c, k, "sluice.yaml")) < 0)
			return rc;
		if (strcmp(name, "project") == 0)
			rc = cfg_get_string(&c->project, NULL, c, k, v, "project");
		else if (strcmp(name, "state") == 0)
			rc = cfg_get_string(&c->state, NULL, c, k, v, "state");
		else if (strcmp(name, "migrations") == 0)
			rc = cfg_load_migrations(c, k, v);
		else if (strcmp(name, "lint") == 0)
			rc = cfg_load_lint(c, k, v);
		else if (strcmp(name, "environments") == 0)
			rc = cfg_load_envs(c, k, v);
		else if (strcmp(name, "rehearsal") == 0)
			rc = cfg_load_rehearsal(c, k, v);
		else if (!sl_str_in(name, reserved_keys, SL_STRV_NULL_ENDED)) {
			const char *best = NULL;
			size_t bd = 3;
			for (const char *const *t = top_keys; *t; t++) {
				size_t d = cfg_edit_distance(name, *t);
				if (d < bd) {
					bd = d;
					best = *t;
				}
			}
			if (best)
				rc = cfg_err_at(c, k, NULL,
						"unknown top-level key \"%s\" (did you mean \"%s\"?)", name,
						best);
			else
				rc = cfg_err_at(c, k, NULL, "unknown top-level key \"%s\"", name);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

/*
 * Offset of the first byte that is not valid UTF-8, or len. YAML text must be
 * Unicode, and libfyaml 0.7.12 loops forever on some invalid sequences (e.g.
 * in a "%" directive), so the check comes before the parser sees the text.
 */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

/* Reports libfyaml's first collected error as "path:line:col: msg". */
static int yaml_error(const sl_config *c, struct fy_diag *diag)
{
	void *it = NULL;
	struct fy_diag_error *e = diag ? fy_diag_errors_iterate(diag, &it) : NULL;
	if (e)
		return sl_error_set(SL_EINVALID, "%s:%d:%d: %s", c->path, e->line, e->column,
				    e->msg ? e->msg : "invalid YAML");
	return sl_error_set(SL_EINVALID, "%s: invalid YAML", c->path);
}

static void quiet_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

void sl_config_free(sl_config *c)
{
	if (!c)
		return;
	if (c->doc)
		fy_document_destroy(c->doc);
	sl_arena_free(c->arena);
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

/* What applies when sluice.yaml says nothing (docs/config.md). */
static void set_defaults(sl_config *c)
{
	c->migrations_dir = "migrations";
	c->migrations_table = "sluice_migrations";
	c->state = ".sluice/state.db";
	c->rehearsal = (sl_config_rehearsal){ .max_migration_ms = -1,
					      .max_total_ms = -1,
					      .max_exclusive_lock_ms = -1,
					      .allow_rewrites = true,
					      .max_rule_discrepancies = 0,
					      .require_rollback_fidelity = true,
					      .scratch_prefix = "sluice_rehearse_" };
}

/* A YAML file is text: no NUL byte, valid UTF-8 (the error names the line and column). */
static int check_text(const char *path, const char *copy, size_t len)
{
	int rc = 0;
	if (memchr(copy, '\0', len)) {
		rc = sl_error_set(SL_EINVALID, "%s: holds a NUL byte: not a YAML text file", path);
		return rc;
	}
	size_t bad = utf8_invalid_at((const unsigned char *)copy, len);
	if (bad < len) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < bad; i++, col++)
			if (copy[i] == '\n') {
				line++;
				col = 0;
			}
		rc = sl_error_set(SL_EINVALID, "%s:%zu:%zu: invalid UTF-8: YAML files must be UTF-8", path,
				  line, col);
		return rc;
	}
	return rc;
}

int sl_config_parse(sl_config **out, const char *path, const char *text, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parse_cfg pcfg;
	sl_arena *a = NULL;
	sl_config *c = NULL;
	char *copy;
	int rc = 0;

	*out = NULL;
	if (!path)
		path = "sluice.yaml";
	if (!(a = sl_arena_new(0)) || !(c = sl_arena_calloc(a, 1, sizeof(*c))) ||
	    !(c->path = sl_arena_strdup(a, path)) || !(c->base_dir = dir_of(a, path)) ||
	    !(copy = sl_arena_alloc(a, len + 1))) {
		rc = sl_error_nomem();
		if (c)
			c->arena = NULL;
		goto done;
	}
	c->arena = a;
	set_defaults(c);
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	c->text = copy;
	c->text_len = len;
	if ((rc = check_text(path, copy, len)))
		goto done;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = quiet_output;
	dcfg.colorize = false;
	if (!(diag = fy_diag_create(&dcfg))) {
		rc = sl_error_nomem();
		goto done;
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = diag;
	if (len == 0 || !(c->doc = fy_document_build_from_string(&pcfg, copy, len))) {
		void *it = NULL;
		if (len == 0 || !fy_diag_errors_iterate(diag, &it))
			goto checked; /* no document (empty, or only comments): every default applies */
		rc = yaml_error(c, diag);
		goto done;
	}
	if ((rc = load_root(c, fy_document_root(c->doc))) < 0)
		goto done;
checked:
	*out = c;
	c = NULL;
	a = NULL;
done:
	if (diag) {
		fy_diag_set_collect_errors(diag, false); /* frees the collected errors */
		fy_diag_unref(diag);
	}
	if (c)
		sl_config_free(c);
	else
		sl_arena_free(a);
	return rc;
}

int sl_config_load(sl_config **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = sl_read_file(&text, &len, path, MAX_CONFIG_SIZE, "config");
	if (!rc)
		rc = sl_config_parse(out, path, text, len);
	free(text);
	return rc;
}

const sl_config_env *sl_config_env_get(const sl_config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->nenvs; i++)
		if (strcmp(c->envs[i].name, name) == 0)
			return &c->envs[i];
	return NULL;
}

const char *sl_config_env_url(const sl_config *c, const char *name)
{
	const sl_config_env *e = sl_config_env_get(c, name);
	return e ? e->url : NULL;
}

sl_lint_level sl_config_lint_level(const sl_config *c, const char *name, sl_lint_level dflt)
{
	for (size_t i = 0; c && name && i < c->nlint_rules; i++)
		if (strcmp(c->lint_rules[i].name, name) == 0)
			return c->lint_rules[i].level;
	return dflt;
}

struct fy_node *sl_config_section(const sl_config *c, const char *key)
{
	struct fy_node *root;
	if (!c || !c->doc || !key || !(root = fy_document_root(c->doc)) ||
	    fy_node_get_type(root) != FYNT_MAPPING)
		return NULL;
	return fy_node_mapping_lookup_by_string(root, key, strlen(key));
}

const char *sl_config_resolve(sl_config *c, const char *path)
{
	if (!path || path[0] == '/' || strcmp(c->base_dir, ".") == 0)
		return path;
	return sl_arena_printf(c->arena, "%s/%s", c->base_dir, path);
}

/*
 * Walks the YAML text of a scalar from its start mark alongside its value
 * until offset bytes of the value are passed. A line break in the text
 * stands for a line break (literal block) or a space (folded block, plain
 * and quoted scalars) of the value, and the next line's indentation stands
 * for nothing; a quote escape is two bytes of text for one of value. Exact
 * for literal blocks and one-line values, close for folded ones.
 */
const char *sl_config_where_offset(const sl_config *c, struct fy_node *node, size_t offset, char *buf,
				   size_t size)
{
	struct fy_token *t =
		node && fy_node_get_type(node) == FYNT_SCALAR ? fy_node_get_scalar_token(node) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	size_t vlen = 0;
	const char *v = t ? fy_node_get_scalar(node, &vlen) : NULL;
	if (!m || !v || !c->text || m->input_pos >= c->text_len)
		return sl_config_where(c, node, buf, size);
	enum fy_node_style st = fy_node_get_style(node);
	bool block = st == FYNS_LITERAL || st == FYNS_FOLDED;
	size_t p = m->input_pos, k = 0, line = (size_t)m->line + 1, col = (size_t)m->column + 1, indent = 0;
	/* a quoted scalar's mark is already past its opening quote */
	while (block && p + indent < c->text_len && c->text[p + indent] == ' ')
		indent++;
	if (offset > vlen)
		offset = vlen;
	for (bool bol = block; p < c->text_len && (k < offset || bol);) {
		if (bol) { /* indentation at the start of a line */
			for (size_t i = 0; p < c->text_len && c->text[p] == ' ' && (!block || i < indent);
			     i++)
				p++, col++;
			bol = false;
			continue;
		}
		char r = c->text[p];
		if (r == '\n') {
			if (v[k] == '\n' || v[k] == ' ')
				k++;
			p++;
			line++;
			col = 1;
			bol = true;
			continue;
		}
		bool esc = (st == FYNS_SINGLE_QUOTED && r == '\'') || (st == FYNS_DOUBLE_QUOTED && r == '\\');
		size_t step = esc ? 2 : 1;
		p += step;
		col += step;
		k++;
	}
	snprintf(buf, size, "%s:%zu:%zu", c->path, line, col);
	return buf;
}

const char *sl_yaml_where(const char *path, struct fy_node *node, char *buf, size_t size)
{
	int line, col;
	cfg_node_pos(node, &line, &col);
	if (line)
		snprintf(buf, size, "%s:%d:%d", path, line, col);
	else
		snprintf(buf, size, "%s", path);
	return buf;
}

int sl_yaml_parse(struct fy_document **out, const char *path, const char *text, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parse_cfg pcfg;
	int rc = 0;
	*out = NULL;
	if (memchr(text, '\0', len))
		return sl_error_set(SL_EINVALID, "%s: holds a NUL byte: not a YAML text file", path);
	size_t bad = utf8_invalid_at((const unsigned char *)text, len);
	if (bad < len) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < bad; i++, col++)
			if (text[i] == '\n') {
				line++;
				col = 0;
			}
		return sl_error_set(SL_EINVALID, "%s:%zu:%zu: invalid UTF-8: YAML files must be UTF-8", path,
				    line, col);
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = quiet_output;
	dcfg.colorize = false;
	if (!(diag = fy_diag_create(&dcfg)))
		return sl_error_nomem();
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = diag;
	if (len > 0 && !(*out = fy_document_build_from_string(&pcfg, text, len))) {
		void *it = NULL;
		struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
		if (e)
			rc = sl_error_set(SL_EINVALID, "%s:%d:%d: %s", path, e->line, e->column,
					  e->msg ? e->msg : "invalid YAML");
	}
	fy_diag_set_collect_errors(diag, false);
	fy_diag_unref(diag);
	return rc;
}
