/* SPDX-License-Identifier: MIT */
/*
 * Private to the queue's files: one io_uring per queue, owned by the thread
 * that set it up (queue_setup.c). Every tag has one FETCH, COMMIT_AND_FETCH
 * or NEED_GET_DATA command in the kernel, or is in the backend's hands
 * (queue_tags.c). The serving loop (queue_ring.c) submits and reaps; a
 * completed command brings a request (queue_requests.c); the data moves in
 * one of three buffer modes (queue_buffers.c). Other threads never touch
 * the ring: they claim a tag, park it on a lock-free stack and wake the
 * ring through an eventfd it reads. The kernel aborts the commands when
 * the device stops; the queue is done once none is left, the backend holds
 * no request and its own SQEs have all completed.
 *
 * Once ublk_ctrl_stop() is called for the device in this process, new
 * requests are failed unseen and every completion becomes -EIO: what is
 * in flight when a device goes fails, as it does when its server dies.
 * Each queue notes when its latest request arrived, for ublk_ctrl_stop()
 * to wait until they stop coming.
 */
#ifndef LIBUBLK_QUEUE_H
#define LIBUBLK_QUEUE_H

#include "internal.h"

/* user_data of the library's own SQEs on a queue ring: bit 63 set. */
#define UBLK_UDATA_CMD (1ULL << 63)                       /* IO command | tag */
#define UBLK_UDATA_EVENT (UBLK_UDATA_CMD | (1ULL << 62)) /* eventfd read */
#define UBLK_UDATA_TIMER (UBLK_UDATA_CMD | (1ULL << 61)) /* buffer idle timer */

/* Where a tag is in its life cycle. */
enum ublk_tag_state {
	UBLK_TAG_IN_KERNEL,    /* a command for it is in flight */
	UBLK_TAG_IN_BACKEND,   /* a request the backend holds */
	UBLK_TAG_AWAIT_BUFFER, /* a WRITE waiting for ublk_provide_buffer() */
	UBLK_TAG_CLAIMED,      /* completed or given a buffer, not sent yet */
	UBLK_TAG_DONE,         /* aborted: the device is stopping */
};

enum ublk_buf_mode {
	UBLK_BUF_LIBRARY,
	UBLK_BUF_BACKEND,
	UBLK_BUF_USER_COPY,
	UBLK_BUF_AUTO_REG, /* zero copy: the kernel registers, index = tag */
};

/* What the backend asked for a claimed tag. */
enum ublk_tag_action {
	UBLK_ACT_COMMIT,     /* COMMIT_AND_FETCH with slot->result */
	UBLK_ACT_GET_DATA,   /* NEED_GET_DATA into slot->buf */
	UBLK_ACT_FAIL_WRITE, /* NEED_GET_DATA into scratch, then fail */
};

struct ublk_tag_slot {
	/* The request as it arrived, checked: never read again from the mapping. */
	uint32_t op_flags;
	uint32_t nr_sectors;
	uint64_t start_sector;
	_Atomic uint8_t state; /* enum ublk_tag_state */
	uint8_t action;        /* enum ublk_tag_action, set with CLAIMED */
	uint8_t last_cmd;      /* _IOC_NR of the command in flight */
	bool buf_dirty;        /* library buffer may hold pages */
	bool buf_used;         /* ... and was used since the last idle tick */
	bool fail_pending;     /* commit slot->result once the data is in */
	int32_t result;
	uint16_t next;         /* next tag + 1 on the remote stack */
	void *buf;             /* backend buffer */
};

struct ublk_queue {
	struct io_uring ring;
	struct ublk_dev *dev;
	const struct ublk_queue_ops *ops;
	void *data;
	pthread_t owner;
	uint16_t q_id;
	uint16_t depth;
	enum ublk_buf_mode buf_mode;
	bool pollable; /* driven from an outside event loop */
	bool deferred; /* completion work runs only when we ask for events */
	const struct ublksrv_io_desc *descs;
	size_t descs_len;
	struct ublk_desc_limits limits;
	char *bufs; /* library mode: depth buffers of buf_size, reserved only */
	size_t buf_size;
	void *scratch; /* backend mode: where the data of failed WRITEs goes */
	struct ublk_tag_slot *slots;

	/* Tags claimed by other threads: a lock-free stack of tag + 1. */
	_Atomic uint32_t remote_head;
	int event_fd;
	uint64_t event_val;
	bool event_armed;

	/* Pull style: tags delivered but not handed out yet. */
	uint16_t *arrived;
	unsigned int arrived_head, arrived_count;

