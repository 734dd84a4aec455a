/*
 * postgres.c - the PostgreSQL driver (libpq): connecting, running statements,
 * streaming query results, transactions, advisory locks and quoting.
 *
 * Queries stream in libpq's single-row mode, so a result is never held whole.
 * Each query is first prepared and described (unnamed statement) so that
 * column type names are known - and unknown OIDs looked up - before rows flow;
 * after that the connection is busy until the cursor is closed. Session
 * settings fixed at open (UTC, ISO dates, hex bytea, ...) are what the value
 * decoders below rely on: docs/drivers/postgres.md lists them. The bulk
 * writer lives in postgres_copy.c.
 */
#include "pg_internal.h"

#include "schema/introspect.h"
#include "sluice/sys/expand_dialect.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows read and discarded at cursor close before a cancel is sent instead. */
#define DRAIN_BEFORE_CANCEL 1000
/* Poll interval of a lock wait with a timeout. */
#define LOCK_POLL_MS 50

static const char SESSION_SQL[] = "SET client_encoding = 'UTF8';"
				  "SET DateStyle = 'ISO, YMD';"
				  "SET TimeZone = 'UTC';"
				  "SET extra_float_digits = 3;"
				  "SET bytea_output = 'hex';"
				  "SET IntervalStyle = 'iso_8601';"
				  "SET standard_conforming_strings = on";

typedef enum dec_kind {
	DEC_TEXT = 0,
	DEC_BOOL,
	DEC_INT,
	DEC_FLOAT,
	DEC_NUMERIC,
	DEC_BYTEA,
	DEC_DATE,
	DEC_TIME,
	DEC_TIMESTAMP,
	DEC_TIMESTAMPTZ,
	DEC_UUID,
	DEC_JSON
} dec_kind;

typedef struct pg_cursor {
	sl_cursor base;
	PGresult *pending; /* a row (or the final status) read but not yet consumed */
	bool done;         /* every result of the query has been read */
	dec_kind *dec;     /* per column */
	char *names;       /* column names and decls, back to back */
} pg_cursor;

static const struct {
	Oid oid;
	const char *name;
	dec_kind dec;
} builtin_types[] = {
	{ SL_PG_BOOL, "bool", DEC_BOOL },
	{ SL_PG_BYTEA, "bytea", DEC_BYTEA },
	{ SL_PG_CHAR, "char", DEC_TEXT },
	{ SL_PG_NAME, "name", DEC_TEXT },
	{ SL_PG_INT8, "int8", DEC_INT },
	{ SL_PG_INT2, "int2", DEC_INT },
	{ SL_PG_INT4, "int4", DEC_INT },
	{ SL_PG_TEXT, "text", DEC_TEXT },
	{ SL_PG_OID, "oid", DEC_INT },
	{ SL_PG_JSON, "json", DEC_JSON },
	{ SL_PG_XML, "xml", DEC_TEXT },
	{ SL_PG_FLOAT4, "float4", DEC_FLOAT },
	{ SL_PG_FLOAT8, "float8", DEC_FLOAT },
	{ SL_PG_UNKNOWN, "unknown", DEC_TEXT },
	{ SL_PG_BPCHAR, "bpchar", DEC_TEXT },
	{ SL_PG_VARCHAR, "varchar", DEC_TEXT },
	{ SL_PG_DATE, "date", DEC_DATE },
	{ SL_PG_TIME, "time", DEC_TIME },
	{ SL_PG_TIMESTAMP, "timestamp", DEC_TIMESTAMP },
	{ SL_PG_TIMESTAMPTZ, "timestamptz", DEC_TIMESTAMPTZ },
	{ SL_PG_INTERVAL, "interval", DEC_TEXT },
	{ SL_PG_TIMETZ, "timetz", DEC_TEXT },
	{ SL_PG_NUMERIC, "numeric", DEC_NUMERIC },
	{ SL_PG_UUID, "uuid", DEC_UUID },
	{ SL_PG_JSONB, "jsonb", DEC_JSON },
	{ 869, "inet", DEC_TEXT },
	{ 650, "cidr", DEC_TEXT },
	{ 1560, "bit", DEC_TEXT },
	{ 1562, "varbit", DEC_TEXT },
	{ 2278, "void", DEC_TEXT },
	{ 1007, "_int4", DEC_TEXT },
	{ 1016, "_int8", DEC_TEXT },
	{ 1009, "_text", DEC_TEXT },
	{ 2205, "regclass", DEC_TEXT },
	{ 28, "xid", DEC_TEXT },
	{ 3220, "pg_lsn", DEC_TEXT },
};

