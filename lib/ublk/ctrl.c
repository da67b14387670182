// SPDX-License-Identifier: MIT
/*
 * The control plane: synchronous commands on /dev/ublk-control, carried by
 * a small SQE128 ring (the driver refuses control commands on 64-byte SQEs).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define CTRL_DEV "/dev/ublk-control"
#define CTRL_RING_DEPTH 4
#define CTRL_DEFAULT_TIMEOUT_MS 10000
/* How long a cancelled command may take to report back before the ring is dropped. */
#define CTRL_CANCEL_GRACE_MS 1000
#define CTRL_UDATA 1
#define CTRL_UDATA_CANCEL 2

static int ctrl_ring_setup(struct ublk_ctrl *ctrl)
{
	int ret;

	if (ctrl->ring_ok)
		return 0;
	ret = io_uring_queue_init(CTRL_RING_DEPTH, &ctrl->ring, IORING_SETUP_SQE128);
	if (ret < 0)
		return ret;
	ctrl->ring_ok = true;
	return 0;
}

/* A command stuck in the kernel: drop the ring, which cancels it for good. */
static void ctrl_ring_drop(struct ublk_ctrl *ctrl)
{
	io_uring_queue_exit(&ctrl->ring);
	ctrl->ring_ok = false;
}

/*
 * Wait at most @ms for the CQE of user_data @udata; other CQEs (a cancel's)
 * are dropped.
 */
static int ctrl_wait(struct ublk_ctrl *ctrl, uint64_t udata, unsigned int ms,
		     int *res)
{
	long long deadline = ublk_now_ms() + ms;
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int ret;

	for (;;) {
		long long left = deadline - ublk_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		ts = ublk_ms_to_ts(left);
		ret = io_uring_wait_cqe_timeout(&ctrl->ring, &cqe, &ts);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret == -ETIME ? -ETIMEDOUT : ret;
		if (cqe->user_data == udata) {
			*res = cqe->res;
			io_uring_cqe_seen(&ctrl->ring, cqe);
			return 0;
		}
		io_uring_cqe_seen(&ctrl->ring, cqe);
	}
}

static int ctrl_submit_and_wait(struct ublk_ctrl *ctrl, unsigned int op,
				const struct ublksrv_ctrl_cmd *cmd)
{
	struct io_uring_sqe *sqe;
	int ret, res;

	ret = ctrl_ring_setup(ctrl);
	if (ret < 0)
		return ret;

	sqe = io_uring_get_sqe(&ctrl->ring);
	if (!sqe)
		return -EBUSY;
	/* liburing 2.3 has no uring_cmd helper: fill the SQE by hand. */
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = ctrl->fd;
	sqe->cmd_op = op;
	sqe->user_data = CTRL_UDATA;
	memcpy(sqe->cmd, cmd, sizeof(*cmd));

	ret = io_uring_submit(&ctrl->ring);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EIO;

	ret = ctrl_wait(ctrl, CTRL_UDATA, ctrl->timeout_ms, &res);
	if (ret == 0)
		return res;
	if (ret != -ETIMEDOUT) {
		ctrl_ring_drop(ctrl);
		return ret;
	}

	/* Timed out: cancel the command, then drop the ring either way. */
	sqe = io_uring_get_sqe(&ctrl->ring);
	if (sqe) {
		memset(sqe, 0, 2 * sizeof(*sqe));
		io_uring_prep_cancel64(sqe, CTRL_UDATA, 0);
		sqe->user_data = CTRL_UDATA_CANCEL;
		if (io_uring_submit(&ctrl->ring) == 1)
			ctrl_wait(ctrl, CTRL_UDATA, CTRL_CANCEL_GRACE_MS, &res);
	}
	ctrl_ring_drop(ctrl);
	return -ETIMEDOUT;
}

/*
 * Run control command @op on device @id (-1: none): @data is its argument,
 * @buf the @len bytes the kernel reads or fills in (NULL, 0: none).
 */
