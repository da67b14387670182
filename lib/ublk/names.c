// SPDX-License-Identifier: MIT
/* Names of driver features and device states, for tools and logs. */
#include <stddef.h>

#include "internal.h"

static const char *const feature_names[] = {
	"ZERO_COPY",
	"URING_CMD_COMP_IN_TASK",
	"NEED_GET_DATA",
	"USER_RECOVERY",
	"USER_RECOVERY_REISSUE",
	"UNPRIVILEGED_DEV",
	"CMD_IOCTL_ENCODE",
	"USER_COPY",
	"ZONED",
	"USER_RECOVERY_FAIL_IO",
	"UPDATE_SIZE",
	"AUTO_BUF_REG",
	"QUIESCE",
	"PER_IO_DAEMON",
	"BUF_REG_OFF_DAEMON",
	"BATCH_IO",
	"INTEGRITY",
	"SAFE_STOP_DEV",
	"NO_AUTO_PART_SCAN",
	"SHMEM_ZC",
};

UBLK_EXPORT const char *ublk_feature_name(unsigned int bit)
{
	if (bit >= sizeof(feature_names) / sizeof(feature_names[0]))
		return NULL;
	return feature_names[bit];
}

UBLK_EXPORT const char *ublk_state_name(unsigned int state)
{
	switch (state) {
	case UBLK_STATE_DEAD:
		return "DEAD";
	case UBLK_STATE_LIVE:
		return "LIVE";
	case UBLK_STATE_QUIESCED:
		return "QUIESCED";
	case UBLK_STATE_FAIL_IO:
		return "FAIL_IO";
	}
	return "UNKNOWN";
}
