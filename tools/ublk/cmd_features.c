// SPDX-License-Identifier: MIT
/* `ublk features`: the running driver's features, one name per line. */
#include <string.h>

#include "ublk_tool.h"

int cmd_features(int argc, char **argv)
{
	struct ublk_ctrl *ctrl;
	uint64_t features;
	int ret;

	(void)argv;
	if (argc > 1) {
		log_err("features takes no arguments");
		return 1;
	}
	if (open_control(&ctrl) < 0)
		return 1;
	ret = ublk_ctrl_get_features(ctrl, &features);
	ublk_ctrl_close(ctrl);
	if (ret < 0) {
		log_err("get features: %s", strerror(-ret));
		return 1;
	}
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name = ublk_feature_name(bit);

		if (!((features >> bit) & 1))
			continue;
		if (name)
			printf("%s\n", name);
		else
			printf("UNKNOWN_BIT_%u\n", bit);
	}
	return 0;
}
