/*
 * consumers.h - who depends on the data: the consumers, domains and
 * criticality levels of sluice.yaml (docs/config.md, "consumers").
 *
 * A consumer is a report, job, integration or service that reads or writes
 * the database. It has an owner, a criticality (one of the configured
 * levels: revenue, compliance, customer-facing, internal by default) and
 * what it touches: declared table.column lists (reads, writes), SQL queries
 * whose read and written columns the engine derives
 * (sl_conn_statement_columns), or both. A domain groups tables (billing,
 * onboarding, ...) with its own owner and criticality.
 *
 * sl_consumers_load() reads and checks the sections' shape; the names a
 * consumer or domain gives are checked against a schema model by
 * sl_consumers_resolve(), which also derives the queries' touches on a
 * connection. Every error names "file:line:column"; a name that does not
 * exist gets the nearest existing one as a suggestion, a query that does
 * not parse gets the engine's message and the position it points at.
 *
 * Ownership: an sl_consumers owns everything reachable from it (its arena);
 * it borrows the sl_config it was loaded from, which must outlive it.
 */
#ifndef SLUICE_CONSUMERS_H
#define SLUICE_CONSUMERS_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/arena.h"
#include "sluice/config.h"
#include "sluice/conn.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Criticality levels, most critical first; blocking[i] says level i makes lint fail. */
typedef struct sl_criticality {
	const char **levels;
	bool *blocking;
	size_t nlevels;
	int dflt; /* level of a consumer or domain that names none */
} sl_criticality;

/* One table or column a consumer touches, declared or derived from a query. */
typedef struct sl_touch {
	const char *table;  /* a table or view */
	const char *column; /* NULL: the table as a whole (every column; for writes, whole rows) */
	unsigned access;    /* SL_ACCESS_READ and/or SL_ACCESS_WRITE */
	int query;          /* index of the query it was derived from, -1 when declared */
	size_t line, col;   /* where it is declared (the query's position when derived) */
} sl_touch;

typedef struct sl_consumer_query {
	const char *sql;
	struct fy_node *node; /* for positions (sl_config_where_offset) */
	const char *error;    /* after deriving: why it did not derive, or NULL */
	long error_offset;    /* where in sql the engine points, -1 when nowhere */
} sl_consumer_query;

typedef struct sl_consumer {
	const char *name;
	const char *description; /* NULL when none */
	const char *kind;        /* report, job, integration, service, ... (free text); NULL when none */
	const char *owner;
	const char *ticket_prefix; /* a `breaks:` ticket for it must start with this; NULL: any */
	int criticality;           /* index into sl_criticality.levels */
	sl_touch *touches;         /* declared first (ndeclared), then derived */
	size_t ntouches, cap_touches, ndeclared;
	sl_consumer_query *queries;
	size_t nqueries, cap_queries;
	size_t line, col; /* of its key */
} sl_consumer;

typedef struct sl_domain_table {
	const char *name; /* as written; sl_consumers_resolve() sets the model's spelling */
	size_t line, col;
} sl_domain_table;

typedef struct sl_domain {
	const char *name;
	const char *description;
	const char *owner;
	int criticality; /* -1 when the domain names none: it then has no criticality of its own */
	sl_domain_table *tables;
	size_t ntables, cap_tables;
	size_t line, col;
} sl_domain;

typedef struct sl_consumers {
	sl_criticality crit;
	sl_consumer *items;
	size_t n, cap;
	sl_domain *domains;
	size_t ndomains, cap_domains;
	sl_config *config; /* borrowed */
	sl_arena *arena;
} sl_consumers;

/*
 * Reads the "criticality", "consumers" and "domains" sections of c (each
 * may be absent: no consumers, no domains, the default levels). Shape
 * errors are SL_EINVALID naming "file:line:column".
 */
int sl_consumers_load(sl_consumers **out, sl_config *c);
void sl_consumers_free(sl_consumers *cs);

/*
 * Checks every table and column a consumer declares and every table a
 * domain lists against s (tables and views; a column of a view is taken on
 * trust, since the model does not list view columns), then derives the
 * touches of every query on conn (which must hold schema s). The first
 * problem is SL_EINVALID naming file:line:column, with a suggestion for a
 * misspelt name or the engine's message and position for a query.
 * Derived touches replace those of an earlier call.
 */
int sl_consumers_resolve(sl_consumers *cs, sl_conn *conn, const sl_schema *s);

/*
 * Derives the touches of consumer's queries on conn/s without failing on a
 * query that no longer derives: its error goes into query->error (used to
 * tell whether a schema change breaks a query). *nfailed counts them.
 */
int sl_consumer_derive(sl_consumers *cs, sl_consumer *consumer, sl_conn *conn, const sl_schema *s,
		       size_t *nfailed);

/* Borrowed lookups by name, NULL when absent. */
const sl_consumer *sl_consumers_find(const sl_consumers *cs, const char *name);
const sl_domain *sl_consumers_find_domain(const sl_consumers *cs, const char *name);
/* Index of level name, or -1. */
int sl_criticality_find(const sl_criticality *c, const char *name);
/* Name of level i, "none" when i < 0. */
const char *sl_criticality_name(const sl_criticality *c, int i);
/* Whether level i blocks lint (a consumer at it broken without a declaration fails). */
bool sl_criticality_blocks(const sl_criticality *c, int i);
/* The nearest of names (edit distance <= 3) to s, or NULL: for "did you mean" suggestions. */
const char *sl_nearest_name(const char *s, const char *const *names, size_t n);

#ifdef __cplusplus
}
#endif
#endif
