/* introspect_mysql.c - stub, replaced below */
#include "schema/introspect.h"
#include "sluice/error.h"
int sl_introspect_mysql(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts)
{
	(void)c; (void)opts; *out = NULL;
	return sl_error_set(SL_ERROR, "not yet");
}
