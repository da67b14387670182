// SPDX-License-Identifier: MIT
// Description: the public header from C++: extern "C" linkage works.
#include "cpufreq-map/cpufreq-map.h"

int main()
{
	struct cfm_entry e = { 300000, 1000000 };
	struct cfm_table t = { 1, &e };
	struct cfm_config *cfg = nullptr;

	if (cfm_config_new(&cfg))
		return 1;
	cfm_config_free(cfg);
	return cfm_table_lookup(&t, 1) == 1000000 ? 0 : 1;
}
