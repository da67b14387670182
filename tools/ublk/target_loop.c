// SPDX-License-Identifier: MIT
/*
 * loop: a regular file or block device as backing store, with IO through
 * io_uring on the queue's own ring. O_DIRECT unless --buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <liburing.h>

#include "ublk_tool.h"

/* The O_DIRECT alignment of a regular file (statx DIOALIGN, Linux 6.1+). */
static unsigned int file_dio_align(int fd)
{
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align)
		return stx.stx_dio_offset_align;
#else
	(void)fd;
#endif
	return 512;
}

static int bdev_discard_supported(const struct stat *st)
{
	char path[128];
	unsigned long long max = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/discard_max_bytes",
		 major(st->st_rdev), minor(st->st_rdev));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &max) != 1)
		max = 0;
	fclose(f);
	return max > 0;
}

/* fallocate() past the end of a file changes nothing: a safe probe. */
static bool file_fallocate_supported(int fd, uint64_t size, int mode)
{
	return !fallocate(fd, mode | FALLOC_FL_KEEP_SIZE,
			  (off_t)((size + 4095) & ~4095ULL), 4096);
}

/* The backing file, as probe() found it. */
struct loop_file {
	char *path; /* absolute */
	int fd;
	bool direct;     /* opened O_DIRECT */
	bool read_only;  /* it could not be opened for writing */
	uint64_t size;   /* in whole blocks */
	unsigned int lbs; /* logical block size */
	bool discard;    /* punching holes works on it */
	bool zero_range; /* fallocate(FALLOC_FL_ZERO_RANGE) works on it */
};

static int open_backing(struct loop_file *f, bool direct)
{
	int flags = O_CLOEXEC | (direct ? O_DIRECT : 0);
	int fd = open(f->path, O_RDWR | flags);

	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		fd = open(f->path, O_RDONLY | flags);
		f->read_only = fd >= 0;
	}
	return fd < 0 ? -errno : fd;
}

/* Open f->path, O_DIRECT unless @buffered or the file system has none. */
static int open_backing_file(struct loop_file *f, bool buffered)
{
	int ret;

	f->direct = !buffered;
	ret = open_backing(f, f->direct);
	if (ret == -EINVAL && f->direct) {
		/* The filesystem has no O_DIRECT (tmpfs before 6.6): page cache then. */
		log_info("backing file %s: no O_DIRECT support, using buffered IO", f->path);
		f->direct = false;
		ret = open_backing(f, false);
	}
	if (ret < 0) {
		log_err("backing file %s: %s", f->path, strerror(-ret));
		return ret;
	}
	f->fd = ret;
	return 0;
}

/* Size, block size, and whether DISCARD and zeroing a range work. */
static int learn_backing(struct loop_file *f, const struct stat *st)
{
	if (S_ISBLK(st->st_mode)) {
		int bs;

		if (ioctl(f->fd, BLKGETSIZE64, &f->size) || ioctl(f->fd, BLKSSZGET, &bs)) {
			int err = errno;

			log_err("backing device %s: %s", f->path, strerror(err));
			return -err;
		}
		f->lbs = (unsigned int)bs;
		f->discard = !f->read_only && bdev_discard_supported(st);
		f->zero_range = true; /* the block layer writes zeroes if it must */
	} else {
		f->size = (uint64_t)st->st_size;
		f->lbs = f->direct ? file_dio_align(f->fd) : 512;
		f->discard = !f->read_only &&
			     file_fallocate_supported(f->fd, f->size, FALLOC_FL_PUNCH_HOLE);
		f->zero_range = f->discard &&
				file_fallocate_supported(f->fd, f->size, FALLOC_FL_ZERO_RANGE);
	}
	if (f->lbs < 512 || f->lbs > 4096 || (f->lbs & (f->lbs - 1))) {
		log_err("backing file %s: unsupported block size %u", f->path, f->lbs);
		return -EINVAL;
	}
	f->size &= ~(uint64_t)(f->lbs - 1);
	if (!f->size) {
		log_err("backing file %s: smaller than one block (%u bytes)", f->path, f->lbs);
		return -EINVAL;
	}
	return 0;
}

static void loop_cleanup(struct target *t)
{
	struct loop_file *f = t->priv;

	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
	t->priv = NULL;
}

