/*
 * sqlite.c - the SQLite driver (libsqlite3): connections, streaming queries,
 * transactions, the write-transaction "lock", quoting and the bulk writer.
 *
 * How values decode and encode, and why the lock is a write transaction, is
 * described in docs/drivers/sqlite.md; keep the two in step. The declared
 * type rules (sl_sqlite_decl_type) are shared with src/schema/introspect_sqlite.c
 * through src/db/sqlite_internal.h.
 *
 * One job: the SQLite driver behind its table of hooks (sys/driver.h); the
 * file is long because the driver is one table, not because it does several
 * things.
 */
#include "sluice/sys/driver.h"
#include "sluice/error.h"
#include "db/sqlite_handle.h"
#include "db/sqlite_internal.h"
#include "schema/introspect.h"
#include "sluice/sys/expand_dialect.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SQ_BUSY_MS 5000
/* The savepoint that stands in for a transaction while lock() holds the real one. */
#define SQ_TX_SAVEPOINT "sluice_tx"

typedef struct sq_conn {
	sl_conn base;
	sqlite3 *db;
	int lock_depth;    /* lock() calls not yet undone by unlock() */
	bool lock_owns_tx; /* lock() began the write transaction it holds */
	bool tx_savepoint; /* begin() ran inside the lock's transaction: a savepoint */
} sq_conn;

typedef struct sq_cursor {
	sl_cursor base;
	sqlite3_stmt *st;
	sl_tkind *hint; /* per column: portable kind of the declared type */
	bool done;
} sq_cursor;

typedef struct sq_writer {
	sl_writer base;
	sqlite3_stmt *st;
	char **names; /* column names, for messages */
} sq_writer;

/* ---- errors ---------------------------------------------------------- */

static const char *constraint_sqlstate(int ext)
{
	switch (ext) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return "23505";
	case SQLITE_CONSTRAINT_NOTNULL:
		return "23502";
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return "23503";
	case SQLITE_CONSTRAINT_CHECK:
		return "23514";
	default:
		return "23000";
	}
}

static int map_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SL_ELOCKED;
	case SQLITE_NOMEM:
		return SL_ENOMEM;
	default:
		return SL_EDB;
	}
}

/*
 * Records the connection's last SQLite error. ctx, when not NULL, is the
 * "what was being done" prefix. Returns the SL_E* code.
 */
static int db_error(sqlite3 *db, int rc, const char *ctx)
{
	int ext = db ? sqlite3_extended_errcode(db) : rc;
	if ((ext & 0xff) != (rc & 0xff))
		ext = rc;
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	const char *state = (rc & 0xff) == SQLITE_CONSTRAINT ? constraint_sqlstate(ext) : NULL;
	if (ctx)
		return sl_error_set_db(map_code(rc), state, ext, "%s: %s", ctx, msg);
	return sl_error_set_db(map_code(rc), state, ext, "%s", msg);
}

/* ---- declared types -------------------------------------------------- */

/* Words that say nothing about the kind of value; UNSIGNED is remembered. */
static bool noise_word(const char *w, bool *is_unsigned)
{
	if (strcmp(w, "UNSIGNED") == 0) {
		*is_unsigned = true;
		return true;
	}
	return strcmp(w, "SIGNED") == 0 || strcmp(w, "ZEROFILL") == 0 || strcmp(w, "NOCASE") == 0 ||
	       strcmp(w, "RTRIM") == 0;
}

struct name_kind {
	const char *name;
	sl_tkind kind;
};

static const struct name_kind known_types[] = {
	{ "BOOL", SL_T_BOOL },
	{ "BOOLEAN", SL_T_BOOL },
	{ "SMALLINT", SL_T_INT16 },
	{ "INT2", SL_T_INT16 },
	{ "SHORT", SL_T_INT16 },
	{ "INTEGER", SL_T_INT64 },
	{ "INT", SL_T_INT64 },
	{ "BIGINT", SL_T_INT64 },
	{ "INT8", SL_T_INT64 },
	{ "MEDIUMINT", SL_T_INT64 },
	{ "TINYINT", SL_T_INT64 },
	{ "REAL", SL_T_FLOAT64 },
	{ "DOUBLE", SL_T_FLOAT64 },
	{ "DOUBLE PRECISION", SL_T_FLOAT64 },
	{ "FLOAT", SL_T_FLOAT64 },
	{ "DECIMAL", SL_T_DECIMAL },
	{ "NUMERIC", SL_T_DECIMAL },
	{ "CHAR", SL_T_CHAR },
	{ "CHARACTER", SL_T_CHAR },
	{ "NCHAR", SL_T_CHAR },
	{ "NATIVE CHARACTER", SL_T_CHAR },
	{ "VARCHAR", SL_T_VARCHAR },
	{ "NVARCHAR", SL_T_VARCHAR },
	{ "VARYING CHARACTER", SL_T_VARCHAR },
	{ "CHARACTER VARYING", SL_T_VARCHAR },
	{ "TEXT", SL_T_TEXT },
	{ "CLOB", SL_T_TEXT },
	{ "STRING", SL_T_TEXT },
	{ "BLOB", SL_T_BLOB },
	{ "BYTEA", SL_T_BLOB },
	{ "BINARY", SL_T_BLOB },
	{ "VARBINARY", SL_T_BLOB },
	{ "DATE", SL_T_DATE },
	{ "DATETIME", SL_T_TIMESTAMP },
	{ "TIMESTAMP", SL_T_TIMESTAMP },
	{ "TIMESTAMP WITHOUT TIME ZONE", SL_T_TIMESTAMP },
	{ "TIMESTAMPTZ", SL_T_TIMESTAMPTZ },
	{ "TIMESTAMP WITH TIME ZONE", SL_T_TIMESTAMPTZ },
	{ "TIME", SL_T_TIME },
	{ "TIME WITHOUT TIME ZONE", SL_T_TIME },
	{ "UUID", SL_T_UUID },
	{ "JSON", SL_T_JSON },
	{ "JSONB", SL_T_JSON },
	{ "BIT", SL_T_BIT },
};