static const sl_vtype dec_vtype[] = {
	[DEC_TEXT] = SL_V_TEXT,
	[DEC_BOOL] = SL_V_BOOL,
	[DEC_INT] = SL_V_INT,
	[DEC_FLOAT] = SL_V_DOUBLE,
	[DEC_NUMERIC] = SL_V_DECIMAL,
	[DEC_BYTEA] = SL_V_BLOB,
	[DEC_DATE] = SL_V_DATE,
	[DEC_TIME] = SL_V_TIME,
	[DEC_TIMESTAMP] = SL_V_TIMESTAMP,
	[DEC_TIMESTAMPTZ] = SL_V_TIMESTAMPTZ,
	[DEC_UUID] = SL_V_UUID,
	[DEC_JSON] = SL_V_JSON,
};

/* ---- errors and small helpers ---- */

/* Copies s without trailing newlines, with other newlines and tabs as spaces. */
static char *flatten(const char *s)
{
	char *r = strdup(s ? s : "");
	if (!r)
		return NULL;
	size_t n = strlen(r);
	while (n && (r[n - 1] == '\n' || r[n - 1] == ' '))
		r[--n] = '\0';
	for (char *p = r; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return r;
}

int sl_pg_error(PGconn *pg, const PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	int code = PQstatus(pg) == CONNECTION_BAD ? SL_ECONNECT : SL_EDB;
	char *msg = flatten(primary                               ? primary
			    : (res && *PQresultErrorMessage(res)) ? PQresultErrorMessage(res)
								  : PQerrorMessage(pg));
	if (!msg)
		return sl_error_nomem();
	int rc = sl_error_set_db(code, state, 0, "%s%s%s%s%s", *msg ? msg : "unknown error",
				 detail ? "; detail: " : "", detail ? detail : "", hint ? "; hint: " : "",
				 hint ? hint : "");
	free(msg);
	return rc;
}

void sl_pg_drain(PGconn *pg)
{
	PGresult *r;
	while ((r = PQgetResult(pg)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_COPY_IN)
			PQputCopyEnd(pg, "sluice: abandoned");
		else if (st == PGRES_COPY_OUT) {
			char *row = NULL;
			while (PQgetCopyData(pg, &row, 0) > 0)
				PQfreemem(row);
		}
		if (PQstatus(pg) == CONNECTION_BAD)
			break;
	}
}

static bool result_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

/* Runs sql (no rows expected) and sets base.changes. */
static int run(sl_pg_conn *c, const char *sql)
{
	int rc = 0;
	PGresult *r = PQexec(c->pg, sql);
	if (!r) {
		rc = sl_pg_error(c->pg, NULL);
		goto done;
	}
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
		PQclear(r);
		r = NULL;
		sl_pg_drain(c->pg);
		rc = sl_error_set(SL_EINVALID, "COPY to or from the client cannot run through exec");
		goto done;
	}
	if (!result_ok(r)) {
		rc = sl_pg_error(c->pg, r);
		goto done;
	}
	const char *n = PQcmdTuples(r);
	c->base.changes = *n ? strtoll(n, NULL, 10) : -1;
done:
	PQclear(r);
	return rc;
}

