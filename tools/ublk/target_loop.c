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

static int loop_open(struct target *t, const char *file, bool direct)
{
	int flags = O_CLOEXEC | (direct ? O_DIRECT : 0);
	int fd = open(file, O_RDWR | flags);

	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		fd = open(file, O_RDONLY | flags);
		t->read_only = fd >= 0;
	}
	return fd < 0 ? -errno : fd;
}

static int loop_init(struct target *t, const struct add_opts *o,
		     struct ublk_dev_params *p)
{
	unsigned int lbs = 512;
	uint64_t size;
	struct stat st;
	int ret;

	if (o->uri) {
		log_err("target loop takes no --uri: it serves a file (-f FILE)");
		return -EINVAL;
	}
	if (!o->file) {
		log_err("target loop needs a backing file: -f FILE");
		return -EINVAL;
	}
	if (stat(o->file, &st)) {
		ret = -errno;
		log_err("backing file %s: %s", o->file, strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_err("backing file %s: not a regular file or block device", o->file);
		return -EINVAL;
	}
	t->file = realpath(o->file, NULL);
	if (!t->file)
		return -ENOMEM;

	t->direct = !o->buffered;
	ret = loop_open(t, t->file, t->direct);
	if (ret == -EINVAL && t->direct) {
		/* The filesystem has no O_DIRECT (tmpfs before 6.6): page cache then. */
		log_info("backing file %s: no O_DIRECT support, using buffered IO", t->file);
		t->direct = false;
		ret = loop_open(t, t->file, false);
	}
	if (ret < 0) {
		log_err("backing file %s: %s", t->file, strerror(-ret));
		goto err;
	}
	t->fd = ret;

	if (S_ISBLK(st.st_mode)) {
		int bs;

		if (ioctl(t->fd, BLKGETSIZE64, &size) || ioctl(t->fd, BLKSSZGET, &bs)) {
			ret = -errno;
			log_err("backing device %s: %s", t->file, strerror(errno));
			goto err_close;
		}
		lbs = (unsigned int)bs;
		p->discard = !t->read_only && bdev_discard_supported(&st);
		t->zero_range = true; /* the block layer writes zeroes if it must */
	} else {
		size = (uint64_t)st.st_size;
		if (t->direct)
			lbs = file_dio_align(t->fd);
		p->discard = !t->read_only &&
			     file_fallocate_supported(t->fd, size, FALLOC_FL_PUNCH_HOLE);
		t->zero_range = p->discard &&
				file_fallocate_supported(t->fd, size, FALLOC_FL_ZERO_RANGE);
	}
	/* WRITE_ZEROES is a punched hole or a zeroed range: it works where DISCARD does. */
	p->write_zeroes = p->discard;
	if (lbs < 512 || lbs > 4096 || (lbs & (lbs - 1))) {
		log_err("backing file %s: unsupported block size %u", t->file, lbs);
		ret = -EINVAL;
		goto err_close;
	}
	size &= ~(uint64_t)(lbs - 1);
	if (!size) {
		log_err("backing file %s: smaller than one block (%u bytes)", t->file, lbs);
		ret = -EINVAL;
		goto err_close;
	}
	if (o->size) {
		if (o->size > size) {
			log_err("size %llu is larger than backing file %s (%llu bytes)",
				(unsigned long long)o->size, t->file, (unsigned long long)size);
			ret = -EINVAL;
			goto err_close;
		}
		size = o->size & ~(uint64_t)(lbs - 1);
	}

	p->size = size;
	p->logical_block_shift = (uint8_t)__builtin_ctz(lbs);
	p->read_only = t->read_only;
	/* Writes may sit in the file's or device's cache: ask for FLUSH and FUA. */
	p->volatile_cache = true;
	p->fua = true;
	return 0;

err_close:
	close(t->fd);
	t->fd = -1;
err:
	free(t->file);
	t->file = NULL;
	return ret;
}

static void loop_cleanup(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->file);
	t->fd = -1;
	t->file = NULL;
}

static void loop_handle_io(struct ublk_queue *q, const struct ublk_io *io,
			   void *data)
{
	const struct target *t = data;
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

	sqe = ublk_queue_get_sqe(q);
	if (!sqe) {
		ublk_complete(q, io->tag, -EAGAIN);
		return;
	}
	switch (io->op) {
	case UBLK_OP_READ:
		io_uring_prep_read(sqe, t->fd, io->buf, len, (uint64_t)off);
		break;
	case UBLK_OP_WRITE:
		io_uring_prep_write(sqe, t->fd, io->buf, len, (uint64_t)off);
		if (io->flags & UBLK_IO_FLAG_FUA)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case UBLK_OP_FLUSH:
		io_uring_prep_fsync(sqe, t->fd, IORING_FSYNC_DATASYNC);
		break;
	case UBLK_OP_DISCARD:
		io_uring_prep_fallocate(sqe, t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					off, (off_t)len);
		break;
	case UBLK_OP_WRITE_ZEROES:
		/*
		 * A hole reads back as zeroes, as the kernel's loop does it; zero the
		 * range in place where it must stay allocated (NOUNMAP) and the
		 * file system can (tmpfs cannot).
		 */
		io_uring_prep_fallocate(sqe, t->fd,
					((io->flags & UBLK_IO_FLAG_NOUNMAP) && t->zero_range
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

const struct target_ops loop_target = {
	.name = "loop",
	.init = loop_init,
	.cleanup = loop_cleanup,
	.queue_ops = {
		.handle_io = loop_handle_io,
		.handle_cqe = loop_handle_cqe,
	},
};