static int ctrl_cmd(struct ublk_ctrl *ctrl, unsigned int op, uint32_t id,
		    uint64_t data, void *buf, uint16_t len)
{
	const struct ublksrv_ctrl_cmd cmd = {
		.dev_id = id,
		.queue_id = (uint16_t)-1,
		.len = len,
		.addr = (uintptr_t)buf,
		.data[0] = data,
	};
	int ret;

	pthread_mutex_lock(&ctrl->lock);
	ret = ctrl_submit_and_wait(ctrl, op, &cmd);
	pthread_mutex_unlock(&ctrl->lock);
	return ret;
}

UBLK_EXPORT int ublk_ctrl_open(struct ublk_ctrl **ctrlp)
{
	struct ublk_ctrl *ctrl;
	int ret;

	ctrl = calloc(1, sizeof(*ctrl));
	if (!ctrl)
		return -ENOMEM;
	ctrl->timeout_ms = CTRL_DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&ctrl->lock, NULL);
	ctrl->fd = open(CTRL_DEV, O_RDWR | O_CLOEXEC);
	if (ctrl->fd < 0) {
		ret = -errno;
		goto err;
	}
	ret = ctrl_ring_setup(ctrl);
	if (ret < 0)
		goto err_close;
	*ctrlp = ctrl;
	return 0;

err_close:
	close(ctrl->fd);
err:
	pthread_mutex_destroy(&ctrl->lock);
	free(ctrl);
	return ret;
}

UBLK_EXPORT void ublk_ctrl_close(struct ublk_ctrl *ctrl)
{
	if (!ctrl)
		return;
	if (ctrl->ring_ok)
		io_uring_queue_exit(&ctrl->ring);
	close(ctrl->fd);
	pthread_mutex_destroy(&ctrl->lock);
	free(ctrl);
}

UBLK_EXPORT void ublk_ctrl_set_timeout(struct ublk_ctrl *ctrl,
				       unsigned int timeout_ms)
{
	pthread_mutex_lock(&ctrl->lock);
	ctrl->timeout_ms = timeout_ms ? timeout_ms : 1;
	pthread_mutex_unlock(&ctrl->lock);
}

UBLK_EXPORT int ublk_ctrl_get_features(struct ublk_ctrl *ctrl,
				       uint64_t *features)
{
	uint64_t feat = 0;
	int ret;

	ret = ctrl_cmd(ctrl, UBLK_U_CMD_GET_FEATURES, (uint32_t)-1, 0, &feat, sizeof(feat));
	/* Before 6.5 the command is unknown, or taken for one on device -1. */
	if (ret == -EINVAL || ret == -ENOTTY || ret == -ENODEV)
		return -EOPNOTSUPP;
	if (ret < 0)
		return ret;
	*features = feat;
	return 0;
}

static void info_from_kernel(struct ublk_dev_info *info,
			     const struct ublksrv_ctrl_dev_info *k)
{
	memset(info, 0, sizeof(*info));
	info->id = k->dev_id;
	info->nr_queues = k->nr_hw_queues;
	info->queue_depth = k->queue_depth;
	info->max_io_bytes = k->max_io_buf_bytes;
	info->state = k->state;
	info->daemon_pid = k->ublksrv_pid;
	info->flags = k->flags;
	info->owner_uid = k->owner_uid;
	info->owner_gid = k->owner_gid;
}

UBLK_EXPORT int ublk_ctrl_add(struct ublk_ctrl *ctrl,
			      const struct ublk_dev_config *cfg,
			      struct ublk_dev_info *info)
{
	uint32_t id = cfg->id < 0 ? (uint32_t)-1 : (uint32_t)cfg->id;
	struct ublksrv_ctrl_dev_info k = {
		.nr_hw_queues = cfg->nr_queues,
		.queue_depth = cfg->queue_depth,
		.max_io_buf_bytes = cfg->max_io_bytes ? cfg->max_io_bytes
						      : UBLK_DEFAULT_IO_BYTES,
		.dev_id = id,
		.ublksrv_pid = -1,
		.flags = cfg->flags,
	};
	int ret;