/* Runs a query and returns its result (one row expected) in *out. */
static int run_rows(PGresult **out, sl_pg_conn *c, const char *sql)
{
	*out = NULL;
	PGresult *r = PQexec(c->pg, sql);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		int rc = sl_pg_error(c->pg, r);
		PQclear(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ---- temporal text forms PostgreSQL accepts (BC years, not negative ones) ---- */

int sl_pg_format_date(sl_buf *out, int32_t days)
{
	int64_t y;
	unsigned m, d;
	sl_civil_from_days(days, &y, &m, &d);
	if (y <= 0)
		return sl_buf_printf(out, "%04" PRId64 "-%02u-%02u BC", 1 - y, m, d);
	return sl_buf_printf(out, "%04" PRId64 "-%02u-%02u", y, m, d);
}

int sl_pg_format_timestamp(sl_buf *out, int64_t usec, bool tz)
{
	int64_t days = usec / SL_USEC_PER_DAY, rem = usec % SL_USEC_PER_DAY;
	if (rem < 0) {
		rem += SL_USEC_PER_DAY;
		days--;
	}
	int64_t y;
	unsigned m, d;
	sl_civil_from_days((int32_t)days, &y, &m, &d);
	int rc = sl_buf_printf(out, "%04" PRId64 "-%02u-%02u ", y <= 0 ? 1 - y : y, m, d);
	if (!rc)
		rc = sl_format_time(out, rem);
	if (!rc && tz)
		rc = sl_buf_puts(out, "+00");
	if (!rc && y <= 0)
		rc = sl_buf_puts(out, " BC");
	return rc;
}

/* ---- connect ---- */

/* Replaces every occurrence of secret in msg by "***" (in place; msg only shrinks or keeps length). */
static void scrub(char *msg, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n < 1)
		return;
	char *p;
	while ((p = strstr(msg, secret)) != NULL) {
		size_t keep = n < 3 ? n : 3;
		memcpy(p, "***", keep);
		memmove(p + keep, p + n, strlen(p + n) + 1);
	}
}

static int connect_error(PGconn *pg, const sl_url *url)
{
	char *msg = flatten(pg ? PQerrorMessage(pg) : "out of memory");
	if (!msg)
		return sl_error_nomem();
	PQconninfoOption *opts = PQconninfoParse(url->conninfo, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (o->val && strcmp(o->keyword, "password") == 0)
			scrub(msg, o->val);
	PQconninfoFree(opts);
	if (pg && PQpass(pg))
		scrub(msg, PQpass(pg));
	if (url->password)
		scrub(msg, url->password);
	int rc = sl_error_set(SL_ECONNECT, "connect to %s: %s", url->redacted, msg);
	free(msg);
	return rc;
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int sl_pg_session_setup(sl_pg_conn *c)
{
	PQsetNoticeProcessor(c->pg, quiet_notices, NULL);
	return run(c, SESSION_SQL);
}

static int pg_open(sl_conn **out, const sl_url *url)
{
	int rc = 0;
	sl_pg_conn *c = NULL;
	*out = NULL;
	if (!(c = calloc(1, sizeof(*c)))) {
		rc = sl_error_nomem();
		goto done;
	}
	c->pg = PQconnectdb(url->conninfo);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		rc = connect_error(c->pg, url);
		goto done;
	}
	if ((rc = sl_pg_session_setup(c)) != 0) {
		sl_error_prefix("set up session on %s", url->redacted);
		goto done;
	}
	int v = PQserverVersion(c->pg);
	if (v >= 100000)
		snprintf(c->base.server_version, sizeof(c->base.server_version), "%d.%d", v / 10000,
			 v % 10000);
	else
		snprintf(c->base.server_version, sizeof(c->base.server_version), "%d.%d.%d", v / 10000,
			 v / 100 % 100, v % 100);
	if (!(c->base.database = strdup(PQdb(c->pg) ? PQdb(c->pg) : ""))) {
		rc = sl_error_nomem();
		goto done;
	}
	c->base.caps = SL_CAP_TRANSACTIONAL_DDL | SL_CAP_SAVEPOINTS | SL_CAP_RETURNING | SL_CAP_SCHEMAS |
		       SL_CAP_SEQUENCES | SL_CAP_ENUM_TYPES | SL_CAP_PARTIAL_INDEX | SL_CAP_EXPR_INDEX |
		       SL_CAP_FLOAT_SPECIALS | SL_CAP_CONCURRENT_INDEX | SL_CAP_ADVISORY_LOCK |
		       SL_CAP_CHECK_CONSTRAINTS | SL_CAP_TIMEZONE_TYPE | SL_CAP_LOCK_OBSERVE;
	c->base.changes = -1;
	*out = &c->base;
	c = NULL;
done:
	if (c) {
		free(c->base.database);
		PQfinish(c->pg);
		free(c);
	}
	return rc;
}

static void pg_close(sl_conn *base)
{
	sl_pg_conn *c = (sl_pg_conn *)base;
	PQfinish(c->pg);
	for (size_t i = 0; i < c->ntypes; i++)
		free(c->types[i].name);
	free(c->types);
	free(c);
}

static int pg_exec(sl_conn *base, const char *sql)
{
	return run((sl_pg_conn *)base, sql);
}

/* ---- type names ---- */

static int builtin_index(Oid oid)
{
	for (size_t i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
		if (builtin_types[i].oid == oid)
			return (int)i;
	return -1;
}

static const char *cached_name(const sl_pg_conn *c, Oid oid)
{
	int i = builtin_index(oid);
	if (i >= 0)
		return builtin_types[i].name;
	for (size_t k = 0; k < c->ntypes; k++)
		if (c->types[k].oid == oid)
			return c->types[k].name;
	return NULL;
}

static int cache_add(sl_pg_conn *c, Oid oid, const char *name)
{
	if (c->ntypes == c->cap_types) {
		size_t ncap = c->cap_types ? c->cap_types * 2 : 16;
		sl_pg_typename *nt = realloc(c->types, ncap * sizeof(*nt));
		if (!nt)
			return sl_error_nomem();
		c->types = nt;
		c->cap_types = ncap;
	}
	char *n = strdup(name);
	if (!n)
		return sl_error_nomem();
	c->types[c->ntypes].oid = oid;
	c->types[c->ntypes].name = n;
	c->ntypes++;
	return 0;
}

/* Looks up the names of the described columns' types not yet known (one query). */
static int resolve_types(sl_pg_conn *c, const PGresult *desc, bool *looked_up)
{
	int rc = 0;
	sl_buf sql = SL_BUF_INIT;
	PGresult *r = NULL;
	int nf = PQnfields(desc);
	for (int i = 0; !rc && i < nf; i++)
		if (!cached_name(c, PQftype(desc, i)))
			rc = sl_buf_printf(&sql, "%s%u",
					   sql.len ? "," : "SELECT oid, typname FROM pg_type WHERE oid IN (",
					   (unsigned)PQftype(desc, i));
	if (rc || !sql.len)
		goto done;
	*looked_up = true;
	if ((rc = sl_buf_putc(&sql, ')')) != 0 || (rc = run_rows(&r, c, sql.ptr)) != 0)
		goto done;
	for (int k = 0; !rc && k < PQntuples(r); k++) {
		Oid oid = (Oid)strtoul(PQgetvalue(r, k, 0), NULL, 10);
		if (!cached_name(c, oid))
			rc = cache_add(c, oid, PQgetvalue(r, k, 1));
	}
done:
	PQclear(r);
	sl_buf_free(&sql);
	return rc;
}

/* ---- queries ---- */

static void cursor_free(pg_cursor *cur)
{
	if (!cur)
		return;
	PQclear(cur->pending);
	free(cur->base.cols);
	free(cur->dec);
	free(cur->names);
	free(cur);
}

/* Fills the cursor's column info from the described statement. */
static int describe_columns(pg_cursor *cur, sl_pg_conn *c, const PGresult *desc)
{
	size_t n = (size_t)PQnfields(desc), bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const char *tn = cached_name(c, PQftype(desc, (int)i));
		bytes += strlen(PQfname(desc, (int)i)) + 1 + strlen(tn ? tn : "?") + 1;
	}
	cur->base.ncols = n;
	cur->base.cols = calloc(n ? n : 1, sizeof(sl_colinfo));
	cur->dec = calloc(n ? n : 1, sizeof(dec_kind));
	cur->names = malloc(bytes ? bytes : 1);
	if (!cur->base.cols || !cur->dec || !cur->names)
		return sl_error_nomem();
	char *p = cur->names;
	for (size_t i = 0; i < n; i++) {
		Oid oid = PQftype(desc, (int)i);
		const char *tn = cached_name(c, oid);
		int bi = builtin_index(oid);
		cur->dec[i] = bi >= 0 ? builtin_types[bi].dec : DEC_TEXT;
		size_t l = strlen(PQfname(desc, (int)i)) + 1;
		memcpy(p, PQfname(desc, (int)i), l);
		cur->base.cols[i].name = p;
		p += l;
		l = strlen(tn ? tn : "?") + 1;
		memcpy(p, tn ? tn : "?", l);
		cur->base.cols[i].decl = p;
		p += l;
		cur->base.cols[i].type = dec_vtype[cur->dec[i]];
	}
	return 0;
}

/* Prepares sql as the unnamed statement. */
static int prepare(sl_pg_conn *c, const char *sql)
{
	PGresult *r = PQprepare(c->pg, "", sql, 0, NULL);
	int rc = 0;
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = sl_pg_error(c->pg, r);
	PQclear(r);
	return rc;
}

static int pg_query(sl_cursor **out, sl_conn *base, const char *sql)
{
	sl_pg_conn *c = (sl_pg_conn *)base;
	int rc = 0;
	PGresult *r = NULL;
	pg_cursor *cur = NULL;
	*out = NULL;
	bool looked_up = false;
	if ((rc = prepare(c, sql)) != 0)
		goto done;
	r = PQdescribePrepared(c->pg, "");
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = sl_pg_error(c->pg, r);
		goto done;
	}
	if ((rc = resolve_types(c, r, &looked_up)) != 0)
		goto done;
	/* the lookup ran a statement of its own, which dropped the unnamed one */
	if (looked_up && (rc = prepare(c, sql)) != 0)
		goto done;
	if (!(cur = calloc(1, sizeof(*cur)))) {
		rc = sl_error_nomem();
		goto done;
	}
	cur->base.conn = base;
	if ((rc = describe_columns(cur, c, r)) != 0)
		goto done;
	if (!PQsendQueryPrepared(c->pg, "", 0, NULL, NULL, NULL, 0)) {
		rc = sl_pg_error(c->pg, NULL);
		goto done;
	}
	if (!PQsetSingleRowMode(c->pg)) {
		sl_pg_drain(c->pg);
		rc = sl_error_set(SL_EDB, "could not switch to single-row mode");
		goto done;
	}
	/* Read the first result now so that errors surface at query time. */
	cur->pending = PQgetResult(c->pg);
	ExecStatusType st = cur->pending ? PQresultStatus(cur->pending) : PGRES_FATAL_ERROR;
	if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = sl_pg_error(c->pg, cur->pending);
		sl_pg_drain(c->pg);
		goto done;
	}
	*out = &cur->base;
	cur = NULL;
done:
	PQclear(r);
	cursor_free(cur);
	return rc;
}