/* SQLite's own affinity rules (datatype3.html section 3.1), as a last resort. */
static sl_tkind affinity_kind(const char *u)
{
	if (!*u)
		return SL_T_UNKNOWN;
	if (strstr(u, "INT"))
		return SL_T_INT64;
	if (strstr(u, "CHAR") || strstr(u, "CLOB") || strstr(u, "TEXT"))
		return SL_T_TEXT;
	if (strstr(u, "BLOB"))
		return SL_T_BLOB;
	if (strstr(u, "REAL") || strstr(u, "FLOA") || strstr(u, "DOUB"))
		return SL_T_FLOAT64;
	return SL_T_DECIMAL;
}

/* Reads up to two integers inside "(...)"; returns how many were read. */
static int paren_args(const char *p, int args[2])
{
	int n = 0;
	while (*p && *p != ')' && n < 2) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		long v = 0;
		while (isdigit((unsigned char)*p) && v < 100000)
			v = v * 10 + (*p++ - '0');
		args[n++] = (int)v;
		while (*p == ' ')
			p++;
		if (*p != ',')
			break;
	}
	return n;
}

/* A declared "ELEM[]" is an array: set out to SL_T_ARRAY with the element's declared type in elem. */
static bool decl_array(const char *decl, sl_type *out, char *elem, size_t cap)
{
	size_t dlen = strlen(decl);
	while (dlen && isspace((unsigned char)decl[dlen - 1]))
		dlen--;
	if (!(dlen > 2 && decl[dlen - 2] == '[' && decl[dlen - 1] == ']'))
		return false;
	out->kind = SL_T_ARRAY;
	size_t el = dlen - 2;
	while (el && isspace((unsigned char)decl[el - 1]))
		el--;
	if (cap) {
		size_t m = el < cap - 1 ? el : cap - 1;
		memcpy(elem, decl, m);
		elem[m] = '\0';
		out->elem = elem;
	}
	return true;
}

/* The words of raw outside parentheses, noise dropped, single spaces; the first arguments in args. */
static void decl_words(const char *raw, char *words, size_t wcap, int args[2], int *nargs, bool *is_unsigned)
{
	size_t w = 0;
	const char *p = raw;
	while (*p) {
		if (*p == '(') {
			if (!*nargs)
				*nargs = paren_args(p + 1, args);
			while (*p && *p != ')')
				p++;
			if (*p)
				p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		char word[64];
		size_t k = 0;
		while (*p && !isspace((unsigned char)*p) && *p != '(') {
			if (k + 1 < sizeof(word))
				word[k++] = *p;
			p++;
		}
		word[k] = '\0';
		if (noise_word(word, is_unsigned))
			continue;
		if (w && w + 1 < wcap)
			words[w++] = ' ';
		for (size_t i = 0; i < k && w + 1 < wcap; i++)
			words[w++] = word[i];
	}
	words[w] = '\0';
}

/* Precision, scale or length of out->kind from the declared arguments. */
static void decl_args(sl_type *out, const int args[2], int nargs)
{
	switch (out->kind) {
	case SL_T_DECIMAL:
		if (nargs >= 1)
			out->precision = args[0];
		out->scale = nargs >= 2 ? args[1] : 0;
		if (!nargs)
			out->precision = 0;
		break;
	case SL_T_CHAR:
	case SL_T_VARCHAR:
	case SL_T_BLOB:
		out->length = nargs ? args[0] : 0;
		break;
	case SL_T_BIT:
		out->length = nargs ? args[0] : 1; /* BIT alone is BIT(1), as in MySQL and PostgreSQL */
		break;
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
	case SL_T_TIME:
		if (nargs)
			out->precision = args[0];
		break;
	default:
		break;
	}
}

void sl_sqlite_decl_type(const char *decl, sl_type *out, char *elem, size_t cap)
{
	char raw[256], words[256];
	int args[2] = { 0, 0 }, nargs = 0;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->precision = -1;
	if (!decl)
		decl = "";
	/* uppercase copy without the quotes an ORM may have put around the name */
	for (const char *p = decl; *p && n + 1 < sizeof(raw); p++)
		if (*p != '"' && *p != '`' && *p != '[' && *p != ']')
			raw[n++] = (char)toupper((unsigned char)*p);
	raw[n] = '\0';

	if (decl_array(decl, out, elem, cap))
		return;
	decl_words(raw, words, sizeof(words), args, &nargs, &out->is_unsigned);

	out->kind = SL_T__COUNT;
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(words, known_types[i].name) == 0)
			out->kind = known_types[i].kind;
	if (out->kind == SL_T__COUNT)
		out->kind = affinity_kind(words);

	if (strcmp(words, "TINYINT") == 0 && nargs && args[0] == 1)
		out->kind = SL_T_BOOL;
	decl_args(out, args, nargs);
}

