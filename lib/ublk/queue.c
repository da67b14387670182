// SPDX-License-Identifier: MIT
/*
 * The data plane: one io_uring per queue, owned by the thread that set it
 * up. Every tag has one FETCH or COMMIT_AND_FETCH command in the kernel,
 * or is in the backend's hands; the kernel aborts the commands when the
 * device stops, and the queue is done once none is left and the backend's
 * own SQEs have all completed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) & ~(page - 1);
}

static uint64_t cmd_udata(uint16_t tag)
{
	return UBLK_UDATA_CMD | tag;
}

/* The tag's data buffer; NULL with USER_COPY, where the kernel wants none. */
static void *tag_buf(const struct ublk_queue *q, uint16_t tag)
{
	return q->bufs ? q->bufs + (size_t)tag * q->buf_size : NULL;
}

/* An SQE, submitting what is queued if the SQ ring is full. */
static struct io_uring_sqe *queue_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe) {
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

/* Queue a FETCH or COMMIT_AND_FETCH command for @tag. */
static int queue_io_cmd(struct ublk_queue *q, unsigned int op, uint16_t tag,
			int32_t result)
{
	struct io_uring_sqe *sqe = queue_sqe(q);
	struct ublksrv_io_cmd *cmd;

	if (!sqe)
		return -EBUSY;
	/* liburing 2.3 has no uring_cmd helper: fill the SQE by hand. */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = 0; /* the char device, registered as fixed file 0 */
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->cmd_op = op;
	sqe->user_data = cmd_udata(tag);
	cmd = (struct ublksrv_io_cmd *)sqe->cmd;
	cmd->q_id = q->q_id;
	cmd->tag = tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)tag_buf(q, tag);

	q->tag_state[tag] = UBLK_TAG_IN_KERNEL;
	q->cmds_in_kernel++;
	return 0;
}

static int queue_ring_init(struct ublk_queue *q)
{
	/* Room for one command per tag plus as many backend SQEs. */
	unsigned int entries = 2U * q->depth;

	/*
	 * Only this thread touches the ring: let the kernel defer completion
	 * work until it asks for events, which batches the round trips. Older
	 * kernels refuse the flags they lack: retry with fewer.
	 */
	static const unsigned int setup_flags[] = {
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		0,
	};
	unsigned int i;
	int ret = -EINVAL;

	for (i = 0; i < sizeof(setup_flags) / sizeof(setup_flags[0]) && ret == -EINVAL; i++)
		ret = io_uring_queue_init(entries, &q->ring, setup_flags[i]);
	if (ret < 0)
		return ret;
	ret = io_uring_register_files(&q->ring, &q->dev->cdev_fd, 1);
	if (ret < 0)
		io_uring_queue_exit(&q->ring);
	return ret;
}

UBLK_EXPORT int ublk_queue_init(struct ublk_dev *dev, uint16_t q_id,
				const struct ublk_queue_ops *ops, void *data,
				struct ublk_queue **qp)
{
	const struct ublk_dev_info *info = &dev->info;
	size_t max_desc_area = page_round(UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc));
	struct ublk_queue *q;
	void *map;
	int ret;
	uint16_t tag;

	if (q_id >= info->nr_queues || !ops || !ops->handle_io)
		return -EINVAL;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->dev = dev;
	q->ops = ops;
	q->data = data;
	q->q_id = q_id;
	q->depth = info->queue_depth;
	q->buf_size = info->max_io_bytes;

	ret = -ENOMEM;
	q->tag_state = calloc(q->depth, sizeof(*q->tag_state));
	if (!q->tag_state)
		goto err_free;

	q->descs_len = page_round(q->depth * sizeof(struct ublksrv_io_desc));
	map = mmap(NULL, q->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE,
		   dev->cdev_fd, UBLKSRV_CMD_BUF_OFFSET + (off_t)q_id * (off_t)max_desc_area);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto err_free;
	}
	q->descs = map;

	/*
	 * Virtual only: pages appear where the kernel or backend touch them.
	 * With USER_COPY the backend moves data through the char device.
	 */
	if (!(info->flags & UBLK_FEAT_USER_COPY)) {
		map = mmap(NULL, (size_t)q->depth * q->buf_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			goto err_unmap_descs;
		}
		q->bufs = map;
	}

	ret = queue_ring_init(q);
	if (ret < 0)
		goto err_unmap_bufs;

	for (tag = 0; tag < q->depth; tag++) {
		ret = queue_io_cmd(q, UBLK_U_IO_FETCH_REQ, tag, -1);
		if (ret < 0)
			goto err_ring;
	}
	ret = io_uring_submit(&q->ring);
	if (ret < 0)
		goto err_ring;
	*qp = q;
	return 0;

