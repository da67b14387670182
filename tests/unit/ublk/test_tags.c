// SPDX-License-Identifier: MIT
/*
 * The tag state machine (lib/ublk/queue_tags.c) with the buffer modes it
 * hands commands to (queue_buffers.c), on a queue without a ring: the
 * ring's one entry point, ublk_ring_io_cmd(), is stubbed to record the
 * commands the library queues. What is checked: which claims win, which
 * are refused, what is sent for each, from which thread and in what order.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "queue.h"
#include "t_assert.h"

#define MAX_IO (64U << 10)

/* ---- the ring, stubbed ---- */

struct sent_cmd {
	unsigned int op;
	uint16_t tag;
	int32_t result;
	void *addr;
};

static struct sent_cmd sent[1024];
static unsigned int nsent;
static bool ring_full;              /* ublk_ring_io_cmd() finds no SQE */
static pthread_t ring_owner;
static _Atomic unsigned int sent_off_owner; /* commands queued by another thread */

int ublk_ring_io_cmd(struct ublk_queue *q, unsigned int op, uint16_t tag, int32_t result,
		     void *addr)
{
	(void)q;
	if (!pthread_equal(pthread_self(), ring_owner)) {
		atomic_fetch_add(&sent_off_owner, 1);
		return -EBUSY;
	}
	if (ring_full || nsent == sizeof(sent) / sizeof(sent[0]))
		return -EBUSY;
	sent[nsent++] = (struct sent_cmd){ op, tag, result, addr };
	return 0;
}

struct io_uring_sqe *ublk_ring_sqe(struct ublk_queue *q)
{
	(void)q;
	return NULL;
}

/* ---- a queue without a ring ---- */

struct returned_buf {
	uint16_t tag;
	void *buf;
};

static struct returned_buf returned[64];
static unsigned int nreturned;

static void buffer_done(struct ublk_queue *q, uint16_t tag, void *buf, void *data)
{
	(void)q;
	(void)data;
	if (nreturned < sizeof(returned) / sizeof(returned[0]))
		returned[nreturned++] = (struct returned_buf){ tag, buf };
}

static const struct ublk_queue_ops ops = { .buffer_done = buffer_done };

struct fixture {
	struct ublk_dev dev;
	struct ublk_queue q;
};

static struct ublk_queue *setup(struct fixture *f, enum ublk_buf_mode mode, uint16_t depth)
{
	struct ublk_queue *q = &f->q;

	memset(f, 0, sizeof(*f));
	f->dev.info.max_io_bytes = MAX_IO;
	f->dev.info.queue_depth = depth;
	q->dev = &f->dev;
	q->ops = &ops;
	q->owner = ring_owner = pthread_self();
	q->depth = depth;
	q->buf_mode = mode;
	q->slots = calloc(depth, sizeof(*q->slots));
	q->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!q->slots || q->event_fd < 0 || ublk_buf_setup(q) < 0) {
		perror("test queue set-up");
		exit(2);
	}
	nsent = 0;
	nreturned = 0;
	ring_full = false;
	return q;
}

static void teardown(struct ublk_queue *q)
{
	ublk_buf_teardown(q);
	close(q->event_fd);
	free(q->slots);
}

/* A request the backend now holds, as queue_requests.c hands it over. */
static void arrive(struct ublk_queue *q, uint16_t tag, uint8_t state, uint8_t op)
{
	q->slots[tag].op_flags = op;
	q->slots[tag].nr_sectors = 8;
	set_tag_state(q, tag, state);
	q->backend_held++;
}

/* How often the ring was woken through its eventfd since the last call. */
static uint64_t wakeups(struct ublk_queue *q)
{
	eventfd_t n = 0;

	return eventfd_read(q->event_fd, &n) == 0 ? n : 0;
}

static bool sent_is(unsigned int i, unsigned int op, uint16_t tag, int32_t result, void *addr)
{
	return i < nsent && sent[i].op == op && sent[i].tag == tag &&
	       sent[i].result == result && sent[i].addr == addr;
}

/* ---- the tests ---- */

