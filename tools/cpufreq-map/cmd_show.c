// SPDX-License-Identifier: MIT
/* show: each device's table in the kernel governor's freq_map format. */
#include <stdio.h>
#include <stdlib.h>

#include "cfm-tool.h"

int cmd_show(const struct tool_opts *o)
{
	struct cfm_config *cfg;
	unsigned int i;
	int ret = 0;

	if (tool_load(o, &cfg))
		return 1;
	for (i = 0; i < cfm_config_nr_maps(cfg) && !ret; i++) {
		const struct cfm_map *m = cfm_config_get_map(cfg, i);
		const char *name = cfm_map_device_name(m);
		char *buf;
		int len;

		len = cfm_map_format(m, NULL, 0);
		buf = malloc((size_t)len + 1);
		if (!buf) {
			tool_err("out of memory");
			ret = 1;
			break;
		}
		cfm_map_format(m, buf, (size_t)len + 1);
		printf("device %s\n%s", name ? name : cfm_map_target_node(m), buf);
		free(buf);
	}
	cfm_config_free(cfg);
	if (fflush(stdout)) {
		tool_err("standard output: write error");
		ret = 1;
	}
	return ret;
}
