// SPDX-License-Identifier: MIT
/*
 * The descriptor check (lib/ublk/desc.c): which requests reach the backend
 * and with what error the others are failed, at every boundary.
 */
#include <stdint.h>

#include "internal.h"
#include "t_assert.h"

#define DEV 1000003ULL /* an odd number of sectors */
#define MAX 1024U      /* 512 KiB */

static const struct ublk_desc_limits lim = { .dev_sectors = DEV, .max_io_sectors = MAX };

static int check(uint32_t op_flags, uint64_t start, uint32_t nr, const struct ublk_desc_limits *l)
{
	struct ublksrv_io_desc d = {
		.op_flags = op_flags,
		.nr_sectors = nr,
		.start_sector = start,
		.addr = 0xdeadbeef,
	};

	return ublk_desc_check(&d, l);
}

/* READ and WRITE: non-empty, at most MAX sectors, within the device. */
static void test_read_write(uint32_t op)
{
	T_CHECK(check(op, 0, 1, &lim) == 0);
	T_CHECK(check(op, DEV - 1, 1, &lim) == 0);       /* the last sector */
	T_CHECK(check(op, DEV, 1, &lim) == -EIO);        /* one past it */
	T_CHECK(check(op, DEV - MAX, MAX, &lim) == 0);   /* ends at the end */
	T_CHECK(check(op, DEV - MAX + 1, MAX, &lim) == -EIO);
	T_CHECK(check(op, DEV + 1, 1, &lim) == -EIO);
	T_CHECK(check(op, UINT64_MAX, 1, &lim) == -EIO);

	T_CHECK(check(op, 0, MAX, &lim) == 0);           /* max IO exactly */
	T_CHECK(check(op, 0, MAX + 1, &lim) == -EIO);    /* one more */
	T_CHECK(check(op, 0, UINT32_MAX, &lim) == -EIO);
	T_CHECK(check(op, 0, 0, &lim) == -EIO);          /* empty */
	T_CHECK(check(op, DEV - 1, 0, &lim) == -EIO);

	/* start + nr wraps around to a small number: still beyond the end. */
	T_CHECK(check(op, UINT64_MAX, 2, &lim) == -EIO);
	T_CHECK(check(op, UINT64_MAX - 511, MAX, &lim) == -EIO);
	T_CHECK(check(op, (uint64_t)-(int64_t)MAX, MAX, &lim) == -EIO);

	/* Flags are not the operation. */
	T_CHECK(check(op | UBLK_IO_FLAG_FUA | UBLK_IO_FLAG_META, DEV - 1, 1, &lim) == 0);
	T_CHECK(check(op | 0xffffff00U, DEV, 1, &lim) == -EIO);
}

/* DISCARD and WRITE_ZEROES: within the device, of any length. */
static void test_range_ops(uint32_t op)
{
	const struct ublk_desc_limits big = { .dev_sectors = 1ULL << 40, .max_io_sectors = MAX };

	T_CHECK(check(op, DEV - 1, 1, &lim) == 0);
	T_CHECK(check(op, DEV, 1, &lim) == -EIO);
	T_CHECK(check(op, 0, (uint32_t)DEV, &lim) == 0);  /* the whole device */
	T_CHECK(check(op, 1, (uint32_t)DEV, &lim) == -EIO);
	T_CHECK(check(op, 0, (uint32_t)DEV + 1, &lim) == -EIO);
	T_CHECK(check(op, DEV - MAX - 1, MAX + 1, &lim) == 0); /* larger than a READ may be */
	T_CHECK(check(op, 0, UINT32_MAX, &big) == 0);
	T_CHECK(check(op, (1ULL << 40) - UINT32_MAX, UINT32_MAX, &big) == 0);
	T_CHECK(check(op, (1ULL << 40) - UINT32_MAX + 1, UINT32_MAX, &big) == -EIO);
	T_CHECK(check(op, DEV, 0, &lim) == 0);            /* empty, at the end */
	T_CHECK(check(op, DEV + 1, 0, &lim) == -EIO);
	T_CHECK(check(op, UINT64_MAX, 2, &lim) == -EIO);
	T_CHECK(check(op, UINT64_MAX - 10, UINT32_MAX, &big) == -EIO);
}