/* On the owner's thread a completion goes out at once, once. */
static void test_owner_completes(void)
{
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_LIBRARY, 8);

	arrive(q, 3, UBLK_TAG_IN_BACKEND, UBLK_OP_READ);
	T_CHECK(ublk_complete(q, 3, 4096) == 0);
	T_CHECK(nsent == 1);
	T_CHECK(sent_is(0, UBLK_U_IO_COMMIT_AND_FETCH_REQ, 3, 4096, q->bufs + 3 * MAX_IO));
	T_CHECK(tag_state(q, 3) == UBLK_TAG_IN_KERNEL);
	T_CHECK(q->slots[3].last_cmd == UBLK_IO_COMMIT_AND_FETCH_REQ);
	T_CHECK(q->cmds_in_kernel == 1);
	T_CHECK(q->backend_held == 0);
	T_CHECK(wakeups(q) == 0);

	/* The same request again: it is the kernel's now. */
	T_CHECK(ublk_complete(q, 3, 4096) == -EINVAL);
	T_CHECK(nsent == 1);
	teardown(q);
}

/* Claims from states the backend does not hold, or of the wrong kind. */
static void test_wrong_states(void)
{
	static const uint8_t not_held[] = { UBLK_TAG_IN_KERNEL, UBLK_TAG_CLAIMED, UBLK_TAG_DONE };
	char buf[512];
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_BACKEND, 4);

	for (unsigned int i = 0; i < sizeof(not_held); i++) {
		set_tag_state(q, 0, not_held[i]);
		T_CHECK(ublk_complete(q, 0, 0) == -EINVAL);
		T_CHECK(ublk_complete(q, 0, -EIO) == -EINVAL);
		T_CHECK(ublk_complete_buffer(q, 0, 512, buf) == -EINVAL);
		T_CHECK(ublk_provide_buffer(q, 0, buf) == -EINVAL);
		T_CHECK(tag_state(q, 0) == not_held[i]);
	}
	/* No such tag. */
	T_CHECK(ublk_complete(q, 4, 0) == -EINVAL);
	T_CHECK(ublk_provide_buffer(q, 4, buf) == -EINVAL);

	/* A buffer is for a WRITE waiting for one, and it cannot be NULL. */
	arrive(q, 1, UBLK_TAG_IN_BACKEND, UBLK_OP_WRITE);
	T_CHECK(ublk_provide_buffer(q, 1, buf) == -EINVAL);
	arrive(q, 2, UBLK_TAG_AWAIT_BUFFER, UBLK_OP_WRITE);
	T_CHECK(ublk_provide_buffer(q, 2, NULL) == -EINVAL);

	/* A READ of data has to come with its buffer; of nothing, it need not. */
	arrive(q, 3, UBLK_TAG_IN_BACKEND, UBLK_OP_READ);
	T_CHECK(ublk_complete(q, 3, 512) == -EINVAL);
	T_CHECK(tag_state(q, 3) == UBLK_TAG_IN_BACKEND);
	T_CHECK(nsent == 0);
	T_CHECK(ublk_complete(q, 3, 0) == 0);
	T_CHECK(nsent == 1);
	teardown(q);

	/* Library and user-copy buffers are the library's: none may be given. */
	q = setup(&f, UBLK_BUF_LIBRARY, 2);
	arrive(q, 0, UBLK_TAG_IN_BACKEND, UBLK_OP_READ);
	T_CHECK(ublk_complete_buffer(q, 0, 512, buf) == -EINVAL);
	T_CHECK(ublk_provide_buffer(q, 0, buf) == -EINVAL);
	T_CHECK(tag_state(q, 0) == UBLK_TAG_IN_BACKEND && nsent == 0);
	teardown(q);
}