	if (cfg->flags & ~UBLK_FEAT_SUPPORTED)
		return -EOPNOTSUPP;
	if (!cfg->nr_queues || cfg->nr_queues > UBLK_MAX_QUEUES ||
	    !cfg->queue_depth || cfg->queue_depth > UBLK_MAX_DEPTH ||
	    k.max_io_buf_bytes > UBLK_MAX_IO_BYTES ||
	    k.max_io_buf_bytes < (uint32_t)sysconf(_SC_PAGESIZE))
		return -EINVAL;

	ret = ctrl_cmd(ctrl, UBLK_U_CMD_ADD_DEV, id, 0, &k, sizeof(k));
	if (ret < 0)
		return ret;
	if (info)
		info_from_kernel(info, &k);
	return (int)k.dev_id;
}

/* How long ublk_ctrl_del() waits for the kernel to free the id, and how often it looks. */
#define DEL_RELEASE_MS 1000
#define DEL_RELEASE_POLL_MS 10

/*
 * After the asynchronous delete the kernel frees the id once the last
 * reference goes, which takes a moment even with none left (the block
 * device is freed after an RCU grace period): wait a little, so that the
 * id can be used again at once in the usual case.
 */
static void wait_id_released(struct ublk_ctrl *ctrl, uint32_t id)
{
	const long long deadline = ublk_now_ms() + DEL_RELEASE_MS;
	struct ublk_dev_info info;

	while (ublk_ctrl_get_info(ctrl, id, &info) == 0 && ublk_now_ms() < deadline)
		ublk_sleep_ms(DEL_RELEASE_POLL_MS);
}

UBLK_EXPORT int ublk_ctrl_del(struct ublk_ctrl *ctrl, uint32_t id)
{
	/*
	 * The plain delete waits until the last process that has the block
	 * device open closes it: a reader or a mount could hold it for good.
	 * The asynchronous one (Linux 6.9) deletes at once; the kernel frees
	 * the id once that process lets go. Older kernels know only the first.
	 */
	int ret = ctrl_cmd(ctrl, UBLK_U_CMD_DEL_DEV_ASYNC, id, 0, NULL, 0);

	if (ret == -EOPNOTSUPP || ret == -ENOTTY || ret == -EINVAL)
		return ctrl_cmd(ctrl, UBLK_U_CMD_DEL_DEV, id, 0, NULL, 0);
	if (ret == 0)
		wait_id_released(ctrl, id);
	return ret;
}

UBLK_EXPORT int ublk_ctrl_start(struct ublk_ctrl *ctrl, uint32_t id,
				pid_t daemon_pid)
{
	if (daemon_pid <= 0)
		return -EINVAL;
	return ctrl_cmd(ctrl, UBLK_U_CMD_START_DEV, id, (uint64_t)daemon_pid, NULL, 0);
}

/*
 * A device being stopped fails its requests until none has arrived for
 * STOP_QUIET_MS, and at most for STOP_FAIL_MAX_MS; then the kernel stops it.
 */
#define STOP_QUIET_MS 200
#define STOP_FAIL_MAX_MS 1000

/*
 * The kernel's stop first makes the disk 0 bytes long, so that a read
 * issued after it sees end-of-file, not an error, then waits for what is
 * in flight. A reader would take the end of the device for the end of its
 * data, or go on reading (fio), keeping the device open. So a device
 * served here first fails every request, those in flight and those that
 * come while its users are still at work, until they have stopped.
 */
