// SPDX-License-Identifier: MIT
/*
 * Fuzz the request descriptor check with arbitrary descriptors and limits:
 * it must never accept a request that reaches outside the device or the
 * request's buffer, and must give exactly the documented error otherwise.
 *
 * Input: op_flags (4 bytes), nr_sectors (4), start_sector (8), dev_sectors
 * (8), max_io_sectors (4), host byte order, then a byte whose low bits
 * place start_sector and nr_sectors near the limits; missing bytes are 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { IN_SIZE = 29 };

static void fail(const struct ublksrv_io_desc *d, const struct ublk_desc_limits *lim, int got,
		 const char *why)
{
	fprintf(stderr, "op_flags %#x nr_sectors %u start_sector %llu dev_sectors %llu "
			"max_io_sectors %u: got %d: %s\n",
		d->op_flags, d->nr_sectors, (unsigned long long)d->start_sector,
		(unsigned long long)lim->dev_sectors, lim->max_io_sectors, got, why);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t in[IN_SIZE] = { 0 };
	struct ublksrv_io_desc d = { 0 };
	struct ublk_desc_limits lim;
	unsigned __int128 end;
	unsigned int op;
	bool known, sized, ranged;
	int got, want;

	memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
	memcpy(&d.op_flags, in, 4);
	memcpy(&d.nr_sectors, in + 4, 4);
	memcpy(&d.start_sector, in + 8, 8);
	memcpy(&lim.dev_sectors, in + 16, 8);
	memcpy(&lim.max_io_sectors, in + 24, 4);
	/* Boundaries are where mistakes live: land near them often. */
	if (in[28] & 1)
		d.start_sector = lim.dev_sectors - (d.start_sector & 0xffff);
	if (in[28] & 2)
		d.nr_sectors = lim.max_io_sectors + (int8_t)(d.nr_sectors & 0xff);

	got = ublk_desc_check(&d, &lim);

	/* The safety property, in arithmetic that cannot wrap. */
	op = d.op_flags & 0xff;
	known = op == UBLK_OP_READ || op == UBLK_OP_WRITE || op == UBLK_OP_FLUSH ||
		op == UBLK_OP_DISCARD || op == UBLK_OP_WRITE_ZEROES;
	sized = op == UBLK_OP_READ || op == UBLK_OP_WRITE;
	ranged = known && op != UBLK_OP_FLUSH;
	end = (unsigned __int128)d.start_sector + d.nr_sectors;
	if (!got) {
		if (!known)
			fail(&d, &lim, got, "accepted an unknown operation");
		if (sized && (!d.nr_sectors || d.nr_sectors > lim.max_io_sectors))
			fail(&d, &lim, got, "accepted an empty or oversized READ or WRITE");
		if (ranged && lim.dev_sectors && end > lim.dev_sectors)
			fail(&d, &lim, got, "accepted a request beyond the end of the device");
	}

	/* And exactly the documented answer, refusing nothing valid. */
	if (!known)
		want = -EOPNOTSUPP;
	else if (sized && (!d.nr_sectors || d.nr_sectors > lim.max_io_sectors))
		want = -EIO;
	else if (ranged && lim.dev_sectors && end > lim.dev_sectors)
		want = -EIO;
	else
		want = 0;
	if (got != want)
		fail(&d, &lim, got, want ? "accepted or wrongly refused" : "refused a valid request");
	return 0;
}
