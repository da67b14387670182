// SPDX-License-Identifier: MIT
/*
 * Requests arriving: the CQE of a tag's command brings a new request, the
 * data of a WRITE, or the end of the device. A new request's descriptor is
 * copied out of the shared mapping once and checked (desc.c); the backend
 * only ever sees that copy, and a request that fails the check, or comes
 * while the device is stopping, is completed here with the error, unseen.
 */
#include "queue.h"

/* The backend's view of request @tag: the copy taken when it arrived. */
static void fill_io(const struct ublk_queue *q, uint16_t tag, struct ublk_io *io)
{
	const struct ublk_tag_slot *slot = &q->slots[tag];

	io->tag = tag;
	io->op = slot->op_flags & 0xff;
	io->flags = slot->op_flags & ~0xffU;
	io->sector = slot->start_sector;
	io->nr_sectors = slot->nr_sectors;
	io->buf = ublk_buf_for_io(q, tag);
	io->buf_index = ublk_buf_index_for_io(q, tag);
}

/*
 * A new request: copy its descriptor out of the shared mapping once,
 * check the copy and keep it for the backend. 0, or the error the request
 * is failed with.
 */
static int accept_desc(struct ublk_queue *q, uint16_t tag, uint8_t state)
{
	struct ublk_tag_slot *slot = &q->slots[tag];
	struct ublksrv_io_desc desc;
	int ret;

	ublk_desc_fetch(&desc, &q->descs[tag]);
	ret = ublk_desc_check(&desc, &q->limits);
	if (ret < 0)
		return ret;
	/* The kernel asks for a buffer for nothing but a WRITE. */
	if (state == UBLK_TAG_AWAIT_BUFFER && (desc.op_flags & 0xff) != UBLK_OP_WRITE)
		return -EIO;
	slot->op_flags = desc.op_flags;
	slot->nr_sectors = desc.nr_sectors;
	slot->start_sector = desc.start_sector;
	return 0;
}

/*
 * Hand request @tag to the backend in @state. @first: it just arrived,
 * and its descriptor is still to be checked; otherwise it comes back with
 * the data of a WRITE, as checked on its arrival. A request refused here
 * is failed as a backend completion on this thread would fail it: a WRITE
 * waiting for its buffer has its data go to scratch first.
 */
static void deliver(struct ublk_queue *q, uint16_t tag, uint8_t state, bool first)
{
	struct ublk_io io;

	if (first) {
		int ret = dev_stopping(q) ? -EIO : accept_desc(q, tag, state);

		if (ret < 0) {
			ublk_tag_settle(q, tag,
					state == UBLK_TAG_AWAIT_BUFFER ? UBLK_ACT_FAIL_WRITE
								       : UBLK_ACT_COMMIT,
					ret);
			return;
		}
	}
	set_tag_state(q, tag, state);
	q->backend_held++;
	if (!q->ops || !q->ops->handle_io) {
		q->arrived[(q->arrived_head + q->arrived_count++) % q->depth] = tag;
		return;
	}
	fill_io(q, tag, &io);
	q->ops->handle_io(q, &io, q->data);
}

/* The device stops: no request will come; tell the backend, once. */
static void set_stopping(struct ublk_queue *q)
{
	if (q->stopping)
		return;
	q->stopping = true;
	if (q->ops && q->ops->stop)
		q->ops->stop(q, q->data);
}

/* Aborted because the device stops, or refused: the tag is finished. */
static void finish_tag(struct ublk_queue *q, uint16_t tag, int res)
{
	set_tag_state(q, tag, UBLK_TAG_DONE);
	set_stopping(q);
	if (res != UBLK_IO_RES_ABORT && !q->error)
		q->error = res < 0 ? res : -EPROTO;
}

void ublk_req_handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	uint16_t tag = (uint16_t)cqe->user_data;
	struct ublk_tag_slot *slot;

	q->cmds_in_kernel--;
	if (tag >= q->depth) {
		q->error = q->error ? q->error : -EPROTO;
		set_stopping(q);
		return;
	}
	slot = &q->slots[tag];
	if (cqe->res == UBLK_IO_RES_OK && slot->fail_pending) {
		/* The failed WRITE's data went to scratch: now fail it. */
		slot->fail_pending = false;
		slot->buf = NULL;
		ublk_tag_settle(q, tag, UBLK_ACT_COMMIT, slot->result);
	} else if (cqe->res == UBLK_IO_RES_OK) {
		/* After NEED_GET_DATA the WRITE's data is in the backend's buffer. */
		bool first = slot->last_cmd != UBLK_IO_NEED_GET_DATA;

		q->arrived_now |= first;
		if (first)
			slot->buf = NULL;
		ublk_buf_note_use(q, tag);
		deliver(q, tag, UBLK_TAG_IN_BACKEND, first);
	} else if (cqe->res == UBLK_IO_RES_NEED_GET_DATA) {
		q->arrived_now = true;
		slot->buf = NULL;
		deliver(q, tag, UBLK_TAG_AWAIT_BUFFER, true);
	} else {
		finish_tag(q, tag, cqe->res);
	}
}

UBLK_EXPORT int ublk_queue_get_requests(struct ublk_queue *q, struct ublk_io *ios,
					unsigned int max)
{
	unsigned int n = 0;

	if (!q->arrived)
		return -EINVAL;
	while (n < max && q->arrived_count) {
		uint16_t tag = q->arrived[q->arrived_head];

		q->arrived_head = (q->arrived_head + 1) % q->depth;
		q->arrived_count--;
		fill_io(q, tag, &ios[n++]);
	}
	return (int)n;
}
