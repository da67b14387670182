// SPDX-License-Identifier: MIT
/*
 * demo_event: requests served by a thread that is not the queue's.
 *
 * A RAM disk. The queue thread only moves requests: it hands each one to a
 * worker thread, which copies the data and completes the request with
 * ublk_complete() from its own thread. The library wakes the queue thread
 * through an eventfd its ring waits on, once per batch of completions.
 * This is the shape of a backend with its own threads, RPC layer or
 * storage engine that does not use io_uring.
 *
 *   demo_event [-s SIZE_MIB]      (default 256 MiB)
 *
 * Prints the block device path once the device is live; SIGINT or SIGTERM
 * stop and delete the device.
 *
 *   cc demo_event.c $(pkg-config --cflags --libs libublk) -lpthread -o demo_event
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ublk/ublk.h>

#define QUEUE_DEPTH 128

/* A request in the worker's hands. */
struct work {
	struct ublk_queue *q;
	struct ublk_io io;
	struct work *next;
};

struct demo {
	struct ublk_dev *dev;
	char *disk;
	uint64_t size;

	/* Queue thread -> worker: a FIFO under a mutex. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work *head, **tail;
	bool quit;
	struct work slots[QUEUE_DEPTH]; /* one per tag: no allocation per request */

	sem_t ready;
	int init_ret;
};

/* Queue thread: hand the request over and return at once. */
static void handle_io(struct ublk_queue *q, const struct ublk_io *io, void *data)
{
	struct demo *d = data;
	struct work *w = &d->slots[io->tag];

	w->q = q;
	w->io = *io;
	w->next = NULL;
	pthread_mutex_lock(&d->lock);
	*d->tail = w;
	d->tail = &w->next;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static const struct ublk_queue_ops ops = { .handle_io = handle_io };

/* What the backend does with one request; returns the result to complete with. */
static int32_t serve(struct demo *d, const struct ublk_io *io)
{
	uint64_t off = io->sector << 9;
	size_t len = (size_t)io->nr_sectors << 9;

	if (off > d->size || len > d->size - off)
		return -EIO;
	switch (io->op) {
	case UBLK_OP_READ:
		memcpy(io->buf, d->disk + off, len);
		return (int32_t)len;
	case UBLK_OP_WRITE:
		memcpy(d->disk + off, io->buf, len);
		return (int32_t)len;
	case UBLK_OP_FLUSH:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* Worker thread: serve requests and complete them from here. */
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
			return NULL; /* quit, and nothing left */
		ublk_complete(w->q, w->io.tag, serve(d, &w->io));
	}
}

static void *queue_thread(void *arg)
{
	struct demo *d = arg;
	struct ublk_queue *q;

	d->init_ret = ublk_queue_init(d->dev, 0, &ops, d, &q);
	sem_post(&d->ready);
	if (d->init_ret)
		return NULL;
	ublk_queue_serve(q);
	ublk_queue_deinit(q);
	return NULL;
}

static int parse_args(int argc, char **argv, uint64_t *size)
{
	int c;

	while ((c = getopt(argc, argv, "s:")) != -1) {
		char *end;
		unsigned long mib;

		if (c != 's')
			return -1;
		mib = strtoul(optarg, &end, 10);
		if (*end || !mib || mib > (1UL << 20))
			return -1;
		*size = (uint64_t)mib << 20;
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct ublk_dev_config cfg = { .id = -1, .nr_queues = 1, .queue_depth = QUEUE_DEPTH };
	struct ublk_dev_params params = { 0 };
	struct demo d = { .size = 256ULL << 20 };
	pthread_t qthread, wthread;
	struct ublk_ctrl *ctrl;
	sigset_t sigs;
	int id, ret, sig;

	if (parse_args(argc, argv, &d.size)) {
		fprintf(stderr, "usage: demo_event [-s SIZE_MIB]\n");
		return 1;
	}
	d.disk = calloc(1, d.size);
	if (!d.disk) {
		fprintf(stderr, "demo_event: cannot allocate %llu bytes\n",
			(unsigned long long)d.size);
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
		fprintf(stderr, "demo_event: open /dev/ublk-control: %s\n", strerror(-ret));
		return 1;
	}
	id = ublk_ctrl_add(ctrl, &cfg, NULL);
	if (id < 0) {
		fprintf(stderr, "demo_event: add device: %s\n", strerror(-id));
		ublk_ctrl_close(ctrl);
		return 1;
	}
	params.size = d.size;
	params.volatile_cache = true; /* FLUSH is a no-op here, but shows the path */
	ret = ublk_ctrl_set_params(ctrl, id, &params);
	if (!ret)
		ret = ublk_dev_open(ctrl, id, &d.dev);
	if (ret) {
		fprintf(stderr, "demo_event: set up device %d: %s\n", id, strerror(-ret));
		goto del;
	}

	pthread_create(&wthread, NULL, worker, &d);
	pthread_create(&qthread, NULL, queue_thread, &d);
	sem_wait(&d.ready);
	ret = d.init_ret ? d.init_ret : ublk_ctrl_start(ctrl, id, getpid());
	if (ret) {
		fprintf(stderr, "demo_event: start device %d: %s\n", id, strerror(-ret));
	} else {
		printf("/dev/ublkb%d\n", id);
		fflush(stdout);
		sigwait(&sigs, &sig);
	}

	/* The worker keeps serving while the device drains, then quits. */
	ublk_ctrl_stop(ctrl, id);
	pthread_join(qthread, NULL);
	pthread_mutex_lock(&d.lock);
	d.quit = true;
	pthread_cond_signal(&d.cond);
	pthread_mutex_unlock(&d.lock);
	pthread_join(wthread, NULL);
	ublk_dev_close(d.dev);
del:
	ublk_ctrl_del(ctrl, id);
	ublk_ctrl_close(ctrl);
	free(d.disk);
	return ret ? 1 : 0;
}
