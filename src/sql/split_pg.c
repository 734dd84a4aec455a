/*
 * split_pg.c - statement splitting for PostgreSQL scripts.
 *
 * PostgreSQL's own lexer (libpg_query's pg_query_scan) tokenizes the script,
 * so dollar quotes ($$, $tag$), nested block comments, E'' and U&'' strings
 * follow the server's rules exactly. Statements end at ';' outside
 * parentheses (CREATE RULE ... (a; b)) and outside BEGIN ATOMIC ... END
 * bodies, which are tracked here because the scanner does not know them.
 *
 * pg_query_scan returns its tokens as a protobuf ScanResult; the Debian
 * package ships no protobuf-c headers, so the few fields needed (see
 * pg_query.proto: ScanResult.tokens = 2; ScanToken start = 1, end = 2,
 * token = 4) are decoded by the small wire-format reader below.
 *
 * psql meta-commands (\c, \set, ...) and COPY ... FROM stdin with inline
 * data are not SQL a server accepts: both are reported with their line.
 */
#include "sql/split_int.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "sluice/error.h"

/* Token numbers from pg_query.proto (enum Token). */
enum {
	TOK_LPAREN = 40,
	TOK_RPAREN = 41,
	TOK_SEMICOLON = 59,
	TOK_BACKSLASH = 92,
	TOK_SQL_COMMENT = 275,
	TOK_C_COMMENT = 276,
	TOK_ATOMIC = 300,
	TOK_BEGIN = 307,
	TOK_CASE = 321,
	TOK_COPY = 352,
	TOK_END = 401,
	TOK_FROM = 429,
	TOK_STDIN = 649
};

typedef struct pg_tok {
	uint32_t start, end, kind;
} pg_tok;

typedef struct pg_toks {
	pg_tok *v;
	size_t n, cap;
} pg_toks;

/* Reads a varint at *p (< end); false when malformed. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Skips a field of wire type wt; false when malformed. */
static bool skip_field(const uint8_t **p, const uint8_t *end, unsigned wt)
{
	uint64_t n;
	switch (wt) {
	case 0:
		return read_varint(p, end, &n);
	case 1:
		n = 8;
		break;
	case 2:
		if (!read_varint(p, end, &n))
			return false;
		break;
	case 5:
		n = 4;
		break;
	default:
		return false;
	}
	if (n > (uint64_t)(end - *p))
		return false;
	*p += n;
	return true;
}

static bool decode_token(const uint8_t *p, const uint8_t *end, pg_tok *t)
{
	uint64_t key, v;

	t->start = t->end = t->kind = 0;
	while (p < end) {
		if (!read_varint(&p, end, &key))
			return false;
		if ((key & 7) == 0 && (key >> 3) >= 1 && (key >> 3) <= 4) {
			if (!read_varint(&p, end, &v))
				return false;
			if ((key >> 3) == 1)
				t->start = (uint32_t)v;
			else if ((key >> 3) == 2)
				t->end = (uint32_t)v;
			else if ((key >> 3) == 4)
				t->kind = (uint32_t)v;
		} else if (!skip_field(&p, end, (unsigned)(key & 7))) {
			return false;
		}
	}
	return true;
}

static int decode_scan(pg_toks *out, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t key, n;

	while (p < end) {
		if (!read_varint(&p, end, &key))
			goto bad;
		if (key != ((2 << 3) | 2)) {
			if (!skip_field(&p, end, (unsigned)(key & 7)))
				goto bad;
			continue;
		}
		if (!read_varint(&p, end, &n) || n > (uint64_t)(end - p))
			goto bad;
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 256;
			pg_tok *nv = realloc(out->v, ncap * sizeof(*nv));
			if (!nv)
				return sl_error_nomem();
			out->v = nv;
			out->cap = ncap;
		}
		if (!decode_token(p, p + n, &out->v[out->n]))
			goto bad;
		out->n++;
		p += n;
	}
	return 0;
bad:
	return sl_error_set(SL_ERROR, "split sql: cannot decode the PostgreSQL scanner's tokens");
}

/* Scans buf (NUL-terminated) into tokens; on a scanner error sets *err_off. */
static int scan(pg_toks *toks, const char *buf, size_t *err_off, char **err_msg)
{
	PgQueryScanResult r = pg_query_scan(buf);
	int rc = 0;

	*err_off = SL_SPLIT_NONE;
	*err_msg = NULL;
	if (r.error) {
		size_t off = r.error->cursorpos > 0 ? (size_t)r.error->cursorpos - 1 : 0;
		*err_off = off;
		*err_msg = strdup(r.error->message ? r.error->message : "syntax error");
		if (!*err_msg)
			rc = sl_error_nomem();
		goto done;
	}
	rc = decode_scan(toks, (const uint8_t *)r.pbuf.data, r.pbuf.len);
done:
	pg_query_free_scan_result(r);
	return rc;
}

