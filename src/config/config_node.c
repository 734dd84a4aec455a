/*
 * config_node.c - reading one node of sluice.yaml (config_int.h): its
 * position (see config.c on libfyaml's marks), errors that name the file,
 * line and column, strings with ${VAR} interpolated (and whether a secret
 * came in), key names, and the nearest known key for a misspelt one.
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

/* 1-based line and column of n (see the file comment), or 0 when unknown. */
void cfg_node_pos(struct fy_node *n, int *line, int *col)
{
	void *it = NULL;
	*line = *col = 0;
	if (!n)
		return;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: {
		struct fy_token *t = fy_node_get_scalar_token(n);
		const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
		if (m) {
			*line = m->line + 1;
			*col = m->column + 1;
		}
		break;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
		if (p)
			cfg_node_pos(fy_node_pair_key(p), line, col);
		break;
	}
	case FYNT_SEQUENCE:
		cfg_node_pos(fy_node_sequence_iterate(n, &it), line, col);
		break;
	default:
		break;
	}
}

/* SL_EINVALID "path:line:col: msg" at n, or at alt when n has no position. */

int cfg_err_at(const sl_config *c, struct fy_node *n, struct fy_node *alt, const char *fmt, ...)
{
	char msg[700];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_node_pos(n, &line, &col);
	if (!line)
		cfg_node_pos(alt, &line, &col);
	if (line)
		return sl_error_set(SL_EINVALID, "%s:%d:%d: %s", c->path, line, col, msg);
	return sl_error_set(SL_EINVALID, "%s: %s", c->path, msg);
}

const char *sl_config_where(const sl_config *c, struct fy_node *node, char *buf, size_t size)
{
	int line, col;
	cfg_node_pos(node, &line, &col);
	if (line)
		snprintf(buf, size, "%s:%d:%d", c->path, line, col);
	else
		snprintf(buf, size, "%s", c->path);
	return buf;
}

size_t cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40];
	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *sl_config_nearest(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t bd = 3;
	for (; known && *known; known++) {
		size_t d = cfg_edit_distance(word, *known);
		if (d < bd) {
			bd = d;
			best = *known;
		}
	}
	return best;
}

int cfg_unknown_key(const sl_config *c, struct fy_node *key, const char *name, const char *where,
		    const char *const *known)
{
	const char *best = sl_config_nearest(name, known);
	if (best)
		return cfg_err_at(c, key, NULL, "unknown key \"%s\" in \"%s\" (did you mean \"%s\"?)", name,
				  where, best);
	return cfg_err_at(c, key, NULL, "unknown key \"%s\" in \"%s\"", name, where);
}

bool cfg_is_null(struct fy_node *n)
{
	size_t len;
	const char *s;
	if (!n)
		return true;
	if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
		return false;
	s = fy_node_get_scalar(n, &len);
	return !s || len == 0 || (len == 1 && *s == '~') ||
	       (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* Replaces ${NAME} in src; "$${" stands for a literal "${". */
static int interpolate(const char **out, bool *secret, sl_config *c, struct fy_node *n, const char *what,
		       const char *src, size_t len)
{
	char *res = NULL;
	size_t cap = len + 1, rl = 0;
	int rc = 0;

	*out = NULL;
	if (secret)
		*secret = false;
	if (!memchr(src, '$', len)) {
		if (!(*out = sl_arena_strndup(c->arena, src, len)))
			rc = sl_error_nomem();
		goto done;
	}
	if (!(res = malloc(cap))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < len;) {
		const char *add = src + i;
		size_t alen = 1;
		if (src[i] == '$' && i + 2 < len && src[i + 1] == '$' && src[i + 2] == '{') {
			add = "${";
			alen = 2;
			i += 3;
		} else if (src[i] == '$' && i + 1 < len && src[i + 1] == '{') {
			const char *e = memchr(src + i + 2, '}', len - i - 2);
			size_t nlen = e ? (size_t)(e - (src + i + 2)) : 0;
			char name[128];
			bool ok = e && nlen > 0 && nlen < sizeof(name) &&
				  (isalpha((unsigned char)src[i + 2]) || src[i + 2] == '_');
			for (size_t k = 0; ok && k < nlen; k++)
				ok = isalnum((unsigned char)src[i + 2 + k]) || src[i + 2 + k] == '_';
			if (!ok) {
				rc = cfg_err_at(c, n, NULL,
						"\"%s\": \"${\" must be followed by a variable name "
						"and \"}\" (write \"$${\" for a literal \"${\")",
						what);
				goto done;
			}
			memcpy(name, src + i + 2, nlen);
			name[nlen] = '\0';
			if (!(add = getenv(name))) {
				rc = cfg_err_at(c, n, NULL, "\"%s\": environment variable \"%s\" is not set",
						what, name);
				goto done;
			}
			alen = strlen(add);
			if (secret)
				*secret = true;
			i += nlen + 3;
		} else {
			i++;
		}
		if (rl + alen + 1 > cap) {
			size_t ncap = (rl + alen + 1) * 2;
			char *nr = ncap > MAX_CONFIG_SIZE ? NULL : realloc(res, ncap);
			if (!nr) {
				rc = sl_error_nomem();
				goto done;
			}
			res = nr;
			cap = ncap;
		}
		memcpy(res + rl, add, alen);
		rl += alen;
	}
	if (!(*out = sl_arena_strndup(c->arena, res, rl)))
		rc = sl_error_nomem();
done:
	free(res);
	return rc;
}

int sl_config_string(const char **out, bool *secret, sl_config *c, struct fy_node *node, const char *what)
{
	size_t len;
	const char *s;

	*out = NULL;
	if (!node || fy_node_get_type(node) != FYNT_SCALAR || fy_node_get_style(node) == FYNS_ALIAS ||
	    cfg_is_null(node))
		return cfg_err_at(c, node, NULL, "\"%s\" must be a string", what);
	s = fy_node_get_scalar(node, &len);
	if (!s)
		return cfg_err_at(c, node, NULL, "\"%s\" must be a string", what);
	return interpolate(out, secret, c, node, what, s, len);
}

/* A string value: checks type (pointing at key when the value has no position). */
int cfg_get_string(const char **out, bool *secret, sl_config *c, struct fy_node *key, struct fy_node *val,
		   const char *what)
{
	if (!val || fy_node_get_type(val) != FYNT_SCALAR || cfg_is_null(val) ||
	    fy_node_get_style(val) == FYNS_ALIAS) {
		*out = NULL;
		return cfg_err_at(c, val, key, "\"%s\" must be a string", what);
	}
	return sl_config_string(out, secret, c, val, what);
}

/* The key of a pair as a C string in the arena; keys must be plain scalars. */
int cfg_key_name(const char **out, sl_config *c, struct fy_node *key, const char *where)
{
	size_t len;
	const char *s;

	*out = NULL;
	if (!key || fy_node_get_type(key) != FYNT_SCALAR || fy_node_get_style(key) == FYNS_ALIAS ||
	    !(s = fy_node_get_scalar(key, &len)))
		return cfg_err_at(c, key, NULL, "keys in \"%s\" must be strings", where);
	if (!(*out = sl_arena_strndup(c->arena, s, len)))
		return sl_error_nomem();
	if (strlen(*out) != len)
		return cfg_err_at(c, key, NULL, "a key in \"%s\" holds a NUL character", where);
	return 0;
}

int cfg_need_mapping(sl_config *c, struct fy_node *key, struct fy_node *val, const char *what)
{
	if (val && fy_node_get_type(val) == FYNT_MAPPING)
		return 0;
	return cfg_err_at(c, val, key, "\"%s\" must be a mapping", what);
}
