// SPDX-License-Identifier: MIT
/*
 * demo_event_loop: a file-backed device whose worker threads own the data
 * buffers.
 *
 * The queue thread runs an epoll loop around the queue's file descriptor
 * and pulls requests with ublk_queue_get_requests(). Worker threads do the
 * IO with pread()/pwrite() into buffers they allocate, and complete from
 * their own threads. The device uses backend-supplied buffers
 * (UBLK_FEAT_NEED_GET_DATA): a WRITE first arrives without a buffer, the
 * backend provides one and the kernel copies the data straight into it; a
 * READ is completed with the buffer that holds its data. No second copy.
 *
 *   demo_event_loop FILE [-j WORKERS]      (default 1 worker)
 *
 * Prints the block device path once the device is live; SIGINT or SIGTERM
 * stop and delete the device.
 *
 *   cc demo_event_loop.c $(pkg-config --cflags --libs libublk) -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fallocate() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ublk/ublk.h>

#define QUEUE_DEPTH 128
#define MAX_WORKERS 64

struct work {
	struct ublk_io io;
	struct work *next;
};

struct demo {
	int fd;
	uint64_t size;
	struct ublk_dev *dev;
	struct ublk_queue *q;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work *head, **tail;
	bool quit;
	struct work slots[QUEUE_DEPTH];

	sem_t ready;
	int init_ret;
};

/* The library is done with a buffer we gave it. */
static void buffer_done(struct ublk_queue *q, uint16_t tag, void *buf, void *data)
{
	(void)q;
	(void)tag;
	(void)data;
	free(buf);
}

static const struct ublk_queue_ops ops = { .buffer_done = buffer_done };

static int32_t do_io(struct demo *d, const struct ublk_io *io, void *buf)
{
	off_t off = (off_t)(io->sector << 9);
	size_t len = (size_t)io->nr_sectors << 9;
	ssize_t n;

	switch (io->op) {
	case UBLK_OP_READ:
		n = pread(d->fd, buf, len, off);
		return n < 0 ? -errno : (n == (ssize_t)len ? (int32_t)n : -EIO);
	case UBLK_OP_WRITE:
		n = pwrite(d->fd, buf, len, off);
		if (n >= 0 && (io->flags & UBLK_IO_FLAG_FUA) && fdatasync(d->fd))
			return -errno;
		return n < 0 ? -errno : (n == (ssize_t)len ? (int32_t)n : -EIO);
	case UBLK_OP_FLUSH:
		return fdatasync(d->fd) ? -errno : 0;
	case UBLK_OP_DISCARD:
		return fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
				 (off_t)len) ? -errno : 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* One request, on a worker thread. */
static void handle(struct demo *d, const struct ublk_io *io)
{
	size_t len = (size_t)io->nr_sectors << 9;
	void *buf;
	int32_t res;

	if (io->op == UBLK_OP_WRITE && !io->buf) {
		/* First step of a WRITE: give the kernel our buffer to fill. */
		buf = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
		if (!buf || ublk_provide_buffer(d->q, io->tag, buf)) {
			free(buf);
			ublk_complete(d->q, io->tag, -ENOMEM);
		}
		return;
	}
	if (io->op == UBLK_OP_READ) {
		buf = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
		res = buf ? do_io(d, io, buf) : -ENOMEM;
		/* The buffer is ours again in buffer_done(), or now if refused. */
		if (ublk_complete_buffer(d->q, io->tag, res, res > 0 ? buf : NULL) || res <= 0)
			free(buf);
		return;
	}
	/* A WRITE with its data (in the buffer we provided), or another op. */
	ublk_complete(d->q, io->tag, do_io(d, io, io->buf));
}

static void *worker(void *arg)
{
	struct demo *d = arg;

	for (;;) {
		struct work *w;

		pthread_mutex_lock(&d->lock);
		while (!d->head && !d->quit)
			pthread_cond_wait(&d->cond, &d->lock);
		w = d->head;
		if (w) {
			d->head = w->next;
			if (!d->head)
				d->tail = &d->head;
		}
		pthread_mutex_unlock(&d->lock);
		if (!w)
			return NULL;
		handle(d, &w->io);
	}
}

/* Queue thread: wait on the queue's fd, pull requests, hand them out. */
static void *queue_thread(void *arg)
{
	struct demo *d = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	struct ublk_io ios[32];
	int ep = -1, n;

	d->init_ret = ublk_queue_init(d->dev, 0, &ops, d, &d->q);
	if (!d->init_ret) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ublk_queue_fd(d->q), &ev)) {
			d->init_ret = -errno;
			ublk_queue_deinit(d->q);
		}
	}
	sem_post(&d->ready);
	if (d->init_ret)
		return NULL;

	for (;;) {
		if (ublk_queue_process(d->q, 0) < 0)
			break;
		while ((n = ublk_queue_get_requests(d->q, ios, 32)) > 0) {
			pthread_mutex_lock(&d->lock);
			for (int i = 0; i < n; i++) {
				struct work *w = &d->slots[ios[i].tag];

				w->io = ios[i];
				w->next = NULL;
				*d->tail = w;
				d->tail = &w->next;
			}
			pthread_cond_broadcast(&d->cond);
			pthread_mutex_unlock(&d->lock);
		}
		if (ublk_queue_done(d->q))
			break;
		if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
			break;
	}
	close(ep);
	ublk_queue_deinit(d->q);
	return NULL;
}