static sl_tkind decl_kind(const char *decl)
{
	sl_type t;
	char elem[8];
	if (!decl)
		return SL_T_UNKNOWN;
	sl_sqlite_decl_type(decl, &t, elem, sizeof(elem));
	return t.kind;
}

/* The sl_value type a declared kind normally decodes to; SL_V_NULL when it varies. */
static sl_vtype kind_vtype(sl_tkind k)
{
	switch (k) {
	case SL_T_BOOL:
		return SL_V_BOOL;
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
		return SL_V_INT;
	case SL_T_FLOAT32:
	case SL_T_FLOAT64:
		return SL_V_DOUBLE;
	case SL_T_CHAR:
	case SL_T_VARCHAR:
	case SL_T_TEXT:
		return SL_V_TEXT;
	case SL_T_BLOB:
		return SL_V_BLOB;
	case SL_T_DATE:
		return SL_V_DATE;
	case SL_T_TIME:
		return SL_V_TIME;
	case SL_T_TIMESTAMP:
		return SL_V_TIMESTAMP;
	case SL_T_TIMESTAMPTZ:
		return SL_V_TIMESTAMPTZ;
	case SL_T_UUID:
		return SL_V_UUID;
	case SL_T_JSON:
		return SL_V_JSON;
	default:
		return SL_V_NULL; /* DECIMAL (NUMERIC affinity), none, arrays */
	}
}

/* ---- connections ----------------------------------------------------- */

static int sq_open(sl_conn **out, const sl_url *url)
{
	sq_conn *c = NULL;
	int rc = 0;
	const char *path = url->path ? url->path : "";

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = sl_error_nomem();
		goto done;
	}
	/*
	 * NOMUTEX: a sluice connection is used by one thread at a time (conn.h),
	 * so SQLite's per-call locking is pure cost (13% of a copy's CPU).
	 */
	struct stat st;
	if (url->file && !url->create && stat(url->file, &st) != 0 && errno == ENOENT) {
		rc = sl_error_set(SL_ENOTFOUND,
				  "no such SQLite file \"%s\" (only a target is created: by copy, up and "
				  "baseline, or with ?mode=rwc)",
				  url->file);
		goto done;
	}
	int src = sqlite3_open_v2(path, &c->db,
				  SQLITE_OPEN_READWRITE | (url->create ? SQLITE_OPEN_CREATE : 0) |
					  SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
				  NULL);
	if (src == SQLITE_OK) {
		sqlite3_extended_result_codes(c->db, 1);
		sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
		/* reading the schema makes a file that is not a database fail here, not later */
		src = sqlite3_exec(c->db, "PRAGMA foreign_keys=ON; SELECT count(*) FROM sqlite_schema", NULL,
				   NULL, NULL);
	}
	if (src != SQLITE_OK) {
		const char *msg = c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(src);
		rc = sl_error_set_db(SL_ECONNECT, NULL, src, "open sqlite database \"%s\": %s",
				     url->file ? url->file : path, msg);
		goto done;
	}
	c->base.caps = SL_CAP_TRANSACTIONAL_DDL | SL_CAP_SAVEPOINTS | SL_CAP_PARTIAL_INDEX |
		       SL_CAP_EXPR_INDEX | SL_CAP_NUL_IN_TEXT | SL_CAP_CHECK_CONSTRAINTS |
		       SL_CAP_DB_WRITE_LOCK;
	if (sqlite3_libversion_number() >= 3035000)
		c->base.caps |= SL_CAP_RETURNING;
	snprintf(c->base.server_version, sizeof(c->base.server_version), "%s", sqlite3_libversion());
	c->base.database = strdup(url->file ? url->file : path);
	if (!c->base.database) {
		rc = sl_error_nomem();
		goto done;
	}
	*out = &c->base;
	c = NULL;
done:
	if (c) {
		sqlite3_close_v2(c->db);
		free(c->base.database);
		free(c);
	}
	return rc;
}

sqlite3 *sl_sqlite_handle(sl_conn *c)
{
	return ((sq_conn *)c)->db;
}

/* A cut "connection": the handle closes (rolling back an open transaction); close() then frees. */
static void sq_sever(sl_conn *base)
{
	sq_conn *c = (sq_conn *)base;
	sqlite3_close_v2(c->db);
	c->db = NULL;
}

static void sq_close(sl_conn *base)
{
	sq_conn *c = (sq_conn *)base;
	/* an open transaction (a held lock included) rolls back with the handle */
	sqlite3_close_v2(c->db);
	free(c);
}

