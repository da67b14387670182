// SPDX-License-Identifier: MIT
/*
 * The tag state machine. A tag is IN_KERNEL while a command for it is in
 * flight; a request arrives IN_BACKEND, or AWAIT_BUFFER for a WRITE whose
 * backend buffer is still to come. The backend's completion, or its
 * buffer, claims the tag (CLAIMED) from any thread; only the owner thread
 * sends the command that follows, so a claim made elsewhere is parked on a
 * lock-free stack and the owner drains it. Nothing here submits: the
 * serving loop does (queue_ring.c).
 */
#include <sys/eventfd.h>

#include "queue.h"

int ublk_tag_send(struct ublk_queue *q, unsigned int op, uint16_t tag,
		  int32_t result, void *addr)
{
	int ret = ublk_ring_io_cmd(q, op, tag, result, addr);

	if (ret < 0)
		return ret;
	q->slots[tag].last_cmd = _IOC_NR(op);
	set_tag_state(q, tag, UBLK_TAG_IN_KERNEL);
	q->cmds_in_kernel++;
	return 0;
}

/* Leave a claimed tag for the queue's thread, and wake it. */
static void park_claimed(struct ublk_queue *q, uint16_t tag)
{
	uint32_t head = atomic_load_explicit(&q->remote_head, memory_order_relaxed);

	do {
		q->slots[tag].next = (uint16_t)head;
	} while (!atomic_compare_exchange_weak_explicit(&q->remote_head, &head, tag + 1U,
							memory_order_release,
							memory_order_relaxed));
	/* The first of a batch wakes the ring; the others ride along. */
	if (!head)
		eventfd_write(q->event_fd, 1);
}

/* The COMMIT_AND_FETCH of a completion: -EIO instead of success once stopping. */
static int send_commit(struct ublk_queue *q, uint16_t tag)
{
	struct ublk_tag_slot *slot = &q->slots[tag];
	int ret;

	if (slot->result >= 0 && dev_stopping(q))
		slot->result = -EIO;
	ret = ublk_tag_send(q, UBLK_U_IO_COMMIT_AND_FETCH_REQ, tag, slot->result,
			    ublk_buf_for_cmd(q, tag));
	if (!ret)
		ublk_buf_commit_queued(q, tag);
	return ret;
}

void ublk_tag_issue(struct ublk_queue *q, uint16_t tag)
{
	struct ublk_tag_slot *slot = &q->slots[tag];
	void *scratch;
	int ret;

	switch (slot->action) {
	case UBLK_ACT_GET_DATA:
		ret = ublk_tag_send(q, UBLK_U_IO_NEED_GET_DATA, tag, 0, slot->buf);
		break;
	case UBLK_ACT_FAIL_WRITE:
		/* The kernel hands over the data first; the failure follows it. */
		scratch = ublk_buf_scratch(q);
		ret = scratch ? ublk_tag_send(q, UBLK_U_IO_NEED_GET_DATA, tag, 0, scratch)
			      : -ENOMEM;
		slot->fail_pending = ret == 0;
		break;
	default:
		ret = send_commit(q, tag);
		break;
	}
	if (ret < 0) {
		/* No SQE (or no scratch area) to be had now: try again next round. */
		park_claimed(q, tag);
		return;
	}
	q->backend_held--;
}

/* Claim @tag for the backend's @action; send it now or from the owner. */
static int claim_tag(struct ublk_queue *q, uint16_t tag, uint8_t from,
		     uint8_t action, int32_t result, void *buf)
{
	struct ublk_tag_slot *slot;

	if (tag >= q->depth)
		return -EINVAL;
	slot = &q->slots[tag];
	/* Exactly one claim wins: no request is completed twice. */
	if (!atomic_compare_exchange_strong_explicit(&slot->state, &from, UBLK_TAG_CLAIMED,
						     memory_order_acquire,
						     memory_order_relaxed))
		return -EINVAL;
	slot->action = action;
	slot->result = result;
	if (buf)
		slot->buf = buf;

	if (pthread_equal(pthread_self(), q->owner))
		ublk_tag_issue(q, tag);
	else
		park_claimed(q, tag);
	return 0;
}

unsigned int ublk_tag_drain(struct ublk_queue *q)
{
	uint32_t head = atomic_exchange_explicit(&q->remote_head, 0, memory_order_acquire);
	unsigned int n = 0;

	while (head) {
		uint16_t tag = (uint16_t)(head - 1);

		head = q->slots[tag].next;
		ublk_tag_issue(q, tag);
		n++;
	}
	return n;
}

void ublk_tag_settle(struct ublk_queue *q, uint16_t tag, uint8_t action, int32_t result)
{
	struct ublk_tag_slot *slot = &q->slots[tag];

	slot->action = action;
	slot->result = result;
	/* Straight to CLAIMED: no stray completion can take the tag meanwhile. */
	set_tag_state(q, tag, UBLK_TAG_CLAIMED);
	q->backend_held++; /* ublk_tag_issue() gives it back once sent */
	ublk_tag_issue(q, tag);
}

UBLK_EXPORT int ublk_complete(struct ublk_queue *q, uint16_t tag, int32_t result)
{
	return ublk_complete_buffer(q, tag, result, NULL);
}

UBLK_EXPORT int ublk_complete_buffer(struct ublk_queue *q, uint16_t tag, int32_t result,
				     void *buf)
{
	if (tag >= q->depth || (buf && q->buf_mode != UBLK_BUF_BACKEND))
		return -EINVAL;
	if (q->buf_mode == UBLK_BUF_BACKEND) {
		const struct ublk_tag_slot *slot = &q->slots[tag];

		/* A WRITE waiting for its buffer can only be failed. */
		if (tag_state(q, tag) == UBLK_TAG_AWAIT_BUFFER)
			return result < 0 && !buf ? claim_tag(q, tag, UBLK_TAG_AWAIT_BUFFER,
							      UBLK_ACT_FAIL_WRITE, result, NULL)
						  : -EINVAL;
		/* The kernel copies a READ's data from the buffer: it needs one. */
		if (!buf && result > 0 && (slot->op_flags & 0xff) == UBLK_OP_READ)
			return -EINVAL;
		/* A WRITE's buffer is the one it was given; no other may replace it. */
		if (buf && slot->buf && buf != slot->buf)
			return -EINVAL;
	}
	return claim_tag(q, tag, UBLK_TAG_IN_BACKEND, UBLK_ACT_COMMIT, result, buf);
}

UBLK_EXPORT int ublk_provide_buffer(struct ublk_queue *q, uint16_t tag, void *buf)
{
	if (!buf || q->buf_mode != UBLK_BUF_BACKEND)
		return -EINVAL;
	return claim_tag(q, tag, UBLK_TAG_AWAIT_BUFFER, UBLK_ACT_GET_DATA, 0, buf);
}
