// SPDX-License-Identifier: MIT
/*
 * null: completes every request at once. With USER_COPY (Linux 6.5+) no data
 * moves at all, as with the kernel's null_blk; otherwise reads return zeroes.
 */
#include "ublk_tool.h"

static int null_fill_params(const struct target *t, const struct add_opts *o,
			    struct ublk_dev_params *p)
{
	(void)t;
	p->size = o->size ? o->size : NULL_DEFAULT_SIZE;
	return 0;
}

static void null_handle_io(struct ublk_queue *q, const struct ublk_io *io,
			   void *data)
{
	bool data_op = io->op == UBLK_OP_READ || io->op == UBLK_OP_WRITE;

	(void)data;
	ublk_complete(q, io->tag, data_op ? (int32_t)io->nr_sectors << 9 : 0);
}

static const struct ublk_queue_ops null_queue_ops = {
	.handle_io = null_handle_io,
};

const struct target_ops null_target = {
	.name = "null",
	.flags = UBLK_FEAT_USER_COPY,
	.queue_ops = &null_queue_ops,
	/* --buffered means nothing here, and has always been let through. */
	.accepts = TARGET_OPT_SIZE | TARGET_OPT_BUFFERED,
	.fill_params = null_fill_params,
};