/* Runs every statement in sql, discarding any rows. */
static int run_sql(sq_conn *c, const char *sql, const char *ctx)
{
	const char *tail = sql;
	int rc = 0;
	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		int src = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
		if (src != SQLITE_OK) {
			rc = db_error(c->db, src, ctx);
			goto done;
		}
		if (!st) /* whitespace or a comment */
			continue;
		while ((src = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (src != SQLITE_DONE)
			rc = db_error(c->db, src, ctx);
		sqlite3_finalize(st);
		if (rc)
			goto done;
	}
done:
	return rc;
}

static int sq_exec(sl_conn *base, const char *sql)
{
	sq_conn *c = (sq_conn *)base;
	sqlite3_int64 before = sqlite3_total_changes64(c->db);
	int rc = run_sql(c, sql, NULL);
	base->changes = rc ? -1 : (int64_t)(sqlite3_total_changes64(c->db) - before);
	return rc;
}

/* ---- queries --------------------------------------------------------- */

static void sq_cursor_close(sl_cursor *base)
{
	sq_cursor *cur = (sq_cursor *)base;
	if (!cur)
		return;
	sqlite3_finalize(cur->st);
	free(cur->base.cols);
	free(cur->hint);
	free(cur);
}

/* Fails when sql holds more than one statement: a cursor reads one result. */
static int single_statement(sq_conn *c, const char *tail)
{
	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		int src = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
		if (src != SQLITE_OK)
			return db_error(c->db, src, "query after the first statement");
		if (st) {
			sqlite3_finalize(st);
			return sl_error_set(SL_EINVALID,
					    "a query must be one statement; found more after the first");
		}
	}
	return 0;
}

static int sq_query(sl_cursor **out, sl_conn *base, const char *sql)
{
	sq_conn *c = (sq_conn *)base;
	sq_cursor *cur = NULL;
	const char *tail = NULL;
	int rc = 0;

	*out = NULL;
	cur = calloc(1, sizeof(*cur));
	if (!cur) {
		rc = sl_error_nomem();
		goto done;
	}
	cur->base.conn = base;
	int src = sqlite3_prepare_v2(c->db, sql, -1, &cur->st, &tail);
	if (src != SQLITE_OK) {
		rc = db_error(c->db, src, NULL);
		goto done;
	}
	if (!cur->st) {
		rc = sl_error_set(SL_EINVALID, "query is empty");
		goto done;
	}
	rc = single_statement(c, tail);
	if (rc)
		goto done;
	size_t n = (size_t)sqlite3_column_count(cur->st);
	cur->base.ncols = n;
	cur->base.cols = calloc(n ? n : 1, sizeof(sl_colinfo));
	cur->hint = calloc(n ? n : 1, sizeof(sl_tkind));
	if (!cur->base.cols || !cur->hint) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const char *decl = sqlite3_column_decltype(cur->st, (int)i);
		const char *name = sqlite3_column_name(cur->st, (int)i);
		if (!name) {
			rc = sl_error_nomem();
			goto done;
		}
		/* both strings live as long as the prepared statement */
		cur->base.cols[i].name = name;
		cur->base.cols[i].decl = decl ? decl : "";
		cur->hint[i] = decl_kind(decl);
		cur->base.cols[i].type = decl ? kind_vtype(cur->hint[i]) : SL_V_NULL;
	}
	*out = &cur->base;
	cur = NULL;
done:
	sq_cursor_close(cur ? &cur->base : NULL);
	return rc;
}

/* [-]digits[.digits], the SL_V_DECIMAL form. */
static bool is_decimal_literal(const char *s, size_t n)
{
	size_t i = 0, d = 0;
	if (i < n && s[i] == '-')
		i++;
	while (i < n && isdigit((unsigned char)s[i]))
		i++, d++;
	if (!d)
		return false;
	if (i < n && s[i] == '.') {
		size_t f = 0;
		i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++, f++;
		if (!f)
			return false;
	}
	return i == n;
}

/*
 * Text under a declared type that promises more: decoded only when the
 * stored text parses cleanly, else left as text. Returns 1 when v was set.
 */
static int decode_text_hint(sl_value *v, sl_tkind hint, const char *s, size_t n)
{
	bool zone = false;
	int ok = 0;
	switch (hint) {
	case SL_T_DATE:
		if (sl_parse_date(s, n, &v->u.date) == 0)
			v->type = SL_V_DATE, ok = 1;
		break;
	case SL_T_TIME:
		if (sl_parse_time(s, n, &v->u.time) == 0)
			v->type = SL_V_TIME, ok = 1;
		break;
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
		if (sl_parse_timestamp(s, n, &v->u.ts, &zone) == 0) {
			v->type = zone || hint == SL_T_TIMESTAMPTZ ? SL_V_TIMESTAMPTZ : SL_V_TIMESTAMP;
			ok = 1;
		}
		break;
	case SL_T_UUID:
		if (n == 36 && sl_parse_uuid(s, n, v->u.uuid) == 0)
			v->type = SL_V_UUID, ok = 1;
		break;
	default:
		break;
	}
	return ok;
}

static int decode_column(sq_cursor *cur, sl_batch *b, sl_value *v, int i)
{
	sqlite3_stmt *st = cur->st;
	sl_tkind hint = cur->hint[i];
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER: {
		sqlite3_int64 x = sqlite3_column_int64(st, i);
		if (hint == SL_T_BOOL && (x == 0 || x == 1))
			*v = sl_bool(x == 1);
		else
			*v = sl_int(x);
		return 0;
	}
	case SQLITE_FLOAT:
		*v = sl_double(sqlite3_column_double(st, i));
		return 0;
	case SQLITE_TEXT: {
		const char *s = (const char *)sqlite3_column_text(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);
		if (!s)
			return sl_error_nomem();
		if (decode_text_hint(v, hint, s, n))
			return 0;
		sl_vtype t = SL_V_TEXT;
		if (hint == SL_T_JSON)
			t = SL_V_JSON;
		else if (hint == SL_T_DECIMAL && is_decimal_literal(s, n))
			t = SL_V_DECIMAL;
		return sl_batch_set_bytes(b, v, t, s, n);
	}
	case SQLITE_BLOB: {
		const void *p = sqlite3_column_blob(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);
		if (hint == SL_T_UUID && n == 16) {
			v->type = SL_V_UUID;
			memcpy(v->u.uuid, p, 16);
			return 0;
		}
		return sl_batch_set_bytes(b, v, SL_V_BLOB, n ? p : "", n);
	}
	default:
		*v = sl_null();
		return 0;
	}
}

