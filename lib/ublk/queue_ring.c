// SPDX-License-Identifier: MIT
/*
 * A queue's ring and its serving loop, on the owner thread: SQEs for the
 * IO commands, the eventfd read, the idle timer and the backend's own IO;
 * submit, reap, and hand every CQE to whom it belongs.
 */
#include <string.h>

#include "queue.h"

struct io_uring_sqe *ublk_ring_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe && io_uring_submit(&q->ring) >= 0) {
		ublk_buf_after_submit(q);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

int ublk_ring_io_cmd(struct ublk_queue *q, unsigned int op, uint16_t tag,
		     int32_t result, void *addr)
{
	struct io_uring_sqe *sqe = ublk_ring_sqe(q);
	struct ublksrv_io_cmd *cmd;

	if (!sqe)
		return -EBUSY;
	/* liburing 2.3 has no uring_cmd helper: fill the SQE by hand. */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = 0; /* the char device, registered as fixed file 0 */
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->cmd_op = op;
	sqe->user_data = UBLK_UDATA_CMD | tag;
	cmd = (struct ublksrv_io_cmd *)sqe->cmd;
	cmd->q_id = q->q_id;
	cmd->tag = tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)addr;
	/*
	 * Zero copy: where the kernel registers the tag's next request. A
	 * failed registration delivers the request for copying, not fails it.
	 */
	if (q->buf_mode == UBLK_BUF_AUTO_REG)
		sqe->addr = tag | (uint64_t)UBLK_AUTO_BUF_REG_FALLBACK << 16;
	return 0;
}

void ublk_ring_arm_event(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->event_armed)
		return;
	sqe = ublk_ring_sqe(q);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, q->event_fd, &q->event_val, sizeof(q->event_val), 0);
	sqe->user_data = UBLK_UDATA_EVENT;
	q->event_armed = true;
}

static int submit(struct ublk_queue *q, unsigned int wait)
{
	int ret;

	/* Buffers to hand back need their commands submitted first. */
	if (q->release_count) {
		ret = io_uring_submit(&q->ring);
		if (ret < 0)
			return ret;
		ublk_buf_after_submit(q);
	}
	/* Without waiting, still enter the kernel: deferred completions run there. */
	if (wait)
		ret = io_uring_submit_and_wait(&q->ring, wait);
	else
		ret = io_uring_submit_and_get_events(&q->ring);
	if (ret >= 0)
		ublk_buf_after_submit(q);
	return ret;
}

static void handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	if (cqe->user_data == UBLK_UDATA_EVENT) {
		q->event_armed = false;
		ublk_tag_drain(q);
		if (!ublk_queue_done(q))
			ublk_ring_arm_event(q);
	} else if (cqe->user_data == UBLK_UDATA_TIMER) {
		q->timer_armed = false;
		q->reclaim_due = true;
	} else if (cqe->user_data & UBLK_UDATA_CMD) {
		ublk_req_handle_cqe(q, cqe);
	} else {
		q->target_inflight--;
		if (q->ops && q->ops->handle_cqe)
			q->ops->handle_cqe(q, cqe, q->data);
	}
}

/* A ring error that the next round may not see again. */
static bool transient_error(int ret)
{
	return ret == -EINTR || ret == -EAGAIN || ret == -EBUSY || ret == -ETIME;
}

static bool ring_failed(struct ublk_queue *q, int ret)
{
	if (ret >= 0 || transient_error(ret))
		return false;
	q->error = q->error ? q->error : ret;
	return true;
}

/* Handle every CQE that is ready; then send what other threads claimed. */
static unsigned int reap(struct ublk_queue *q)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&q->ring, head, cqe) {
		handle_cqe(q, cqe);
		seen++;
	}
	io_uring_cq_advance(&q->ring, seen);
	/* Once per batch: ublk_ctrl_stop() waits for the arrivals to end. */
	if (q->arrived_now) {
		q->arrived_now = false;
		atomic_store_explicit(&q->dev->activity[q->q_id].last_request_ms, ublk_now_ms(),
				      memory_order_relaxed);
	}
	return seen + ublk_tag_drain(q);
}

/*
 * Drain, submit, wait if asked, handle CQEs. Handling queues new SQEs
 * (commits, the eventfd read) and a submit may post CQEs at once, without
 * waking a poller of the ring: with @flush, go round until nothing is left
 * either way, which a caller that then sleeps in its own epoll needs. The
 * serving loop leaves them for its next round.
 */
static int process(struct ublk_queue *q, unsigned int flags, bool flush)
{
	unsigned int count;
	int ret;

	if (ublk_queue_done(q))
		return 0;
	/* Completions parked by other threads go out with this submit. */
	count = ublk_tag_drain(q);
	ublk_ring_arm_event(q); /* if it could not be re-armed last time */
	ublk_buf_arm_idle_timer(q);
	ret = submit(q, (flags & UBLK_PROCESS_WAIT) ? 1 : 0);
	if (ring_failed(q, ret))
		return ret;
	count += reap(q);
	if (q->reclaim_due) {
		ret = ublk_buf_reclaim_idle(q);
		if (ring_failed(q, ret))
			return ret;
	}

	while (flush && !ublk_queue_done(q)) {
		/* Buffers dirtied by this round need the idle timer running. */
		ublk_buf_arm_idle_timer(q);
		if (!io_uring_sq_ready(&q->ring) && !io_uring_cq_ready(&q->ring))
			break;
		ret = submit(q, 0);
		if (ring_failed(q, ret))
			return ret;
		count += reap(q);
	}
	return (int)count;
}

UBLK_EXPORT int ublk_queue_process(struct ublk_queue *q, unsigned int flags)
{
	return process(q, flags, true);
}

UBLK_EXPORT bool ublk_queue_done(const struct ublk_queue *q)
{
	return q->stopping && !q->cmds_in_kernel && !q->target_inflight && !q->backend_held;
}

UBLK_EXPORT int ublk_queue_serve(struct ublk_queue *q)
{
	while (!ublk_queue_done(q)) {
		int ret = process(q, UBLK_PROCESS_WAIT, false);

		if (ret < 0 && !transient_error(ret))
			return ret;
	}
	return q->error;
}

UBLK_EXPORT int ublk_queue_fd(const struct ublk_queue *q)
{
	return q->pollable ? q->ring.ring_fd : -EINVAL;
}

UBLK_EXPORT struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe = ublk_ring_sqe(q);

	if (sqe) {
		/* No stale user_data may look like one of the library's commands. */
		memset(sqe, 0, sizeof(*sqe));
		q->target_inflight++;
	}
	return sqe;
}
