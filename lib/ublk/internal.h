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

#endif