static int loop_probe(struct target *t, const struct add_opts *o)
{
	struct loop_file *f;
	struct stat st;
	int ret;

	if (stat(o->file, &st)) {
		ret = -errno;
		log_err("backing file %s: %s", o->file, strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_err("backing file %s: not a regular file or block device", o->file);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		log_err("out of memory");
		return -ENOMEM;
	}
	f->fd = -1;
	t->priv = f;
	f->path = realpath(o->file, NULL);
	if (!f->path) {
		ret = -errno;
		log_err("backing file %s: %s", o->file, strerror(errno));
		goto err;
	}
	ret = open_backing_file(f, o->buffered);
	if (!ret)
		ret = learn_backing(f, &st);
	if (!ret)
		return 0;
err:
	loop_cleanup(t);
	return ret;
}

static int loop_fill_params(const struct target *t, const struct add_opts *o,
			    struct ublk_dev_params *p)
{
	const struct loop_file *f = t->priv;

	if (o->size > f->size) {
		log_err("size %llu is larger than backing file %s (%llu bytes)",
			(unsigned long long)o->size, f->path, (unsigned long long)f->size);
		return -EINVAL;
	}
	*p = (struct ublk_dev_params){
		.size = o->size ? o->size & ~(uint64_t)(f->lbs - 1) : f->size,
		.logical_block_shift = (uint8_t)__builtin_ctz(f->lbs),
		.read_only = f->read_only,
		/* Writes may sit in the file's or device's cache: ask for FLUSH and FUA. */
		.volatile_cache = true,
		.fua = true,
		/* WRITE_ZEROES is a punched hole or a zeroed range: it works where DISCARD does. */
		.discard = f->discard,
		.write_zeroes = f->discard,
	};
	return 0;
}

static void loop_record(const struct target *t, struct dev_record *rec)
{
	const struct loop_file *f = t->priv;

	snprintf(rec->file, sizeof(rec->file), "%s", f->path);
}

/*
 * A READ or WRITE that arrived without a buffer (zero copy, whose
 * registration failed): copy through a bounce buffer, synchronously. The
 * bytes moved, or a negative errno.
 */
static int loop_copy(struct ublk_queue *q, const struct loop_file *f, const struct ublk_io *io,
		     off_t off, unsigned int len)
{
	ssize_t n;
	void *bounce = NULL;

	/* Aligned: the backing file may be open with O_DIRECT. */
	if (posix_memalign(&bounce, 4096, len))
		return -ENOMEM;
	if (io->op == UBLK_OP_READ) {
		n = pread(f->fd, bounce, len, off);
		if (n < 0)
			n = -errno;
		else if (n > 0)
			n = ublk_io_put_data(q, io->tag, bounce, (size_t)n, 0);
	} else {
		n = ublk_io_get_data(q, io->tag, bounce, len, 0);
		if (n >= 0) {
			n = pwrite(f->fd, bounce, (size_t)n, off);
			if (n < 0)
				n = -errno;
		}
	}
	free(bounce);
	return n == 0 ? -EIO : (int)n;
}

static void loop_handle_io(struct ublk_queue *q, const struct ublk_io *io,
			   void *data)
{
	const struct loop_file *f = data;
	off_t off = (off_t)(io->sector << 9); /* unsigned shift: a FLUSH may carry sector ~0 */
	unsigned int len = io->nr_sectors << 9;
	struct io_uring_sqe *sqe;

	switch (io->op) {
	case UBLK_OP_READ:
	case UBLK_OP_WRITE:
	case UBLK_OP_FLUSH:
	case UBLK_OP_DISCARD:
	case UBLK_OP_WRITE_ZEROES:
		break;
	default:
		ublk_complete(q, io->tag, -EOPNOTSUPP);
		return;
	}

	/* Zero copy whose registration failed: copy, here and now. */
	if ((io->op == UBLK_OP_READ || io->op == UBLK_OP_WRITE) && !io->buf &&
	    io->buf_index < 0) {
		ublk_complete(q, io->tag, loop_copy(q, f, io, off, len));
		return;
	}
	sqe = ublk_queue_get_sqe(q);
	if (!sqe) {
		ublk_complete(q, io->tag, -EAGAIN);
		return;
	}
	switch (io->op) {
	case UBLK_OP_READ:
		if (io->buf_index >= 0)
			ublk_io_prep_rw_fixed(sqe, io, f->fd, (uint64_t)off);
		else
			io_uring_prep_read(sqe, f->fd, io->buf, len, (uint64_t)off);
		break;
	case UBLK_OP_WRITE:
		if (io->buf_index >= 0)
			ublk_io_prep_rw_fixed(sqe, io, f->fd, (uint64_t)off);
		else
			io_uring_prep_write(sqe, f->fd, io->buf, len, (uint64_t)off);
		if (io->flags & UBLK_IO_FLAG_FUA)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case UBLK_OP_FLUSH:
		io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
		break;
	case UBLK_OP_DISCARD:
		io_uring_prep_fallocate(sqe, f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					off, (off_t)len);
		break;
	case UBLK_OP_WRITE_ZEROES:
		/*
		 * A hole reads back as zeroes, as the kernel's loop does it; zero the
		 * range in place where it must stay allocated (NOUNMAP) and the
		 * file system can (tmpfs cannot).
		 */
		io_uring_prep_fallocate(sqe, f->fd,
					((io->flags & UBLK_IO_FLAG_NOUNMAP) && f->zero_range
						 ? FALLOC_FL_ZERO_RANGE
						 : FALLOC_FL_PUNCH_HOLE) |
						FALLOC_FL_KEEP_SIZE,
					off, (off_t)len);
		break;
	}
	/* One backend SQE per request: its tag and op are all we need back. */
	sqe->user_data = ((uint64_t)io->op << 16) | io->tag;
}

static void loop_handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe,
			    void *data)
{
	uint16_t tag = (uint16_t)cqe->user_data;
	uint8_t op = (uint8_t)(cqe->user_data >> 16);
	int32_t res = cqe->res;

	(void)data;
	/* A zero-length read or write would be requeued forever: fail it. */
	if (res == 0 && (op == UBLK_OP_READ || op == UBLK_OP_WRITE))
		res = -EIO;
	ublk_complete(q, tag, res);
}

static const struct ublk_queue_ops loop_queue_ops = {
	.handle_io = loop_handle_io,
	.handle_cqe = loop_handle_cqe,
};

const struct target_ops loop_target = {
	.name = "loop",
	/* zero copy where the driver has it; library buffers elsewhere */
	.flags = UBLK_FEAT_AUTO_BUF_REG,
	.queue_ops = &loop_queue_ops,
	.accepts = TARGET_OPT_FILE | TARGET_OPT_SIZE | TARGET_OPT_BUFFERED,
	.needs = TARGET_OPT_FILE,
	.probe = loop_probe,
	.fill_params = loop_fill_params,
	.record = loop_record,
	.cleanup = loop_cleanup,
};
