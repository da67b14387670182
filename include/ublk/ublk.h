/* SPDX-License-Identifier: MIT */
/*
 * libublk: userspace block devices on the Linux ublk driver.
 *
 * The library is meant to be embedded in an existing storage backend. It
 * never creates threads and never forks: the caller sets every queue up in
 * the thread that will serve it. It prints nothing.
 *
 * Error convention, everywhere: functions returning int return 0 (or a
 * count) on success and a negative errno on failure.
 *
 * Two layers:
 *  - the control plane (struct ublk_ctrl): synchronous admin commands on
 *    /dev/ublk-control: add, set parameters, start, stop, delete; and the
 *    list of the devices that exist, which needs no handle;
 *  - the data plane (struct ublk_dev, struct ublk_queue): per-queue
 *    io_uring rings that receive IO descriptors from the kernel and send
 *    completions back.
 */
#ifndef UBLK_UBLK_H
#define UBLK_UBLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UBLK_VERSION_MAJOR 0
#define UBLK_VERSION_MINOR 1

struct io_uring_sqe;
struct io_uring_cqe;

/* ---------------------------------------------------------------------- */
/* Driver features (bit numbers and values are those of the kernel).      */
/* ---------------------------------------------------------------------- */
#define UBLK_FEAT_ZERO_COPY (1ULL << 0)
#define UBLK_FEAT_URING_CMD_COMP_IN_TASK (1ULL << 1)
#define UBLK_FEAT_NEED_GET_DATA (1ULL << 2)
#define UBLK_FEAT_USER_RECOVERY (1ULL << 3)
#define UBLK_FEAT_USER_RECOVERY_REISSUE (1ULL << 4)
#define UBLK_FEAT_UNPRIVILEGED_DEV (1ULL << 5)
#define UBLK_FEAT_CMD_IOCTL_ENCODE (1ULL << 6)
#define UBLK_FEAT_USER_COPY (1ULL << 7)
#define UBLK_FEAT_ZONED (1ULL << 8)
#define UBLK_FEAT_USER_RECOVERY_FAIL_IO (1ULL << 9)
#define UBLK_FEAT_AUTO_BUF_REG (1ULL << 11)

/* The flags a device may be added with: what this library can serve. */
#define UBLK_FEAT_SUPPORTED                                                    \
	(UBLK_FEAT_URING_CMD_COMP_IN_TASK | UBLK_FEAT_NEED_GET_DATA |          \
	 UBLK_FEAT_USER_RECOVERY | UBLK_FEAT_USER_RECOVERY_REISSUE |           \
	 UBLK_FEAT_CMD_IOCTL_ENCODE | UBLK_FEAT_USER_COPY |                    \
	 UBLK_FEAT_USER_RECOVERY_FAIL_IO | UBLK_FEAT_AUTO_BUF_REG)

/*
 * Name of feature bit @bit ("USER_COPY", ...), or NULL for a bit this
 * library does not know by name.
 */
const char *ublk_feature_name(unsigned int bit);

/* ---------------------------------------------------------------------- */
/* Devices as the kernel sees them.                                       */
/* ---------------------------------------------------------------------- */
enum ublk_dev_state {
	UBLK_STATE_DEAD = 0,     /* added or stopped: no block device */
	UBLK_STATE_LIVE = 1,     /* started: /dev/ublkbN serves IO */
	UBLK_STATE_QUIESCED = 2, /* daemon gone, waiting for recovery */
	UBLK_STATE_FAIL_IO = 3,  /* daemon gone, IO fails until recovery */
};

/* Name of a device state ("LIVE", ...); "UNKNOWN" for other values. */
const char *ublk_state_name(unsigned int state);

/* Limits of the kernel driver. */
#define UBLK_MAX_QUEUES 4096
#define UBLK_MAX_DEPTH 4096
#define UBLK_MAX_IO_BYTES (32U << 20)
#define UBLK_DEFAULT_IO_BYTES (512U << 10)

