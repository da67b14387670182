// SPDX-License-Identifier: MIT
/* Description: the public header compiles alone as ISO C99 -pedantic. */
#include <ublk/ublk.h>

#include <string.h>

int main(void)
{
	struct ublk_dev_config cfg = { -1, 1, 128, 0, 0 };

	return cfg.id == -1 && !strcmp(ublk_feature_name(7), "USER_COPY") &&
			       !strcmp(ublk_state_name(UBLK_STATE_LIVE), "LIVE") &&
			       !ublk_feature_name(64)
		       ? 0
		       : 1;
}
