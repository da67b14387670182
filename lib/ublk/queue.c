// SPDX-License-Identifier: MIT
/*
 * The data plane: one io_uring per queue, owned by the thread that set it
 * up. Every tag has one FETCH, COMMIT_AND_FETCH or NEED_GET_DATA command in
 * the kernel, or is in the backend's hands. Other threads never touch the
 * ring: they claim a tag, park it on a lock-free stack and wake the ring
 * through an eventfd it reads. The kernel aborts the commands when the
 * device stops; the queue is done once none is left, the backend holds no
 * request and its own SQEs have all completed.
 *
 * A new request's descriptor is copied out of the shared mapping once and
 * checked (desc.c); the backend only ever sees that copy, and a request
 * that fails the check is completed here with the error, unseen.
 *
 * Once ublk_ctrl_stop() is called for the device in this process, new
 * requests are failed unseen and every completion becomes -EIO: what is
 * in flight when a device goes fails, as it does when its server dies.
 * Each queue notes when its latest request arrived, for ublk_ctrl_stop()
 * to wait until they stop coming.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_IDLE_MS 1000

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) & ~(page - 1);
}

/* Acquire: the request copied into the slot before the state was set is visible. */
static uint8_t tag_state(const struct ublk_queue *q, uint16_t tag)
{
	return atomic_load_explicit(&q->slots[tag].state, memory_order_acquire);
}

static void set_tag_state(struct ublk_queue *q, uint16_t tag, uint8_t state)
{
	atomic_store_explicit(&q->slots[tag].state, state, memory_order_release);
}

/* ublk_ctrl_stop() was called in this process: requests fail from now on. */
static bool dev_stopping(const struct ublk_queue *q)
{
	return atomic_load_explicit(&q->dev->stopping, memory_order_relaxed);
}

static void *lib_buf(const struct ublk_queue *q, uint16_t tag)
{
	return q->bufs + (size_t)tag * q->buf_size;
}

static void after_submit(struct ublk_queue *q);

/* An SQE, submitting what is queued if the SQ ring is full. */
static struct io_uring_sqe *queue_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe && io_uring_submit(&q->ring) >= 0) {
		after_submit(q);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

/* Queue an IO command (FETCH, COMMIT_AND_FETCH, NEED_GET_DATA) for @tag. */
static int queue_io_cmd(struct ublk_queue *q, unsigned int op, uint16_t tag,
			int32_t result, void *addr)
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
	sqe->user_data = UBLK_UDATA_CMD | tag;
	cmd = (struct ublksrv_io_cmd *)sqe->cmd;
	cmd->q_id = q->q_id;
	cmd->tag = tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)addr;

	q->slots[tag].last_cmd = _IOC_NR(op);
	set_tag_state(q, tag, UBLK_TAG_IN_KERNEL);
	q->cmds_in_kernel++;
	return 0;
}