/* What a new device is made of. */
struct ublk_dev_config {
	int32_t id;            /* device id, or -1 for the kernel to choose */
	uint16_t nr_queues;    /* 1 .. UBLK_MAX_QUEUES */
	uint16_t queue_depth;  /* 1 .. UBLK_MAX_DEPTH */
	uint32_t max_io_bytes; /* largest request; 0: UBLK_DEFAULT_IO_BYTES */
	uint64_t flags;        /* UBLK_FEAT_* requested */
};

/* A device as reported by the kernel. */
struct ublk_dev_info {
	uint32_t id;
	uint16_t nr_queues;
	uint16_t queue_depth;
	uint32_t max_io_bytes;
	uint16_t state;     /* enum ublk_dev_state */
	int32_t daemon_pid; /* process serving the queues, -1 if none */
	uint64_t flags;     /* UBLK_FEAT_* granted by the driver */
	uint32_t owner_uid;
	uint32_t owner_gid;
};

/* Block device parameters. */
struct ublk_dev_params {
	uint64_t size;                /* bytes; a multiple of 512 */
	uint8_t logical_block_shift;  /* 9 .. 12; 0: 9 */
	uint8_t physical_block_shift; /* 0: logical_block_shift */
	uint8_t io_min_shift;         /* 0: logical_block_shift */
	uint8_t io_opt_shift;         /* 0: logical_block_shift */
	uint32_t max_sectors;         /* per request; 0: max_io_bytes / 512 */
	bool read_only;
	bool rotational;
	bool volatile_cache; /* the backend has a write cache: send FLUSH */
	bool fua;            /* the backend honours FUA writes */

	bool discard;      /* DISCARD is supported */
	bool write_zeroes; /* WRITE_ZEROES is supported */
	uint32_t discard_alignment;
	uint32_t discard_granularity;
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
	uint16_t max_discard_segments;

	/* Filled in by ublk_ctrl_get_params() only. */
	uint32_t char_major, char_minor;
	uint32_t disk_major, disk_minor;
};

/* ---------------------------------------------------------------------- */
/* Control plane                                                          */
/* ---------------------------------------------------------------------- */
struct ublk_ctrl;

/*
 * Open /dev/ublk-control. One handle serves any number of devices; calls
 * on it are serialized internally, so it may be shared by threads.
 */
int ublk_ctrl_open(struct ublk_ctrl **ctrlp);

/*
 * Close a control handle. Devices stay as they are. Close the data plane
 * of every device opened through it (ublk_dev_close()) first.
 */
void ublk_ctrl_close(struct ublk_ctrl *ctrl);

/*
 * Bound every later command on @ctrl to @timeout_ms (default 10000; 0 is
 * taken as 1). A command that does not finish in time is cancelled and
 * fails with -ETIMEDOUT.
 */
void ublk_ctrl_set_timeout(struct ublk_ctrl *ctrl, unsigned int timeout_ms);

/*
 * The driver's feature bits (UBLK_FEAT_*, and newer bits that
 * ublk_feature_name() may name); -EOPNOTSUPP before Linux 6.5.
 */
int ublk_ctrl_get_features(struct ublk_ctrl *ctrl, uint64_t *features);

/*
 * Add a device. Feature flags the driver does not have are dropped; the
 * flags granted are in @info->flags (@info may be NULL), and the kernel may
 * grant fewer queues than asked (at most one per CPU): use info->nr_queues.
 * Returns the new device id (>= 0). -EEXIST: the id is in use; -EINVAL: a
 * value out of range; -EOPNOTSUPP: a flag outside UBLK_FEAT_SUPPORTED.
 */
int ublk_ctrl_add(struct ublk_ctrl *ctrl, const struct ublk_dev_config *cfg,
		  struct ublk_dev_info *info);

/*
 * Delete device @id: the kernel stops it if it is live and removes
 * /dev/ublkcN and /dev/ublkbN. Its id is free again once nothing refers
 * to it: no /dev/ublkcN open (ublk_dev_open(), queue rings) and no process
 * with /dev/ublkbN open (a reader, a mount). On Linux 6.9 and newer this
 * waits for that at most 1 s, then returns 0 all the same; before, it
 * waits, bounded by the control timeout (-ETIMEDOUT: removed all the
 * same). -ENODEV: no such device.
 */
int ublk_ctrl_del(struct ublk_ctrl *ctrl, uint32_t id);

