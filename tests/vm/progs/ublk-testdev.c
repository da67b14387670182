// SPDX-License-Identifier: MIT
/*
 * ublk-testdev: a RAM-backed test device that checks how the library
 * treats it.
 *
 *   ublk-testdev [--buf library|backend|user-copy] [--style callback|pull]
 *                [-j WORKERS] [-q QUEUES] [-d DEPTH] [-s SIZE_MIB] [--idle MS]
 *                [--sectors N] [--grow N]
 *
 * --buf      buffer mode: library-managed, backend-supplied (NEED_GET_DATA)
 *            or user copy (USER_COPY)
 * --style    callback: ops->handle_io and ublk_queue_serve(); pull: an epoll
 *            loop on ublk_queue_fd() with ublk_queue_process() and
 *            ublk_queue_get_requests()
 * -j         worker threads that serve and complete requests (0: complete
 *            on the queue's thread)
 * --idle     library buffers: ublk_queue_set_buffer_idle() (default: the
 *            library's)
 * --sectors  size in 512-byte sectors, instead of -s (odd sizes)
 * --grow     once the queues are set up, make the kernel's device N sectors
 *            larger than the size they read: the library must fail every
 *            request that reaches into those sectors, which the program
 *            never sees (a request beyond its size is a violation)
 *
 * DISCARD and WRITE_ZEROES zero the range; FLUSH does nothing.
 *
 * Backend mode uses buffers from the program's own pool, each between two
 * guard areas. It checks that every buffer handed back by buffer_done() is
 * one it gave for that queue and tag, with its guards intact, and that a
 * WRITE's second delivery carries exactly the buffer it provided.
 *
 * Prints /dev/ublkbN once the device is live. On SIGINT or SIGTERM it stops
 * and deletes the device and prints a summary line:
 *   testdev: requests=N reads=N writes=N flushes=N discards=N zeroes=N
 *            largest=N at_end=N cross_thread=N provided=N returned=N
 *            violations=N errors=N
 * largest: the longest READ or WRITE, in sectors; at_end: requests whose
 * range ends at the last sector of the device.
 * Exit status 1 if anything went wrong: a violation, an error, or (backend
 * mode) a buffer given and never returned.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liburing.h>

#include <ublk/ublk.h>

#include "common.h"

const char *prog_name = "testdev";

#define MAX_WORKERS 64
#define GUARD 4096
#define BATCH 32

enum buf_mode { BUF_LIBRARY, BUF_BACKEND, BUF_USER_COPY };
enum style { STYLE_CALLBACK, STYLE_PULL };

/* Backend mode: a buffer of the pool, as the program sees it. */
enum chunk_state { CHUNK_FREE, CHUNK_WRITE, CHUNK_READ };
struct chunk {
	uint8_t state;
	uint16_t q_id, tag;
	uint32_t len;
	struct chunk *next_free;
};

/*
 * The pool: one reserved region of chunks, each [guard][data][...]: a
 * pointer is ours only if it is the data address of a chunk in use.
 */
struct pool {
	pthread_mutex_t lock;
	char *arena;
	size_t chunk_size, max_len;
	unsigned int nr, used;
	struct chunk *chunks, *free;
};

struct work {
	struct tqueue *tq;
	struct ublk_io io;
	struct work *next;
};

struct testdev;

struct tqueue {
	struct testdev *td;
	uint16_t id;
	struct ublk_queue *q;
	pthread_t thread;
	pthread_t owner; /* set by the queue's thread itself */
	bool deinit;     /* buffers come back from ublk_queue_deinit() now */
	int init_ret, serve_ret;
	struct work *works;     /* one per tag */
	struct chunk **waiting; /* per tag: the buffer given to a WRITE */
	int park_fd;            /* an eventfd nobody writes: our SQE waits on it */
	bool parked;            /* its poll is on the ring */
	unsigned int stops;     /* ops->stop() calls */
};

struct stats {
	atomic_ulong requests, reads, writes, flushes, discards, zeroes, cross_thread;
	atomic_ulong largest, at_end;
	atomic_ulong provided, returned, violations, errors;
};

