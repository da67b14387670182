// SPDX-License-Identifier: MIT
/*
 * The three buffer modes (see <ublk/ublk.h>): library buffers, reserved
 * per tag and returned to the system when idle; backend buffers, handed
 * back through ops->buffer_done once the kernel is done with them, with a
 * scratch area for the data of WRITEs failed before they had one; user
 * copy through the char device; and zero copy, the request's own pages
 * registered by the kernel in the ring's buffer table.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "queue.h"

static void *lib_buf(const struct ublk_queue *q, uint16_t tag)
{
	return q->bufs + (size_t)tag * q->buf_size;
}

int ublk_buf_setup(struct ublk_queue *q)
{
	void *map;

	q->release = calloc(q->depth, sizeof(*q->release));
	if (!q->release)
		return -ENOMEM;
	if (q->buf_mode != UBLK_BUF_LIBRARY)
		return 0;
	/* Reserved only: pages appear where the kernel or backend touch them. */
	q->buf_size = q->dev->info.max_io_bytes;
	map = mmap(NULL, (size_t)q->depth * q->buf_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	q->bufs = map;
	/* Huge pages would span several buffers and outlive the idle ones. */
	madvise(map, (size_t)q->depth * q->buf_size, MADV_NOHUGEPAGE);
	return 0;
}

void ublk_buf_teardown(struct ublk_queue *q)
{
	if (q->bufs)
		munmap(q->bufs, (size_t)q->depth * q->buf_size);
	if (q->scratch)
		munmap(q->scratch, q->dev->info.max_io_bytes);
	free(q->release);
}

void ublk_buf_give_back_all(struct ublk_queue *q)
{
	ublk_buf_after_submit(q);
	for (uint16_t tag = 0; tag < q->depth; tag++) {
		void *buf = q->slots[tag].buf;

		q->slots[tag].buf = NULL;
		if (buf && q->buf_mode == UBLK_BUF_BACKEND && q->ops && q->ops->buffer_done)
			q->ops->buffer_done(q, tag, buf, q->data);
	}
}

void *ublk_buf_for_cmd(struct ublk_queue *q, uint16_t tag)
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
	case UBLK_BUF_AUTO_REG:
		break;
	}
	return NULL;
}

void *ublk_buf_for_io(const struct ublk_queue *q, uint16_t tag)
{
	if (q->buf_mode == UBLK_BUF_LIBRARY)
		return lib_buf(q, tag);
	/* A WRITE waiting for its buffer has none yet. */
	if (q->buf_mode == UBLK_BUF_BACKEND && tag_state(q, tag) != UBLK_TAG_AWAIT_BUFFER)
		return q->slots[tag].buf;
	return NULL;
}

int32_t ublk_buf_index_for_io(const struct ublk_queue *q, uint16_t tag)
{
	const struct ublk_tag_slot *slot = &q->slots[tag];
	uint8_t op = slot->op_flags & 0xff;

	/* The kernel registers the pages of requests that carry data only. */
	if (q->buf_mode != UBLK_BUF_AUTO_REG || (op != UBLK_OP_READ && op != UBLK_OP_WRITE) ||
	    (slot->op_flags & UBLK_IO_F_NEED_REG_BUF))
		return -1;
	return tag;
}

/*
 * The kernel only takes NEED_GET_DATA for a WRITE the backend fails before
 * giving it a buffer: its data goes here, reserved on first use, never read.
 */
