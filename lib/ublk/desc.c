// SPDX-License-Identifier: MIT
/*
 * The check a request descriptor passes before the backend sees it. The
 * kernel writes descriptors into a mapping it shares with us: whatever it
 * holds, a request the backend receives is one it can serve without
 * reading or writing outside the device or the request's buffer.
 */
#include "internal.h"

int ublk_desc_check(const struct ublksrv_io_desc *desc, const struct ublk_desc_limits *lim)
{
	switch (desc->op_flags & 0xff) {
	case UBLK_OP_READ:
	case UBLK_OP_WRITE:
		/* The data must fit the request's buffer (library or scratch). */
		if (!desc->nr_sectors || desc->nr_sectors > lim->max_io_sectors)
			return -EIO;
		break;
	case UBLK_OP_DISCARD:
	case UBLK_OP_WRITE_ZEROES:
		break;
	case UBLK_OP_FLUSH:
		return 0; /* no range */
	default:
		/* WRITE_SAME, zoned operations, anything newer. */
		return -EOPNOTSUPP;
	}
	/* Subtract, never add: start + length may wrap around. */
	if (lim->dev_sectors && (desc->start_sector > lim->dev_sectors ||
				 desc->nr_sectors > lim->dev_sectors - desc->start_sector))
		return -EIO;
	return 0;
}
