/* SPDX-License-Identifier: MIT */
/* Private state shared by the files of libublk. */
#ifndef LIBUBLK_INTERNAL_H
#define LIBUBLK_INTERNAL_H

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "ublk/ublk.h"
#include "ublk_abi.h"

#define UBLK_EXPORT __attribute__((visibility("default")))

/* user_data of the library's IO commands on a queue ring: bit 63 set. */
#define UBLK_UDATA_CMD (1ULL << 63)

struct ublk_ctrl {
	pthread_mutex_t lock;
	int fd;               /* /dev/ublk-control */
	struct io_uring ring; /* SQE128; valid while ring_ok */
	bool ring_ok;
	unsigned int timeout_ms;
	struct ublk_dev *devs; /* opened through this handle; under lock */
};

/* What a queue tells ublk_ctrl_stop(), on a cache line of its own. */
struct ublk_queue_activity {
	_Atomic long long last_request_ms; /* ublk_now_ms() of the latest arrival */
} __attribute__((aligned(64)));

struct ublk_dev {
	struct ublk_ctrl *ctrl;
	struct ublk_dev *next; /* on ctrl->devs */
	struct ublk_dev_info info;
	int cdev_fd; /* /dev/ublkcN */
	/* ublk_ctrl_stop() was called for it: its queues fail every request. */
	_Atomic bool stopping;
	struct ublk_queue_activity *activity; /* one per queue */
};

static inline long long ublk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* @ms milliseconds as io_uring's timeouts take them. */
static inline struct __kernel_timespec ublk_ms_to_ts(long long ms)
{
	return (struct __kernel_timespec){
		.tv_sec = ms / 1000,
		.tv_nsec = ms % 1000 * 1000000,
	};
}

/* Sleep @ms milliseconds, or less if a signal comes. */
static inline void ublk_sleep_ms(long long ms)
{
	const struct __kernel_timespec k = ublk_ms_to_ts(ms);
	const struct timespec ts = { .tv_sec = k.tv_sec, .tv_nsec = k.tv_nsec };

	nanosleep(&ts, NULL);
}

/*
 * The devices with id @id opened through @ctrl (dev.c): mark them stopping
 * (false if there is none), and the latest arrival of a request on any of
 * their queues (0: none yet).
 */
bool ublk_dev_mark_stopping(struct ublk_ctrl *ctrl, uint32_t id);
long long ublk_dev_last_request_ms(struct ublk_ctrl *ctrl, uint32_t id);

/* user_data of the library's own SQEs on a queue ring: bit 63 set. */
#define UBLK_UDATA_EVENT (UBLK_UDATA_CMD | (1ULL << 62)) /* eventfd read */
#define UBLK_UDATA_TIMER (UBLK_UDATA_CMD | (1ULL << 61)) /* buffer idle timer */

/* What a request descriptor is checked against. */
struct ublk_desc_limits {
	uint64_t dev_sectors;    /* device size; 0: unknown, not checked */
	uint32_t max_io_sectors; /* largest READ or WRITE: max_io_bytes >> 9 */
};

/*
 * 0 if the backend can be handed @desc; -EOPNOTSUPP for an operation the
 * library does not serve; -EIO for a READ or WRITE that is empty or larger
 * than max_io_sectors, or a READ, WRITE, DISCARD or WRITE_ZEROES that does
 * not lie within dev_sectors (desc.c).
 */
int ublk_desc_check(const struct ublksrv_io_desc *desc, const struct ublk_desc_limits *lim);

/*
 * Copy descriptor @src out of the mapping the kernel writes: each field is
 * read exactly once, so what is checked is what is used.
 */
static inline void ublk_desc_fetch(struct ublksrv_io_desc *dst,
				   const struct ublksrv_io_desc *src)
{
	const volatile struct ublksrv_io_desc *v = src;

	dst->op_flags = v->op_flags;
	dst->nr_sectors = v->nr_sectors;
	dst->start_sector = v->start_sector;
	dst->addr = v->addr;
}

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

#endif