struct testdev {
	enum buf_mode mode;
	enum style style;
	unsigned int workers;
	long idle_ms; /* -1: the library's default */
	uint16_t nr_queues, depth;
	uint64_t size;
	uint64_t grow; /* sectors the kernel's device has beyond size */
	uint32_t max_io;
	char *store;
	struct ublk_dev *dev;
	struct tqueue *tqs;
	struct pool pool;
	sem_t ready;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work *head, **tail;
	bool quit;

	struct stats st;
};

static struct testdev td_global;

#define COUNT(field) atomic_fetch_add_explicit(&td_global.st.field, 1, memory_order_relaxed)

static void violation(const struct tqueue *tq, uint16_t tag, const char *what)
{
	COUNT(violations);
	msg("VIOLATION: queue %u tag %u: %s", tq->id, tag, what);
}

static void record_error(const struct tqueue *tq, uint16_t tag, int err, const char *what)
{
	COUNT(errors);
	msg("ERROR: queue %u tag %u: %s: %s", tq->id, tag, what, strerror(err < 0 ? -err : err));
}

/* ------------------------------------------------------------------ */
/* The buffer pool (backend mode)                                      */
/* ------------------------------------------------------------------ */

static uint64_t guard_word(unsigned int idx, size_t i)
{
	return 0x9e3779b97f4a7c15ULL ^ ((uint64_t)idx << 32) ^ i;
}

static void fill_guard(void *p, unsigned int idx)
{
	uint64_t *w = p;

	for (size_t i = 0; i < GUARD / 8; i++)
		w[i] = guard_word(idx, i);
}

static bool guard_ok(const void *p, unsigned int idx)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < GUARD / 8; i++)
		if (w[i] != guard_word(idx, i))
			return false;
	return true;
}

static char *chunk_data(const struct pool *p, unsigned int idx)
{
	return p->arena + (size_t)idx * p->chunk_size + GUARD;
}