static int hexnib(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int decode_bytea(sl_batch *b, sl_value *v, const char *s, size_t len)
{
	if (len < 2 || s[0] != '\\' || s[1] != 'x' || len % 2)
		return sl_error_set(SL_EDB, "bytea value is not in hex format");
	size_t n = (len - 2) / 2;
	uint8_t *p = sl_arena_alloc(b->arena, n ? n : 1);
	if (!p)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int hi = hexnib(s[2 + 2 * i]), lo = hexnib(s[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return sl_error_set(SL_EDB, "bytea value has a bad hex digit");
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	v->type = SL_V_BLOB;
	v->u.s.ptr = (const char *)p;
	v->u.s.len = n;
	return 0;
}

static bool is_infinity(const char *s)
{
	return strcmp(s, "infinity") == 0 || strcmp(s, "-infinity") == 0;
}

/* Decodes one text-format field. s is NUL-terminated, len bytes. */
static int decode(sl_batch *b, sl_value *v, dec_kind k, const char *s, size_t len)
{
	char *end = NULL;
	bool zone = false;
	switch (k) {
	case DEC_BOOL:
		*v = sl_bool(s[0] == 't');
		return 0;
	case DEC_INT: {
		long long x = strtoll(s, &end, 10);
		if (end == s || *end)
			break;
		*v = sl_int(x);
		return 0;
	}
	case DEC_FLOAT: {
		double d = strtod(s, &end);
		if (end == s || *end)
			break;
		*v = sl_double(d);
		return 0;
	}
	case DEC_NUMERIC:
		return sl_batch_set_bytes(b, v, SL_V_DECIMAL, s, len);
	case DEC_BYTEA:
		return decode_bytea(b, v, s, len);
	case DEC_DATE:
		if (is_infinity(s))
			return sl_batch_set_bytes(b, v, SL_V_TEXT, s, len);
		v->type = SL_V_DATE;
		return sl_parse_date(s, len, &v->u.date);
	case DEC_TIME:
		v->type = SL_V_TIME;
		return sl_parse_time(s, len, &v->u.time);
	case DEC_TIMESTAMP:
	case DEC_TIMESTAMPTZ:
		if (is_infinity(s))
			return sl_batch_set_bytes(b, v, SL_V_TEXT, s, len);
		v->type = k == DEC_TIMESTAMP ? SL_V_TIMESTAMP : SL_V_TIMESTAMPTZ;
		return sl_parse_timestamp(s, len, &v->u.ts, &zone);
	case DEC_UUID:
		v->type = SL_V_UUID;
		return sl_parse_uuid(s, len, v->u.uuid);
	case DEC_JSON:
		return sl_batch_set_bytes(b, v, SL_V_JSON, s, len);
	case DEC_TEXT:
	default:
		return sl_batch_set_bytes(b, v, SL_V_TEXT, s, len);
	}
	return sl_error_set(SL_EDB, "\"%.40s\" is not a valid number", s);
}

static int decode_row(pg_cursor *cur, sl_batch *b, const PGresult *r)
{
	sl_value *row = sl_batch_add_row(b);
	if (!row)
		return SL_ENOMEM;
	for (size_t i = 0; i < cur->base.ncols; i++) {
		if (PQgetisnull(r, 0, (int)i))
			continue;
		int rc = decode(b, &row[i], cur->dec[i], PQgetvalue(r, 0, (int)i),
				(size_t)PQgetlength(r, 0, (int)i));
		if (rc) {
			b->nrows--;
			sl_error_prefix("column \"%s\"", cur->base.cols[i].name);
			return rc;
		}
	}
	return 0;
}

static int pg_fetch(sl_cursor *base, sl_batch *b, size_t max_rows)
{
	pg_cursor *cur = (pg_cursor *)base;
	PGconn *pg = ((sl_pg_conn *)base->conn)->pg;
	size_t got = 0;
	int rc = 0;
	while (got < max_rows && !cur->done) {
		if (!cur->pending && !(cur->pending = PQgetResult(pg))) {
			cur->done = true;
			break;
		}
		ExecStatusType st = PQresultStatus(cur->pending);
		if (st == PGRES_SINGLE_TUPLE) {
			rc = decode_row(cur, b, cur->pending);
			PQclear(cur->pending);
			cur->pending = NULL;
			if (rc)
				goto done;
			got++;
		} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			PQclear(cur->pending);
			cur->pending = NULL;
			sl_pg_drain(pg);
			cur->done = true;
		} else {
			rc = sl_pg_error(pg, cur->pending);
			PQclear(cur->pending);
			cur->pending = NULL;
			sl_pg_drain(pg);
			cur->done = true;
			goto done;
		}
	}
done:
	return rc ? rc : (int)got;
}

static void pg_cursor_close(sl_cursor *base)
{
	pg_cursor *cur = (pg_cursor *)base;
	sl_pg_conn *c = (sl_pg_conn *)base->conn;
	PQclear(cur->pending);
	cur->pending = NULL;
	if (!cur->done) {
		/* Read a little; if rows keep coming, cancel - but never inside a
		 * transaction, where a cancel would abort it: there we read to the end. */
		PGresult *r;
		size_t n = 0;
		while ((base->conn->in_tx || n < DRAIN_BEFORE_CANCEL) && (r = PQgetResult(c->pg)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			PQclear(r);
			n++;
			if (st != PGRES_SINGLE_TUPLE) {
				sl_pg_drain(c->pg);
				cur->done = true;
				break;
			}
		}
		if (!cur->done) {
			PGcancel *cancel = PQgetCancel(c->pg);
			char err[256];
			if (cancel) {
				PQcancel(cancel, err, sizeof(err));
				PQfreeCancel(cancel);
			}
			sl_pg_drain(c->pg);
		}
	}
	cursor_free(cur);
}

/* ---- transactions ---- */

static int pg_begin(sl_conn *c)
{
	return run((sl_pg_conn *)c, "BEGIN");
}
static int pg_commit(sl_conn *c)
{
	return run((sl_pg_conn *)c, "COMMIT");
}
static int pg_rollback(sl_conn *c)
{
	return run((sl_pg_conn *)c, "ROLLBACK");
}

static int savepoint_cmd(sl_conn *c, const char *verb, const char *name)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, verb);
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '"');
	if (!rc)
		rc = run((sl_pg_conn *)c, sql.ptr);
	sl_buf_free(&sql);
	return rc;
}