static bool is_comment(const pg_tok *t)
{
	return t->kind == TOK_SQL_COMMENT || t->kind == TOK_C_COMMENT;
}

/* Index of the next non-comment token after i, or n. */
static size_t next_sig(const pg_toks *t, size_t i)
{
	for (i++; i < t->n && is_comment(&t->v[i]); i++)
		;
	return i;
}

static bool first_on_line(const char *s, size_t off)
{
	while (off > 0 && s[off - 1] != '\n') {
		off--;
		if (s[off] != ' ' && s[off] != '\t' && s[off] != '\r')
			return false;
	}
	return true;
}

/*
 * Walks the tokens and emits statements. With check_only, nothing is
 * emitted: the walk only looks for meta-commands and COPY FROM stdin (used
 * on the part of a script before a scanner error, which they often cause).
 */
static int walk(sl_split *sp, const pg_toks *t, bool check_only)
{
	size_t first = SL_SPLIT_NONE, sig_end = 0;
	int paren = 0, atomic = 0, rc = 0;
	bool copy = false, copy_from = false;

	for (size_t i = 0; i < t->n; i++) {
		const pg_tok *k = &t->v[i];
		if (k->start > k->end || k->end > sp->len) {
			rc = sl_error_set(SL_ERROR, "split sql: scanner token out of range");
			goto done;
		}
		if (is_comment(k))
			continue;
		if (k->kind == TOK_BACKSLASH && first_on_line(sp->sql, k->start)) {
			size_t e = k->start;
			while (e < sp->len && e - k->start < 40 && sp->sql[e] != '\n' && sp->sql[e] != '\r')
				e++;
			rc = sl_split_fail(sp, k->start,
					   "psql meta-command \"%.*s\" is not SQL: "
					   "migrations must be plain SQL",
					   (int)(e - k->start), sp->sql + k->start);
			goto done;
		}
		if (k->kind == TOK_SEMICOLON && paren <= 0 && atomic <= 0) {
			if (first != SL_SPLIT_NONE && !check_only &&
			    (rc = sl_split_emit(sp, first, sig_end)) < 0)
				goto done;
			first = SL_SPLIT_NONE;
			copy = copy_from = false;
			paren = atomic = 0;
			continue;
		}
		if (first == SL_SPLIT_NONE) {
			first = k->start;
			copy = k->kind == TOK_COPY;
		}
		sig_end = k->end;
		switch (k->kind) {
		case TOK_LPAREN:
			paren++;
			break;
		case TOK_RPAREN:
			paren--;
			break;
		case TOK_BEGIN: {
			size_t j = next_sig(t, i);
			if (j < t->n && t->v[j].kind == TOK_ATOMIC)
				atomic++;
			break;
		}
		case TOK_CASE:
			if (atomic > 0)
				atomic++;
			break;
		case TOK_END:
			if (atomic > 0)
				atomic--;
			break;
		case TOK_FROM:
			copy_from = copy;
			break;
		case TOK_STDIN:
			if (copy_from) {
				rc = sl_split_fail(sp, first,
						   "COPY ... FROM stdin with inline data is "
						   "not supported in a migration: load data with INSERT "
						   "or with sluice copy");
				goto done;
			}
			break;
		default:
			break;
		}
	}
	if (first != SL_SPLIT_NONE && !check_only)
		rc = sl_split_emit(sp, first, sig_end);
done:
	return rc;
}

int sl_split_pg(sl_split *sp)
{
	pg_toks toks = { 0 };
	char *buf = NULL, *msg = NULL;
	size_t err_off;
	int rc = 0;

	if (!(buf = malloc(sp->len + 1))) {
		rc = sl_error_nomem();
		goto done;
	}
	if (sp->len)
		memcpy(buf, sp->sql, sp->len);
	buf[sp->len] = '\0';
	if ((rc = scan(&toks, buf, &err_off, &msg)) < 0)
		goto done;
	if (!msg) {
		rc = walk(sp, &toks, false);
		goto done;
	}
	/* Scanner error: a meta-command or COPY data before it is the likelier cause. */
	if (err_off > sp->len)
		err_off = sp->len;
	size_t line_start = err_off;
	while (line_start > 0 && sp->sql[line_start - 1] != '\n')
		line_start--;
	if (line_start > 0) {
		char *pmsg = NULL;
		size_t poff;
		buf[line_start] = '\0';
		toks.n = 0;
		if ((rc = scan(&toks, buf, &poff, &pmsg)) < 0)
			goto done;
		if (!pmsg && (rc = walk(sp, &toks, true)) < 0)
			goto done;
		free(pmsg);
	}
	rc = sl_split_fail(sp, err_off, "%s", msg);
done:
	free(msg);
	free(toks.v);
	free(buf);
	return rc;
}