/* The buffer address a FETCH or COMMIT_AND_FETCH carries for @tag. */
static void *cmd_buf(struct ublk_queue *q, uint16_t tag)
{
	struct ublk_tag_slot *slot = &q->slots[tag];

	switch (q->buf_mode) {
	case UBLK_BUF_LIBRARY:
		return lib_buf(q, tag);
	case UBLK_BUF_BACKEND:
		/*
		 * The kernel copies a READ's data from here at commit; for other
		 * requests it wants a non-NULL address it will not use.
		 */
		return slot->buf ? slot->buf : (void *)q;
	case UBLK_BUF_USER_COPY:
		break;
	}
	return NULL;
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

/*
 * Where the kernel puts the data of a WRITE the backend fails before giving
 * it a buffer (it only takes NEED_GET_DATA for it): reserved, never read.
 */
static void *scratch_buf(struct ublk_queue *q)
{
	if (!q->scratch) {
		void *map = mmap(NULL, q->dev->info.max_io_bytes, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		q->scratch = map == MAP_FAILED ? NULL : map;
	}
	return q->scratch;
}

/* Send what the backend asked for @tag (owner thread). */
static void issue_claimed(struct ublk_queue *q, uint16_t tag)
{
	struct ublk_tag_slot *slot = &q->slots[tag];
	int ret;

	switch (slot->action) {
	case UBLK_ACT_GET_DATA:
		ret = queue_io_cmd(q, UBLK_U_IO_NEED_GET_DATA, tag, 0, slot->buf);
		break;
	case UBLK_ACT_FAIL_WRITE:
		ret = scratch_buf(q) ? queue_io_cmd(q, UBLK_U_IO_NEED_GET_DATA, tag, 0,
						    q->scratch)
				     : -ENOMEM;
		slot->fail_pending = ret == 0;
		break;
	default:
		if (slot->result >= 0 && dev_stopping(q))
			slot->result = -EIO;
		ret = queue_io_cmd(q, UBLK_U_IO_COMMIT_AND_FETCH_REQ, tag, slot->result,
				   cmd_buf(q, tag));
		/* Hand the buffer back once the kernel has taken the commit. */
		if (!ret && q->buf_mode == UBLK_BUF_BACKEND && slot->buf) {
			q->release[q->release_count].tag = tag;
			q->release[q->release_count++].buf = slot->buf;
			slot->buf = NULL;
		}
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
		issue_claimed(q, tag);
	else
		park_claimed(q, tag);
	return 0;
}

/* Owner: send everything other threads claimed. */
static unsigned int drain_remote(struct ublk_queue *q)
{
	uint32_t head = atomic_exchange_explicit(&q->remote_head, 0, memory_order_acquire);
	unsigned int n = 0;

	while (head) {
		uint16_t tag = (uint16_t)(head - 1);

		head = q->slots[tag].next;
		issue_claimed(q, tag);
		n++;
	}
	return n;
}

static void arm_event(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->event_armed)
		return;
	sqe = queue_sqe(q);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, q->event_fd, &q->event_val, sizeof(q->event_val), 0);
	sqe->user_data = UBLK_UDATA_EVENT;
	q->event_armed = true;
}

/* Library buffers: wake up when the oldest dirty buffer becomes idle. */
static void arm_timer(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->timer_armed || !q->dirty_count || !q->idle_ms || q->stopping || !q->deferred)
		return;
	sqe = queue_sqe(q);
	if (!sqe)
		return;
	q->timer_ts = ublk_ms_to_ts(q->idle_ms);
	io_uring_prep_timeout(sqe, &q->timer_ts, 0, 0);
	sqe->user_data = UBLK_UDATA_TIMER;
	q->timer_armed = true;
}

/* Called right after a submit: the kernel has taken the commits' buffers. */
static void after_submit(struct ublk_queue *q)
{
	/* Callbacks may queue commits that add to the list: take it first. */
	while (q->release_count) {
		struct ublk_release r = q->release[--q->release_count];

		if (q->ops && q->ops->buffer_done)
			q->ops->buffer_done(q, r.tag, r.buf, q->data);
	}
}

/*
 * Return idle library buffers to the system. The kernel writes a new
 * WRITE's data into its tag's buffer from completion work run in this
 * thread, and reads a READ's data out of it when the commit is submitted.
 * So it is safe only when every commit is submitted, every CQE reaped, and
 * no completion work can run before the madvise(): on a ring that defers
 * that work to io_uring_enter(GETEVENTS). Other rings keep their buffers.
 */
static int reclaim_idle(struct ublk_queue *q)
{
	int ret;

	q->reclaim_due = false;
	if (!q->deferred)
		return 0;
	if (io_uring_sq_ready(&q->ring)) {
		/* A plain submit: it runs no deferred completion work. */
		ret = io_uring_submit(&q->ring);
		if (ret < 0)
			return ret;
		after_submit(q);
	}
	/*
	 * A commit still in the SQ (a partial submit) is marked IN_KERNEL
	 * already, yet the kernel has not read its READ data: next time.
	 */
	if (io_uring_sq_ready(&q->ring) || io_uring_cq_ready(&q->ring))
		return 0; /* news arrived meanwhile: next time */
	/* A buffer unused for a whole idle period, with its tag waiting in the kernel. */
	for (uint16_t tag = 0; tag < q->depth; tag++) {
		struct ublk_tag_slot *slot = &q->slots[tag];

		if (!slot->buf_dirty)
			continue;
		if (slot->buf_used || tag_state(q, tag) != UBLK_TAG_IN_KERNEL) {
			slot->buf_used = false;
			continue;
		}
		madvise(lib_buf(q, tag), q->buf_size, MADV_DONTNEED);
		slot->buf_dirty = false;
		q->dirty_count--;
	}
	return 0;
}