/* A WRITE waiting for its buffer can only be failed, or given one. */
static void test_await_buffer(void)
{
	char buf[4096], other[4096];
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_BACKEND, 4);

	arrive(q, 0, UBLK_TAG_AWAIT_BUFFER, UBLK_OP_WRITE);
	T_CHECK(ublk_complete(q, 0, 4096) == -EINVAL);
	T_CHECK(ublk_complete(q, 0, 0) == -EINVAL);
	T_CHECK(ublk_complete_buffer(q, 0, -EIO, buf) == -EINVAL);
	T_CHECK(tag_state(q, 0) == UBLK_TAG_AWAIT_BUFFER && nsent == 0);

	/* Given a buffer: the kernel copies the data into it. */
	T_CHECK(ublk_provide_buffer(q, 0, buf) == 0);
	T_CHECK(sent_is(0, UBLK_U_IO_NEED_GET_DATA, 0, 0, buf));
	T_CHECK(tag_state(q, 0) == UBLK_TAG_IN_KERNEL);
	T_CHECK(q->slots[0].buf == buf);
	T_CHECK(ublk_provide_buffer(q, 0, other) == -EINVAL);

	/* Back with its data, it is completed with that buffer and no other. */
	set_tag_state(q, 0, UBLK_TAG_IN_BACKEND);
	q->backend_held++;
	T_CHECK(ublk_complete_buffer(q, 0, 4096, other) == -EINVAL);
	T_CHECK(ublk_complete_buffer(q, 0, 4096, buf) == 0);
	T_CHECK(sent_is(1, UBLK_U_IO_COMMIT_AND_FETCH_REQ, 0, 4096, buf));
	/* Its buffer goes back once the commit is submitted, not before. */
	T_CHECK(nreturned == 0 && q->slots[0].buf == NULL);
	ublk_buf_after_submit(q);
	T_CHECK(nreturned == 1 && returned[0].tag == 0 && returned[0].buf == buf);

	/* Failed: its data goes to scratch first, the failure after it. */
	arrive(q, 1, UBLK_TAG_AWAIT_BUFFER, UBLK_OP_WRITE);
	T_CHECK(ublk_complete(q, 1, -ENOSPC) == 0);
	T_CHECK(q->scratch != NULL);
	T_CHECK(sent_is(2, UBLK_U_IO_NEED_GET_DATA, 1, 0, q->scratch));
	T_CHECK(q->slots[1].fail_pending);
	T_CHECK(ublk_provide_buffer(q, 1, buf) == -EINVAL);
	q->slots[1].fail_pending = false;
	ublk_tag_settle(q, 1, UBLK_ACT_COMMIT, q->slots[1].result);
	T_CHECK(sent_is(3, UBLK_U_IO_COMMIT_AND_FETCH_REQ, 1, -ENOSPC, q));
	T_CHECK(q->backend_held == 0 && q->cmds_in_kernel == 4);
	teardown(q);
}

/* Once the device is stopping, a success goes back as -EIO; failures stay. */
static void test_stopping_override(void)
{
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_LIBRARY, 4);

	for (uint16_t tag = 0; tag < 4; tag++)
		arrive(q, tag, UBLK_TAG_IN_BACKEND, UBLK_OP_WRITE);
	T_CHECK(ublk_complete(q, 0, 4096) == 0);
	T_CHECK(sent_is(0, UBLK_U_IO_COMMIT_AND_FETCH_REQ, 0, 4096, q->bufs));

	atomic_store(&f.dev.stopping, true);
	T_CHECK(ublk_complete(q, 1, 4096) == 0);
	T_CHECK(sent_is(1, UBLK_U_IO_COMMIT_AND_FETCH_REQ, 1, -EIO, q->bufs + MAX_IO));
	T_CHECK(ublk_complete(q, 2, 0) == 0);
	T_CHECK(sent[2].result == -EIO);
	T_CHECK(ublk_complete(q, 3, -ENOSPC) == 0);
	T_CHECK(sent[3].result == -ENOSPC);
	teardown(q);
}

static void *complete_tags(void *arg)
{
	struct ublk_queue *q = arg;
	intptr_t ok = 0;

	for (uint16_t tag = 1; tag <= 3; tag++)
		ok += ublk_complete(q, tag, 100 + tag) == 0;
	return (void *)ok;
}

/* Claimed on another thread: parked, one wake-up, sent by the owner's drain. */
static void test_parked_and_drained(void)
{
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_LIBRARY, 8);
	pthread_t t;
	void *ok;

	for (uint16_t tag = 1; tag <= 3; tag++)
		arrive(q, tag, UBLK_TAG_IN_BACKEND, UBLK_OP_READ);
	pthread_create(&t, NULL, complete_tags, q);
	pthread_join(t, &ok);
	T_CHECK((intptr_t)ok == 3);
	T_CHECK(nsent == 0 && atomic_load(&sent_off_owner) == 0);
	for (uint16_t tag = 1; tag <= 3; tag++)
		T_CHECK(tag_state(q, tag) == UBLK_TAG_CLAIMED);
	T_CHECK(q->backend_held == 3);
	T_CHECK(wakeups(q) == 1); /* the first of the batch woke the ring */

	/* The stack hands them out newest first. */
	T_CHECK(ublk_tag_drain(q) == 3);
	T_CHECK(nsent == 3);
	for (unsigned int i = 0; i < 3; i++)
		T_CHECK(sent_is(i, UBLK_U_IO_COMMIT_AND_FETCH_REQ, (uint16_t)(3 - i), 103 - (int)i,
				q->bufs + (3 - i) * MAX_IO));
	for (uint16_t tag = 1; tag <= 3; tag++)
		T_CHECK(tag_state(q, tag) == UBLK_TAG_IN_KERNEL);
	T_CHECK(q->backend_held == 0);
	T_CHECK(ublk_tag_drain(q) == 0 && nsent == 3);
	teardown(q);
}