/*
 * Start device @id: the kernel creates /dev/ublkbN. Every queue must be
 * set up (ublk_queue_init()) and served already: the kernel reads the
 * partition table before this returns, so call it from a thread that does
 * not serve a queue. @daemon_pid is the process serving the queues.
 */
int ublk_ctrl_start(struct ublk_ctrl *ctrl, uint32_t id, pid_t daemon_pid);

/*
 * Stop device @id: the block device goes away and every queue's serving
 * loop ends once its requests are done.
 *
 * If the device is open through @ctrl in this process, its queues first
 * fail every request with -EIO: new ones unseen by the backend, and every
 * completion whatever its result. The call waits until no request has
 * arrived for 200 ms (at most 1 s), so that the device's users see an
 * error; without that, the kernel's stop serves what is in flight and
 * empties the device, and a reader sees only end-of-file.
 */
int ublk_ctrl_stop(struct ublk_ctrl *ctrl, uint32_t id);

/*
 * User recovery (devices added with UBLK_FEAT_USER_RECOVERY): when the
 * process serving a device dies, the kernel keeps the device and holds its
 * IO (state QUIESCED), or fails it (UBLK_FEAT_USER_RECOVERY_FAIL_IO, state
 * FAIL_IO), until a new process takes the device over:
 *   ublk_ctrl_start_recovery(), ublk_dev_open(), ublk_queue_init() for
 *   every queue (each in its serving thread), then ublk_ctrl_end_recovery().
 * Requests the old process held are failed, or sent again to the new one
 * with UBLK_FEAT_USER_RECOVERY_REISSUE. The parameters stay as they were.
 *
 * Start recovering device @id. The kernel accepts it only once the old
 * process has let go of the device (its /dev/ublkcN closed, its queues
 * cancelled): until then it answers -EBUSY, and this call tries again
 * until the control timeout, then fails with -EBUSY. -EINVAL: the device
 * has no user recovery; -ENODEV: no such device.
 */
int ublk_ctrl_start_recovery(struct ublk_ctrl *ctrl, uint32_t id);

/*
 * Finish recovering device @id: every queue must be set up and served
 * already (as for ublk_ctrl_start()). Held IO resumes; @daemon_pid is the
 * process now serving the queues. Call it from a thread that does not
 * serve a queue.
 */
int ublk_ctrl_end_recovery(struct ublk_ctrl *ctrl, uint32_t id, pid_t daemon_pid);

/* Read what the kernel knows of device @id. -ENODEV: no such device. */
int ublk_ctrl_get_info(struct ublk_ctrl *ctrl, uint32_t id,
		       struct ublk_dev_info *info);

/* Set the block device parameters of device @id (before it is started). */
int ublk_ctrl_set_params(struct ublk_ctrl *ctrl, uint32_t id,
			 const struct ublk_dev_params *params);

/* Read the parameters of device @id, as the kernel accepted them. */
int ublk_ctrl_get_params(struct ublk_ctrl *ctrl, uint32_t id,
			 struct ublk_dev_params *params);

/*
 * The CPUs the kernel maps onto queue @q_id of device @id, into the CPU
 * mask @cpus of @size bytes: a cpu_set_t, or a set from CPU_ALLOC() on
 * machines with more CPUs. -EINVAL if @size cannot hold every CPU.
 */
int ublk_ctrl_get_affinity(struct ublk_ctrl *ctrl, uint32_t id, uint16_t q_id,
			   void *cpus, size_t size);

/*
 * List the ids of existing devices, ascending, into @ids (room for @max):
 * the @max lowest. Returns how many devices exist, which may be more than
 * @max. It sends no command, so it needs no handle: the list comes from
 * sysfs (or /dev).
 */
int ublk_ctrl_list(uint32_t *ids, unsigned int max);

/* ---------------------------------------------------------------------- */
/* Data plane                                                             */
/* ---------------------------------------------------------------------- */
struct ublk_dev;
struct ublk_queue;

/* Request operations (values are the kernel's). */
enum ublk_op {
	UBLK_OP_READ = 0,
	UBLK_OP_WRITE = 1,
	UBLK_OP_FLUSH = 2,
	UBLK_OP_DISCARD = 3,
	UBLK_OP_WRITE_SAME = 4,
	UBLK_OP_WRITE_ZEROES = 5,
};