	/* Backend buffers to hand back once their commits are submitted. */
	struct ublk_release {
		uint16_t tag;
		void *buf;
	} *release;
	unsigned int release_count;

	/* Library buffers: idle pages go back to the system. */
	unsigned int idle_ms;
	unsigned int dirty_count;
	bool timer_armed;
	bool reclaim_due; /* the idle timer fired: reclaim after the next submit */
	struct __kernel_timespec timer_ts;

	unsigned int cmds_in_kernel;
	unsigned int backend_held; /* tags IN_BACKEND, AWAIT_BUFFER or CLAIMED */
	unsigned int target_inflight;
	bool stopping;
	bool arrived_now; /* a request arrived in this reap() */
	int error; /* first ring failure, reported by serve */
};

/* Acquire: the request copied into the slot before the state was set is visible. */
static inline uint8_t tag_state(const struct ublk_queue *q, uint16_t tag)
{
	return atomic_load_explicit(&q->slots[tag].state, memory_order_acquire);
}

static inline void set_tag_state(struct ublk_queue *q, uint16_t tag, uint8_t state)
{
	atomic_store_explicit(&q->slots[tag].state, state, memory_order_release);
}

/* ublk_ctrl_stop() was called in this process: requests fail from now on. */
static inline bool dev_stopping(const struct ublk_queue *q)
{
	return atomic_load_explicit(&q->dev->stopping, memory_order_relaxed);
}

/* queue_ring.c: the ring, on the owner thread. */

/* An SQE, submitting what is queued if the SQ ring is full; NULL if none. */
struct io_uring_sqe *ublk_ring_sqe(struct ublk_queue *q);

/* Queue the SQE of IO command @op for @tag; -EBUSY if there is no SQE. */
int ublk_ring_io_cmd(struct ublk_queue *q, unsigned int op, uint16_t tag,
		     int32_t result, void *addr);

/* Keep a read of the eventfd on the ring, by which other threads wake it. */
void ublk_ring_arm_event(struct ublk_queue *q);

/* queue_tags.c: the tag state machine. */

/* Queue IO command @op for @tag (ublk_ring_io_cmd()): the tag is IN_KERNEL. */
int ublk_tag_send(struct ublk_queue *q, unsigned int op, uint16_t tag,
		  int32_t result, void *addr);

/* Owner: send what was asked for CLAIMED @tag, or park it for the next round. */
void ublk_tag_issue(struct ublk_queue *q, uint16_t tag);

/* Owner: send every tag other threads claimed. Returns how many. */
unsigned int ublk_tag_drain(struct ublk_queue *q);

/*
 * Owner: settle @tag, which the backend does not hold, with @action and
 * @result, as a backend completion on this thread would.
 */
void ublk_tag_settle(struct ublk_queue *q, uint16_t tag, uint8_t action, int32_t result);

/* queue_buffers.c: the buffer modes. */

/* Set up the buffers of @q's mode; undo it (also after a partial set-up). */
int ublk_buf_setup(struct ublk_queue *q);
void ublk_buf_teardown(struct ublk_queue *q);

/* Every buffer the backend gave comes back to it (deinit). */
void ublk_buf_give_back_all(struct ublk_queue *q);

/* The buffer address a FETCH or COMMIT_AND_FETCH carries for @tag. */
void *ublk_buf_for_cmd(struct ublk_queue *q, uint16_t tag);

/* The buffer the backend sees in request @tag. */
void *ublk_buf_for_io(const struct ublk_queue *q, uint16_t tag);

/* The registered buffer of request @tag (zero copy), or -1. */
int32_t ublk_buf_index_for_io(const struct ublk_queue *q, uint16_t tag);

/* Where the data of a WRITE failed before it had a buffer goes; NULL: no memory. */
void *ublk_buf_scratch(struct ublk_queue *q);

/* A commit for @tag is queued: its backend buffer goes back once it is submitted. */
void ublk_buf_commit_queued(struct ublk_queue *q, uint16_t tag);

/* Called right after a submit: the kernel has taken the commits' buffers. */
void ublk_buf_after_submit(struct ublk_queue *q);

/* Library buffers: a request just arrived in @tag's; not idle, and to reclaim. */
void ublk_buf_note_use(struct ublk_queue *q, uint16_t tag);

/* Library buffers: wake up when the oldest dirty buffer becomes idle. */
void ublk_buf_arm_idle_timer(struct ublk_queue *q);

/* The idle timer fired: return idle library buffers to the system. */
int ublk_buf_reclaim_idle(struct ublk_queue *q);

/* queue_requests.c: requests arriving. */

/* A CQE of one of the IO commands. */
void ublk_req_handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe);

#endif