static void fail_before_stop(struct ublk_ctrl *ctrl, uint32_t id)
{
	const long long deadline = ublk_now_ms() + STOP_FAIL_MAX_MS;

	if (!ublk_dev_mark_stopping(ctrl, id))
		return; /* not served through this handle */
	for (;;) {
		long long now = ublk_now_ms();
		long long quiet_at = ublk_dev_last_request_ms(ctrl, id) + STOP_QUIET_MS;
		long long until = quiet_at < deadline ? quiet_at : deadline;

		if (now >= until)
			return;
		ublk_sleep_ms(until - now);
	}
}

UBLK_EXPORT int ublk_ctrl_stop(struct ublk_ctrl *ctrl, uint32_t id)
{
	fail_before_stop(ctrl, id);
	return ctrl_cmd(ctrl, UBLK_U_CMD_STOP_DEV, id, 0, NULL, 0);
}

/* How often START_USER_RECOVERY is tried while the old daemon lets go. */
#define RECOVERY_RETRY_MS 20

UBLK_EXPORT int ublk_ctrl_start_recovery(struct ublk_ctrl *ctrl, uint32_t id)
{
	long long deadline;
	int ret;

	pthread_mutex_lock(&ctrl->lock);
	deadline = ublk_now_ms() + ctrl->timeout_ms;
	pthread_mutex_unlock(&ctrl->lock);
	/*
	 * The kernel refuses with -EBUSY until the dead daemon's char device
	 * is released and its queues are quiesced, which the kernel finishes
	 * asynchronously after the process is gone.
	 */
	for (;;) {
		ret = ctrl_cmd(ctrl, UBLK_U_CMD_START_USER_RECOVERY, id, 0, NULL, 0);
		if (ret != -EBUSY || ublk_now_ms() >= deadline)
			return ret;
		ublk_sleep_ms(RECOVERY_RETRY_MS);
	}
}

UBLK_EXPORT int ublk_ctrl_end_recovery(struct ublk_ctrl *ctrl, uint32_t id,
				       pid_t daemon_pid)
{
	if (daemon_pid <= 0)
		return -EINVAL;
	return ctrl_cmd(ctrl, UBLK_U_CMD_END_USER_RECOVERY, id, (uint64_t)daemon_pid, NULL, 0);
}

UBLK_EXPORT int ublk_ctrl_get_info(struct ublk_ctrl *ctrl, uint32_t id,
				   struct ublk_dev_info *info)
{
	struct ublksrv_ctrl_dev_info k = { 0 };
	int ret;

	ret = ctrl_cmd(ctrl, UBLK_U_CMD_GET_DEV_INFO, id, 0, &k, sizeof(k));
	if (ret < 0)
		return ret;
	info_from_kernel(info, &k);
	return 0;
}

UBLK_EXPORT int ublk_ctrl_set_params(struct ublk_ctrl *ctrl, uint32_t id,
				     const struct ublk_dev_params *p)
{
	uint8_t lbs = p->logical_block_shift ? p->logical_block_shift : 9;
	struct ublk_params k = {
		.len = sizeof(k),
		.types = UBLK_PARAM_TYPE_BASIC,
	};
	struct ublk_dev_info info;
	int ret;

	if (lbs < 9 || lbs > 12 || p->size % 512 || !p->size ||
	    (p->physical_block_shift && p->physical_block_shift < lbs))
		return -EINVAL;

	ret = ublk_ctrl_get_info(ctrl, id, &info);
	if (ret < 0)
		return ret;

	k.basic.logical_bs_shift = lbs;
	k.basic.physical_bs_shift = p->physical_block_shift ? p->physical_block_shift : lbs;
	k.basic.io_min_shift = p->io_min_shift ? p->io_min_shift : lbs;
	k.basic.io_opt_shift = p->io_opt_shift ? p->io_opt_shift : lbs;
	k.basic.max_sectors = p->max_sectors ? p->max_sectors : info.max_io_bytes >> 9;
	if (k.basic.max_sectors > info.max_io_bytes >> 9)
		return -EINVAL;
	k.basic.dev_sectors = p->size >> 9;
	k.basic.attrs = (p->read_only ? UBLK_ATTR_READ_ONLY : 0) |
			(p->rotational ? UBLK_ATTR_ROTATIONAL : 0) |
			(p->volatile_cache ? UBLK_ATTR_VOLATILE_CACHE : 0) |
			(p->fua ? UBLK_ATTR_FUA : 0);
	/* One kernel block for both; a limit of 0 there means "not sent". */
	if (p->discard || p->write_zeroes) {
		k.types |= UBLK_PARAM_TYPE_DISCARD;
		k.discard.discard_alignment = p->discard_alignment;
		k.discard.discard_granularity = p->discard_granularity ? p->discard_granularity : 1U << lbs;
		if (p->discard)
			k.discard.max_discard_sectors = p->max_discard_sectors ? p->max_discard_sectors
									: UINT32_MAX >> 9;
		if (p->write_zeroes)
			k.discard.max_write_zeroes_sectors =
				p->max_write_zeroes_sectors ? p->max_write_zeroes_sectors : UINT32_MAX >> 9;
		k.discard.max_discard_segments = p->max_discard_segments ? p->max_discard_segments : 1;
	}
	return ctrl_cmd(ctrl, UBLK_U_CMD_SET_PARAMS, id, 0, &k, sizeof(k));
}