/* Request flags (values are the kernel's). */
#define UBLK_IO_FLAG_FAILFAST_DEV (1U << 8)
#define UBLK_IO_FLAG_FAILFAST_TRANSPORT (1U << 9)
#define UBLK_IO_FLAG_FAILFAST_DRIVER (1U << 10)
#define UBLK_IO_FLAG_META (1U << 11)
#define UBLK_IO_FLAG_FUA (1U << 13)
#define UBLK_IO_FLAG_NOUNMAP (1U << 15)
#define UBLK_IO_FLAG_SWAP (1U << 16)
/* Automatic registration failed for this request: see the buffer modes. */
#define UBLK_IO_FLAG_NEED_REG_BUF (1U << 17)

/*
 * Data buffers. Each device has one of three buffer modes, chosen by the
 * feature flags it is added with:
 *
 *  - library-managed (neither flag below): the library gives every request
 *    a buffer (struct ublk_io.buf). Memory is reserved, not allocated: pages
 *    appear as requests use them, and pages of a slot that stays idle are
 *    returned to the system (ublk_queue_set_buffer_idle()).
 *  - backend-supplied (UBLK_FEAT_NEED_GET_DATA): the backend owns the data
 *    buffers. A WRITE arrives first with buf == NULL: the backend hands over
 *    a buffer with ublk_provide_buffer(), the kernel copies the data into it
 *    and the request arrives again, with that buffer. A READ arrives with
 *    buf == NULL and is completed with ublk_complete_buffer() and the buffer
 *    holding the data. ops->buffer_done() says when the library is done with
 *    a buffer.
 *  - user copy (UBLK_FEAT_USER_COPY, Linux 6.5+): requests carry no buffer;
 *    the backend copies data with ublk_io_get_data() and ublk_io_put_data(),
 *    from any thread, whenever it wants.
 *  - zero copy with automatic registration (UBLK_FEAT_AUTO_BUF_REG, Linux
 *    6.16+): the kernel registers a READ's or WRITE's own pages in the queue
 *    ring's buffer table, at index io->buf_index, before the request
 *    arrives, and unregisters them when it is completed. The backend moves
 *    the data with fixed-buffer IO on the queue's ring
 *    (ublk_queue_get_sqe(), ublk_io_prep_rw_fixed()): no byte passes
 *    through user memory. Where the kernel could not register a request's
 *    pages, the request arrives with buf_index -1 and
 *    UBLK_IO_FLAG_NEED_REG_BUF, and its data is copied as in user copy
 *    (add the device with UBLK_FEAT_USER_COPY too); it is not failed.
 */

/*
 * One request handed to the backend. The library checks every request
 * before the backend sees it, on a copy of what the kernel wrote that it
 * reads once; the backend only ever gets that copy. A request that fails
 * the check is completed by the library itself and never reaches the
 * backend:
 *  - op not READ, WRITE, FLUSH, DISCARD nor WRITE_ZEROES (WRITE_SAME,
 *    zoned operations, anything newer): -EOPNOTSUPP;
 *  - a READ or WRITE of 0 sectors or of more than max_io_bytes / 512;
 *    a READ, WRITE, DISCARD or WRITE_ZEROES that ends beyond the device's
 *    size (as ublk_queue_init() read it; not checked if the device had no
 *    size then): -EIO.
 * So sector + nr_sectors never exceeds the device's size, and a READ or
 * WRITE fits a buffer of max_io_bytes. A FLUSH carries no range.
 */
struct ublk_io {
	uint16_t tag;        /* slot of the request in its queue */
	uint8_t op;          /* enum ublk_op */
	uint32_t flags;      /* UBLK_IO_FLAG_* */
	uint64_t sector;     /* first 512-byte sector */
	uint32_t nr_sectors; /* length in 512-byte sectors */
	void *buf;           /* data buffer; NULL as the buffer modes say */
	int32_t buf_index;   /* registered buffer on the queue ring, or -1 */
};

