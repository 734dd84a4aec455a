/*
 * expand_glue.h - how the runner (runner.c) hands expand/contract
 * migrations to src/expand/ and keeps their history rows (internal to
 * src/migrate). The history row of such a migration is "expanding" until
 * its expand phase finished, "expanded" while both versions are live, and
 * "applied" once contracted.
 */
#ifndef SLUICE_MIGRATE_EXPAND_GLUE_H
#define SLUICE_MIGRATE_EXPAND_GLUE_H

#include "sluice/migrate.h"

/* True when the history row says the migration is in expand. */
bool sl_mglue_in_expand(const sl_history_row *row);

/*
 * Applies the pending expand migration m: records row as "expanding", runs
 * the expand phase, records "expanded". On a failure that left nothing
 * behind the row is removed again.
 */
int sl_mglue_apply(sl_conn *c, const sl_migrate_opts *o, const char *lock_name, const sl_migration *m,
		   sl_history_row *row);
/* Finishes the expand phase of s ("expanding": a killed or failed run). */
int sl_mglue_resume(sl_conn *c, const sl_migrate_opts *o, const char *lock_name, const sl_mig_status *s);
/*
 * Reverts s when it is an expand/contract migration: in expand, undoes the
 * expand and forgets the row (*handled true). Contracted ones are reverted
 * by their down section; sl_mglue_after_revert() then restores the version
 * before them.
 */
int sl_mglue_revert(sl_conn *c, const sl_migrate_opts *o, const sl_mig_status *s, bool *handled);
int sl_mglue_after_revert(sl_conn *c, const sl_migrate_opts *o, const sl_mig_status *s);

/* For dynamic lint: m run start to end on the scratch database c (sl_expand_rehearse). */
int sl_mglue_rehearse(sl_conn *c, const sl_migration *m, const char *table);

#endif