void *ublk_buf_scratch(struct ublk_queue *q)
{
	if (!q->scratch) {
		void *map = mmap(NULL, q->dev->info.max_io_bytes, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		q->scratch = map == MAP_FAILED ? NULL : map;
	}
	return q->scratch;
}

void ublk_buf_commit_queued(struct ublk_queue *q, uint16_t tag)
{
	struct ublk_tag_slot *slot = &q->slots[tag];

	if (q->buf_mode != UBLK_BUF_BACKEND || !slot->buf)
		return;
	q->release[q->release_count].tag = tag;
	q->release[q->release_count++].buf = slot->buf;
	slot->buf = NULL;
}

void ublk_buf_after_submit(struct ublk_queue *q)
{
	/* Callbacks may queue commits that add to the list: take it first. */
	while (q->release_count) {
		struct ublk_release r = q->release[--q->release_count];

		if (q->ops && q->ops->buffer_done)
			q->ops->buffer_done(q, r.tag, r.buf, q->data);
	}
}

void ublk_buf_note_use(struct ublk_queue *q, uint16_t tag)
{
	struct ublk_tag_slot *slot = &q->slots[tag];

	if (q->buf_mode != UBLK_BUF_LIBRARY)
		return;
	slot->buf_used = true;
	if (!slot->buf_dirty) {
		slot->buf_dirty = true;
		q->dirty_count++;
	}
}

void ublk_buf_arm_idle_timer(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->timer_armed || !q->dirty_count || !q->idle_ms || q->stopping || !q->deferred)
		return;
	sqe = ublk_ring_sqe(q);
	if (!sqe)
		return;
	q->timer_ts = ublk_ms_to_ts(q->idle_ms);
	io_uring_prep_timeout(sqe, &q->timer_ts, 0, 0);
	sqe->user_data = UBLK_UDATA_TIMER;
	q->timer_armed = true;
}

/*
 * The kernel writes a new WRITE's data into its tag's buffer from
 * completion work run in this thread, and reads a READ's data out of it
 * when the commit is submitted. So a buffer may go only when every commit
 * is submitted, every CQE reaped, and no completion work can run before
 * the madvise(): on a ring that defers that work to io_uring_enter
 * (GETEVENTS). Other rings keep their buffers.
 */
int ublk_buf_reclaim_idle(struct ublk_queue *q)
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
		ublk_buf_after_submit(q);
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

UBLK_EXPORT void ublk_queue_set_buffer_idle(struct ublk_queue *q, unsigned int ms)
{
	q->idle_ms = ms;
}

/* USER_COPY: @len bytes at @offset of request @tag's data, in or out. */
static ssize_t user_copy(struct ublk_queue *q, uint16_t tag, void *buf, size_t len,
			 size_t offset, bool out)
{
	size_t data;
	off_t at;
	ssize_t ret;

	/* Zero copy falls back to it where registration failed. */
	if ((q->buf_mode != UBLK_BUF_USER_COPY && q->buf_mode != UBLK_BUF_AUTO_REG) ||
	    tag >= q->depth || tag_state(q, tag) != UBLK_TAG_IN_BACKEND)
		return -EINVAL;
	/* Subtract, never add: offset + len may wrap around. */
	data = (size_t)q->slots[tag].nr_sectors << 9;
	if (len > data || offset > data - len)
		return -EINVAL;
	/* Where the request's data lives on the char device. */
	at = (off_t)(UBLKSRV_IO_BUF_OFFSET + ((uint64_t)q->q_id << UBLK_QID_OFF) +
		     ((uint64_t)tag << UBLK_TAG_OFF) + offset);
	ret = out ? pwrite(q->dev->cdev_fd, buf, len, at) : pread(q->dev->cdev_fd, buf, len, at);
	return ret < 0 ? -errno : ret;
}

UBLK_EXPORT ssize_t ublk_io_get_data(struct ublk_queue *q, uint16_t tag, void *buf,
				     size_t len, size_t offset)
{
	return user_copy(q, tag, buf, len, offset, false);
}

UBLK_EXPORT ssize_t ublk_io_put_data(struct ublk_queue *q, uint16_t tag, const void *buf,
				     size_t len, size_t offset)
{
	/* Only written to the device: the data is read, never changed. */
	return user_copy(q, tag, (void *)buf, len, offset, true);
}

UBLK_EXPORT int ublk_io_prep_rw_fixed(struct io_uring_sqe *sqe, const struct ublk_io *io,
				     int fd, uint64_t offset)
{
	size_t len = (size_t)io->nr_sectors << 9;

	if (io->buf_index < 0)
		return -EINVAL;
	/* A registered request buffer is addressed from 0. */
	if (io->op == UBLK_OP_READ)
		io_uring_prep_read_fixed(sqe, fd, NULL, (unsigned int)len, offset,
					 io->buf_index);
	else if (io->op == UBLK_OP_WRITE)
		io_uring_prep_write_fixed(sqe, fd, NULL, (unsigned int)len, offset,
					  io->buf_index);
	else
		return -EINVAL;
	return 0;
}
