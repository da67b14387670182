// SPDX-License-Identifier: MIT
/*
 * Description: the nbd target's connection against a real nbdkit, on a ring
 * this test drives in place of a ublk queue: requests complete with the
 * server's data, a readiness report with nothing to read (a stale wake-up)
 * does not stall the next request, and stopping leaves no SQE behind.
 *
 * Run without arguments, it runs itself under `nbdkit --run` (memory
 * plugin, Unix socket) and is skipped (exit 77) when nbdkit is missing.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "t_assert.h"
#include "target_nbd.h"

#define DEPTH 4
#define PENDING INT32_MIN
#define WAIT_MS 5000
/* user_data of this test's own SQEs: a kind the target does not use */
#define TEST_UDATA 0xfeULL

static struct io_uring ring;
/* The queue the target sees: nothing is behind it but this file. */
static struct ublk_queue *const Q = (struct ublk_queue *)&ring;
static void *conn;
static int32_t results[DEPTH];
static unsigned int target_sqes; /* handed to the target, CQE not yet back */
static struct io_uring_sqe *handed[64];
static unsigned int nr_handed;
static uint64_t poll_udata; /* the target's last POLL_ADD */

/* The two calls of libublk the target makes, served by this test. */
struct io_uring_sqe *ublk_queue_get_sqe(struct ublk_queue *q)
{
	struct io_uring_sqe *sqe;

	T_CHECK(q == Q);
	if (nr_handed == sizeof(handed) / sizeof(handed[0]))
		return NULL;
	sqe = io_uring_get_sqe(&ring);
	if (!sqe)
		return NULL;
	memset(sqe, 0, sizeof(*sqe));
	handed[nr_handed++] = sqe;
	target_sqes++;
	return sqe;
}

int ublk_complete(struct ublk_queue *q, uint16_t tag, int32_t result)
{
	T_CHECK(q == Q);
	T_CHECK(tag < DEPTH && results[tag] == PENDING);
	if (tag < DEPTH)
		results[tag] = result;
	return 0;
}

/* Submit what the target queued, noting its polls' user_data. */
static void submit(void)
{
	for (unsigned int i = 0; i < nr_handed; i++)
		if (handed[i]->opcode == IORING_OP_POLL_ADD)
			poll_udata = handed[i]->user_data;
	nr_handed = 0;
	T_CHECK(io_uring_submit(&ring) >= 0);
}

/*
 * Serve the ring until @done() holds or @ms pass; CQEs of the target go to
 * it, those of this test (and of a poll it cancelled) are dropped.
 */
static bool serve_until(bool (*done)(void), unsigned int ms)
{
	long long deadline = mono_ms() + ms;

	while (!done()) {
		long long left = deadline - mono_ms();
		struct __kernel_timespec ts;
		struct io_uring_cqe *cqe;

		if (left <= 0)
			return false;
		submit();
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) < 0)
			continue;
		if ((cqe->user_data & 0xff) != TEST_UDATA) {
			struct io_uring_cqe copy = *cqe;

			target_sqes--;
			io_uring_cqe_seen(&ring, cqe);
			nbd_conn_queue_ops.handle_cqe(Q, &copy, conn);
		} else {
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	return true;
}

static uint16_t waited_tag;

static bool tag_done(void)
{
	return results[waited_tag] != PENDING;
}

static bool no_target_sqe(void)
{
	return target_sqes == 0;
}

/* Send request @tag and serve until it completes: its result, or PENDING. */
static int32_t io(uint16_t tag, uint8_t op, uint64_t sector, uint32_t nr_sectors, void *buf)
{
	struct ublk_io req = {
		.tag = tag, .op = op, .sector = sector, .nr_sectors = nr_sectors, .buf = buf,
	};

	results[tag] = PENDING;
	nbd_conn_queue_ops.handle_io(Q, &req, conn);
	waited_tag = tag;
	serve_until(tag_done, WAIT_MS);
	return results[tag];
}

/*
 * What a stale wake-up looks like to the target: its socket's poll comes
 * back POLLIN while there is nothing to read (the server queued data and
 * woke the socket's waiters after the data had been taken). Take the real
 * poll off the ring and hand the target that completion instead.
 */
