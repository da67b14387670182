// SPDX-License-Identifier: MIT
/*
 * One NBD connection per queue, driven from the queue's own ring: the
 * connection's socket is watched with a POLL_ADD SQE, libnbd's state
 * machine is run (nbd_aio_notify_read/write) when it is ready, and each
 * request is one asynchronous libnbd command whose completion callback
 * completes it. Nothing on the queue's thread blocks once it serves.
 *
 * A connection that drops (or a server that says it shuts down) is made
 * again, asynchronously, up to NBD_RECONNECT_ATTEMPTS times within
 * NBD_RECONNECT_MS, with a growing pause between attempts; meanwhile the
 * requests it had in flight, and new ones, are held, and they are sent
 * again on the new connection. Once the attempts are used up, the held
 * requests fail with EIO, and so does every later one.
 *
 * The queue is done only once none of our SQEs is left on its ring: when
 * the device stops, the socket's poll is withdrawn as soon as no request
 * is in our hands. A timer ticks only while a connection is being made
 * again, for its time limit and the pause between attempts.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liburing.h>

#include "target_nbd_conn.h"

#define TICK_MS 200

/* What our SQEs' user_data says: the kind in the low byte. */
enum { UD_POLL = 1, UD_POLL_REMOVE, UD_TIMER };

/* Withdraw the socket's poll (its CQE comes back -ECANCELED). */
static void poll_remove(struct nbd_conn *c)
{
	struct io_uring_sqe *sqe;

	if (!c->poll_armed || c->poll_removing)
		return;
	sqe = ublk_queue_get_sqe(c->q);
	if (!sqe)
		return;
	io_uring_prep_poll_remove(sqe, UD_POLL | (c->poll_seq << 8));
	sqe->user_data = UD_POLL_REMOVE;
	c->poll_removing = true;
}

/* Close the handle; requests it had in flight are held to be sent again. */
static void close_handle(struct nbd_conn *c)
{
	if (!c->h)
		return;
	poll_remove(c);
	c->closing = true;
	nbd_close(c->h);
	c->closing = false;
	c->h = NULL;
	for (unsigned int i = 0; i < c->depth; i++) {
		if (c->reqs[i].where == R_SENT) {
			c->sent--;
			req_hold(c, &c->reqs[i]);
		}
	}
	c->shutdown_seen = false;
}

static void backoff(struct nbd_conn *c, long long now);

/* Start a connection attempt, or give up. */
static void start_attempt(struct nbd_conn *c, long long now)
{
	char why[512];

	if (c->attempts >= NBD_RECONNECT_ATTEMPTS || now - c->lost_at >= NBD_RECONNECT_MS) {
		log_err("queue %u: NBD server %s: no connection after %u attempts in %lld ms; "
			"failing IO", c->q_id, c->ex->uri, c->attempts, now - c->lost_at);
		c->state = C_FAILED;
		conn_fail_held(c);
		return;
	}
	c->attempts++;
	c->attempt_at = now;
	c->h = nbd_client_new();
	if (!c->h) {
		backoff(c, now);
		return;
	}
	c->gen++;
	if (nbd_aio_connect_uri(c->h, c->ex->uri) < 0) {
		nbd_client_error(why, sizeof(why));
		log_info("queue %u: reconnect attempt %u: %s", c->q_id, c->attempts, why);
		close_handle(c);
		backoff(c, now);
		return;
	}
	c->state = C_CONNECTING;
}

static void backoff(struct nbd_conn *c, long long now)
{
	long long delay = 50LL << (c->attempts < 6 ? c->attempts : 6);

	c->state = C_BACKOFF;
	c->retry_at = now + (delay < 1500 ? delay : 1500);
}

static void connection_lost(struct nbd_conn *c)
{
	char why[512];
	long long now = mono_ms();

	nbd_client_error(why, sizeof(why));
	log_info("queue %u: connection to NBD server %s lost (%s), %u requests held; reconnecting",
		 c->q_id, c->ex->uri, c->shutdown_seen ? "server shut down" : why,
		 c->sent + c->held.count);
	close_handle(c);
	/*
	 * A new budget of attempts, unless this connection did nothing: a
	 * server that takes connections and drops them must not hold the IO
	 * for ever.
	 */
	if (c->progress || now - c->ready_at >= NBD_RECONNECT_MS) {
		c->lost_at = now;
		c->attempts = 0;
	}
	c->progress = false;
	start_attempt(c, now);
}

/* The new connection must serve the same export. */
static bool same_export(struct nbd_conn *c, char *why, size_t len)
{
	int64_t size = nbd_get_size(c->h);

	if (size < 0 || ((uint64_t)size & ~(uint64_t)511) < c->ex->size) {
		snprintf(why, len, "the export now has %lld bytes, the device %llu",
			 (long long)size, (unsigned long long)c->ex->size);
		return false;
	}
	if (!c->ex->read_only && nbd_is_read_only(c->h) == 1) {
		snprintf(why, len, "the export is now read-only");
		return false;
	}
	return true;
}