static int sq_fetch(sl_cursor *base, sl_batch *b, size_t max_rows)
{
	sq_cursor *cur = (sq_cursor *)base;
	sq_conn *c = (sq_conn *)base->conn;
	int got = 0, rc = 0;

	if (max_rows > INT_MAX)
		max_rows = INT_MAX;
	while (!cur->done && (size_t)got < max_rows) {
		int src = sqlite3_step(cur->st);
		if (src == SQLITE_DONE) {
			cur->done = true;
			break;
		}
		if (src != SQLITE_ROW) {
			rc = db_error(c->db, src, NULL);
			goto done;
		}
		sl_value *row = sl_batch_add_row(b);
		if (!row) {
			rc = SL_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < base->ncols; i++) {
			rc = decode_column(cur, b, &row[i], (int)i);
			if (rc)
				goto done;
		}
		got++;
	}
done:
	return rc ? rc : got;
}

/* ---- transactions and the lock -------------------------------------- */

/* True while lock() holds a write transaction it began itself. */
static bool holds_lock_tx(sq_conn *c)
{
	return c->lock_depth > 0 && c->lock_owns_tx && !sqlite3_get_autocommit(c->db);
}

static int sq_begin(sl_conn *base)
{
	sq_conn *c = (sq_conn *)base;
	if (c->lock_depth && !sqlite3_get_autocommit(c->db)) {
		/* the lock already holds the write transaction: nest inside it */
		int rc = run_sql(c, "SAVEPOINT " SQ_TX_SAVEPOINT, "begin transaction");
		c->tx_savepoint = rc == 0;
		return rc;
	}
	return run_sql(c, "BEGIN IMMEDIATE", "begin transaction");
}

static int sq_commit(sl_conn *base)
{
	sq_conn *c = (sq_conn *)base;
	if (c->tx_savepoint) {
		c->tx_savepoint = false;
		return run_sql(c, "RELEASE " SQ_TX_SAVEPOINT, "commit");
	}
	if (holds_lock_tx(c))
		return 0; /* no begin under the lock: its transaction ends at unlock */
	return run_sql(c, "COMMIT", "commit");
}

static int sq_rollback(sl_conn *base)
{
	sq_conn *c = (sq_conn *)base;
	if (c->tx_savepoint) {
		c->tx_savepoint = false;
		if (sqlite3_get_autocommit(c->db))
			return 0; /* SQLite already rolled the whole transaction back */
		return run_sql(c, "ROLLBACK TO " SQ_TX_SAVEPOINT "; RELEASE " SQ_TX_SAVEPOINT, "rollback");
	}
	if (sqlite3_get_autocommit(c->db))
		return 0; /* nothing open: an error may have rolled it back already */
	if (holds_lock_tx(c))
		return 0; /* a defensive rollback must not drop the lock */
	return run_sql(c, "ROLLBACK", "rollback");
}

static int savepoint_sql(sq_conn *c, const char *verb, const char *name, const char *ctx)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, verb);
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '"');
	if (!rc)
		rc = run_sql(c, sql.ptr, ctx);
	sl_buf_free(&sql);
	return rc;
}

static int sq_savepoint(sl_conn *c, const char *name)
{
	return savepoint_sql((sq_conn *)c, "SAVEPOINT ", name, "savepoint");
}

static int sq_release(sl_conn *c, const char *name)
{
	return savepoint_sql((sq_conn *)c, "RELEASE SAVEPOINT ", name, "release savepoint");
}

static int sq_rollback_to(sl_conn *c, const char *name)
{
	return savepoint_sql((sq_conn *)c, "ROLLBACK TO SAVEPOINT ", name, "rollback to savepoint");
}

/*
 * SQLite has no advisory locks; the lock is the database's write lock,
 * taken with BEGIN IMMEDIATE and held until unlock() commits. While it is
 * held, sl_conn_begin/commit/rollback become a savepoint (sq_begin), so a
 * runner can still commit or roll back each step; the steps become durable
 * at unlock(). The name is ignored: there is one lock per database file.
 */
static int sq_lock(sl_conn *base, const char *name, int timeout_ms)
{
	sq_conn *c = (sq_conn *)base;
	int rc = 0;
	(void)name;
	if (!sqlite3_get_autocommit(c->db)) {
		/* a transaction the caller opened is already running: it carries the lock */
		c->lock_depth++;
		goto done;
	}
	sqlite3_busy_timeout(c->db, timeout_ms < 0 ? INT_MAX : timeout_ms);
	int src = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
	if (src != SQLITE_OK) {
		if ((src & 0xff) == SQLITE_BUSY || (src & 0xff) == SQLITE_LOCKED)
			rc = sl_error_set_db(SL_ELOCKED, NULL, src,
					     "lock \"%s\": database is locked by another process",
					     base->database ? base->database : "");
		else
			rc = db_error(c->db, src, "lock");
		goto done;
	}
	c->lock_depth = 1;
	c->lock_owns_tx = true;
done:
	return rc;
}

