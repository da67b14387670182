// SPDX-License-Identifier: MIT
/* The thread-local description of the last failure. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static _Thread_local char cfm_errbuf[1024];

int cfm_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfm_errbuf, sizeof(cfm_errbuf), fmt, ap);
	va_end(ap);
	return err;
}

CFM_EXPORT const char *cfm_last_error(void)
{
	return cfm_errbuf;
}
