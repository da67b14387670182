// SPDX-License-Identifier: MIT
/*
 * Setting a queue up and tearing it down, on the thread that will serve
 * it: its slots, its view of the descriptors the kernel writes, its
 * buffers, its ring, and a FETCH for every tag.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "queue.h"

#define DEFAULT_IDLE_MS 1000

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) & ~(page - 1);
}

static int queue_ring_init(struct ublk_queue *q)
{
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
	/*
	 * A poller of the ring must be woken at once: deferred work wakes it
	 * only after an RCU grace period, and cooperative task work not at
	 * all while the thread sleeps elsewhere. Plain task work it is.
	 */
	unsigned int first = q->pollable ? 2 : 0;
	/* A small SQ (it is flushed when full); a CQ for every command in flight. */
	unsigned int sq_entries = q->depth < 64 ? q->depth + 2U : 64;
	struct io_uring_params p;
	int ret = -EINVAL;

	for (unsigned int i = first; i < sizeof(setup_flags) / sizeof(setup_flags[0]) && ret == -EINVAL; i++) {
		memset(&p, 0, sizeof(p));
		p.flags = setup_flags[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = 2U * q->depth + 4;
		ret = io_uring_queue_init_params(sq_entries, &q->ring, &p);
		q->deferred = !ret && (p.flags & IORING_SETUP_DEFER_TASKRUN);
	}
	if (ret < 0)
		return ret;
	ret = io_uring_register_files(&q->ring, &q->dev->cdev_fd, 1);
	/* Zero copy: an empty table slot per tag, filled and emptied by the kernel. */
	if (!ret && q->buf_mode == UBLK_BUF_AUTO_REG)
		ret = io_uring_register_buffers_sparse(&q->ring, q->depth);
	if (ret < 0) {
		io_uring_queue_exit(&q->ring);
		return ret;
	}
	/* Saves a file lookup per io_uring_enter(); optional (Linux 5.18+). */
	io_uring_register_ring_fd(&q->ring);
	return 0;
}

static void queue_free(struct ublk_queue *q)
{
	if (q->event_fd >= 0)
		close(q->event_fd);
	ublk_buf_teardown(q);
	if (q->descs)
		munmap((void *)q->descs, q->descs_len);
	free(q->arrived);
	free(q->slots);
	free(q);
}

/* Map the descriptors of queue q_id, which the kernel writes. */
static int map_descs(struct ublk_queue *q)
{
	size_t max_desc_area = page_round(UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc));
	void *map;

	q->descs_len = page_round(q->depth * sizeof(struct ublksrv_io_desc));
	map = mmap(NULL, q->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE, q->dev->cdev_fd,
		   UBLKSRV_CMD_BUF_OFFSET + (off_t)q->q_id * (off_t)max_desc_area);
	if (map == MAP_FAILED)
		return -errno;
	q->descs = map;
	return 0;
}

static int queue_alloc(struct ublk_queue *q)
{
	int ret;

	q->slots = calloc(q->depth, sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	if (!q->ops || !q->ops->handle_io) {
		q->arrived = calloc(q->depth, sizeof(*q->arrived));
		if (!q->arrived)
			return -ENOMEM;
	}
	q->event_fd = eventfd(0, EFD_CLOEXEC);
	if (q->event_fd < 0)
		return -errno;
	ret = map_descs(q);
	if (ret < 0)
		return ret;
	return ublk_buf_setup(q);
}

/* A queue of @dev as its info and @params say, nothing set up yet. */
static struct ublk_queue *queue_new(struct ublk_dev *dev, uint16_t q_id,
				    const struct ublk_queue_ops *ops, void *data,
				    const struct ublk_dev_params *params)
{
	const struct ublk_dev_info *info = &dev->info;
	struct ublk_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->limits.dev_sectors = params->size >> 9;
	q->limits.max_io_sectors = info->max_io_bytes >> 9;
	q->dev = dev;
	q->ops = ops;
	q->data = data;
	q->owner = pthread_self();
	q->q_id = q_id;
	q->depth = info->queue_depth;
	q->idle_ms = DEFAULT_IDLE_MS;
	q->event_fd = -1;
	q->pollable = !ops || !ops->handle_io || (ops->flags & UBLK_QUEUE_POLL);
	if (info->flags & UBLK_FEAT_AUTO_BUF_REG)
		q->buf_mode = UBLK_BUF_AUTO_REG;
	else if (info->flags & UBLK_FEAT_USER_COPY)
		q->buf_mode = UBLK_BUF_USER_COPY;
	else if (info->flags & UBLK_FEAT_NEED_GET_DATA)
		q->buf_mode = UBLK_BUF_BACKEND;
	else
		q->buf_mode = UBLK_BUF_LIBRARY;
	return q;
}

/* A FETCH for every tag, and the eventfd read: the queue is open for requests. */
static int fetch_all(struct ublk_queue *q)
{
	int ret;

	/* Backend buffers: the kernel asks for a WRITE's buffer; none up front. */
	for (uint16_t tag = 0; tag < q->depth; tag++) {
		void *buf = q->buf_mode == UBLK_BUF_BACKEND ? NULL : ublk_buf_for_cmd(q, tag);

		ret = ublk_tag_send(q, UBLK_U_IO_FETCH_REQ, tag, -1, buf);
		if (ret < 0)
			return ret;
	}
	ublk_ring_arm_event(q);
	ret = io_uring_submit(&q->ring);
	return ret < 0 ? ret : 0;
}

UBLK_EXPORT int ublk_queue_init(struct ublk_dev *dev, uint16_t q_id,
				const struct ublk_queue_ops *ops, void *data,
				struct ublk_queue **qp)
{
	struct ublk_dev_params params;
	struct ublk_queue *q;
	int ret;

	if (q_id >= dev->info.nr_queues)
		return -EINVAL;
	/* The device's size bounds every request (0 while it has none). */
	ret = ublk_ctrl_get_params(dev->ctrl, dev->info.id, &params);
	if (ret < 0)
		return ret;
	q = queue_new(dev, q_id, ops, data, &params);
	if (!q)
		return -ENOMEM;
	ret = queue_alloc(q);
	if (ret < 0)
		goto err;
	ret = queue_ring_init(q);
	if (ret < 0)
		goto err;
	ret = fetch_all(q);
	if (ret < 0) {
		io_uring_queue_exit(&q->ring);
		goto err;
	}
	*qp = q;
	return 0;
err:
	queue_free(q);
	return ret;
}

UBLK_EXPORT void ublk_queue_deinit(struct ublk_queue *q)
{
	if (!q)
		return;
	/* Exiting the ring cancels whatever is still in the kernel. */
	io_uring_queue_exit(&q->ring);
	ublk_buf_give_back_all(q);
	queue_free(q);
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