static int submit(struct ublk_queue *q, unsigned int wait)
{
	int ret;

	/* Buffers to hand back need their commands submitted first. */
	if (q->release_count) {
		ret = io_uring_submit(&q->ring);
		if (ret < 0)
			return ret;
		after_submit(q);
	}
	/* Without waiting, still enter the kernel: deferred completions run there. */
	if (wait)
		ret = io_uring_submit_and_wait(&q->ring, wait);
	else
		ret = io_uring_submit_and_get_events(&q->ring);
	if (ret >= 0)
		after_submit(q);
	return ret;
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
	if (q->bufs)
		munmap(q->bufs, (size_t)q->depth * q->buf_size);
	if (q->scratch)
		munmap(q->scratch, q->dev->info.max_io_bytes);
	if (q->descs)
		munmap((void *)q->descs, q->descs_len);
	free(q->arrived);
	free(q->release);
	free(q->slots);
	free(q);
}

static int queue_alloc(struct ublk_queue *q)
{
	const struct ublk_dev_info *info = &q->dev->info;
	size_t max_desc_area = page_round(UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc));
	void *map;

	q->slots = calloc(q->depth, sizeof(*q->slots));
	q->release = calloc(q->depth, sizeof(*q->release));
	if (!q->slots || !q->release)
		return -ENOMEM;
	if (!q->ops || !q->ops->handle_io) {
		q->arrived = calloc(q->depth, sizeof(*q->arrived));
		if (!q->arrived)
			return -ENOMEM;
	}
	q->event_fd = eventfd(0, EFD_CLOEXEC);
	if (q->event_fd < 0)
		return -errno;

	q->descs_len = page_round(q->depth * sizeof(struct ublksrv_io_desc));
	map = mmap(NULL, q->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE, q->dev->cdev_fd,
		   UBLKSRV_CMD_BUF_OFFSET + (off_t)q->q_id * (off_t)max_desc_area);
	if (map == MAP_FAILED)
		return -errno;
	q->descs = map;

	if (q->buf_mode == UBLK_BUF_LIBRARY) {
		/* Reserved only: pages appear where the kernel or backend touch them. */
		q->buf_size = info->max_io_bytes;
		map = mmap(NULL, (size_t)q->depth * q->buf_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (map == MAP_FAILED)
			return -errno;
		q->bufs = map;
		/* Huge pages would span several buffers and outlive the idle ones. */
		madvise(map, (size_t)q->depth * q->buf_size, MADV_NOHUGEPAGE);
	}
	return 0;
}

UBLK_EXPORT int ublk_queue_init(struct ublk_dev *dev, uint16_t q_id,
				const struct ublk_queue_ops *ops, void *data,
				struct ublk_queue **qp)
{
	const struct ublk_dev_info *info = &dev->info;
	struct ublk_dev_params params;
	struct ublk_queue *q;
	int ret;

	if (q_id >= info->nr_queues)
		return -EINVAL;
	/* The device's size bounds every request (0 while it has none). */
	ret = ublk_ctrl_get_params(dev->ctrl, info->id, &params);
	if (ret < 0)
		return ret;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->limits.dev_sectors = params.size >> 9;
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
	if (info->flags & UBLK_FEAT_USER_COPY)
		q->buf_mode = UBLK_BUF_USER_COPY;
	else if (info->flags & UBLK_FEAT_NEED_GET_DATA)
		q->buf_mode = UBLK_BUF_BACKEND;
	else
		q->buf_mode = UBLK_BUF_LIBRARY;

	ret = queue_alloc(q);
	if (ret < 0)
		goto err;
	ret = queue_ring_init(q);
	if (ret < 0)
		goto err;