/* After libnbd ran: move the state machine on. */
static void advance(struct nbd_conn *c)
{
	char why[512];

	conn_drain_done(c);
	switch (c->state) {
	case C_READY:
		if (conn_handle_lost(c) || c->shutdown_seen)
			connection_lost(c);
		break;
	case C_CONNECTING:
		if (nbd_aio_is_ready(c->h)) {
			if (!same_export(c, why, sizeof(why))) {
				log_err("queue %u: NBD server %s: %s; failing IO", c->q_id, c->ex->uri, why);
				close_handle(c);
				c->state = C_FAILED;
				conn_fail_held(c);
				break;
			}
			log_info("queue %u: reconnected to NBD server %s (attempt %u), resending %u requests",
				 c->q_id, c->ex->uri, c->attempts, c->held.count);
			c->state = C_READY;
			c->ready_at = mono_ms();
			for (unsigned int n = c->held.count; n && c->state == C_READY; n--) {
				struct nbd_req *r = req_list_pop(c, &c->held);

				req_send(c, r);
				if (conn_handle_lost(c)) {
					connection_lost(c);
					break;
				}
			}
			conn_drain_done(c);
		} else if (conn_handle_lost(c)) {
			nbd_client_error(why, sizeof(why));
			log_info("queue %u: reconnect attempt %u: %s", c->q_id, c->attempts, why);
			close_handle(c);
			backoff(c, mono_ms());
		}
		break;
	case C_BACKOFF:
	case C_FAILED:
		break;
	}
}

/*
 * Whether the socket has something to read, or has hung up, right now.
 * The ring's poll can report POLLIN with nothing left to read: the sender
 * queues data before it wakes the socket's waiters, and meanwhile the
 * replies already there were taken (notify_read() takes them all). libnbd
 * must not be told then: it would wait for a reply header and send no new
 * command until data comes, which with nothing in flight is never.
 */
static bool socket_readable(const struct nbd_conn *c)
{
	struct pollfd pfd = { .fd = nbd_aio_get_fd(c->h), .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP | POLLERR));
}

/*
 * The socket is readable. libnbd takes one reply per call and then waits
 * to be told again: take the replies already there now, rather than one
 * poll round trip each, while a call finishes one and libnbd waits for
 * nothing but replies (no command half sent).
 */
static void notify_read(struct nbd_conn *c)
{
	int64_t before, after;

	do {
		before = nbd_aio_in_flight(c->h);
		nbd_aio_notify_read(c->h);
		if (conn_handle_lost(c))
			return;
		after = nbd_aio_in_flight(c->h);
	} while (after > 0 && after < before &&
		 nbd_aio_get_direction(c->h) == LIBNBD_AIO_DIRECTION_READ && socket_readable(c));
}

static unsigned int wanted_mask(const struct nbd_conn *c)
{
	unsigned int dir = (unsigned int)nbd_aio_get_direction(c->h), mask = 0;

	if (dir & LIBNBD_AIO_DIRECTION_READ)
		mask |= POLLIN;
	if (dir & LIBNBD_AIO_DIRECTION_WRITE)
		mask |= POLLOUT;
	return mask ? mask : POLLIN;
}

/*
 * Put on the ring what the state needs: the socket's poll while there is a
 * connection, the timer while one is being made. Once the device stops and
 * no request is left, only withdraw.
 */
static void arm(struct nbd_conn *c)
{
	bool reconnecting = c->state == C_CONNECTING || c->state == C_BACKOFF;
	struct io_uring_sqe *sqe;

	if (c->stopping && !c->sent && !c->held.count) {
		/* A timer still armed ends within TICK_MS and is not renewed. */
		poll_remove(c);
		return;
	}
	if (c->h && (c->state == C_READY || c->state == C_CONNECTING)) {
		unsigned int mask = wanted_mask(c);

		if (c->poll_armed) {
			if (c->poll_mask != mask || c->poll_gen != c->gen)
				poll_remove(c);
		} else if ((sqe = ublk_queue_get_sqe(c->q))) {
			c->poll_seq++;
			io_uring_prep_poll_add(sqe, nbd_aio_get_fd(c->h), mask);
			sqe->user_data = UD_POLL | (c->poll_seq << 8);
			c->poll_armed = true;
			c->poll_removing = false;
			c->poll_mask = mask;
			c->poll_gen = c->gen;
		}
	}
	if (!c->timer_armed && reconnecting && (sqe = ublk_queue_get_sqe(c->q))) {
		long long ms = TICK_MS;

		if (c->state == C_BACKOFF) {
			long long left = c->retry_at - mono_ms();

			ms = left < 1 ? 1 : left < TICK_MS ? left : TICK_MS;
		}
		c->timer_ts.tv_sec = ms / 1000;
		c->timer_ts.tv_nsec = (ms % 1000) * 1000000;
		io_uring_prep_timeout(sqe, &c->timer_ts, 0, 0);
		sqe->user_data = UD_TIMER;
		c->timer_armed = true;
	}
}