static int pool_init(struct pool *p, unsigned int nr, size_t max_len)
{
	p->max_len = max_len;
	/* data, then room for the guard behind the longest request */
	p->chunk_size = GUARD + max_len + GUARD;
	p->nr = nr;
	p->arena = mmap(NULL, p->chunk_size * nr, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->chunks = calloc(nr, sizeof(*p->chunks));
	if (p->arena == MAP_FAILED || !p->chunks)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

/* Lend a buffer of @len bytes for request @tag of queue @q_id. */
static void *pool_get(struct pool *p, uint8_t state, uint16_t q_id, uint16_t tag, uint32_t len)
{
	struct chunk *c;
	unsigned int idx;

	pthread_mutex_lock(&p->lock);
	c = p->free;
	if (c) {
		p->free = c->next_free;
	} else if (p->used < p->nr) {
		c = &p->chunks[p->used++];
		fill_guard(chunk_data(p, (unsigned int)(c - p->chunks)) - GUARD,
			   (unsigned int)(c - p->chunks));
	}
	if (c) {
		c->state = state;
		c->q_id = q_id;
		c->tag = tag;
		c->len = len;
	}
	pthread_mutex_unlock(&p->lock);
	if (!c)
		return NULL;
	idx = (unsigned int)(c - p->chunks);
	/* The guard behind the data moves with the request's length. */
	fill_guard(chunk_data(p, idx) + len, idx);
	return chunk_data(p, idx);
}

/* The chunk whose data is at @buf, or NULL if @buf is not such an address. */
static struct chunk *pool_find(struct pool *p, const void *buf)
{
	const char *b = buf;
	size_t off;

	if (!b || b < p->arena + GUARD)
		return NULL;
	off = (size_t)(b - p->arena - GUARD);
	if (off % p->chunk_size || off / p->chunk_size >= p->used)
		return NULL;
	return &p->chunks[off / p->chunk_size];
}

static bool chunk_guards_ok(struct pool *p, const struct chunk *c)
{
	unsigned int idx = (unsigned int)(c - p->chunks);
	char *data = chunk_data(p, idx);

	return guard_ok(data - GUARD, idx) && guard_ok(data + c->len, idx);
}

static void pool_put(struct pool *p, struct chunk *c)
{
	pthread_mutex_lock(&p->lock);
	c->state = CHUNK_FREE;
	c->next_free = p->free;
	p->free = c;
	pthread_mutex_unlock(&p->lock);
}

/* ops->buffer_done: a buffer comes back; it must be one we gave, intact. */
static void buffer_done(struct ublk_queue *q, uint16_t tag, void *buf, void *data)
{
	struct tqueue *tq = data;
	struct pool *p = &tq->td->pool;
	struct chunk *c = pool_find(p, buf);
	char what[160];

	(void)q;
	if (tq->td->mode != BUF_BACKEND) {
		violation(tq, tag, "buffer_done() outside backend-buffer mode");
		return;
	}
	if (!c) {
		snprintf(what, sizeof(what), "buffer_done() with %p, not a buffer of ours", buf);
		violation(tq, tag, what);
		return;
	}
	if (c->state == CHUNK_FREE || c->q_id != tq->id || c->tag != tag) {
		snprintf(what, sizeof(what),
			 "buffer_done() with a buffer %s (given to queue %u tag %u)",
			 c->state == CHUNK_FREE ? "already returned" : "of another request",
			 c->q_id, c->tag);
		violation(tq, tag, what);
		return;
	}
	if (!chunk_guards_ok(p, c))
		violation(tq, tag, "a guard area of the returned buffer was overwritten");
	if (tq->waiting[tag] == c) {
		/* Only a request aborted by the stop may give it back without data. */
		if (!tq->deinit)
			violation(tq, tag, "buffer_done() for a WRITE buffer before its data arrived");
		tq->waiting[tag] = NULL;
	}
	COUNT(returned);
	pool_put(p, c);
}

/* ------------------------------------------------------------------ */
/* Serving requests                                                    */
/* ------------------------------------------------------------------ */

static bool on_queue_thread(const struct tqueue *tq)
{
	return pthread_equal(pthread_self(), tq->owner);
}

/* Complete @io with @res (and @buf, backend READs); account for it. */
static void complete(struct tqueue *tq, const struct ublk_io *io, int32_t res, void *buf)
{
	bool cross = !on_queue_thread(tq);
	int ret;

	if (buf)
		ret = ublk_complete_buffer(tq->q, io->tag, res, buf);
	else
		ret = ublk_complete(tq->q, io->tag, res);
	if (ret) {
		record_error(tq, io->tag, ret, "the library refused the completion");
		if (buf)
			pool_put(&tq->td->pool, pool_find(&tq->td->pool, buf));
		return;
	}
	if (buf)
		COUNT(provided);
	COUNT(requests);
	if (cross)
		COUNT(cross_thread);
}

/* Backend mode, first delivery of a WRITE: give it a buffer of ours. */
static void provide(struct tqueue *tq, const struct ublk_io *io, uint32_t len)
{
	struct testdev *td = tq->td;
	void *buf;
	int ret;

	if (tq->waiting[io->tag]) {
		violation(tq, io->tag, "a WRITE arrived without data again after we provided a buffer");
		return;
	}
	buf = pool_get(&td->pool, CHUNK_WRITE, tq->id, io->tag, len);
	if (!buf) {
		record_error(tq, io->tag, ENOMEM, "the buffer pool is exhausted (buffers not returned?)");
		complete(tq, io, -ENOMEM, NULL);
		return;
	}
	tq->waiting[io->tag] = pool_find(&td->pool, buf);
	ret = ublk_provide_buffer(tq->q, io->tag, buf);
	if (ret) {
		tq->waiting[io->tag] = NULL;
		pool_put(&td->pool, pool_find(&td->pool, buf));
		record_error(tq, io->tag, ret, "ublk_provide_buffer");
		complete(tq, io, -EIO, NULL);
		return;
	}
	COUNT(provided);
}

/* Backend mode, second delivery of a WRITE: exactly the buffer we gave. */
static bool check_write_buffer(struct tqueue *tq, const struct ublk_io *io, uint32_t len)
{
	struct chunk *c = tq->waiting[io->tag];
	struct pool *p = &tq->td->pool;
	char what[160];

	if (!c) {
		violation(tq, io->tag, "a WRITE arrived with a buffer we did not provide for it");
		return false;
	}
	tq->waiting[io->tag] = NULL;
	if (io->buf != chunk_data(p, (unsigned int)(c - p->chunks))) {
		snprintf(what, sizeof(what), "a WRITE arrived with %p, not the buffer %p we provided",
			 io->buf, (void *)chunk_data(p, (unsigned int)(c - p->chunks)));
		violation(tq, io->tag, what);
		return false;
	}
	if (c->len != len) {
		violation(tq, io->tag, "a WRITE's length changed between its two deliveries");
		return false;
	}
	if (!chunk_guards_ok(p, c)) {
		violation(tq, io->tag, "the data copied into our buffer overran a guard area");
		return false;
	}
	return true;
}

static int32_t do_read(struct tqueue *tq, const struct ublk_io *io, char *at, uint32_t len,
		       void **bufp)
{
	struct testdev *td = tq->td;
	ssize_t n;

	switch (td->mode) {
	case BUF_LIBRARY:
		if (!io->buf) {
			violation(tq, io->tag, "a READ without a library buffer");
			return -EIO;
		}
		memcpy(io->buf, at, len);
		return (int32_t)len;
	case BUF_BACKEND:
		if (io->buf) {
			violation(tq, io->tag, "a READ arrived with a buffer in backend mode");
			return -EIO;
		}
		*bufp = pool_get(&td->pool, CHUNK_READ, tq->id, io->tag, len);
		if (!*bufp) {
			record_error(tq, io->tag, ENOMEM, "the buffer pool is exhausted (buffers not returned?)");
			return -ENOMEM;
		}
		memcpy(*bufp, at, len);
		return (int32_t)len;
	case BUF_USER_COPY:
		if (io->buf)
			violation(tq, io->tag, "a READ arrived with a buffer in user-copy mode");
		n = ublk_io_put_data(tq->q, io->tag, at, len, 0);
		if (n != (ssize_t)len) {
			record_error(tq, io->tag, n < 0 ? (int)n : EIO, "ublk_io_put_data");
			return -EIO;
		}
		return (int32_t)len;
	}
	return -EIO;
}

static int32_t do_write(struct tqueue *tq, const struct ublk_io *io, char *at, uint32_t len)
{
	ssize_t n;

	switch (tq->td->mode) {
	case BUF_LIBRARY:
		if (!io->buf) {
			violation(tq, io->tag, "a WRITE without a library buffer");
			return -EIO;
		}
		memcpy(at, io->buf, len);
		return (int32_t)len;
	case BUF_BACKEND:
		if (!check_write_buffer(tq, io, len))
			return -EIO;
		memcpy(at, io->buf, len);
		return (int32_t)len;
	case BUF_USER_COPY:
		if (io->buf)
			violation(tq, io->tag, "a WRITE arrived with a buffer in user-copy mode");
		n = ublk_io_get_data(tq->q, io->tag, at, len, 0);
		if (n != (ssize_t)len) {
			record_error(tq, io->tag, n < 0 ? (int)n : EIO, "ublk_io_get_data");
			return -EIO;
		}
		return (int32_t)len;
	}
	return -EIO;
}

static void note_largest(unsigned long sectors)
{
	unsigned long cur = atomic_load_explicit(&td_global.st.largest, memory_order_relaxed);

	while (cur < sectors &&
	       !atomic_compare_exchange_weak_explicit(&td_global.st.largest, &cur, sectors,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/* What the library promises of a request's range. */
static bool range_ok(struct tqueue *tq, const struct ublk_io *io)
{
	struct testdev *td = tq->td;
	bool data = io->op == UBLK_OP_READ || io->op == UBLK_OP_WRITE;
	uint64_t len = (uint64_t)io->nr_sectors << 9;

	if (io->op != UBLK_OP_READ && io->op != UBLK_OP_WRITE && io->op != UBLK_OP_DISCARD &&
	    io->op != UBLK_OP_WRITE_ZEROES)
		return true;
	if (io->sector > td->size >> 9 || len > td->size - (io->sector << 9) ||
	    (data && (len > td->max_io || !len))) {
		violation(tq, io->tag, "a request outside the device or larger than max_io_bytes");
		return false;
	}
	return true;
}

/* The boundaries a request served meets (a checked one). */
static void count_range(const struct testdev *td, const struct ublk_io *io)
{
	if (io->op == UBLK_OP_READ || io->op == UBLK_OP_WRITE)
		note_largest(io->nr_sectors);
	if (io->op != UBLK_OP_FLUSH && (io->sector + io->nr_sectors) << 9 == td->size)
		COUNT(at_end);
}

/* One request: on a worker, or on the queue's thread with -j 0. */
static void serve_io(struct tqueue *tq, const struct ublk_io *io)
{
	struct testdev *td = tq->td;
	uint64_t off = io->sector << 9;
	uint32_t len = io->nr_sectors << 9;
	void *buf = NULL;
	int32_t res;

	if (!range_ok(tq, io)) {
		complete(tq, io, -EIO, NULL);
		return;
	}
	/* Backend mode: a WRITE's first delivery asks for a buffer only. */
	if (io->op == UBLK_OP_WRITE && td->mode == BUF_BACKEND && !io->buf) {
		provide(tq, io, len);
		return;
	}
	count_range(td, io);
	switch (io->op) {
	case UBLK_OP_READ:
		COUNT(reads);
		res = do_read(tq, io, td->store + off, len, &buf);
		break;
	case UBLK_OP_WRITE:
		COUNT(writes);
		res = do_write(tq, io, td->store + off, len);
		break;
	case UBLK_OP_FLUSH:
		COUNT(flushes);
		res = 0;
		break;
	case UBLK_OP_DISCARD:
	case UBLK_OP_WRITE_ZEROES:
		if (io->op == UBLK_OP_DISCARD)
			COUNT(discards);
		else
			COUNT(zeroes);
		memset(td->store + off, 0, (uint64_t)io->nr_sectors << 9);
		res = 0;
		break;
	default:
		res = -EOPNOTSUPP;
		break;
	}
	complete(tq, io, res, res > 0 ? buf : NULL);
	if (buf && res <= 0)
		pool_put(&td->pool, pool_find(&td->pool, buf));
}

/* Queue thread: hand requests to the workers, or serve them here. */
static void dispatch(struct tqueue *tq, const struct ublk_io *ios, int n)
{
	struct testdev *td = tq->td;

	if (!td->workers) {
		for (int i = 0; i < n; i++)
			serve_io(tq, &ios[i]);
		return;
	}
	pthread_mutex_lock(&td->lock);
	for (int i = 0; i < n; i++) {
		struct work *w = &tq->works[ios[i].tag];

		w->tq = tq;
		w->io = ios[i];
		w->next = NULL;
		*td->tail = w;
		td->tail = &w->next;
	}
	if (n > 1)
		pthread_cond_broadcast(&td->cond);
	else
		pthread_cond_signal(&td->cond);
	pthread_mutex_unlock(&td->lock);
}

static void handle_io(struct ublk_queue *q, const struct ublk_io *io, void *data)
{
	struct tqueue *tq = data;

	(void)q;
	dispatch(tq, io, 1);
}

/*
 * A backend SQE that only ends when withdrawn: a poll on an eventfd nobody
 * writes. ublk_queue_serve() can only return once ops->stop() withdrew it.
 */
enum { UD_PARK = 1, UD_PARK_REMOVE };

static void park(struct tqueue *tq)
{
	struct io_uring_sqe *sqe = ublk_queue_get_sqe(tq->q);

	if (!sqe) {
		violation(tq, 0, "no SQE for the parked poll");
		return;
	}
	io_uring_prep_poll_add(sqe, tq->park_fd, POLLIN);
	sqe->user_data = UD_PARK;
	tq->parked = true;
}

static void handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe, void *data)
{
	struct tqueue *tq = data;

	(void)q;
	if (cqe->user_data == UD_PARK_REMOVE)
		return;
	if (cqe->user_data != UD_PARK || !tq->parked) {
		violation(tq, 0, "a CQE for an SQE that is not ours");
		return;
	}
	tq->parked = false;
	if (cqe->res != -ECANCELED)
		violation(tq, 0, "the parked poll ended without being withdrawn");
}

static void queue_stop(struct ublk_queue *q, void *data)
{
	struct tqueue *tq = data;
	struct io_uring_sqe *sqe;

	if (++tq->stops > 1)
		violation(tq, 0, "ops->stop() called again");
	if (!pthread_equal(tq->owner, pthread_self()))
		violation(tq, 0, "ops->stop() called off the queue's thread");
	if (!tq->parked)
		return;
	sqe = ublk_queue_get_sqe(q);
	if (!sqe) {
		violation(tq, 0, "no SQE to withdraw the parked poll");
		return;
	}
	io_uring_prep_poll_remove(sqe, UD_PARK);
	sqe->user_data = UD_PARK_REMOVE;
}

static const struct ublk_queue_ops callback_ops = {
	.handle_io = handle_io,
	.handle_cqe = handle_cqe,
	.buffer_done = buffer_done,
	.stop = queue_stop,
};
static const struct ublk_queue_ops pull_ops = {
	.handle_cqe = handle_cqe,
	.buffer_done = buffer_done,
	.stop = queue_stop,
};

static void *worker(void *arg)
{
	struct testdev *td = arg;

	for (;;) {
		struct work *w;

		pthread_mutex_lock(&td->lock);
		while (!td->head && !td->quit)
			pthread_cond_wait(&td->cond, &td->lock);
		w = td->head;
		if (w) {
			td->head = w->next;
			if (!td->head)
				td->tail = &td->head;
		}
		pthread_mutex_unlock(&td->lock);
		if (!w)
			return NULL;
		serve_io(w->tq, &w->io);
	}
}

/* Pull style: an epoll loop of the kind a backend with its own loop has. */
static int pull_loop(struct tqueue *tq)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ublk_io ios[BATCH];
	int ep, n, got, ret = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ublk_queue_fd(tq->q), &ev)) {
		ret = -errno;
		if (ep >= 0)
			close(ep);
		return ret;
	}
	for (;;) {
		ret = ublk_queue_process(tq->q, 0);
		if (ret < 0)
			break;
		ret = 0;
		got = 0;
		while ((n = ublk_queue_get_requests(tq->q, ios, BATCH)) > 0) {
			dispatch(tq, ios, n);
			got += n;
		}
		if (n < 0) {
			ret = n;
			break;
		}
		if (ublk_queue_done(tq->q))
			break;
		/* Completions made here are sent by the next process() call. */
		if (got && !tq->td->workers)
			continue;
		if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	close(ep);
	return ret;
}

static void *queue_thread(void *arg)
{
	struct tqueue *tq = arg;
	struct testdev *td = tq->td;

	tq->owner = pthread_self();
	tq->init_ret = ublk_queue_init(td->dev, tq->id,
				       td->style == STYLE_CALLBACK ? &callback_ops : &pull_ops,
				       tq, &tq->q);
	if (!tq->init_ret && td->idle_ms >= 0)
		ublk_queue_set_buffer_idle(tq->q, (unsigned int)td->idle_ms);
	tq->park_fd = -1;
	if (!tq->init_ret) {
		tq->park_fd = eventfd(0, EFD_CLOEXEC);
		if (tq->park_fd < 0)
			violation(tq, 0, "eventfd for the parked poll failed");
		else
			park(tq);
	}
	sem_post(&td->ready);
	if (tq->init_ret)
		return NULL;
	if (td->style == STYLE_CALLBACK)
		tq->serve_ret = ublk_queue_serve(tq->q);
	else
		tq->serve_ret = pull_loop(tq);
	if (!tq->serve_ret && tq->stops != 1)
		violation(tq, 0, "the queue ended without ops->stop()");
	tq->deinit = true;
	ublk_queue_deinit(tq->q);
	if (tq->park_fd >= 0)
		close(tq->park_fd);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: ublk-testdev [--buf library|backend|user-copy] "
			"[--style callback|pull] [-j WORKERS] [-q QUEUES] [-d DEPTH] "
			"[-s SIZE_MIB] [--idle MS] [--sectors N] [--grow N]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct testdev *td)
{
	static const struct option longopts[] = {
		{ "buf", required_argument, NULL, 'b' },
		{ "style", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "sectors", required_argument, NULL, 'S' },
		{ "grow", required_argument, NULL, 'g' },
		{ 0 },
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "j:q:d:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!strcmp(optarg, "library"))
				td->mode = BUF_LIBRARY;
			else if (!strcmp(optarg, "backend"))
				td->mode = BUF_BACKEND;
			else if (!strcmp(optarg, "user-copy"))
				td->mode = BUF_USER_COPY;
			else
				usage();
			break;
		case 't':
			if (!strcmp(optarg, "callback"))
				td->style = STYLE_CALLBACK;
			else if (!strcmp(optarg, "pull"))
				td->style = STYLE_PULL;
			else
				usage();
			break;
		case 'i':
			if (!parse_uint(optarg, 0, 3600000, &v))
				usage();
			td->idle_ms = (long)v;
			break;
		case 'j':
			if (!parse_uint(optarg, 0, MAX_WORKERS, &v))
				usage();
			td->workers = (unsigned int)v;
			break;
		case 'q':
			if (!parse_uint(optarg, 1, 64, &v))
				usage();
			td->nr_queues = (uint16_t)v;
			break;
		case 'd':
			if (!parse_uint(optarg, 1, UBLK_MAX_DEPTH, &v))
				usage();
			td->depth = (uint16_t)v;
			break;
		case 's':
			if (!parse_uint(optarg, 1, 1UL << 20, &v))
				usage();
			td->size = (uint64_t)v << 20;
			break;
		case 'S':
			if (!parse_uint(optarg, 1, 1UL << 31, &v))
				usage();
			td->size = (uint64_t)v << 9;
			break;
		case 'g':
			if (!parse_uint(optarg, 1, 1UL << 31, &v))
				usage();
			td->grow = v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

static const char *mode_name(enum buf_mode m)
{
	return m == BUF_LIBRARY ? "library" : m == BUF_BACKEND ? "backend" : "user-copy";
}

int main(int argc, char **argv)
{
	struct testdev *td = &td_global;
	struct ublk_dev_config cfg = { .id = -1 };
	struct ublk_dev_params params = {
		.volatile_cache = true,
		.discard = true,
		.write_zeroes = true,
	};
	struct ublk_dev_info info;
	pthread_t wthreads[MAX_WORKERS];
	struct ublk_ctrl *ctrl;
	unsigned int nr_workers = 0, nr_queues = 0;
	int id, ret, sig;
	bool ok = true;
	sigset_t sigs;
	struct stats *st = &td->st;

	td->mode = BUF_LIBRARY;
	td->style = STYLE_CALLBACK;
	td->workers = 1;
	td->idle_ms = -1;
	td->nr_queues = 1;
	td->depth = 128;
	td->size = 64ULL << 20;
	parse_args(argc, argv, td);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* Reserved: only what is written takes memory. */
	td->store = mmap(NULL, td->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (td->store == MAP_FAILED) {
		msg_err(errno, "cannot reserve %llu bytes", (unsigned long long)td->size);
		return 1;
	}
	pthread_mutex_init(&td->lock, NULL);
	pthread_cond_init(&td->cond, NULL);
	td->tail = &td->head;
	sem_init(&td->ready, 0, 0);

	ret = ublk_ctrl_open(&ctrl);
	if (ret) {
		msg_err(ret, "open /dev/ublk-control");
		return 1;
	}
	cfg.nr_queues = td->nr_queues;
	cfg.queue_depth = td->depth;
	cfg.flags = td->mode == BUF_BACKEND	  ? UBLK_FEAT_NEED_GET_DATA
		    : td->mode == BUF_USER_COPY ? UBLK_FEAT_USER_COPY
						: 0;
	id = ublk_ctrl_add(ctrl, &cfg, &info);
	if (id < 0) {
		msg_err(id, "add device");
		ublk_ctrl_close(ctrl);
		return 1;
	}
	if ((info.flags & cfg.flags) != cfg.flags) {
		msg("the driver did not grant the flags for --buf %s (granted %#llx)",
		    mode_name(td->mode), (unsigned long long)info.flags);
		ok = false;
		goto del;
	}
	td->nr_queues = info.nr_queues;
	td->depth = info.queue_depth;
	fprintf(stderr, "testdev: device %d: --buf %s --style %s, %u queues of depth %u, "
			"%u workers, %llu sectors (+%llu grown), max_io_bytes %u, flags %#llx\n",
		id, mode_name(td->mode), td->style == STYLE_CALLBACK ? "callback" : "pull",
		td->nr_queues, td->depth, td->workers, (unsigned long long)(td->size >> 9),
		(unsigned long long)td->grow,
		info.max_io_bytes, (unsigned long long)info.flags);

	td->max_io = info.max_io_bytes;
	/* At most two buffers per tag: one being returned, one given. */
	ret = td->mode == BUF_BACKEND
		      ? pool_init(&td->pool, 2U * td->nr_queues * td->depth, info.max_io_bytes)
		      : 0;
	td->tqs = calloc(td->nr_queues, sizeof(*td->tqs));
	if (ret || !td->tqs) {
		msg("out of memory");
		ok = false;
		goto del;
	}
	params.size = td->size;
	ret = ublk_ctrl_set_params(ctrl, (uint32_t)id, &params);
	if (!ret)
		ret = ublk_dev_open(ctrl, (uint32_t)id, &td->dev);
	if (ret) {
		msg_err(ret, "set up device %d", id);
		ok = false;
		goto del;
	}

	for (; nr_workers < td->workers; nr_workers++) {
		if (pthread_create(&wthreads[nr_workers], NULL, worker, td)) {
			msg("cannot create worker threads");
			ok = false;
			goto stop;
		}
	}
	for (; nr_queues < td->nr_queues; nr_queues++) {
		struct tqueue *tq = &td->tqs[nr_queues];

		tq->td = td;
		tq->id = (uint16_t)nr_queues;
		tq->works = calloc(td->depth, sizeof(*tq->works));
		tq->waiting = calloc(td->depth, sizeof(*tq->waiting));
		if (!tq->works || !tq->waiting ||
		    pthread_create(&tq->thread, NULL, queue_thread, tq)) {
			msg("cannot set up queue %u", nr_queues);
			ok = false;
			goto stop;
		}
		sem_wait(&td->ready);
		if (tq->init_ret) {
			msg_err(tq->init_ret, "init queue %u", nr_queues);
			ok = false;
			nr_queues++;
			goto stop;
		}
	}
	if (td->grow) {
		/* The queues read the smaller size; the kernel gets the larger one. */
		params.size = td->size + (td->grow << 9);
		ret = ublk_ctrl_set_params(ctrl, (uint32_t)id, &params);
		if (ret) {
			msg_err(ret, "grow device %d", id);
			ok = false;
			goto stop;
		}
	}
	ret = ublk_ctrl_start(ctrl, (uint32_t)id, getpid());
	if (ret) {
		msg_err(ret, "start device %d", id);
		ok = false;
		goto stop;
	}
	printf("/dev/ublkb%d\n", id);
	fflush(stdout);
	sigwait(&sigs, &sig);

stop:
	/* The workers keep serving while the queues drain. */
	ret = ublk_ctrl_stop(ctrl, (uint32_t)id);
	if (ret) {
		msg_err(ret, "stop device %d", id);
		ok = false;
	}
	for (unsigned int i = 0; i < nr_queues; i++) {
		struct tqueue *tq = &td->tqs[i];

		pthread_join(tq->thread, NULL);
		if (tq->serve_ret) {
			msg_err(tq->serve_ret, "serving queue %u", i);
			ok = false;
		}
	}
	pthread_mutex_lock(&td->lock);
	td->quit = true;
	pthread_cond_broadcast(&td->cond);
	pthread_mutex_unlock(&td->lock);
	for (unsigned int i = 0; i < nr_workers; i++)
		pthread_join(wthreads[i], NULL);
	ublk_dev_close(td->dev);
del:
	ret = ublk_ctrl_del(ctrl, (uint32_t)id);
	if (ret) {
		msg_err(ret, "delete device %d", id);
		ok = false;
	}
	ublk_ctrl_close(ctrl);

	printf("testdev: requests=%lu reads=%lu writes=%lu flushes=%lu discards=%lu zeroes=%lu "
	       "largest=%lu at_end=%lu cross_thread=%lu provided=%lu returned=%lu violations=%lu "
	       "errors=%lu\n",
	       atomic_load(&st->requests), atomic_load(&st->reads), atomic_load(&st->writes),
	       atomic_load(&st->flushes), atomic_load(&st->discards), atomic_load(&st->zeroes),
	       atomic_load(&st->largest), atomic_load(&st->at_end), atomic_load(&st->cross_thread),
	       atomic_load(&st->provided), atomic_load(&st->returned),
	       atomic_load(&st->violations), atomic_load(&st->errors));
	if (atomic_load(&st->provided) != atomic_load(&st->returned)) {
		msg("%lu buffers given to the library, %lu returned", atomic_load(&st->provided),
		    atomic_load(&st->returned));
		ok = false;
	}
	return ok && !atomic_load(&st->violations) && !atomic_load(&st->errors) ? 0 : 1;
}
