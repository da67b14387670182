// SPDX-License-Identifier: MIT
/* Description: the public header alone, as strict C99. */
#include "cpufreq-map/cpufreq-map.h"

int main(void)
{
	struct cfm_entry e = { 300000, 1000000 };
	struct cfm_table t = { 1, &e };

	return cfm_table_lookup(&t, 1) == 1000000 ? 0 : 1;
}
