/*
 * ddl_int.h - internal to the DDL generator (src/schema/ddl*.c): the
 * generated statements, the generator's state, the target names taken, and
 * the helpers the phases share. ddl.c collects statements, names objects and
 * writes CREATE TABLE; ddl_keys.c writes indexes, checks and foreign keys;
 * ddl_late.c writes sequences, views and triggers.
 */
#ifndef SLUICE_SCHEMA_DDL_INT_H
#define SLUICE_SCHEMA_DDL_INT_H

#include "sluice/ddl.h"
#include "sluice/arena.h"

struct sl_ddl {
	sl_arena *arena;
	sl_engine target;
	sl_ddl_stmt *stmts[SL_DDL__NPHASES];
	size_t n[SL_DDL__NPHASES], cap[SL_DDL__NPHASES];
	sl_ddl_item *items;
	size_t nitems, cap_items;
	/* names taken on the target, under the keys of name_keys() */
	const char **used;
	size_t nused, cap_used;
	char *flavour_text; /* sl_ddl_flavour_text, in the arena */
};

typedef struct gen {
	sl_ddl *d; /* NULL for sl_ddl_create_table: items are dropped */
	const sl_schema *src;
	const sl_cast_plan *plan;
	sl_engine e;
	const char *schema; /* PostgreSQL target schema or NULL */
	bool if_not_exists;
	bool same;            /* source dialect == target dialect */
	bool keys_after_load; /* sl_ddl_opts.keys_after_load */
	const sl_ddl_opts *opts;
	const sl_flavour *fl; /* sl_ddl_opts.flavour, NULL: none */
	const char **shard;   /* with a sharding flavour: per cast table, the source name of its shard
				 column; NULL: on every node */
} gen;

/* What an index or constraint name must be unique among, on the target. */
typedef enum name_space {
	NS_INDEX,     /* a plain index */
	NS_KEY,       /* a unique constraint: an index and a constraint */
	NS_CONSTRAINT /* a check or foreign key */
} name_space;

int ddl_phase_indexes(gen *g);
int ddl_phase_constraints(gen *g);
int ddl_phase_fkeys(gen *g);
int ddl_phase_sequences(gen *g);
int ddl_phase_views(gen *g);
int ddl_phase_triggers(gen *g);
int ddl_add_stmt(gen *g, sl_ddl_phase ph, const char *table, const sl_buf *sql);
int ddl_add_item(gen *g, sl_ddl_phase ph, const char *kind, const char *table, const char *name,
		 const char *original, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int ddl_qi(sl_buf *b, const gen *g, const char *name);
int ddl_qname(sl_buf *b, const gen *g, const char *name);
int ddl_qcols(sl_buf *b, const gen *g, const sl_cast_table *ct, const char *const *cols, size_t n);
int ddl_obj_name(gen *g, sl_buf *out, const sl_cast_table *ct, const char *name, const char *const *cols,
		 size_t ncols, const char *suffix, name_space ns);
int ddl_fk_body(sl_buf *b, gen *g, const sl_cast_table *ct, const sl_fkey *fk, const sl_cast_table *pt);
int ddl_check_expr(gen *g, sl_buf *out, const sl_cast_table *ct, const sl_check *ck);
/* ddl_flavour.c: what the target flavour changes. */
int ddl_flavour_prepare(gen *g);
int ddl_flavour_after_create(gen *g, size_t ti);
/* Whether a unique key over cols can be kept; adds the item saying why not (*rc: an error). */
bool ddl_flavour_keeps_key(gen *g, const sl_cast_table *ct, const char *kind, const char *name,
			   const char *const *cols, size_t n, int *rc);
bool ddl_flavour_keeps_fk(gen *g, const sl_cast_table *ct, const sl_fkey *fk, const sl_cast_table *pt,
			  int *rc);
int ddl_flavour_describe(gen *g);

/* Whether ct's primary key is added after the rows, in INDEXES (sl_ddl_opts.keys_after_load). */
bool ddl_key_deferred(const gen *g, const sl_cast_table *ct);

#endif