static int sq_unlock(sl_conn *base, const char *name)
{
	sq_conn *c = (sq_conn *)base;
	int rc = 0;
	(void)name;
	if (c->lock_depth == 0)
		goto done;
	if (--c->lock_depth > 0)
		goto done;
	if (c->lock_owns_tx && !sqlite3_get_autocommit(c->db)) {
		c->tx_savepoint = false;
		rc = run_sql(c, "COMMIT", "unlock: commit");
	}
	c->lock_owns_tx = false;
done:
	return rc;
}

/* ---- quoting --------------------------------------------------------- */

static int sq_quote_ident(const sl_conn *c, sl_buf *out, const char *ident)
{
	(void)c;
	return sl_quote_ident_with(out, ident, '"');
}

/*
 * Text form of temporals and uuids, used by both quote_literal and the
 * writer: ISO 8601 with a space between date and time, as SQLite's own
 * datetime() writes it, so stored values compare with SQLite-made ones.
 */
static int format_text(sl_buf *out, const sl_value *v)
{
	size_t start = out->len;
	int rc = sl_value_format(out, v);
	if (!rc && (v->type == SL_V_TIMESTAMP || v->type == SL_V_TIMESTAMPTZ)) {
		char *t = memchr(out->ptr + start, 'T', out->len - start);
		if (t)
			*t = ' ';
	}
	return rc;
}

/* A double that reads back as a REAL: "3" would be an INTEGER literal, "-0" would lose its sign. */
static int double_literal(sl_buf *out, double d)
{
	size_t start = out->len;
	int rc = sl_format_double(out, d);
	if (!rc && !memchr(out->ptr + start, '.', out->len - start) &&
	    !memchr(out->ptr + start, 'e', out->len - start))
		rc = sl_buf_puts(out, ".0");
	return rc;
}

static int sq_quote_literal(const sl_conn *c, sl_buf *out, const sl_value *v)
{
	(void)c;
	switch (v->type) {
	case SL_V_NULL:
		return sl_buf_puts(out, "NULL");
	case SL_V_BOOL:
		return sl_buf_puts(out, v->u.b ? "1" : "0");
	case SL_V_INT:
		return sl_buf_printf(out, "%lld", (long long)v->u.i);
	case SL_V_DOUBLE:
		if (isnan(v->u.d))
			return sl_error_set(
				SL_EINVALID,
				"NaN cannot be written as an sqlite literal (sqlite stores it as NULL)");
		if (isinf(v->u.d))
			return sl_buf_puts(out, v->u.d > 0 ? "9e999" : "-9e999");
		return double_literal(out, v->u.d);
	case SL_V_TEXT:
	case SL_V_DECIMAL:
	case SL_V_JSON:
		if (memchr(v->u.s.ptr, '\0', v->u.s.len)) {
			int rc = sl_buf_puts(out, "CAST(X'");
			if (!rc)
				rc = sl_buf_put_hex(out, v->u.s.ptr, v->u.s.len, true);
			return rc ? rc : sl_buf_puts(out, "' AS TEXT)");
		}
		return sl_quote_string(out, v->u.s.ptr, v->u.s.len, false);
	case SL_V_BLOB: {
		int rc = sl_buf_puts(out, "X'");
		if (!rc)
			rc = sl_buf_put_hex(out, v->u.s.ptr, v->u.s.len, true);
		return rc ? rc : sl_buf_putc(out, '\'');
	}
	default: {
		sl_buf tmp = SL_BUF_INIT;
		int rc = format_text(&tmp, v);
		if (!rc)
			rc = sl_quote_string(out, tmp.ptr ? tmp.ptr : "", tmp.len, false);
		sl_buf_free(&tmp);
		return rc;
	}
	}
}

/* ---- bulk writer ----------------------------------------------------- */

static void sq_writer_free(sl_writer *base)
{
	sq_writer *w = (sq_writer *)base;
	if (!w)
		return;
	sqlite3_finalize(w->st);
	for (size_t i = 0; w->names && i < w->base.ncols; i++)
		free(w->names[i]);
	free(w->names);
	free(w);
}

static int sq_writer_open(sl_writer **out, sl_conn *base, const char *schema, const char *table,
			  const char *const *columns, size_t ncolumns)
{
	sq_conn *c = (sq_conn *)base;
	sq_writer *w = NULL;
	sl_buf sql = SL_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (ncolumns == 0 || ncolumns > 32766) {
		rc = sl_error_set(SL_EINVALID, "a bulk load needs 1 to 32766 columns, got %zu", ncolumns);
		goto done;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->names = calloc(ncolumns, sizeof(char *)))) {
		rc = sl_error_nomem();
		goto done;
	}
	w->base.conn = base;
	w->base.ncols = ncolumns;
	rc = sl_buf_puts(&sql, "INSERT INTO ");
	if (!rc && schema && *schema) {
		rc = sl_quote_ident_with(&sql, schema, '"');
		if (!rc)
			rc = sl_buf_putc(&sql, '.');
	}
	if (!rc)
		rc = sl_quote_ident_with(&sql, table, '"');
	if (!rc)
		rc = sl_buf_puts(&sql, " (");
	for (size_t i = 0; !rc && i < ncolumns; i++) {
		if (i)
			rc = sl_buf_puts(&sql, ", ");
		if (!rc)
			rc = sl_quote_ident_with(&sql, columns[i], '"');
		if (!rc && !(w->names[i] = strdup(columns[i])))
			rc = sl_error_nomem();
	}
	if (!rc)
		rc = sl_buf_puts(&sql, ") VALUES (");
	for (size_t i = 0; !rc && i < ncolumns; i++)
		rc = sl_buf_puts(&sql, i ? ", ?" : "?");
	if (!rc)
		rc = sl_buf_putc(&sql, ')');
	if (rc)
		goto done;
	int src = sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &w->st, NULL);
	if (src != SQLITE_OK) {
		rc = db_error(c->db, src, NULL);
		goto done;
	}
	*out = &w->base;
	w = NULL;