/* No SQE to be had: the claim stands, parked until the next round. */
static void test_ring_full(void)
{
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_LIBRARY, 4);

	arrive(q, 2, UBLK_TAG_IN_BACKEND, UBLK_OP_WRITE);
	ring_full = true;
	T_CHECK(ublk_complete(q, 2, 4096) == 0);
	T_CHECK(nsent == 0 && tag_state(q, 2) == UBLK_TAG_CLAIMED && q->backend_held == 1);
	T_CHECK(wakeups(q) == 1);
	T_CHECK(ublk_complete(q, 2, 4096) == -EINVAL);

	/* Still full at the drain: parked again, and the ring woken again. */
	T_CHECK(ublk_tag_drain(q) == 1);
	T_CHECK(nsent == 0 && tag_state(q, 2) == UBLK_TAG_CLAIMED && wakeups(q) == 1);

	ring_full = false;
	T_CHECK(ublk_tag_drain(q) == 1);
	T_CHECK(sent_is(0, UBLK_U_IO_COMMIT_AND_FETCH_REQ, 2, 4096, q->bufs + 2 * MAX_IO));
	T_CHECK(tag_state(q, 2) == UBLK_TAG_IN_KERNEL && q->backend_held == 0);
	teardown(q);
}

/* ---- racing claims ---- */

#define RACE_DEPTH 64
#define RACE_ROUNDS 1000

/* Two threads, round after round, claim the same tags at the same time. */
struct race {
	struct ublk_queue *q;
	pthread_barrier_t start, end;   /* of the racers and the owner */
	bool won[2][RACE_DEPTH];        /* [0]: failed it, [1]: gave a buffer */
	_Atomic unsigned int ready[RACE_DEPTH]; /* racers lined up at each tag */
};

struct racer {
	struct race *race;
	unsigned int id;
};

static char race_buf[4096];

static void *run_racer(void *arg)
{
	const struct racer *r = arg;
	struct race *race = r->race;

	for (unsigned int round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&race->start);
		for (uint16_t tag = 0; tag < RACE_DEPTH; tag++) {
			/* Both at this tag before either claims it. */
			atomic_fetch_add(&race->ready[tag], 1);
			for (unsigned int spins = 0; atomic_load(&race->ready[tag]) < 2; spins++) {
				if (spins > 10000)
					sched_yield(); /* on one CPU: let the other come */
			}
			race->won[r->id][tag] = r->id ? ublk_provide_buffer(race->q, tag, race_buf) == 0
						      : ublk_complete(race->q, tag, -ENOSPC) == 0;
		}
		pthread_barrier_wait(&race->end);
	}
	return NULL;
}

/* After a round: one winner a tag, and the owner sent what it asked for, once. */
static unsigned int check_round(struct race *race)
{
	struct ublk_queue *q = race->q;
	bool seen[RACE_DEPTH] = { false };
	unsigned int bad = ublk_tag_drain(q) != RACE_DEPTH || nsent != RACE_DEPTH;

	for (unsigned int i = 0; i < nsent; i++) {
		uint16_t tag = sent[i].tag;
		bool failed = race->won[0][tag];

		if (tag >= RACE_DEPTH || seen[tag]) {
			bad++;
			continue;
		}
		seen[tag] = true;
		bad += failed == race->won[1][tag] || sent[i].op != UBLK_U_IO_NEED_GET_DATA ||
		       sent[i].addr != (failed ? q->scratch : race_buf) ||
		       q->slots[tag].fail_pending != failed;
	}
	return bad + (q->backend_held != 0);
}

