/* SPDX-License-Identifier: MIT */
/* Private state shared by the files of libublk. */
#ifndef LIBUBLK_INTERNAL_H
#define LIBUBLK_INTERNAL_H

#include <errno.h>
#include <liburing.h>
#include <pthread.h>

#include "ublk/ublk.h"
#include "ublk_abi.h"

#define UBLK_EXPORT __attribute__((visibility("default")))

/* user_data of the library's own commands on a queue ring: bit 63 set. */
#define UBLK_UDATA_CMD (1ULL << 63)

struct ublk_ctrl {
	pthread_mutex_t lock;
	int fd;               /* /dev/ublk-control */
	struct io_uring ring; /* SQE128; valid while ring_ok */
	bool ring_ok;
	unsigned int timeout_ms;
};

struct ublk_dev {
	struct ublk_ctrl *ctrl;
	struct ublk_dev_info info;
	int cdev_fd; /* /dev/ublkcN */
};

/* Where a tag is in its life cycle. */
enum ublk_tag_state {
	UBLK_TAG_IN_KERNEL, /* a FETCH or COMMIT_AND_FETCH is in flight */
	UBLK_TAG_IN_BACKEND, /* handed to the backend, not completed yet */
	UBLK_TAG_DONE,       /* the kernel aborted it: the queue is stopping */
};

struct ublk_queue {
	struct io_uring ring;
	struct ublk_dev *dev;
	const struct ublk_queue_ops *ops;
	void *data;
	uint16_t q_id;
	uint16_t depth;
	const struct ublksrv_io_desc *descs;
	size_t descs_len;
	char *bufs; /* depth buffers of buf_size bytes, backed lazily */
	size_t buf_size;
	uint8_t *tag_state; /* enum ublk_tag_state per tag */
	unsigned int cmds_in_kernel;
	unsigned int target_inflight;
	bool stopping;
	int error; /* first ring failure, reported by serve */
};

/* Run one control command on @ctrl (ctrl.c). */
int ublk_ctrl_cmd(struct ublk_ctrl *ctrl, unsigned int op,
		  struct ublksrv_ctrl_cmd *cmd);

#endif