done:
	sl_buf_free(&sql);
	sq_writer_free(w ? &w->base : NULL);
	return rc;
}

/* Binds one value; text and blobs by pointer and length so NUL bytes survive. */
static int bind_value(sq_writer *w, int i, const sl_value *v, sl_buf *tmp)
{
	sqlite3_stmt *st = w->st;
	int col = i + 1;
	switch (v->type) {
	case SL_V_NULL:
		return sqlite3_bind_null(st, col);
	case SL_V_BOOL:
		return sqlite3_bind_int(st, col, v->u.b ? 1 : 0);
	case SL_V_INT:
		return sqlite3_bind_int64(st, col, v->u.i);
	case SL_V_DOUBLE:
		if (isnan(v->u.d))
			return -1;
		return sqlite3_bind_double(st, col, v->u.d);
	case SL_V_TEXT:
	case SL_V_DECIMAL:
	case SL_V_JSON:
		/* a NULL pointer would bind SQL NULL: '' must stay '' */
		return sqlite3_bind_text64(st, col, v->u.s.len ? v->u.s.ptr : "", v->u.s.len, SQLITE_STATIC,
					   SQLITE_UTF8);
	case SL_V_BLOB:
		if (!v->u.s.len)
			return sqlite3_bind_zeroblob(st, col, 0);
		return sqlite3_bind_blob64(st, col, v->u.s.ptr, v->u.s.len, SQLITE_STATIC);
	default:
		sl_buf_clear(tmp);
		if (format_text(tmp, v))
			return SQLITE_NOMEM;
		return sqlite3_bind_text64(st, col, tmp->ptr, tmp->len, SQLITE_TRANSIENT, SQLITE_UTF8);
	}
}

static int sq_writer_write(sl_writer *base, const sl_batch *b)
{
	sq_writer *w = (sq_writer *)base;
	sq_conn *c = (sq_conn *)base->conn;
	sl_buf tmp = SL_BUF_INIT;
	int rc = 0;

	for (size_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);
		uint64_t rowno = base->rows + r + 1;
		for (size_t i = 0; i < base->ncols; i++) {
			int src = bind_value(w, (int)i, &row[i], &tmp);
			if (src == -1) {
				rc = sl_error_set(SL_EINVALID,
						  "row %llu: column \"%s\": NaN cannot be stored in sqlite "
						  "(it would become NULL)",
						  (unsigned long long)rowno, w->names[i]);
				goto done;
			}
			if (src != SQLITE_OK) {
				rc = db_error(c->db, src, NULL);
				sl_error_prefix("row %llu: column \"%s\"", (unsigned long long)rowno,
						w->names[i]);
				goto done;
			}
		}
		int src = sqlite3_step(w->st);
		if (src != SQLITE_DONE) {
			rc = db_error(c->db, src, NULL);
			sl_error_prefix("row %llu", (unsigned long long)rowno);
			goto done;
		}
		sqlite3_reset(w->st);
	}
done:
	if (rc) {
		sqlite3_reset(w->st);
		sqlite3_clear_bindings(w->st);
	}
	sl_buf_free(&tmp);
	return rc;
}

static int sq_writer_flush(sl_writer *w)
{
	(void)w; /* every row is stepped as it is written: nothing is pending */
	return 0;
}

/* ---- the authorizer, for introspection ------------------------------ */

struct reads_ctx {
	sl_sqlite_read_fn fn;
	void *ctx;
	int rc;
};

static int reads_auth(void *p, int action, const char *a, const char *b, const char *db, const char *via)
{
	struct reads_ctx *r = p;
	if (action == SQLITE_READ && a && !r->rc)
		r->rc = r->fn(r->ctx, db, a, b, via);
	return SQLITE_OK;
}

int sl_sqlite_statement_reads(sl_conn *base, const char *sql, sl_sqlite_read_fn fn, void *ctx)
{
	sq_conn *c = (sq_conn *)base;
	struct reads_ctx r = { .fn = fn, .ctx = ctx, .rc = 0 };
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (base->drv != &sl_driver_sqlite)
		return sl_error_set(SL_EINVALID, "not an sqlite connection");
	sqlite3_set_authorizer(c->db, reads_auth, &r);
	int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	sqlite3_set_authorizer(c->db, NULL, NULL);
	sqlite3_finalize(st);
	if (src != SQLITE_OK)
		rc = db_error(c->db, src, NULL);
	else
		rc = r.rc;
	return rc;
}