/*
 * WRITEs waiting for their buffers: one thread fails each, the other gives
 * it a buffer, at once. Exactly one claim wins each tag.
 */
static void test_racing_claims(void)
{
	struct fixture f;
	struct race race = { .q = setup(&f, UBLK_BUF_BACKEND, RACE_DEPTH) };
	struct racer racers[2] = { { &race, 0 }, { &race, 1 } };
	unsigned int bad = 0, wins[2] = { 0, 0 };
	pthread_t t[2];

	pthread_barrier_init(&race.start, NULL, 3);
	pthread_barrier_init(&race.end, NULL, 3);
	for (unsigned int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, run_racer, &racers[i]);
	for (unsigned int round = 0; round < RACE_ROUNDS; round++) {
		nsent = 0;
		for (uint16_t tag = 0; tag < RACE_DEPTH; tag++) {
			race.q->slots[tag].fail_pending = false;
			race.q->slots[tag].buf = NULL;
			atomic_store(&race.ready[tag], 0);
			arrive(race.q, tag, UBLK_TAG_AWAIT_BUFFER, UBLK_OP_WRITE);
		}
		pthread_barrier_wait(&race.start);
		pthread_barrier_wait(&race.end);
		bad += check_round(&race);
		for (uint16_t tag = 0; tag < RACE_DEPTH; tag++) {
			wins[0] += race.won[0][tag];
			wins[1] += race.won[1][tag];
		}
	}
	for (unsigned int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&race.start);
	pthread_barrier_destroy(&race.end);
	T_CHECK(bad == 0);
	T_CHECK(wins[0] + wins[1] == RACE_ROUNDS * RACE_DEPTH);
	T_CHECK(atomic_load(&sent_off_owner) == 0);
	teardown(race.q);
}

#define DRAIN_THREADS 4
#define DRAIN_DEPTH 256
#define DRAIN_ROUNDS 50

struct completer {
	struct ublk_queue *q;
	uint16_t first;
	unsigned int refused;
};

static void *complete_share(void *arg)
{
	struct completer *c = arg;

	for (uint16_t i = 0; i < DRAIN_DEPTH / DRAIN_THREADS; i++)
		c->refused += ublk_complete(c->q, c->first + i, c->first + i) != 0;
	return NULL;
}

/* Threads park completions while the owner drains: every tag goes out once. */
static void test_drain_while_parking(void)
{
	struct fixture f;
	struct ublk_queue *q = setup(&f, UBLK_BUF_LIBRARY, DRAIN_DEPTH);
	unsigned int bad = 0;

	for (unsigned int round = 0; round < DRAIN_ROUNDS; round++) {
		struct completer c[DRAIN_THREADS];
		pthread_t t[DRAIN_THREADS];
		unsigned int count[DRAIN_DEPTH] = { 0 };

		nsent = 0;
		for (uint16_t tag = 0; tag < DRAIN_DEPTH; tag++)
			arrive(q, tag, UBLK_TAG_IN_BACKEND, UBLK_OP_READ);
		for (unsigned int i = 0; i < DRAIN_THREADS; i++) {
			c[i] = (struct completer){ q, (uint16_t)(i * DRAIN_DEPTH / DRAIN_THREADS), 0 };
			pthread_create(&t[i], NULL, complete_share, &c[i]);
		}
		while (nsent < DRAIN_DEPTH)
			ublk_tag_drain(q);
		for (unsigned int i = 0; i < DRAIN_THREADS; i++) {
			pthread_join(t[i], NULL);
			bad += c[i].refused;
		}
		bad += ublk_tag_drain(q) != 0;
		for (unsigned int i = 0; i < nsent; i++) {
			bad += sent[i].result != sent[i].tag;
			count[sent[i].tag]++;
		}
		for (uint16_t tag = 0; tag < DRAIN_DEPTH; tag++)
			bad += count[tag] != 1 || tag_state(q, tag) != UBLK_TAG_IN_KERNEL;
		bad += q->backend_held != 0;
		wakeups(q);
	}
	T_CHECK(bad == 0);
	T_CHECK(atomic_load(&sent_off_owner) == 0);
	teardown(q);
}

int main(void)
{
	test_owner_completes();
	test_wrong_states();
	test_await_buffer();
	test_stopping_override();
	test_parked_and_drained();
	test_ring_full();
	test_racing_claims();
	test_drain_while_parking();
	return T_EXIT();
}