UBLK_EXPORT int ublk_ctrl_get_params(struct ublk_ctrl *ctrl, uint32_t id,
				     struct ublk_dev_params *p)
{
	struct ublk_params k = { .len = sizeof(k) };
	int ret;

	ret = ctrl_cmd(ctrl, UBLK_U_CMD_GET_PARAMS, id, 0, &k, sizeof(k));
	if (ret < 0)
		return ret;
	memset(p, 0, sizeof(*p));
	if (k.types & UBLK_PARAM_TYPE_BASIC) {
		p->size = k.basic.dev_sectors << 9;
		p->logical_block_shift = k.basic.logical_bs_shift;
		p->physical_block_shift = k.basic.physical_bs_shift;
		p->io_min_shift = k.basic.io_min_shift;
		p->io_opt_shift = k.basic.io_opt_shift;
		p->max_sectors = k.basic.max_sectors;
		p->read_only = k.basic.attrs & UBLK_ATTR_READ_ONLY;
		p->rotational = k.basic.attrs & UBLK_ATTR_ROTATIONAL;
		p->volatile_cache = k.basic.attrs & UBLK_ATTR_VOLATILE_CACHE;
		p->fua = k.basic.attrs & UBLK_ATTR_FUA;
	}
	if (k.types & UBLK_PARAM_TYPE_DISCARD) {
		p->discard = k.discard.max_discard_sectors > 0;
		p->write_zeroes = k.discard.max_write_zeroes_sectors > 0;
		p->discard_alignment = k.discard.discard_alignment;
		p->discard_granularity = k.discard.discard_granularity;
		p->max_discard_sectors = k.discard.max_discard_sectors;
		p->max_write_zeroes_sectors = k.discard.max_write_zeroes_sectors;
		p->max_discard_segments = k.discard.max_discard_segments;
	}
	if (k.types & UBLK_PARAM_TYPE_DEVT) {
		p->char_major = k.devt.char_major;
		p->char_minor = k.devt.char_minor;
		p->disk_major = k.devt.disk_major;
		p->disk_minor = k.devt.disk_minor;
	}
	return 0;
}

UBLK_EXPORT int ublk_ctrl_get_affinity(struct ublk_ctrl *ctrl, uint32_t id,
				       uint16_t q_id, void *cpus, size_t size)
{
	/* The kernel wants whole longs. */
	if (size > UINT16_MAX || size % sizeof(long))
		return -EINVAL;
	memset(cpus, 0, size);
	return ctrl_cmd(ctrl, UBLK_U_CMD_GET_QUEUE_AFFINITY, id, q_id, cpus, (uint16_t)size);
}