static int parse_args(int argc, char **argv, const char **file, int *workers)
{
	int c;

	while ((c = getopt(argc, argv, "j:")) != -1) {
		char *end;

		if (c != 'j')
			return -1;
		*workers = (int)strtol(optarg, &end, 10);
		if (*end || *workers < 1 || *workers > MAX_WORKERS)
			return -1;
	}
	if (optind != argc - 1)
		return -1;
	*file = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct ublk_dev_config cfg = {
		.id = -1,
		.nr_queues = 1,
		.queue_depth = QUEUE_DEPTH,
		.flags = UBLK_FEAT_NEED_GET_DATA,
	};
	struct ublk_dev_params params = { .volatile_cache = true, .fua = true };
	pthread_t qthread, wthreads[MAX_WORKERS];
	struct demo d = { .fd = -1 };
	struct ublk_ctrl *ctrl;
	const char *file;
	int workers = 1, id, ret, sig;
	struct stat st;
	sigset_t sigs;

	if (parse_args(argc, argv, &file, &workers)) {
		fprintf(stderr, "usage: demo_event_loop FILE [-j WORKERS]\n");
		return 1;
	}
	d.fd = open(file, O_RDWR | O_CLOEXEC);
	if (d.fd < 0 || fstat(d.fd, &st)) {
		fprintf(stderr, "demo_event_loop: %s: %s\n", file, strerror(errno));
		return 1;
	}
	d.size = (uint64_t)st.st_size & ~511ULL;
	if (!S_ISREG(st.st_mode) || !d.size) {
		fprintf(stderr, "demo_event_loop: %s: not a regular file of 512 bytes or more\n", file);
		return 1;
	}
	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.cond, NULL);
	d.tail = &d.head;
	sem_init(&d.ready, 0, 0);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	ret = ublk_ctrl_open(&ctrl);
	if (ret) {
		fprintf(stderr, "demo_event_loop: open /dev/ublk-control: %s\n", strerror(-ret));
		return 1;
	}
	id = ublk_ctrl_add(ctrl, &cfg, NULL);
	if (id < 0) {
		fprintf(stderr, "demo_event_loop: add device: %s\n", strerror(-id));
		ublk_ctrl_close(ctrl);
		return 1;
	}
	params.size = d.size;
	params.discard = true; /* no WRITE_ZEROES: the kernel writes zeroes itself */
	ret = ublk_ctrl_set_params(ctrl, id, &params);
	if (!ret)
		ret = ublk_dev_open(ctrl, id, &d.dev);
	if (ret) {
		fprintf(stderr, "demo_event_loop: set up device %d: %s\n", id, strerror(-ret));
		goto del;
	}

	for (int i = 0; i < workers; i++)
		pthread_create(&wthreads[i], NULL, worker, &d);
	pthread_create(&qthread, NULL, queue_thread, &d);
	sem_wait(&d.ready);
	ret = d.init_ret ? d.init_ret : ublk_ctrl_start(ctrl, id, getpid());
	if (ret) {
		fprintf(stderr, "demo_event_loop: start device %d: %s\n", id, strerror(-ret));
	} else {
		printf("/dev/ublkb%d\n", id);
		fflush(stdout);
		sigwait(&sigs, &sig);
	}

	ublk_ctrl_stop(ctrl, id);
	pthread_join(qthread, NULL);
	pthread_mutex_lock(&d.lock);
	d.quit = true;
	pthread_cond_broadcast(&d.cond);
	pthread_mutex_unlock(&d.lock);
	for (int i = 0; i < workers; i++)
		pthread_join(wthreads[i], NULL);
	ublk_dev_close(d.dev);
del:
	ublk_ctrl_del(ctrl, id);
	ublk_ctrl_close(ctrl);
	close(d.fd);
	return ret ? 1 : 0;
}