/* What a queue calls back into the backend. Called on the queue's thread. */
struct ublk_queue_ops {
	/*
	 * A new request (callback style), checked as struct ublk_io says. The
	 * backend completes it with ublk_complete(), now or later, from any
	 * thread. Without it the queue works in pull style: see
	 * ublk_queue_get_requests().
	 */
	void (*handle_io)(struct ublk_queue *q, const struct ublk_io *io,
			  void *data);
	/*
	 * Completion of an SQE the backend submitted with
	 * ublk_queue_get_sqe(). Required only by backends that submit.
	 */
	void (*handle_cqe)(struct ublk_queue *q, const struct io_uring_cqe *cqe,
			   void *data);
	/*
	 * Backend-supplied buffers: the library and the kernel are done with
	 * @buf, given for request @tag; the backend may reuse or free it.
	 * Every buffer given comes back here, at the latest from
	 * ublk_queue_deinit(). Optional.
	 */
	void (*buffer_done)(struct ublk_queue *q, uint16_t tag, void *buf,
			    void *data);
	/*
	 * The device stops: no new request will arrive. Requests the backend
	 * holds must still be completed, and the queue is done only once no
	 * SQE of the backend is left: a backend that keeps an SQE waiting for
	 * an event (a poll on a socket, a timeout) withdraws it once it is no
	 * longer needed. Called once. Optional.
	 */
	void (*stop)(struct ublk_queue *q, void *data);
	/* UBLK_QUEUE_* */
	unsigned int flags;
};

/*
 * The queue is driven from the backend's own event loop: ublk_queue_fd()
 * and ublk_queue_process() without waiting. Implied by pull style. Such a
 * ring runs completion work eagerly, so that it always wakes a poller;
 * other queues defer that work, where the kernel can, to batch it.
 */
#define UBLK_QUEUE_POLL (1U << 0)

/*
 * Open the data plane of device @id (its /dev/ublkcN). The device must
 * exist; ublk_dev_open() waits (bounded) for its node to appear.
 */
int ublk_dev_open(struct ublk_ctrl *ctrl, uint32_t id, struct ublk_dev **devp);

/* Close a device's data plane. Every queue must be deinitialized first. */
void ublk_dev_close(struct ublk_dev *dev);

/* The device's info as read when it was opened. */
const struct ublk_dev_info *ublk_dev_get_info(const struct ublk_dev *dev);

/*
 * Set queue @q_id up, in the calling thread, which is from then on the
 * only thread allowed to serve it (ublk_queue_serve(), _process(),
 * _get_requests(), _get_sqe()): read the device's size
 * (ublk_ctrl_get_params() on the handle @dev was opened with: set the
 * parameters first), map its descriptors, create its io_uring, and
 * submit a FETCH for every tag. @data is passed to @ops.
 */
int ublk_queue_init(struct ublk_dev *dev, uint16_t q_id,
		    const struct ublk_queue_ops *ops, void *data,
		    struct ublk_queue **qp);

/*
 * Tear a queue down, on its thread. Call it once the queue is done
 * (ublk_queue_done()), or to abandon a queue that never served.
 */
void ublk_queue_deinit(struct ublk_queue *q);

/*
 * Serve the queue (callback style) until the device is stopped and every
 * request is done. Returns 0 then, or a negative errno if the ring fails.
 * A pull-style queue is driven with ublk_queue_process() and
 * ublk_queue_get_requests() instead.
 */
int ublk_queue_serve(struct ublk_queue *q);

#define UBLK_PROCESS_WAIT (1U << 0) /* block until there is something */

/*
 * Submit what is pending, then handle every event that is ready: new
 * requests (delivered to ops->handle_io, or kept for
 * ublk_queue_get_requests()), completions from other threads, and the
 * backend's own CQEs. Without UBLK_PROCESS_WAIT it never blocks. Returns
 * the number of events handled.
 */
int ublk_queue_process(struct ublk_queue *q, unsigned int flags);

/*
 * A file descriptor that polls readable (POLLIN) when the queue has
 * something for ublk_queue_process(), for a backend's own event loop; call
 * ublk_queue_process() before the first wait. It belongs to the queue: do
 * not read from it or close it. -EINVAL unless the queue is pull style or
 * has UBLK_QUEUE_POLL.
 */
