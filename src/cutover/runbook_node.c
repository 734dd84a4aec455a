/*
 * runbook_node.c - reading one value of a runbook (runbook_int.h): scalars
 * and lists of them, durations, seconds, integers, booleans, one of a set of
 * words, a side, and the check that a mapping holds only known keys (the
 * nearest known word suggested), every error naming file:line:col.
 */
#include "cutover/runbook_int.h"
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

const char *rb_where_of(reader *r, struct fy_node *n)
{
	char buf[512];
	return sl_arena_strdup(r->rb->arena, sl_yaml_where(r->rb->path, n, buf, sizeof(buf)));
}

static bool is_alias(struct fy_node *n)
{
	return n && fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) == FYNS_ALIAS;
}

bool rb_is_null(struct fy_node *n)
{
	size_t len = 0;
	const char *s;
	if (!n)
		return true;
	if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
		return false;
	s = fy_node_get_scalar(n, &len);
	return len == 0 || (len == 1 && s[0] == '~') || (len == 4 && strncmp(s, "null", 4) == 0);
}

/* A rb_scalar as a NUL-terminated string in the arena. */
int rb_scalar(reader *r, struct fy_node *n, const char **out, const char *what)
{
	size_t len = 0;
	const char *s;
	*out = NULL;
	if (is_alias(n))
		return co_err(r->rb, n, "\"%s\": YAML aliases are not allowed in a runbook", what);
	if (!n || fy_node_get_type(n) != FYNT_SCALAR || rb_is_null(n))
		return co_err(r->rb, n, "\"%s\" must be a string", what);
	s = fy_node_get_scalar(n, &len);
	if (!(*out = sl_arena_strndup(r->rb->arena, s, len)))
		return sl_error_nomem();
	return 0;
}

/* A list of strings, or one string standing for a list of one. */
int rb_str_list(reader *r, struct fy_node *n, const char ***out, size_t *nout, const char ***wheres,
		const char *what)
{
	*out = NULL;
	*nout = 0;
	if (n && fy_node_get_type(n) == FYNT_SCALAR && !rb_is_null(n)) {
		const char **v = sl_arena_calloc(r->rb->arena, 1, sizeof(*v));
		if (!v)
			return sl_error_nomem();
		if (wheres && !(*wheres = sl_arena_calloc(r->rb->arena, 1, sizeof(char *))))
			return sl_error_nomem();
		if (wheres)
			(*wheres)[0] = rb_where_of(r, n);
		*out = v;
		*nout = 1;
		return rb_scalar(r, n, &v[0], what);
	}
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE || fy_node_sequence_item_count(n) < 1)
		return co_err(r->rb, n, "\"%s\" must be a list of names", what);
	size_t cnt = (size_t)fy_node_sequence_item_count(n);
	const char **v = sl_arena_calloc(r->rb->arena, cnt, sizeof(*v));
	if (!v || (wheres && !(*wheres = sl_arena_calloc(r->rb->arena, cnt, sizeof(char *)))))
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	int rc = 0;
	while (!rc && (item = fy_node_sequence_iterate(n, &it)) != NULL) {
		if (wheres)
			(*wheres)[*nout] = rb_where_of(r, item);
		rc = rb_scalar(r, item, &v[(*nout)++], what);
	}
	*out = v;
	return rc;
}

int co_parse_duration(const char *s, int64_t *ms)
{
	size_t n = strlen(s);
	if (n > 1 && s[n - 1] == 'd') {
		char *end = NULL;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s + n - 1 && !errno && v >= 0 && v < 1e6) {
			*ms = (int64_t)(v * 86400000.0 + 0.5);
			return 0;
		}
	}
	int rc = sl_config_parse_duration(s, ms);
	if (rc)
		sl_error_set(SL_EINVALID, "\"%s\" is not a duration (a number and ms, s, m, h or d: \"30s\")",
			     s);
	return rc;
}

int rb_duration(reader *r, struct fy_node *n, int64_t *ms, const char *what)
{
	const char *s = NULL;
	int rc = rb_scalar(r, n, &s, what);
	if (!rc && co_parse_duration(s, ms) != 0)
		rc = co_err(r->rb, n, "\"%s\": %s", what, sl_error_last()->message);
	return rc;
}

int rb_seconds(reader *r, struct fy_node *n, double *out, const char *what)
{
	int64_t ms = 0;
	int rc = rb_duration(r, n, &ms, what);
	*out = (double)ms / 1000.0;
	return rc;
}

