/*
 * flavour.c - the target flavours' descriptors (sluice/flavour.h) and their
 * lookup. Each descriptor says what differs from its base engine, with the
 * public documentation it comes from; docs/commands/distributed.md says the
 * same for users.
 */
#include "sluice/flavour.h"
#include "sluice/dialect.h"
#include "sluice/error.h"

#include <string.h>

static const char *const citus_notes[] = {
	"citus: tables are distributed (or made reference tables) right after CREATE TABLE, before any row "
	"(https://docs.citusdata.com/en/stable/develop/reference_ddl.html)",
	"citus: tables distributed on columns of the same type are co-located by default; a foreign key "
	"between distributed tables needs co-location "
	"(https://docs.citusdata.com/en/stable/develop/api_udf.html#create-distributed-table)",
	NULL
};

static const char *const yugabyte_notes[] = {
	"yugabyte: primary keys are declared in CREATE TABLE: adding one after the rows re-orders and "
	"re-distributes the table "
	"(https://docs.yugabyte.com/stable/explore/ysql-language-features/indexes-constraints/"
	"primary-key-ysql/)",
	"yugabyte: the first primary-key column is HASH-sharded by default, the others ASC "
	"(https://docs.yugabyte.com/stable/explore/going-beyond-sql/data-sharding/); a table without a "
	"primary key is sharded on a hidden row id",
	NULL
};

static const char *const cockroach_notes[] = {
	"cockroach: primary keys are declared in CREATE TABLE: a table created without one gets a hidden "
	"rowid key, and changing it later rewrites the table "
	"(https://www.cockroachlabs.com/docs/stable/primary-key)",
	"cockroach: COPY FROM STDIN takes the binary format copy uses "
	"(https://www.cockroachlabs.com/docs/stable/copy); keep --batch-rows moderate, transactions are "
	"serializable and large ones retry "
	"(https://www.cockroachlabs.com/docs/stable/transactions)",
	NULL
};

static const char *const vitess_notes[] = {
	"vitess: foreign keys are not kept: without foreign_key_mode managed, Vitess does not know them and "
	"they cannot span shards (https://vitess.io/docs/reference/features/foreign-keys/)",
	"vitess: a sharded table needs a vindex in the keyspace's VSchema "
	"(https://vitess.io/docs/reference/features/vschema/); AUTO_INCREMENT across shards needs a sequence "
	"table in an unsharded keyspace (https://vitess.io/docs/reference/features/vitess-sequences/); the "
	"VSchema below is a suggestion, apply it with ApplyVSchema before the copy",
	"vitess: a unique key without the sharding column is enforced within each shard only; a unique "
	"lookup "
	"vindex enforces it across shards (https://vitess.io/docs/reference/features/vindexes/)",
	NULL
};

/* dialect table: each flavour names the base engine whose protocol it speaks. */
static const sl_flavour flavours[] = {
	{ .name = "citus",
	  .title = "Citus",
	  .engine = SL_ENGINE_POSTGRES,
	  .sharding = SL_SHARD_CALLS,
	  .shard_fn = "create_distributed_table",
	  .everywhere_fn = "create_reference_table",
	  .shard_word = "distributed",
	  .everywhere_word = "reference table",
	  .doc = "https://docs.citusdata.com/en/stable/develop/reference_ddl.html",
	  .notes = citus_notes },
	{ .name = "yugabyte",
	  .title = "YugabyteDB",
	  .engine = SL_ENGINE_POSTGRES,
	  .key_in_create = true,
	  .notes = yugabyte_notes },
	{ .name = "cockroach",
	  .title = "CockroachDB",
	  .engine = SL_ENGINE_POSTGRES,
	  .key_in_create = true,
	  .no_deferrable = true,
	  .doc = "https://github.com/cockroachdb/cockroach/issues/31632",
	  .notes = cockroach_notes },
	{ .name = "vitess",
	  .title = "Vitess",
	  .engine = SL_ENGINE_MYSQL,
	  .no_foreign_keys = true,
	  .sharding = SL_SHARD_VSCHEMA,
	  .shard_word = "sharded",
	  .everywhere_word = "reference table",
	  .doc = "https://vitess.io/docs/reference/features/foreign-keys/",
	  .notes = vitess_notes },
};

#define NFLAVOURS (sizeof(flavours) / sizeof(flavours[0]))

const sl_flavour *sl_flavour_named(const char *name)
{
	for (size_t i = 0; name && i < NFLAVOURS; i++)
		if (strcmp(flavours[i].name, name) == 0)
			return &flavours[i];
	return NULL;
}

const char *sl_flavour_names(void)
{
	return "citus, yugabyte, cockroach, vitess";
}

int sl_flavour_for(const sl_flavour **out, const char *name, sl_engine e)
{
	*out = NULL;
	if (!name || !*name)
		return 0;
	const sl_flavour *f = sl_flavour_named(name);
	if (!f)
		return sl_error_set(SL_EINVALID, "unknown target flavour \"%s\" (one of: %s)", name,
				    sl_flavour_names());
	const sl_dialect *base = sl_dialect_of(f->engine), *have = sl_dialect_of(e);
	if (f->engine != e)
		return sl_error_set(SL_EINVALID,
				    "target flavour \"%s\" (%s) speaks %s's protocol, but the target is a %s "
				    "database",
				    name, f->title, base->title, have ? have->title : "no");
	*out = f;
	return 0;
}
