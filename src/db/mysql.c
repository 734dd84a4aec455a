/* mysql.c - placeholder until the real driver lands. */
#include "sluice/sys/driver.h"
#include "sluice/error.h"

static int nope(sl_conn **out, const sl_url *url)
{
	(void)url;
	*out = NULL;
	return sl_error_set(SL_ERROR, "the mysql driver is not built yet");
}

const sl_driver sl_driver_mysql = { .version = SL_DRIVER_VERSION, .name = "mysql", .engine = SL_ENGINE_MYSQL, .open = nope };