int rb_integer(reader *r, struct fy_node *n, int64_t *out, int64_t min, const char *what)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = rb_scalar(r, n, &s, what);
	if (rc)
		return rc;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < min)
		return co_err(r->rb, n, "\"%s\" must be a whole number of at least %lld, not \"%s\"", what,
			      (long long)min, s);
	*out = v;
	return 0;
}

int rb_boolean(reader *r, struct fy_node *n, bool *out, const char *what)
{
	const char *s = NULL;
	int rc = rb_scalar(r, n, &s, what);
	if (rc)
		return rc;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
		*out = false;
	else
		return co_err(r->rb, n, "\"%s\" must be true or false, not \"%s\"", what, s);
	return 0;
}

/* One of words; error with the list and the nearest one. */
int rb_one_of(reader *r, struct fy_node *n, const char *const *words, int *out, const char *what)
{
	const char *s = NULL;
	int rc = rb_scalar(r, n, &s, what);
	if (rc)
		return rc;
	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0) {
			*out = i;
			return 0;
		}
	sl_buf list = SL_BUF_INIT;
	for (int i = 0; words[i]; i++)
		sl_buf_printf(&list, "%s%s", i ? ", " : "", words[i]);
	const char *best = sl_config_nearest(s, words);
	char hint[120] = "";
	if (best)
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best);
	rc = co_err(r->rb, n, "\"%s\" must be one of %s, not \"%s\"%s", what, sl_buf_cstr(&list), s, hint);
	sl_buf_free(&list);
	return rc;
}

int rb_side(reader *r, struct fy_node *n, sl_side *out, bool both, const char *what)
{
	static const char *const sides[] = { "source", "target", "both", NULL };
	static const char *const two[] = { "source", "target", NULL };
	int i = 0;
	int rc = rb_one_of(r, n, both ? sides : two, &i, what);
	*out = (sl_side)i;
	return rc;
}

/* Checks that every key of map is in known (or in more); the nearest known key is suggested. */
int rb_check_keys(reader *r, struct fy_node *map, const char *const *known, const char *const *more,
		  const char *where)
{
	void *it = NULL;
	struct fy_node_pair *kv;
	const char *all[64];
	size_t n = 0;
	for (size_t i = 0; known && known[i] && n < 63; i++)
		all[n++] = known[i];
	for (size_t i = 0; more && more[i] && n < 63; i++)
		all[n++] = more[i];
	all[n] = NULL;
	while ((kv = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(kv);
		const char *name = NULL;
		int rc = rb_scalar(r, k, &name, where);
		if (rc)
			return rc;
		bool ok = false;
		for (size_t i = 0; !ok && i < n; i++)
			ok = strcmp(all[i], name) == 0;
		if (ok)
			continue;
		const char *best = sl_config_nearest(name, all);
		sl_buf list = SL_BUF_INIT;
		for (size_t i = 0; i < n; i++)
			sl_buf_printf(&list, "%s%s", i ? ", " : "", all[i]);
		if (best)
			rc = co_err(r->rb, k, "unknown key \"%s\" in %s (did you mean \"%s\"?)", name, where,
				    best);
		else
			rc = co_err(r->rb, k, "unknown key \"%s\" in %s (known: %s)", name, where,
				    n ? sl_buf_cstr(&list) : "none");
		sl_buf_free(&list);
		return rc;
	}
	return 0;
}

struct fy_node *rb_get(struct fy_node *map, const char *key)
{
	return map && fy_node_get_type(map) == FYNT_MAPPING
		       ? fy_node_mapping_lookup_by_string(map, key, FY_NT)
		       : NULL;
}

/* The mapping's key node for key (for positions). */
struct fy_node *rb_key_node(struct fy_node *map, const char *key)
{
	void *it = NULL;
	struct fy_node_pair *kv;
	while (map && fy_node_get_type(map) == FYNT_MAPPING &&
	       (kv = fy_node_mapping_iterate(map, &it)) != NULL) {
		size_t len = 0;
		const char *s = fy_node_get_scalar(fy_node_pair_key(kv), &len);
		if (s && len == strlen(key) && strncmp(s, key, len) == 0)
			return fy_node_pair_key(kv);
	}
	return NULL;
}

int rb_need_mapping(reader *r, struct fy_node *n, const char *what)
{
	if (n && fy_node_get_type(n) == FYNT_MAPPING)
		return 0;
	return co_err(r->rb, n, "%s must be a mapping of keys to values", what);
}