int ublk_queue_fd(const struct ublk_queue *q);

/*
 * Pull style (ops->handle_io is NULL): move up to @max requests that have
 * arrived, checked as struct ublk_io says, into @ios. Returns how many.
 * Call ublk_queue_process() to let more arrive.
 */
int ublk_queue_get_requests(struct ublk_queue *q, struct ublk_io *ios,
			    unsigned int max);

/*
 * True once the device is stopped and the queue has nothing in flight: no
 * command in the kernel, no request in the backend's hands, no backend SQE.
 * On the queue's thread.
 */
bool ublk_queue_done(const struct ublk_queue *q);

/*
 * Complete request @tag with @result: the number of bytes transferred, or
 * a negative errno to fail it. Any thread may call it, at any time, once
 * per request; completions from other threads wake the queue's thread
 * through an eventfd its ring waits on, many completions for one wake-up.
 * A WRITE still waiting for its buffer (backend-supplied mode) may be
 * failed this way too. -EINVAL: @tag is not a request the backend holds.
 */
int ublk_complete(struct ublk_queue *q, uint16_t tag, int32_t result);

/*
 * Backend-supplied buffers: complete READ request @tag with @result bytes
 * of data in @buf (which must stay valid until ops->buffer_done()). Other
 * requests may be completed this way too; a WRITE only with the buffer it
 * was given, or NULL. Any thread.
 */
int ublk_complete_buffer(struct ublk_queue *q, uint16_t tag, int32_t result,
			 void *buf);

/*
 * Backend-supplied buffers: give WRITE request @tag, which arrived with
 * buf == NULL, the buffer @buf (at least nr_sectors * 512 bytes) for the
 * kernel to copy its data into. Any thread.
 */
int ublk_provide_buffer(struct ublk_queue *q, uint16_t tag, void *buf);

/*
 * User copy: copy @len bytes at byte @offset of request @tag's data, a
 * WRITE's into @buf (get) or a READ's from @buf (put). Any thread, while
 * the backend holds the request. Returns the bytes copied. -EINVAL: @tag
 * is not a request the backend holds, or @offset + @len is beyond its
 * nr_sectors * 512 bytes.
 */
ssize_t ublk_io_get_data(struct ublk_queue *q, uint16_t tag, void *buf,
			 size_t len, size_t offset);
ssize_t ublk_io_put_data(struct ublk_queue *q, uint16_t tag, const void *buf,
			 size_t len, size_t offset);

/*
 * Library-managed buffers: return the pages of a slot's buffer to the
 * system once it has been idle for between @ms and 2 * @ms milliseconds
 * (default 1000; 0: never). A buffer that belongs to a request in flight is
 * never touched. Only queues that defer completion work (served, not
 * UBLK_QUEUE_POLL, Linux 6.1+) can tell when a buffer is safe to drop:
 * other queues keep their buffers. On the queue's thread.
 */
void ublk_queue_set_buffer_idle(struct ublk_queue *q, unsigned int ms);

/*
 * An SQE on the queue's own ring, for the backend's IO; NULL if none can
 * be had. Its completion goes to ops->handle_cqe, exactly one CQE per SQE.
 * The queue is not done while one is on the ring: see ops->stop.
 * Bit 63 of user_data is reserved for the library and must be left clear.
 */
struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q);

/*
 * Zero copy: prepare @sqe (from ublk_queue_get_sqe()) to move request
 * @io's data between its registered buffer and @fd at byte @offset: a
 * READ reads from @fd into the request, a WRITE writes the request to
 * @fd. -EINVAL if @io has no registered buffer (buf_index -1) or is not a
 * READ or WRITE. The caller sets user_data.
 */
int ublk_io_prep_rw_fixed(struct io_uring_sqe *sqe, const struct ublk_io *io, int fd,
			  uint64_t offset);

/* The queue's id, its device, and the @data given to ublk_queue_init(). */
uint16_t ublk_queue_id(const struct ublk_queue *q);
struct ublk_dev *ublk_queue_dev(const struct ublk_queue *q);
void *ublk_queue_data(const struct ublk_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* UBLK_UBLK_H */
