// SPDX-License-Identifier: MIT
/* The targets the runner knows, by name. */
#include <string.h>

#include "ublk_tool.h"

static const struct target_ops *const targets[] = {
	&null_target,
	&loop_target,
	&nbd_target,
};

const struct target_ops *target_find(const char *name)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(targets[i]->name, name))
			return targets[i];
	return NULL;
}
