/*
 * flavour.h - target flavours: engines that speak PostgreSQL's or MySQL's
 * protocol at scale (Citus, YugabyteDB, CockroachDB, Vitess) and need the DDL
 * a copy writes adapted (docs/commands/distributed.md, "Target flavours").
 *
 * A flavour refines a base engine and is data, like a dialect (dialect.h):
 * one constant descriptor each, saying what it changes. The DDL writer
 * (src/schema/ddl*.c) and the copy loader read the descriptor; nothing above
 * src/db/ names a flavour.
 */
#ifndef SLUICE_FLAVOUR_H
#define SLUICE_FLAVOUR_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a flavour spreads a table's rows over its nodes. */
typedef enum sl_flavour_sharding {
	SL_SHARD_NONE = 0, /* the engine decides (by the primary key): nothing to emit */
	SL_SHARD_CALLS,    /* statements after CREATE TABLE put each table on a column or on every node
			      (Citus: create_distributed_table / create_reference_table) */
	SL_SHARD_VSCHEMA,  /* a description beside the DDL (Vitess: the keyspace's VSchema JSON) */
} sl_flavour_sharding;

typedef struct sl_flavour {
	const char *name;  /* "citus": the name in --target-flavour and sluice.yaml */
	const char *title; /* "Citus": the name in messages */
	sl_engine engine;  /* the base engine (its URL scheme) */
	/* the primary key is declared in CREATE TABLE, never added after the rows (copy's keys-after-load
	 * off) */
	bool key_in_create;
	bool no_foreign_keys; /* foreign keys are not kept: dropped with a note */
	/* foreign keys are checked at once: DEFERRABLE INITIALLY DEFERRED is dropped with a note */
	bool no_deferrable;
	sl_flavour_sharding sharding;
	/*
	 * SL_SHARD_CALLS: a unique key (primary key, unique constraint or index)
	 * of a sharded table must hold its shard column, and a foreign key between
	 * sharded tables must pair the two shard columns; one that does not is
	 * dropped with a note. A foreign key from a table on every node to a
	 * sharded one is dropped too.
	 */
	const char *shard_fn;        /* SELECT shard_fn('table', 'column') */
	const char *everywhere_fn;   /* SELECT everywhere_fn('table') */
	const char *shard_word;      /* "distributed": what a sharded table is called in notes */
	const char *everywhere_word; /* "reference table": what a table on every node is called */
	const char *doc;             /* the public page of the keys' and foreign keys' rules */
	/* Plan notes: what else differs, each line with the public doc it comes from (NULL-terminated). */
	const char *const *notes;
} sl_flavour;

/* The flavour named name, NULL if none. Borrowed, constant. */
const sl_flavour *sl_flavour_named(const char *name);
/* The flavours' names, comma-separated ("citus, yugabyte, cockroach, vitess"). */
const char *sl_flavour_names(void);
/*
 * Resolves name (NULL or "": no flavour, *out NULL) for a target of engine e:
 * SL_EINVALID with a message for an unknown name or a flavour of another engine.
 */
int sl_flavour_for(const sl_flavour **out, const char *name, sl_engine e);

#ifdef __cplusplus
}
#endif
#endif
