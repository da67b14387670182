// SPDX-License-Identifier: MIT
/* Fuzz the text configuration loader, then use whatever it accepted. */
#include <stddef.h>
#include <stdint.h>

#include "cpufreq-map/cpufreq-map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cfm_policy pol[] = {
		{ 0, 300000, 300000, 1800000 },
		{ 4, 2400000, 800000, 2400000 },
		{ 7, 1, 5, 5 },
	};
	struct cfm_config *cfg;
	char buf[256];
	unsigned int i;

	if (cfm_config_new(&cfg))
		return 0;
	if (!cfm_config_load_text(cfg, "fuzz", (const char *)data, size)) {
		for (i = 0; i < cfm_config_nr_maps(cfg); i++) {
			const struct cfm_map *m = cfm_config_get_map(cfg, i);

			cfm_map_format(m, buf, sizeof(buf));
			cfm_map_target(m, pol, 3, 100, 900);
		}
	}
	cfm_config_free(cfg);
	return 0;
}