static void stale_pollin(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe stale = { .res = POLLIN };
	long long deadline = mono_ms() + WAIT_MS;
	bool cancelled = false, removed = false;

	submit();
	stale.user_data = poll_udata;
	sqe = io_uring_get_sqe(&ring);
	T_CHECK(sqe != NULL);
	if (!sqe)
		return;
	io_uring_prep_poll_remove(sqe, poll_udata);
	sqe->user_data = TEST_UDATA;
	T_CHECK(io_uring_submit(&ring) == 1);
	while ((!cancelled || !removed) && mono_ms() < deadline) {
		struct __kernel_timespec ts = { .tv_sec = 1 };
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) < 0)
			continue;
		if (cqe->user_data == TEST_UDATA) {
			T_CHECK(cqe->res == 0);
			removed = true;
		} else if (cqe->user_data == poll_udata) {
			T_CHECK(cqe->res == -ECANCELED);
			target_sqes--;
			cancelled = true;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	T_CHECK(cancelled && removed);
	nbd_conn_queue_ops.handle_cqe(Q, &stale, conn);
}

static void test_write_read(void *wbuf, void *rbuf)
{
	memset(wbuf, 0x5a, 4096);
	T_CHECK(io(0, UBLK_OP_WRITE, 8, 8, wbuf) == 4096);
	memset(rbuf, 0, 4096);
	T_CHECK(io(1, UBLK_OP_READ, 8, 8, rbuf) == 4096);
	T_CHECK(!memcmp(wbuf, rbuf, 4096));
}

/* A request after a stale wake-up is sent and answered. */
static void test_stale_wakeup(void *wbuf, void *rbuf)
{
	int32_t res;

	for (int round = 0; round < 3; round++) {
		stale_pollin();
		memset(rbuf, 0, 4096);
		res = io((uint16_t)(round % DEPTH), UBLK_OP_READ, 8, 8, rbuf);
		if (res == PENDING)
			fprintf(stderr, "round %d: a read after a stale POLLIN got no answer in %d ms\n",
				round, WAIT_MS);
		T_CHECK(res == 4096);
		T_CHECK(!memcmp(wbuf, rbuf, 4096));
	}
}

int main(int argc, char **argv)
{
	struct add_opts o = { .target = "nbd", .id = -1, .nr_queues = 1, .depth = DEPTH };
	struct ublk_dev_params params;
	struct target t = { .ops = &nbd_target };
	void *wbuf = NULL, *rbuf = NULL;

	if (argc < 2) {
		char run[4096];

		snprintf(run, sizeof(run), "'%s' \"$uri\"", argv[0]);
		execlp("nbdkit", "nbdkit", "-U", "-", "memory", "1M", "--run", run, (char *)NULL);
		if (errno == ENOENT) {
			printf("SKIP: nbdkit is not installed\n");
			return 77;
		}
		perror("nbdkit");
		return 1;
	}
	o.uri = argv[1];
	memset(&params, 0, sizeof(params));
	if (nbd_target.probe(&t, &o) || nbd_target.fill_params(&t, &o, &params)) {
		fprintf(stderr, "cannot set up the nbd target on %s\n", o.uri);
		return 1;
	}
	T_CHECK(params.size == 1 << 20);
	if (io_uring_queue_init(64, &ring, 0) || nbd_conn_queue_init(&t, 0, &conn)) {
		fprintf(stderr, "cannot set up the ring or the connection\n");
		return 1;
	}
	T_CHECK(nbd_conn_queue_start(Q, conn) == 0);
	T_CHECK(posix_memalign(&wbuf, 4096, 4096) == 0 && posix_memalign(&rbuf, 4096, 4096) == 0);

	test_write_read(wbuf, rbuf);
	test_stale_wakeup(wbuf, rbuf);

	/* Stopping withdraws the poll: nothing of the target is left on the ring. */
	nbd_conn_queue_ops.stop(Q, conn);
	T_CHECK(serve_until(no_target_sqe, WAIT_MS));

	nbd_conn_queue_exit(conn);
	nbd_target.cleanup(&t);
	io_uring_queue_exit(&ring);
	free(wbuf);
	free(rbuf);
	return T_EXIT();
}