static int pg_savepoint(sl_conn *c, const char *name)
{
	return savepoint_cmd(c, "SAVEPOINT ", name);
}
static int pg_release(sl_conn *c, const char *name)
{
	return savepoint_cmd(c, "RELEASE SAVEPOINT ", name);
}
static int pg_rollback_to(sl_conn *c, const char *name)
{
	return savepoint_cmd(c, "ROLLBACK TO SAVEPOINT ", name);
}

/* ---- advisory locks ---- */

/* FNV-1a, 64 bits: the lock key of a name (stable across versions and hosts). */
static int64_t lock_key(const char *name)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= UINT64_C(1099511628211);
	}
	return (int64_t)h;
}

/* Runs a lock function returning bool (or void) and stores its value. */
static int lock_call(sl_pg_conn *c, const char *fn, const char *name, bool *got)
{
	char sql[96];
	PGresult *r = NULL;
	snprintf(sql, sizeof(sql), "SELECT %s(%" PRId64 ")", fn, lock_key(name));
	int rc = run_rows(&r, c, sql);
	if (rc) {
		sl_error_prefix("lock \"%s\"", name);
		return rc;
	}
	*got = PQntuples(r) == 1 && (PQgetisnull(r, 0, 0) || PQgetvalue(r, 0, 0)[0] == 't');
	PQclear(r);
	return 0;
}

