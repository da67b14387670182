// SPDX-License-Identifier: MIT
/* The library version, from the macros of the public header. */
#include "internal.h"

#define CFM_STR(x) #x
#define CFM_XSTR(x) CFM_STR(x)

CFM_EXPORT const char *cfm_version(void)
{
	return CFM_XSTR(CFM_VERSION_MAJOR) "." CFM_XSTR(CFM_VERSION_MINOR) "."
	       CFM_XSTR(CFM_VERSION_PATCH);
}
