// SPDX-License-Identifier: MIT
/* apply: one evaluation, write the targets, exit; restores nothing. */
#include <stdlib.h>

#include "cfm-tool.h"

int cmd_apply(const struct tool_opts *o)
{
	struct cfm_config *cfg = NULL;
	struct cfm_gov *gov = NULL;
	uint64_t *seen = NULL;
	int ret = 1;

	if (tool_load(o, &cfg) || tool_open_gov(o, cfg, o->dry_run, &gov))
		goto out;
	seen = calloc(cfm_gov_nr_devices(gov) + 1, sizeof(*seen));
	if (!seen) {
		tool_err("out of memory");
		goto out;
	}
	if (cfm_gov_start(gov)) {
		tool_lib_err();
		goto out;
	}
	if (cfm_gov_evaluate(gov, tool_now_ns(), NULL) < 0) {
		tool_lib_err();
		/* Half applied is worse than not at all. */
		cfm_gov_restore(gov);
		goto out;
	}
	if (o->dry_run || o->verbose)
		tool_print_decisions(gov, seen, false);
	ret = 0;
out:
	free(seen);
	cfm_gov_close(gov);
	cfm_config_free(cfg);
	return ret;
}
