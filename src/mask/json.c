/*
 * json.c - the json rule: nested rules applied at paths inside a JSON
 * document (jansson), the rest of the document kept.
 *
 * Paths: "$" then steps ".key", "['key']" or "[\"key\"]", "[N]", "[*]" and
 * ".*" (every member). A string, number or boolean at a path goes through
 * its rule as a value of that type; an object or array through null, fixed
 * (the value parsed as JSON, else a string) or, for any other rule, its
 * compact text as a string. A document that is not valid JSON cannot be
 * masked path by path: it becomes JSON null, never passes through.
 *
 * Most documents of a large table hold none of the keys a rule names (an
 * audit payload with a rare "comment"): when every path ends in a key that
 * does not occur in the text, and the text has no \u escape that could
 * spell one, the document is kept without parsing it.
 */
#include "mask_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"

typedef enum { STEP_KEY, STEP_INDEX, STEP_ANY } step_kind;

typedef struct step {
	step_kind kind;
	char key[128];
	size_t index;
} step;

#define MAX_STEPS 16

/* Parses path into steps; 0, or -1 with why filled. */
static int parse_path(const char *p, step *steps, size_t *n, char *why, size_t wl)
{
	*n = 0;
	if (*p != '$') {
		snprintf(why, wl, "a path starts with \"$\"");
		return -1;
	}
	p++;
	while (*p) {
		if (*n == MAX_STEPS) {
			snprintf(why, wl, "more than %d steps", MAX_STEPS);
			return -1;
		}
		step *s = &steps[*n];
		memset(s, 0, sizeof(*s));
		if (p[0] == '.' && p[1] == '*') {
			s->kind = STEP_ANY;
			p += 2;
		} else if (*p == '.') {
			size_t len = strcspn(p + 1, ".[");
			if (len == 0 || len >= sizeof(s->key)) {
				snprintf(why, wl, "an empty or too long key after \".\"");
				return -1;
			}
			s->kind = STEP_KEY;
			memcpy(s->key, p + 1, len);
			p += 1 + len;
		} else if (p[0] == '[' && p[1] == '*' && p[2] == ']') {
			s->kind = STEP_ANY;
			p += 3;
		} else if (p[0] == '[' && (p[1] == '\'' || p[1] == '"')) {
			const char *end = strchr(p + 2, p[1]);
			size_t len = end ? (size_t)(end - (p + 2)) : 0;
			if (!end || end[1] != ']' || len >= sizeof(s->key)) {
				snprintf(why, wl, "a quoted key must end with its quote and \"]\"");
				return -1;
			}
			s->kind = STEP_KEY;
			memcpy(s->key, p + 2, len);
			p = end + 2;
		} else if (p[0] == '[') {
			char *end = NULL;
			unsigned long v = strtoul(p + 1, &end, 10);
			if (end == p + 1 || *end != ']' || v > 1000000) {
				snprintf(why, wl, "\"[\" takes a number, \"*\" or a quoted key");
				return -1;
			}
			s->kind = STEP_INDEX;
			s->index = v;
			p = end + 1;
		} else {
			snprintf(why, wl, "unexpected \"%c\" (steps are .key, ['key'], [N], [*] and .*)", *p);
			return -1;
		}
		(*n)++;
	}
	if (*n == 0) {
		snprintf(why, wl, "\"$\" alone is the whole document: mask the column instead");
		return -1;
	}
	return 0;
}

int sl_mask_json_path_check(const char *path, char *why, size_t whylen)
{
	step steps[MAX_STEPS];
	size_t n;
	return parse_path(path, steps, &n, why, whylen) ? SL_EINVALID : 0;
}

typedef struct jx {
	sl_mask_ctx *x;
	const sl_mask_rule *rule; /* the nested rule of the path being applied */
	const char *entity;
	size_t entity_len;
	sl_arena *a;
	sl_buf tmp;
	int rc;
} jx;

/* The masked replacement of node (a new reference), or NULL to keep it. */
static json_t *mask_node(jx *j, json_t *node)
{
	static const sl_mask_target text_target = { .kind = SL_T_TEXT };
	sl_mask_target t = text_target;
	sl_value v = sl_null(), out;
	char *dump = NULL;
	json_t *res = NULL;
	const sl_mask_rule *r = j->rule;
	if (r->kind == SL_MASK_KEEP || json_is_null(node))
		return NULL;
	if (r->kind == SL_MASK_NULL)
		return json_null();
	if (r->kind == SL_MASK_FIXED) {
		/* a string stays a string; elsewhere the value is read as JSON when it is JSON */
		res = json_is_string(node) ? NULL : json_loads(r->value, JSON_DECODE_ANY, NULL);
		return res ? res : json_string(r->value);
	}
	switch (json_typeof(node)) {
	case JSON_STRING:
		v = sl_bytes(SL_V_TEXT, json_string_value(node), json_string_length(node));
		break;
	case JSON_INTEGER:
		v = sl_int(json_integer_value(node));
		t.kind = SL_T_INT64;
		break;
	case JSON_REAL:
		v = sl_double(json_real_value(node));
		t.kind = SL_T_FLOAT64;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v = sl_bool(json_is_true(node));
		t.kind = SL_T_BOOL;
		break;
	default:
		dump = json_dumps(node, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!dump) {
			j->rc = sl_error_nomem();
			return NULL;
		}
		v = sl_bytes(SL_V_TEXT, dump, strlen(dump));
		break;
	}
	int rc = sl_mask_value(j->x, &out, &v, r, &t, j->entity, j->entity_len, 0, j->a);
	free(dump);
	if (rc) {
		j->rc = rc;
		return NULL;
	}
	switch (out.type) {
	case SL_V_NULL:
		return json_null();
	case SL_V_INT:
		return json_integer(out.u.i);
	case SL_V_DOUBLE:
		return json_real(out.u.d);
	case SL_V_BOOL:
		return json_boolean(out.u.b);
	default:
		res = json_stringn(out.u.s.ptr, out.u.s.len);
		if (!res)
			j->rc = sl_error_set(SL_EINVALID, "rule \"%s\" made a string that is not UTF-8",
					     sl_mask_kind_name(r->kind));
		return res;
	}
}

