// SPDX-License-Identifier: MIT
/*
 * ublk-mem: the resident memory of many idle devices in one process.
 *
 *   ublk-mem [-n DEVICES] [-t THREADS] [-i IDLE_MS] [-l LIMIT_KIB]
 *
 * Creates DEVICES (default 256) null devices with 1 queue of depth 128 and
 * library-managed buffers, served by THREADS threads (default 4), each
 * running one epoll loop over the fds of its share of the queues
 * (ublk_queue_fd(), ublk_queue_process()); -t 0 gives every queue a thread
 * of its own that runs ublk_queue_serve(). It measures its VmRSS above what
 * it was before the first device:
 *   - after every device is live,
 *   - after a child process wrote 1 MiB (O_DIRECT) to every device at once,
 *   - after the buffers have been idle (ublk_queue_set_buffer_idle(), default
 *     1000 ms): polled until it no longer drops, bounded.
 * and prints the three figures per device. Exit status 1 if the last one is
 * LIMIT_KIB (default 64) per device or more, if the writes did not reach
 * the buffers, or if a device is left at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ublk/ublk.h>

#include "common.h"

const char *prog_name = "ublk-mem";

#define DEPTH 128
#define DEV_SIZE (64ULL << 20)
#define BURST_BYTES (1U << 20)
#define MAX_SERVERS 64

struct mdev {
	int id;
	struct ublk_dev *dev;
	struct ublk_queue *q;
	bool started;
};

struct server {
	pthread_t thread;
	struct mdev **devs; /* its share */
	unsigned int nr;
	int init_ret;
	int serve_ret;
	pthread_mutex_t *lock;
	pthread_cond_t *cond;
	unsigned int *ready;
};

static unsigned int idle_ms = 1000;

/* A null target: nothing is stored, READs return what the buffer holds. */
static void handle_io(struct ublk_queue *q, const struct ublk_io *io, void *data)
{
	(void)data;
	ublk_complete(q, io->tag, io->op == UBLK_OP_READ || io->op == UBLK_OP_WRITE
				  ? (int32_t)io->nr_sectors << 9 : 0);
}

static const struct ublk_queue_ops ops = { .handle_io = handle_io };
/* The same, driven from an epoll loop. */
static const struct ublk_queue_ops poll_ops = { .handle_io = handle_io, .flags = UBLK_QUEUE_POLL };

static void server_ready(struct server *s)
{
	pthread_mutex_lock(s->lock);
	(*s->ready)++;
	pthread_cond_broadcast(s->cond);
	pthread_mutex_unlock(s->lock);
}

/* Set up the queues of its share here, then serve them from one epoll loop. */
static void *server_epoll(void *arg)
{
	struct server *s = arg;
	struct epoll_event evs[64];
	unsigned int left = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC), ret;

	s->init_ret = ep < 0 ? -errno : 0;
	for (unsigned int i = 0; !s->init_ret && i < s->nr; i++) {
		struct mdev *d = s->devs[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = d };

		s->init_ret = ublk_queue_init(d->dev, 0, &poll_ops, d, &d->q);
		if (s->init_ret)
			break;
		ublk_queue_set_buffer_idle(d->q, idle_ms);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ublk_queue_fd(d->q), &ev))
			s->init_ret = -errno;
		/* once before the first wait, as ublk_queue_fd() asks */
		else if ((ret = ublk_queue_process(d->q, 0)) < 0)
			s->init_ret = ret;
		left++;
	}
	server_ready(s);
	if (s->init_ret)
		goto out;

	while (left) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			s->serve_ret = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct mdev *d = evs[i].data.ptr;

			ret = ublk_queue_process(d->q, 0);
			if (ret < 0 && !s->serve_ret)
				s->serve_ret = ret;
			if (ublk_queue_done(d->q)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, ublk_queue_fd(d->q), NULL);
				left--;
			}
		}
	}
out:
	for (unsigned int i = 0; i < s->nr; i++) {
		ublk_queue_deinit(s->devs[i]->q);
		s->devs[i]->q = NULL;
	}
	if (ep >= 0)
		close(ep);
	return NULL;
}

/* One queue, one thread: set up, then ublk_queue_serve(). */
static void *server_serve(void *arg)
{
	struct server *s = arg;
	struct mdev *d = s->devs[0];

	s->init_ret = ublk_queue_init(d->dev, 0, &ops, d, &d->q);
	if (!s->init_ret)
		ublk_queue_set_buffer_idle(d->q, idle_ms);
	server_ready(s);
	if (s->init_ret)
		return NULL;
	s->serve_ret = ublk_queue_serve(d->q);
	ublk_queue_deinit(d->q);
	d->q = NULL;
	return NULL;
}