static int pg_lock(sl_conn *base, const char *name, int timeout_ms)
{
	sl_pg_conn *c = (sl_pg_conn *)base;
	bool got = false;
	if (timeout_ms < 0)
		return lock_call(c, "pg_advisory_lock", name, &got);
	int64_t deadline = sl_now_ms() + timeout_ms;
	for (;;) {
		int rc = lock_call(c, "pg_try_advisory_lock", name, &got);
		if (rc || got)
			return rc;
		int64_t left = deadline - sl_now_ms();
		if (left <= 0)
			break;
		struct timespec pause = { .tv_sec = 0,
					  .tv_nsec = (left < LOCK_POLL_MS ? left : LOCK_POLL_MS) * 1000000L };
		nanosleep(&pause, NULL);
	}
	return sl_error_set(SL_ELOCKED, "lock \"%s\" is held by another session (waited %d ms)", name,
			    timeout_ms);
}

static int pg_unlock(sl_conn *base, const char *name)
{
	bool held = false;
	int rc = lock_call((sl_pg_conn *)base, "pg_advisory_unlock", name, &held);
	if (!rc && !held)
		rc = sl_error_set(SL_ENOTFOUND, "unlock \"%s\": this session does not hold it", name);
	return rc;
}

/* ---- quoting ---- */