/* A device as large as sectors go: the end itself is the limit. */
static void test_huge_device(void)
{
	const struct ublk_desc_limits huge = { .dev_sectors = UINT64_MAX, .max_io_sectors = MAX };

	T_CHECK(check(UBLK_OP_READ, UINT64_MAX - 1, 1, &huge) == 0);
	T_CHECK(check(UBLK_OP_READ, UINT64_MAX - MAX, MAX, &huge) == 0);
	T_CHECK(check(UBLK_OP_READ, UINT64_MAX - MAX + 1, MAX, &huge) == -EIO);
	T_CHECK(check(UBLK_OP_WRITE, UINT64_MAX, 1, &huge) == -EIO);
	T_CHECK(check(UBLK_OP_DISCARD, UINT64_MAX - 1, 2, &huge) == -EIO);
	T_CHECK(check(UBLK_OP_WRITE_ZEROES, UINT64_MAX, 0, &huge) == 0);
}

/* No size known yet (no parameters set): only the length is checked. */
static void test_unknown_size(void)
{
	const struct ublk_desc_limits nosize = { .dev_sectors = 0, .max_io_sectors = MAX };

	T_CHECK(check(UBLK_OP_READ, UINT64_MAX, MAX, &nosize) == 0);
	T_CHECK(check(UBLK_OP_WRITE, UINT64_MAX, 1, &nosize) == 0);
	T_CHECK(check(UBLK_OP_WRITE, 0, MAX + 1, &nosize) == -EIO);
	T_CHECK(check(UBLK_OP_READ, 0, 0, &nosize) == -EIO);
	T_CHECK(check(UBLK_OP_DISCARD, UINT64_MAX, UINT32_MAX, &nosize) == 0);
	T_CHECK(check(UBLK_OP_WRITE_SAME, 0, 1, &nosize) == -EOPNOTSUPP);
}

/* FLUSH carries no range: whatever its fields say, it is served. */
static void test_flush(void)
{
	T_CHECK(check(UBLK_OP_FLUSH, 0, 0, &lim) == 0);
	T_CHECK(check(UBLK_OP_FLUSH, UINT64_MAX, UINT32_MAX, &lim) == 0);
	T_CHECK(check(UBLK_OP_FLUSH | UBLK_IO_FLAG_FUA, DEV, 0, &lim) == 0);
}

/* Every operation value: five are served, all others refused. */
static void test_every_op(void)
{
	for (uint32_t op = 0; op < 256; op++) {
		bool served = op == UBLK_OP_READ || op == UBLK_OP_WRITE || op == UBLK_OP_FLUSH ||
			      op == UBLK_OP_DISCARD || op == UBLK_OP_WRITE_ZEROES;
		int ret = check(op, 0, 8, &lim);

		if (ret != (served ? 0 : -EOPNOTSUPP)) {
			fprintf(stderr, "op %u: got %d, want %d\n", op, ret,
				served ? 0 : -EOPNOTSUPP);
			t_failures++;
		}
	}
	/* WRITE_SAME and the zoned operations (REQ_OP_ZONE_* of the kernel). */
	T_CHECK(check(UBLK_OP_WRITE_SAME, 0, 8, &lim) == -EOPNOTSUPP);
	T_CHECK(check(10, 0, 8, &lim) == -EOPNOTSUPP);
	T_CHECK(check(13, 0, 8, &lim) == -EOPNOTSUPP);
	T_CHECK(check(15, 0, 8, &lim) == -EOPNOTSUPP);
	/* An unknown operation is refused as such even when its range is bad too. */
	T_CHECK(check(UBLK_OP_WRITE_SAME, UINT64_MAX, 0, &lim) == -EOPNOTSUPP);
}

/* The copy holds exactly what the descriptor held. */
static void test_fetch(void)
{
	const struct ublksrv_io_desc src = {
		.op_flags = UBLK_OP_WRITE | UBLK_IO_FLAG_FUA,
		.nr_sectors = 0x89abcdefU,
		.start_sector = 0x0123456789abcdefULL,
		.addr = 0xfedcba9876543210ULL,
	};
	struct ublksrv_io_desc dst;

	memset(&dst, 0x5a, sizeof(dst));
	ublk_desc_fetch(&dst, &src);
	T_CHECK(dst.op_flags == src.op_flags);
	T_CHECK(dst.nr_sectors == src.nr_sectors);
	T_CHECK(dst.start_sector == src.start_sector);
	T_CHECK(dst.addr == src.addr);
}

int main(void)
{
	test_read_write(UBLK_OP_READ);
	test_read_write(UBLK_OP_WRITE);
	test_range_ops(UBLK_OP_DISCARD);
	test_range_ops(UBLK_OP_WRITE_ZEROES);
	test_huge_device();
	test_unknown_size();
	test_flush();
	test_every_op();
	test_fetch();
	return T_EXIT();
}