	/* Backend buffers: the kernel asks for a WRITE's buffer; none up front. */
	for (uint16_t tag = 0; tag < q->depth; tag++) {
		void *buf = q->buf_mode == UBLK_BUF_BACKEND ? NULL : cmd_buf(q, tag);

		ret = queue_io_cmd(q, UBLK_U_IO_FETCH_REQ, tag, -1, buf);
		if (ret < 0)
			goto err_ring;
	}
	arm_event(q);
	ret = io_uring_submit(&q->ring);
	if (ret < 0)
		goto err_ring;
	*qp = q;
	return 0;

err_ring:
	io_uring_queue_exit(&q->ring);
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
	/* Every buffer the backend gave comes back to it. */
	after_submit(q);
	for (uint16_t tag = 0; tag < q->depth; tag++) {
		void *buf = q->slots[tag].buf;

		q->slots[tag].buf = NULL;
		if (buf && q->buf_mode == UBLK_BUF_BACKEND && q->ops && q->ops->buffer_done)
			q->ops->buffer_done(q, tag, buf, q->data);
	}
	queue_free(q);
}

/* The backend's view of request @tag: the copy taken when it arrived. */
static void fill_io(const struct ublk_queue *q, uint16_t tag, struct ublk_io *io)
{
	const struct ublk_tag_slot *slot = &q->slots[tag];

	io->tag = tag;
	io->op = slot->op_flags & 0xff;
	io->flags = slot->op_flags & ~0xffU;
	io->sector = slot->start_sector;
	io->nr_sectors = slot->nr_sectors;
	io->buf = NULL;
	if (q->buf_mode == UBLK_BUF_LIBRARY)
		io->buf = lib_buf(q, tag);
	else if (q->buf_mode == UBLK_BUF_BACKEND && tag_state(q, tag) != UBLK_TAG_AWAIT_BUFFER)
		io->buf = slot->buf;
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
 * Fail a request the backend never sees, as a backend completion on this
 * thread would: a WRITE waiting for its buffer has its data go to scratch
 * first, like one the backend fails.
 */
static void refuse(struct ublk_queue *q, uint16_t tag, uint8_t state, int err)
{
	struct ublk_tag_slot *slot = &q->slots[tag];

	slot->action = state == UBLK_TAG_AWAIT_BUFFER ? UBLK_ACT_FAIL_WRITE : UBLK_ACT_COMMIT;
	slot->result = err;
	/* Straight to CLAIMED: no stray completion can take the tag meanwhile. */
	set_tag_state(q, tag, UBLK_TAG_CLAIMED);
	q->backend_held++; /* issue_claimed() gives it back once sent */
	issue_claimed(q, tag);
}

/*
 * Hand request @tag to the backend in @state. @first: it just arrived,
 * and its descriptor is still to be checked; otherwise it comes back with
 * the data of a WRITE, as checked on its arrival.
 */
static void deliver(struct ublk_queue *q, uint16_t tag, uint8_t state, bool first)
{
	struct ublk_io io;

	if (first) {
		int ret = dev_stopping(q) ? -EIO : accept_desc(q, tag, state);

		if (ret < 0) {
			refuse(q, tag, state, ret);
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

/* A CQE of one of the IO commands. */
static void handle_cmd_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe)
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
		q->backend_held++;
		set_tag_state(q, tag, UBLK_TAG_CLAIMED);
		slot->action = UBLK_ACT_COMMIT;
		issue_claimed(q, tag);
	} else if (cqe->res == UBLK_IO_RES_OK) {
		/* After NEED_GET_DATA the WRITE's data is in the backend's buffer. */
		bool first = slot->last_cmd != UBLK_IO_NEED_GET_DATA;

		q->arrived_now |= first;
		if (first)
			slot->buf = NULL;
		if (q->buf_mode == UBLK_BUF_LIBRARY) {
			slot->buf_used = true;
			if (!slot->buf_dirty) {
				slot->buf_dirty = true;
				q->dirty_count++;
			}
		}
		deliver(q, tag, UBLK_TAG_IN_BACKEND, first);
	} else if (cqe->res == UBLK_IO_RES_NEED_GET_DATA) {
		q->arrived_now = true;
		slot->buf = NULL;
		deliver(q, tag, UBLK_TAG_AWAIT_BUFFER, true);
	} else {
		/* Aborted because the device stops, or refused: the tag is finished. */
		set_tag_state(q, tag, UBLK_TAG_DONE);
		set_stopping(q);
		if (cqe->res != UBLK_IO_RES_ABORT && !q->error)
			q->error = cqe->res < 0 ? cqe->res : -EPROTO;
	}
}

static void handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe)
{
	if (cqe->user_data == UBLK_UDATA_EVENT) {
		q->event_armed = false;
		drain_remote(q);
		if (!ublk_queue_done(q))
			arm_event(q);
	} else if (cqe->user_data == UBLK_UDATA_TIMER) {
		q->timer_armed = false;
		q->reclaim_due = true;
	} else if (cqe->user_data & UBLK_UDATA_CMD) {
		handle_cmd_cqe(q, cqe);
	} else {
		q->target_inflight--;
		if (q->ops && q->ops->handle_cqe)
			q->ops->handle_cqe(q, cqe, q->data);
	}
}