static int pg_quote_ident(const sl_conn *c, sl_buf *out, const char *ident)
{
	(void)c;
	return sl_quote_ident_with(out, ident, '"');
}

static bool plain_number(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] != '.' && s[i] != 'e' && s[i] != 'E' && s[i] != '-' && s[i] != '+')
			return false;
	}
	return digits > 0;
}

static int quote_cast(sl_buf *out, const sl_buf *text, const char *type)
{
	int rc = sl_quote_string(out, text->ptr ? text->ptr : "", text->len, false);
	return rc ? rc : sl_buf_printf(out, "::%s", type);
}

static int pg_quote_literal(const sl_conn *c, sl_buf *out, const sl_value *v)
{
	(void)c;
	sl_buf tmp = SL_BUF_INIT;
	int rc = 0;
	switch (v->type) {
	case SL_V_NULL:
		rc = sl_buf_puts(out, "NULL");
		break;
	case SL_V_BOOL:
		rc = sl_buf_puts(out, v->u.b ? "TRUE" : "FALSE");
		break;
	case SL_V_INT:
		rc = sl_buf_printf(out, "%" PRId64, v->u.i);
		break;
	case SL_V_DOUBLE:
		if (!(rc = sl_format_double(&tmp, v->u.d)))
			rc = quote_cast(out, &tmp, "float8");
		break;
	case SL_V_DECIMAL:
		if (plain_number(v->u.s.ptr, v->u.s.len))
			rc = sl_buf_put(out, v->u.s.ptr, v->u.s.len);
		else if (!(rc = sl_buf_put(&tmp, v->u.s.ptr, v->u.s.len)))
			rc = quote_cast(out, &tmp, "numeric");
		break;
	case SL_V_TEXT:
	case SL_V_JSON:
		if (v->u.s.len && memchr(v->u.s.ptr, 0, v->u.s.len)) {
			rc = sl_error_set(SL_EINVALID,
					  "%s value contains a NUL byte, which PostgreSQL cannot store",
					  sl_vtype_name(v->type));
			break;
		}
		rc = sl_quote_string(out, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len, false);
		if (!rc && v->type == SL_V_JSON)
			rc = sl_buf_puts(out, "::json");
		break;
	case SL_V_BLOB:
		if (!(rc = sl_value_format(&tmp, v)))
			rc = quote_cast(out, &tmp, "bytea");
		break;
	case SL_V_DATE:
		if (!(rc = sl_pg_format_date(&tmp, v->u.date)))
			rc = quote_cast(out, &tmp, "date");
		break;
	case SL_V_TIME:
		if (!(rc = sl_format_time(&tmp, v->u.time)))
			rc = quote_cast(out, &tmp, "time");
		break;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ: {
		bool tz = v->type == SL_V_TIMESTAMPTZ;
		if (!(rc = sl_pg_format_timestamp(&tmp, v->u.ts, tz)))
			rc = quote_cast(out, &tmp, tz ? "timestamptz" : "timestamp");
		break;
	}
	case SL_V_UUID:
		if (!(rc = sl_format_uuid(&tmp, v->u.uuid)))
			rc = quote_cast(out, &tmp, "uuid");
		break;
	default:
		rc = sl_error_set(SL_EINVALID, "cannot quote a value of type %d", (int)v->type);
		break;
	}
	sl_buf_free(&tmp);
	return rc;
}