static void nbd_conn_handle_io(struct ublk_queue *q, const struct ublk_io *io, void *data)
{
	struct nbd_conn *c = data;
	struct nbd_req *r = &c->reqs[io->tag];

	(void)q;
	r->op = io->op;
	r->flags = io->flags;
	r->off = io->sector << 9;
	r->len = io->nr_sectors << 9;
	r->buf = io->buf;
	r->err = 0;
	switch (io->op) {
	case UBLK_OP_READ:
	case UBLK_OP_WRITE:
		break;
	case UBLK_OP_FLUSH:
		if (!c->ex->can_flush) {
			req_complete(c, r, 0);
			return;
		}
		break;
	case UBLK_OP_DISCARD:
		/* Advisory: without trim on the server, nothing to do. */
		if (!c->ex->can_trim) {
			req_complete(c, r, 0);
			return;
		}
		break;
	case UBLK_OP_WRITE_ZEROES:
		if (!c->ex->can_zero) {
			req_complete(c, r, -EOPNOTSUPP);
			return;
		}
		break;
	default:
		req_complete(c, r, -EOPNOTSUPP);
		return;
	}
	if (io->op == UBLK_OP_WRITE && c->ex->read_only) {
		req_complete(c, r, -EROFS);
		return;
	}

	switch (c->state) {
	case C_READY:
		req_send(c, r);
		advance(c);
		break;
	case C_CONNECTING:
	case C_BACKOFF:
		req_hold(c, r);
		break;
	case C_FAILED:
		req_complete(c, r, -EIO);
		break;
	}
	arm(c);
}

static void nbd_conn_handle_cqe(struct ublk_queue *q, const struct io_uring_cqe *cqe, void *data)
{
	struct nbd_conn *c = data;
	unsigned int kind = (unsigned int)(cqe->user_data & 0xff);
	long long now;

	(void)q;
	switch (kind) {
	case UD_POLL:
		c->poll_armed = false;
		if (c->poll_removing || c->poll_gen != c->gen || !c->h || cqe->res <= 0) {
			c->poll_removing = false;
			break;
		}
		if ((cqe->res & (POLLIN | POLLHUP | POLLERR)) && socket_readable(c))
			notify_read(c);
		else if (cqe->res & POLLOUT)
			nbd_aio_notify_write(c->h);
		advance(c);
		break;
	case UD_POLL_REMOVE:
		break;
	case UD_TIMER:
		c->timer_armed = false;
		now = mono_ms();
		if (c->state == C_BACKOFF && now >= c->retry_at) {
			start_attempt(c, now);
			advance(c);
		} else if (c->state == C_CONNECTING && now - c->attempt_at >= NBD_CONNECT_TIMEOUT_MS) {
			log_info("queue %u: reconnect attempt %u: no answer within %d s", c->q_id,
				 c->attempts, NBD_CONNECT_TIMEOUT_MS / 1000);
			close_handle(c);
			backoff(c, now);
		}
		break;
	default:
		break;
	}
	arm(c);
}

static void nbd_conn_stop(struct ublk_queue *q, void *data)
{
	struct nbd_conn *c = data;

	(void)q;
	c->stopping = true;
	arm(c);
}

const struct ublk_queue_ops nbd_conn_queue_ops = {
	.handle_io = nbd_conn_handle_io,
	.handle_cqe = nbd_conn_handle_cqe,
	.stop = nbd_conn_stop,
};

int nbd_conn_queue_init(struct target *t, uint16_t q_id, void **qdata)
{
	const struct nbd_export *ex = t->priv;
	struct nbd_conn *c = calloc(1, sizeof(*c));
	char why[512];

	if (!c || !(c->reqs = calloc(ex->depth, sizeof(*c->reqs)))) {
		free(c);
		log_err("queue %u: out of memory", q_id);
		return -ENOMEM;
	}
	c->ex = ex;
	c->q_id = q_id;
	c->depth = ex->depth;
	for (uint16_t i = 0; i < c->depth; i++) {
		c->reqs[i].c = c;
		c->reqs[i].tag = i;
	}
	/* Before the queue serves: no request waits for this. */
	c->h = nbd_client_new();
	if (!c->h) {
		nbd_conn_queue_exit(c);
		log_err("queue %u: out of memory", q_id);
		return -ENOMEM;
	}
	c->gen = 1;
	if (nbd_client_connect(c->h, ex->uri, NBD_CONNECT_TIMEOUT_MS, why, sizeof(why)) ||
	    !same_export(c, why, sizeof(why))) {
		log_err("queue %u: NBD server %s: %s", q_id, ex->uri, why);
		nbd_conn_queue_exit(c);
		return -ECONNREFUSED;
	}
	c->state = C_READY;
	c->ready_at = mono_ms();
	c->progress = true;
	*qdata = c;
	return 0;
}

int nbd_conn_queue_start(struct ublk_queue *q, void *qdata)
{
	struct nbd_conn *c = qdata;

	c->q = q;
	arm(c);
	return 0;
}

void nbd_conn_queue_exit(void *qdata)
{
	struct nbd_conn *c = qdata;

	if (c->h) {
		c->closing = true;
		nbd_close(c->h);
	}
	free(c->reqs);
	free(c);
}