/* The file's device and inode: one file whatever path, symlink or hard link names it. */
static int sq_identity(sl_conn *base, sl_db_identity *out)
{
	sq_conn *c = (sq_conn *)base;
	const char *file = sqlite3_db_filename(c->db, "main");
	struct stat st;
	if (!file || !*file) {
		/* in memory or a temporary file: nobody else can reach it */
		snprintf(out->database, sizeof(out->database), "memory:%p", (void *)c);
		return 0;
	}
	if (stat(file, &st) != 0)
		return sl_error_set(SL_EIO, "stat \"%s\": %s", file, strerror(errno));
	snprintf(out->database, sizeof(out->database), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	return 0;
}

/* ---- the authorizer, for what a statement touches ---------------------- */

struct touch_ctx {
	const sl_schema *model;
	sl_touch_fn fn;
	void *ud;
	int rc;
};

static bool is_view(const sl_schema *model, const char *name)
{
	for (size_t i = 0; model && i < model->nviews; i++)
		if (strcmp(model->views[i].name, name) == 0)
			return true;
	return false;
}

/*
 * Top-level accesses are the statement's own. An access from inside a view
 * is reported as a read of the view (the map links the view to what it
 * reads); accesses from trigger programs are the triggers' and are skipped.
 * SQLite's own tables (sqlite_sequence, sqlite_master) are not reported.
 */
static int touch_auth(void *p, int action, const char *a, const char *b, const char *db, const char *via)
{
	struct touch_ctx *t = p;
	unsigned access = 0;
	const char *column = b && *b ? b : NULL;
	if (t->rc || !a || strncmp(a, "sqlite_", 7) == 0)
		return SQLITE_OK;
	switch (action) {
	case SQLITE_READ:
		access = SL_ACCESS_READ;
		break;
	case SQLITE_UPDATE:
		access = SL_ACCESS_WRITE;
		break;
	case SQLITE_INSERT:
	case SQLITE_DELETE:
		access = SL_ACCESS_WRITE;
		column = NULL;
		break;
	default:
		return SQLITE_OK;
	}
	if (via) {
		if (access == SL_ACCESS_READ && is_view(t->model, via))
			t->rc = t->fn(t->ud, db, via, NULL, SL_ACCESS_READ);
		return SQLITE_OK;
	}
	t->rc = t->fn(t->ud, db, a, column, access);
	return SQLITE_OK;
}

/* True when text holds a statement (not only blanks, ';' and comments). */
static bool more_sql(sqlite3 *db, const char *text)
{
	while (*text) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int src = sqlite3_prepare_v2(db, text, -1, &st, &tail);
		bool some = src != SQLITE_OK || st != NULL;
		sqlite3_finalize(st);
		if (some)
			return true;
		if (!tail || tail == text)
			break;
		text = tail;
	}
	return false;
}

static int sq_statement_columns(sl_conn *base, const char *sql, const sl_schema *model, sl_touch_fn fn,
				void *ud, long *error_offset)
{
	sq_conn *c = (sq_conn *)base;
	struct touch_ctx t = { .model = model, .fn = fn, .ud = ud, .rc = 0 };
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc = 0;

	*error_offset = -1;
	sqlite3_set_authorizer(c->db, touch_auth, &t);
	int src = sqlite3_prepare_v2(c->db, sql, -1, &st, &tail);
	sqlite3_set_authorizer(c->db, NULL, NULL);
	if (src != SQLITE_OK) {
		*error_offset = sqlite3_error_offset(c->db);
		rc = sl_error_set(SL_EINVALID, "%s", sqlite3_errmsg(c->db));
	} else if (!st) {
		rc = sl_error_set(SL_EINVALID, "no statement");
	} else if (tail && *tail && more_sql(c->db, tail)) {
		*error_offset = (long)(tail - sql);
		rc = sl_error_set(SL_EINVALID, "more than one statement (write one query per entry)");
	} else {
		rc = t.rc;
	}
	sqlite3_finalize(st);
	return rc;
}

const sl_driver sl_driver_sqlite = {
	.version = SL_DRIVER_VERSION,
	.name = "sqlite",
	.engine = SL_ENGINE_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.query = sq_query,
	.fetch = sq_fetch,
	.cursor_close = sq_cursor_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.lock = sq_lock,
	.unlock = sq_unlock,
	.quote_ident = sq_quote_ident,
	.quote_literal = sq_quote_literal,
	.writer_open = sq_writer_open,
	.writer_write = sq_writer_write,
	.writer_flush = sq_writer_flush,
	.writer_free = sq_writer_free,
	.introspect = sl_introspect_sqlite,
	.identity = sq_identity,
	.scratch_url = sl_sqlite_scratch_url,
	.scratch_create = sl_sqlite_scratch_create,
	.scratch_list = sl_sqlite_scratch_list,
	.scratch_drop = sl_sqlite_scratch_drop,
	.session_id = sl_sqlite_session_id,
	.observe_locks = sl_sqlite_observe_locks,
	.table_storage = sl_sqlite_table_storage,
	.rewrite_how = sl_sqlite_rewrite_how,
	.set_fk_checks = sl_sqlite_set_fk_checks,
	.sever = sq_sever,
	.statement_columns = sq_statement_columns,
	.sync = &sl_sqlite_sync_ops,
	.freeze = &sl_sqlite_freeze_ops,
	.expand = &sl_expand_sqlite,
	.dialect = &sl_sqlite_dialect,
	.bulk_session = sl_sqlite_bulk_session,
	.bulk_fk_checks = sl_sqlite_bulk_fk_checks,
	.fk_violations = sl_sqlite_fk_violations,
	.read_only = sl_sqlite_read_only,
	.table_exists = sl_sqlite_table_exists,
	.error_is = sl_sqlite_error_is,
};