/* The child: one 1 MiB O_DIRECT write to every device, all in flight at once. */
static int burst(struct mdev *devs, unsigned int n)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int *fds = calloc(n, sizeof(*fds));
	void *buf;
	int ret = 0;

	if (!fds || posix_memalign(&buf, 4096, BURST_BYTES) ||
	    io_uring_queue_init(n, &ring, 0)) {
		msg("child: cannot set up the writes");
		return 1;
	}
	memset(buf, 0xa5, BURST_BYTES);
	for (unsigned int i = 0; i < n; i++) {
		char path[64];
		struct io_uring_sqe *sqe;

		snprintf(path, sizeof(path), "/dev/ublkb%d", devs[i].id);
		fds[i] = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
		if (fds[i] < 0) {
			msg_err(errno, "child: open %s", path);
			return 1;
		}
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_write(sqe, fds[i], buf, BURST_BYTES, 0);
		sqe->user_data = i;
	}
	if (io_uring_submit(&ring) != (int)n) {
		msg("child: cannot submit the writes");
		return 1;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (io_uring_wait_cqe(&ring, &cqe)) {
			msg("child: waiting for the writes failed");
			return 1;
		}
		if (cqe->res != (int)BURST_BYTES) {
			msg("child: write to /dev/ublkb%d: %d", devs[cqe->user_data].id, cqe->res);
			ret = 1;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
	return ret;
}

static double per_dev(long rss, long base, unsigned int n)
{
	return (double)(rss - base) / n;
}

static void usage(void)
{
	fprintf(stderr, "usage: ublk-mem [-n DEVICES] [-t THREADS] [-i IDLE_MS] [-l LIMIT_KIB]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int nr_devs = 256, nr_servers = 4, limit_kib = 64, added = 0, ready = 0;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	struct ublk_dev_config cfg = { .id = -1, .nr_queues = 1, .queue_depth = DEPTH };
	struct ublk_dev_params params = { .size = DEV_SIZE };
	struct server *servers = NULL;
	struct ublk_ctrl *ctrl;
	struct mdev *devs;
	struct mdev **share;
	struct rlimit rl;
	long base, created = -1, written = -1, idle = -1;
	unsigned long v;
	bool ok = true;
	int c, ret, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "n:t:i:l:")) != -1) {
		switch (c) {
		case 'n':
			if (!parse_uint(optarg, 1, 4096, &v))
				usage();
			nr_devs = (unsigned int)v;
			break;
		case 't':
			if (!parse_uint(optarg, 0, MAX_SERVERS, &v))
				usage();
			nr_servers = (unsigned int)v;
			break;
		case 'i':
			if (!parse_uint(optarg, 1, 60000, &v))
				usage();
			idle_ms = (unsigned int)v;
			break;
		case 'l':
			if (!parse_uint(optarg, 1, 1 << 20, &v))
				usage();
			limit_kib = (unsigned int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Each device takes a few fds (char device, ring, eventfd). */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	devs = calloc(nr_devs, sizeof(*devs));
	share = calloc(nr_devs, sizeof(*share));
	if (nr_servers == 0 || nr_servers > nr_devs)
		nr_servers = nr_servers ? nr_devs : 0;
	servers = calloc(nr_servers ? nr_servers : nr_devs, sizeof(*servers));
	if (!devs || !share || !servers) {
		msg("out of memory");
		ok = false;
		goto out;
	}
	ret = ublk_ctrl_open(&ctrl);
	if (ret) {
		msg_err(ret, "open /dev/ublk-control");
		ok = false;
		goto out;
	}
	printf("%u null devices, 1 queue of depth %d each, library-managed buffers, idle %u ms\n",
	       nr_devs, DEPTH, idle_ms);
	if (nr_servers)
		printf("served by %u threads, each an epoll loop over its share of the queue fds\n",
		       nr_servers);
	else
		printf("served by one thread per device, each in ublk_queue_serve()\n");
	base = vmrss_kib();
	printf("VmRSS before the first device: %ld KiB\n", base);

	for (; added < nr_devs; added++) {
		struct mdev *d = &devs[added];

		ret = d->id = ublk_ctrl_add(ctrl, &cfg, NULL);
		if (ret < 0)
			break;
		ret = ublk_ctrl_set_params(ctrl, (uint32_t)d->id, &params);
		if (!ret)
			ret = ublk_dev_open(ctrl, (uint32_t)d->id, &d->dev);
		if (ret) {
			added++;
			break;
		}
	}
	if (ret) {
		msg_err(ret, "adding device %u of %u", added, nr_devs);
		ok = false;
		goto teardown;
	}

	/* Servers: each sets its queues up in its own thread. */
	{
		unsigned int nthreads = nr_servers ? nr_servers : nr_devs;
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 << 10);
		for (unsigned int i = 0; i < nr_devs; i++)
			share[i] = &devs[i];
		for (unsigned int t = 0; t < nthreads; t++) {
			struct server *s = &servers[t];
			unsigned int from = t * nr_devs / nthreads, to = (t + 1) * nr_devs / nthreads;

			s->devs = &share[from];
			s->nr = to - from;
			s->lock = &lock;
			s->cond = &cond;
			s->ready = &ready;
			if (pthread_create(&s->thread, &attr, nr_servers ? server_epoll : server_serve,
					   s)) {
				msg("cannot create server thread %u", t);
				s->thread = 0;
				s->init_ret = -EAGAIN;
				server_ready(s);
			}
		}
		pthread_attr_destroy(&attr);
		pthread_mutex_lock(&lock);
		while (ready < nthreads)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		for (unsigned int t = 0; t < nthreads; t++) {
			if (servers[t].init_ret) {
				msg_err(servers[t].init_ret, "setting up the queues of thread %u", t);
				ok = false;
			}
		}
		nr_servers = nthreads;
	}
	for (unsigned int i = 0; ok && i < nr_devs; i++) {
		ret = ublk_ctrl_start(ctrl, (uint32_t)devs[i].id, getpid());
		if (ret) {
			msg_err(ret, "start device %d", devs[i].id);
			ok = false;
		}
		devs[i].started = !ret;
	}
	if (!ok)
		goto teardown;
	created = vmrss_kib();
	printf("after creation: VmRSS %ld KiB, %.1f KiB per device (AnonHugePages %ld KiB)\n",
	       created, per_dev(created, base, nr_devs), anon_huge_kib());

	pid = fork();
	if (pid == 0)
		_exit(burst(devs, nr_devs));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		msg("the writes failed");
		ok = false;
		goto teardown;
	}
	written = vmrss_kib();
	printf("after a 1 MiB write to each: VmRSS %ld KiB, %.1f KiB per device "
	       "(AnonHugePages %ld KiB)\n",
	       written, per_dev(written, base, nr_devs), anon_huge_kib());
	/* Without this the idle figure would prove nothing. */
	if (per_dev(written, base, nr_devs) < BURST_BYTES / 1024 / 2) {
		msg("the writes did not populate the buffers (%.1f KiB per device)",
		    per_dev(written, base, nr_devs));
		ok = false;
	}

	/*
	 * Poll until the reclaim is over: below the limit and steady for one
	 * idle period; bounded by four idle periods plus 30 s.
	 */
	{
		uint64_t start = now_ms(), deadline = start + 4ULL * idle_ms + 30000;
		uint64_t steady_since = start;
		long last = written;

		for (;;) { /* bounded: deadline */
			uint64_t now;

			idle = vmrss_kib();
			now = now_ms();
			if (idle < last - 4 || idle > last + 4) {
				last = idle;
				steady_since = now;
			}
			if (per_dev(idle, base, nr_devs) < limit_kib && now - steady_since >= idle_ms)
				break;
			if (now >= deadline)
				break;
			usleep(50 * 1000); /* poll step of a bounded wait */
		}
		printf("after %llu ms idle: VmRSS %ld KiB, %.1f KiB per device (AnonHugePages %ld KiB)\n",
		       (unsigned long long)(now_ms() - start), idle, per_dev(idle, base, nr_devs),
		       anon_huge_kib());
	}
	printf("KiB per device: %.1f after creation, %.1f after the writes, %.1f after idle "
	       "(target < %u)\n",
	       per_dev(created, base, nr_devs), per_dev(written, base, nr_devs),
	       per_dev(idle, base, nr_devs), limit_kib);
	if (per_dev(idle, base, nr_devs) >= limit_kib) {
		printf("FAIL: %.1f KiB per device after idle, target < %u\n",
		       per_dev(idle, base, nr_devs), limit_kib);
		ok = false;
	}

teardown:
	for (unsigned int i = 0; i < added; i++) {
		if (devs[i].started && (ret = ublk_ctrl_stop(ctrl, (uint32_t)devs[i].id))) {
			msg_err(ret, "stop device %d", devs[i].id);
			ok = false;
		}
	}
	for (unsigned int t = 0; t < nr_servers; t++) {
		if (!servers[t].thread)
			continue;
		if (!ok) {
			/* Queues never started would wait forever for the stop. */
			for (unsigned int i = 0; i < servers[t].nr; i++) {
				if (!servers[t].devs[i]->started)
					ublk_ctrl_stop(ctrl, (uint32_t)servers[t].devs[i]->id);
			}
		}
		pthread_join(servers[t].thread, NULL);
		if (servers[t].serve_ret) {
			msg_err(servers[t].serve_ret, "server thread %u", t);
			ok = false;
		}
	}
	for (unsigned int i = 0; i < added; i++) {
		if (devs[i].dev)
			ublk_dev_close(devs[i].dev);
		ret = ublk_ctrl_del(ctrl, (uint32_t)devs[i].id);
		if (ret) {
			msg_err(ret, "delete device %d", devs[i].id);
			ok = false;
		}
	}
	for (unsigned int i = 0; i < added; i++) {
		if (!wait_nodes_gone(devs[i].id, 10000)) {
			msg("/dev/ublkb%d or /dev/ublkc%d is left", devs[i].id, devs[i].id);
			ok = false;
		}
	}
	ret = ublk_ctrl_list(NULL, 0);
	if (ret != 0) {
		msg("%d ublk devices exist after the teardown", ret);
		ok = false;
	}
	ublk_ctrl_close(ctrl);
	printf("%s\n", ok ? "ok" : "FAILED");
out:
	free(servers);
	free(share);
	free(devs);
	return ok ? 0 : 1;
}
