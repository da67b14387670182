// SPDX-License-Identifier: MIT
/*
 * demo_null: the smallest complete ublk device with libublk.
 *
 * A 1 GiB device that completes every request at once (reads return
 * zeroes). It serves until SIGINT or SIGTERM, then stops and deletes its
 * device. The library creates no thread: this program makes one for its
 * queue, because START_DEV needs the queue served while it runs.
 *
 *   cc demo_null.c $(pkg-config --cflags --libs libublk) -lpthread -o demo_null
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ublk/ublk.h>

#define DEV_SIZE (1ULL << 30)

struct demo {
	struct ublk_dev *dev;
	sem_t ready;
	int init_ret;
};

static void handle_io(struct ublk_queue *q, const struct ublk_io *io, void *data)
{
	(void)data;
	if (io->op == UBLK_OP_READ) {
		memset(io->buf, 0, (size_t)io->nr_sectors << 9);
		ublk_complete(q, io->tag, (int32_t)io->nr_sectors << 9);
	} else if (io->op == UBLK_OP_WRITE) {
		ublk_complete(q, io->tag, (int32_t)io->nr_sectors << 9);
	} else {
		ublk_complete(q, io->tag, 0);
	}
}

static const struct ublk_queue_ops ops = { .handle_io = handle_io };

/* The queue's thread: set the queue up here, then serve it until it stops. */
static void *queue_thread(void *arg)
{
	struct demo *d = arg;
	struct ublk_queue *q;

	d->init_ret = ublk_queue_init(d->dev, 0, &ops, NULL, &q);
	sem_post(&d->ready);
	if (d->init_ret)
		return NULL;
	ublk_queue_serve(q);
	ublk_queue_deinit(q);
	return NULL;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "demo_null: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(void)
{
	struct ublk_dev_config cfg = { .id = -1, .nr_queues = 1, .queue_depth = 64 };
	struct ublk_dev_params params = { .size = DEV_SIZE };
	struct demo d = { 0 };
	struct ublk_ctrl *ctrl;
	pthread_t thread;
	sigset_t sigs;
	int id, ret, sig;

	/* Signals are taken by sigwait() below, in this thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	ret = ublk_ctrl_open(&ctrl);
	if (ret)
		return fail("open /dev/ublk-control", ret);
	id = ublk_ctrl_add(ctrl, &cfg, NULL);
	if (id < 0) {
		ublk_ctrl_close(ctrl);
		return fail("add device", id);
	}
	ret = ublk_ctrl_set_params(ctrl, id, &params);
	if (!ret)
		ret = ublk_dev_open(ctrl, id, &d.dev);
	if (ret) {
		fail("set up device", ret);
		goto del;
	}

	sem_init(&d.ready, 0, 0);
	pthread_create(&thread, NULL, queue_thread, &d);
	sem_wait(&d.ready);
	ret = d.init_ret ? d.init_ret : ublk_ctrl_start(ctrl, id, getpid());
	if (ret) {
		fail("start device", ret);
	} else {
		printf("/dev/ublkb%d\n", id);
		fflush(stdout);
		sigwait(&sigs, &sig);
	}

	/* Stopping ends the queue's serve(); the char device must be closed before delete. */
	ublk_ctrl_stop(ctrl, id);
	pthread_join(thread, NULL);
	ublk_dev_close(d.dev);
del:
	ublk_ctrl_del(ctrl, id);
	ublk_ctrl_close(ctrl);
	return ret ? 1 : 0;
}