err_ring:
	io_uring_queue_exit(&q->ring);
err_unmap_bufs:
	if (q->bufs)
		munmap(q->bufs, (size_t)q->depth * q->buf_size);
err_unmap_descs:
	munmap((void *)q->descs, q->descs_len);
err_free:
	free(q->tag_state);
	free(q);
	return ret;
}

UBLK_EXPORT void ublk_queue_deinit(struct ublk_queue *q)
{
	if (!q)
		return;
	/* Exiting the ring cancels whatever is still in the kernel. */
	io_uring_queue_exit(&q->ring);
	if (q->bufs)
		munmap(q->bufs, (size_t)q->depth * q->buf_size);
	munmap((void *)q->descs, q->descs_len);
	free(q->tag_state);
	free(q);
}

/* A CQE of one of our FETCH / COMMIT_AND_FETCH commands. */
static void handle_cmd_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	uint16_t tag = (uint16_t)cqe->user_data;
	const struct ublksrv_io_desc *desc;
	struct ublk_io io;

	q->cmds_in_kernel--;
	if (tag >= q->depth) {
		q->error = q->error ? q->error : -EPROTO;
		q->stopping = true;
		return;
	}
	if (cqe->res != UBLK_IO_RES_OK) {
		/* Aborted because the device stops, or refused: the tag is finished. */
		q->tag_state[tag] = UBLK_TAG_DONE;
		q->stopping = true;
		if (cqe->res != UBLK_IO_RES_ABORT && !q->error)
			q->error = cqe->res < 0 ? cqe->res : -EPROTO;
		return;
	}

	desc = &q->descs[tag];
	io.tag = tag;
	io.op = desc->op_flags & 0xff;
	io.flags = desc->op_flags & ~0xffU;
	io.sector = desc->start_sector;
	io.nr_sectors = desc->nr_sectors;
	io.buf = tag_buf(q, tag);
	q->tag_state[tag] = UBLK_TAG_IN_BACKEND;
	q->ops->handle_io(q, &io, q->data);
}

UBLK_EXPORT int ublk_queue_process(struct ublk_queue *q, unsigned int flags)
{
	struct io_uring_cqe *cqe;
	unsigned int head, count = 0;
	int ret;

	if (ublk_queue_done(q))
		return 0;
	/* Without waiting, still enter the kernel: deferred completions run there. */
	if (flags & UBLK_PROCESS_WAIT)
		ret = io_uring_submit_and_wait(&q->ring, 1);
	else
		ret = io_uring_submit_and_get_events(&q->ring);
	if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
		q->error = q->error ? q->error : ret;
		return ret;
	}

	io_uring_for_each_cqe(&q->ring, head, cqe) {
		if (cqe->user_data & UBLK_UDATA_CMD) {
			handle_cmd_cqe(q, cqe);
		} else {
			q->target_inflight--;
			if (q->ops->handle_cqe)
				q->ops->handle_cqe(q, cqe, q->data);
		}
		count++;
	}
	io_uring_cq_advance(&q->ring, count);
	return (int)count;
}

UBLK_EXPORT bool ublk_queue_done(const struct ublk_queue *q)
{
	return q->stopping && !q->cmds_in_kernel && !q->target_inflight;
}

UBLK_EXPORT int ublk_queue_serve(struct ublk_queue *q)
{
	while (!ublk_queue_done(q)) {
		int ret = ublk_queue_process(q, UBLK_PROCESS_WAIT);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return ret;
	}
	return q->error;
}

UBLK_EXPORT int ublk_complete(struct ublk_queue *q, uint16_t tag, int32_t result)
{
	if (tag >= q->depth || q->tag_state[tag] != UBLK_TAG_IN_BACKEND)
		return -EINVAL;
	return queue_io_cmd(q, UBLK_U_IO_COMMIT_AND_FETCH_REQ, tag, result);
}

UBLK_EXPORT struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe = queue_sqe(q);

	if (sqe)
		q->target_inflight++;
	return sqe;
}

UBLK_EXPORT uint16_t ublk_queue_id(const struct ublk_queue *q)
{
	return q->q_id;
}

UBLK_EXPORT struct ublk_dev *ublk_queue_dev(const struct ublk_queue *q)
{
	return q->dev;
}

UBLK_EXPORT void *ublk_queue_data(const struct ublk_queue *q)
{
	return q->data;
}