/* Applies j->rule to every node matching steps[i..n) under node. */
static void walk(jx *j, json_t *node, const step *steps, size_t i, size_t n)
{
	if (j->rc || !node)
		return;
	const step *s = &steps[i];
	bool last = i + 1 == n;
	if (json_is_object(node)) {
		const char *key;
		json_t *val;
		void *tmp;
		if (s->kind == STEP_INDEX)
			return;
		json_object_foreach_safe(node, tmp, key, val)
		{
			if (s->kind == STEP_KEY && strcmp(key, s->key) != 0)
				continue;
			if (!last) {
				walk(j, val, steps, i + 1, n);
				continue;
			}
			json_t *rep = mask_node(j, val);
			if (rep && json_object_set_new(node, key, rep))
				j->rc = sl_error_nomem();
		}
	} else if (json_is_array(node)) {
		if (s->kind == STEP_KEY)
			return;
		for (size_t k = 0; k < json_array_size(node) && !j->rc; k++) {
			if (s->kind == STEP_INDEX && k != s->index)
				continue;
			json_t *val = json_array_get(node, k);
			if (!last) {
				walk(j, val, steps, i + 1, n);
				continue;
			}
			json_t *rep = mask_node(j, val);
			if (rep && json_array_set_new(node, k, rep))
				j->rc = sl_error_nomem();
		}
	}
}

/* True when no path can match doc without parsing it (see the file comment). */
static bool surely_untouched(const sl_mask_rule *r, const char *doc, size_t len)
{
	char needle[140];
	if (memmem(doc, len, "\\u", 2))
		return false;
	for (size_t i = 0; i < r->npaths; i++) {
		step steps[MAX_STEPS];
		size_t n;
		char why[8];
		if (parse_path(r->paths[i].path, steps, &n, why, sizeof(why)) ||
		    steps[n - 1].kind != STEP_KEY)
			return false;
		int nl = snprintf(needle, sizeof(needle), "\"%s\"", steps[n - 1].key);
		if (nl > 0 && memmem(doc, len, needle, (size_t)nl))
			return false;
	}
	return true;
}

int sl_mask_json(sl_mask_ctx *x, sl_buf *out, const char *doc, size_t len, const sl_mask_rule *r,
		 const char *entity, size_t entity_len, sl_arena *a, bool *changed)
{
	jx j = { .x = x, .entity = entity, .entity_len = entity_len, .a = a, .tmp = SL_BUF_INIT };
	json_error_t jerr;
	json_t *root = NULL;
	*changed = false;
	if (surely_untouched(r, doc, len))
		return 0;
	root = json_loadb(doc, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	*changed = true;
	if (!root)
		return sl_buf_puts(out, "null"); /* not JSON: it cannot be masked path by path */
	for (size_t i = 0; i < r->npaths && !j.rc; i++) {
		step steps[MAX_STEPS];
		size_t n;
		char why[8];
		if (parse_path(r->paths[i].path, steps, &n, why, sizeof(why)))
			continue; /* checked when the rule was read */
		j.rule = r->paths[i].rule;
		walk(&j, root, steps, 0, n);
	}
	if (!j.rc) {
		char *txt = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
		j.rc = txt ? sl_buf_puts(out, txt) : sl_error_nomem();
		free(txt);
	}
	json_decref(root);
	sl_buf_free(&j.tmp);
	return j.rc;
}

typedef struct strings_ctx {
	int (*cb)(void *ud, const char *s, size_t n);
	void *ud;
	int rc;
} strings_ctx;

static void collect(strings_ctx *c, json_t *node, const step *steps, size_t i, size_t n)
{
	if (c->rc || !node)
		return;
	if (i == n) {
		if (json_is_string(node))
			c->rc = c->cb(c->ud, json_string_value(node), json_string_length(node));
		return;
	}
	const step *s = &steps[i];
	if (json_is_object(node) && s->kind != STEP_INDEX) {
		const char *key;
		json_t *val;
		json_object_foreach(node, key, val)
		{
			if (s->kind == STEP_ANY || strcmp(key, s->key) == 0)
				collect(c, val, steps, i + 1, n);
		}
	} else if (json_is_array(node) && s->kind != STEP_KEY) {
		for (size_t k = 0; k < json_array_size(node); k++)
			if (s->kind == STEP_ANY || k == s->index)
				collect(c, json_array_get(node, k), steps, i + 1, n);
	}
}

int sl_mask_json_strings(const char *doc, size_t len, const char *path,
			 int (*cb)(void *ud, const char *s, size_t n), void *ud)
{
	step steps[MAX_STEPS];
	size_t n;
	char why[8];
	strings_ctx c = { .cb = cb, .ud = ud };
	char needle[140];
	if (parse_path(path, steps, &n, why, sizeof(why)))
		return 0;
	if (steps[n - 1].kind == STEP_KEY && !memmem(doc, len, "\\u", 2)) {
		int nl = snprintf(needle, sizeof(needle), "\"%s\"", steps[n - 1].key);
		if (nl > 0 && !memmem(doc, len, needle, (size_t)nl))
			return 0; /* the key is not in the text: nothing to parse */
	}
	json_t *root = json_loadb(doc, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	collect(&c, root, steps, 0, n);
	json_decref(root);
	return c.rc;
}