static bool ring_failed(struct ublk_queue *q, int ret)
{
	if (ret >= 0 || ret == -EINTR || ret == -EAGAIN || ret == -EBUSY || ret == -ETIME)
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
	return seen + drain_remote(q);
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
	count = drain_remote(q);
	arm_event(q); /* if it could not be re-armed last time */
	arm_timer(q);
	ret = submit(q, (flags & UBLK_PROCESS_WAIT) ? 1 : 0);
	if (ring_failed(q, ret))
		return ret;
	count += reap(q);
	if (q->reclaim_due) {
		ret = reclaim_idle(q);
		if (ring_failed(q, ret))
			return ret;
	}

	while (flush && !ublk_queue_done(q)) {
		/* Buffers dirtied by this round need the idle timer running. */
		arm_timer(q);
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

UBLK_EXPORT int ublk_queue_fd(const struct ublk_queue *q)
{
	return q->pollable ? q->ring.ring_fd : -EINVAL;
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

UBLK_EXPORT bool ublk_queue_done(const struct ublk_queue *q)
{
	return q->stopping && !q->cmds_in_kernel && !q->target_inflight && !q->backend_held;
}

UBLK_EXPORT int ublk_queue_serve(struct ublk_queue *q)
{
	while (!ublk_queue_done(q)) {
		int ret = process(q, UBLK_PROCESS_WAIT, false);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME)
			return ret;
	}
	return q->error;
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

/* Where request @tag's data lives on the char device (USER_COPY). */
static off_t user_copy_offset(const struct ublk_queue *q, uint16_t tag, size_t offset)
{
	return (off_t)(UBLKSRV_IO_BUF_OFFSET + ((uint64_t)q->q_id << UBLK_QID_OFF) +
		       ((uint64_t)tag << UBLK_TAG_OFF) + offset);
}

static int check_user_copy(const struct ublk_queue *q, uint16_t tag, size_t len,
			   size_t offset)
{
	size_t data;

	if (q->buf_mode != UBLK_BUF_USER_COPY || tag >= q->depth ||
	    tag_state(q, tag) != UBLK_TAG_IN_BACKEND)
		return -EINVAL;
	/* Subtract, never add: offset + len may wrap around. */
	data = (size_t)q->slots[tag].nr_sectors << 9;
	if (len > data || offset > data - len)
		return -EINVAL;
	return 0;
}

UBLK_EXPORT ssize_t ublk_io_get_data(struct ublk_queue *q, uint16_t tag, void *buf,
				     size_t len, size_t offset)
{
	ssize_t ret = check_user_copy(q, tag, len, offset);

	if (ret < 0)
		return ret;
	ret = pread(q->dev->cdev_fd, buf, len, user_copy_offset(q, tag, offset));
	return ret < 0 ? -errno : ret;
}

UBLK_EXPORT ssize_t ublk_io_put_data(struct ublk_queue *q, uint16_t tag, const void *buf,
				     size_t len, size_t offset)
{
	ssize_t ret = check_user_copy(q, tag, len, offset);

	if (ret < 0)
		return ret;
	ret = pwrite(q->dev->cdev_fd, buf, len, user_copy_offset(q, tag, offset));
	return ret < 0 ? -errno : ret;
}

UBLK_EXPORT void ublk_queue_set_buffer_idle(struct ublk_queue *q, unsigned int ms)
{
	q->idle_ms = ms;
}

UBLK_EXPORT struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe = queue_sqe(q);

	if (sqe) {
		/* No stale user_data may look like one of the library's commands. */
		memset(sqe, 0, sizeof(*sqe));
		q->target_inflight++;
	}
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