/*
 * The cluster: its start time (readable by every role) and, where the role may
 * call pg_control_system(), its system identifier; the database by oid and
 * name. A streaming standby shares the primary's system identifier but not
 * its start time, so a primary and its replica are two databases.
 */
static int pg_identity(sl_conn *c, sl_db_identity *out)
{
	char may[8] = "";
	int rc = sl_identity_text(c,
				  "SELECT extract(epoch FROM pg_postmaster_start_time())::text || '@' || "
				  "current_setting('port')",
				  out->server, sizeof(out->server));
	if (!rc)
		rc = sl_identity_text(c,
				      "SELECT d.oid::text || ':' || d.datname FROM pg_database d "
				      "WHERE d.datname = current_database()",
				      out->database, sizeof(out->database));
	if (!rc)
		rc = sl_identity_text(c,
				      "SELECT has_function_privilege('pg_catalog.pg_control_system()', "
				      "'EXECUTE')::text",
				      may, sizeof(may));
	if (!rc && strcmp(may, "true") == 0)
		rc = sl_identity_text(c, "SELECT system_identifier::text FROM pg_catalog.pg_control_system()",
				      out->server_id, sizeof(out->server_id));
	return rc;
}

const sl_driver sl_driver_postgres = {
	.version = SL_DRIVER_VERSION,
	.name = "postgres",
	.engine = SL_ENGINE_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.query = pg_query,
	.fetch = pg_fetch,
	.cursor_close = pg_cursor_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.quote_ident = pg_quote_ident,
	.quote_literal = pg_quote_literal,
	.writer_open = sl_pg_writer_open,
	.writer_write = sl_pg_writer_write,
	.writer_flush = sl_pg_writer_flush,
	.writer_free = sl_pg_writer_free,
	.introspect = sl_introspect_postgres,
	.identity = pg_identity,
	.scratch_url = sl_pg_scratch_url,
	.scratch_create = sl_pg_scratch_create,
	.scratch_list = sl_pg_scratch_list,
	.scratch_drop = sl_pg_scratch_drop,
	.session_id = sl_pg_session_id,
	.observe_locks = sl_pg_observe_locks,
	.table_storage = sl_pg_table_storage,
	.rewrite_how = sl_pg_rewrite_how,
	.set_fk_checks = sl_pg_set_fk_checks,
	.sever = sl_pg_sever,
	.statement_columns = sl_columns_postgres,
	.sync = &sl_pg_sync_ops,
	.freeze = &sl_pg_freeze_ops,
	.expand = &sl_expand_postgres,
	.dialect = &sl_pg_dialect,
	.bulk_session = sl_pg_bulk_session,
	.bulk_fk_checks = sl_pg_bulk_fk_checks,
	.fk_violations = sl_pg_fk_violations,
	.read_only = sl_pg_read_only,
	.table_exists = sl_pg_table_exists,
	.error_is = sl_pg_error_is,
	.snapshot = &sl_pg_snapshot_ops,
};
