// SPDX-License-Identifier: MIT
/*
 * The requests of one NBD connection (target_nbd_conn.c): where each one
 * is (idle, held, with libnbd, done), sending it as one asynchronous libnbd
 * command, and finishing what libnbd completed: done, failed, or held to
 * be sent again on the next connection.
 */
#include <errno.h>

#include "target_nbd_conn.h"

#define NO_REQ 0xffff

static void list_push(struct nbd_conn *c, struct req_list *l, struct nbd_req *r)
{
	r->next = NO_REQ;
	if (l->count)
		c->reqs[l->tail].next = r->tag;
	else
		l->head = r->tag;
	l->tail = r->tag;
	l->count++;
}

struct nbd_req *req_list_pop(struct nbd_conn *c, struct req_list *l)
{
	struct nbd_req *r;

	if (!l->count)
		return NULL;
	r = &c->reqs[l->head];
	l->head = r->next;
	l->count--;
	return r;
}

void req_complete(struct nbd_conn *c, struct nbd_req *r, int res)
{
	r->where = R_IDLE;
	ublk_complete(c->q, r->tag, res);
}

void req_hold(struct nbd_conn *c, struct nbd_req *r)
{
	r->where = R_HELD;
	list_push(c, &c->held, r);
}

/* libnbd's completion callback: note the result, finish it outside libnbd. */
static int req_callback(void *user_data, int *error)
{
	struct nbd_req *r = user_data;
	struct nbd_conn *c = r->c;

	if (c->closing || r->where != R_SENT)
		return 1;
	r->err = *error;
	r->where = R_DONE;
	c->sent--;
	list_push(c, &c->done, r);
	return 1;
}

bool conn_handle_lost(const struct nbd_conn *c)
{
	return !c->h || nbd_aio_is_dead(c->h) || nbd_aio_is_closed(c->h);
}

/* Send @r on the connection; hold it if the connection is gone. */
void req_send(struct nbd_conn *c, struct nbd_req *r)
{
	nbd_completion_callback cb = { .callback = req_callback, .user_data = r };
	uint32_t fua = (r->flags & UBLK_IO_FLAG_FUA) && c->ex->can_fua ? LIBNBD_CMD_FLAG_FUA : 0;
	int64_t cookie = -1;

	r->where = R_SENT;
	c->sent++;
	switch (r->op) {
	case UBLK_OP_READ:
		cookie = nbd_aio_pread(c->h, r->buf, r->len, r->off, cb, 0);
		break;
	case UBLK_OP_WRITE:
		cookie = nbd_aio_pwrite(c->h, r->buf, r->len, r->off, cb, fua);
		break;
	case UBLK_OP_FLUSH:
		cookie = nbd_aio_flush(c->h, cb, 0);
		break;
	case UBLK_OP_DISCARD:
		cookie = nbd_aio_trim(c->h, r->len, r->off, cb, fua);
		break;
	case UBLK_OP_WRITE_ZEROES:
		cookie = nbd_aio_zero(c->h, r->len, r->off, cb,
				      fua | ((r->flags & UBLK_IO_FLAG_NOUNMAP) ? LIBNBD_CMD_FLAG_NO_HOLE : 0));
		break;
	}
	if (cookie >= 0)
		return;
	/* Refused at once: the callback will not come. */
	if (r->where == R_SENT) {
		int err = nbd_get_errno();

		c->sent--;
		if (conn_handle_lost(c) || err == ENOTCONN)
			req_hold(c, r);
		else
			req_complete(c, r, -(err > 0 ? err : EIO));
	}
}

/* Finish what libnbd completed: done, failed, or held to be sent again. */
void conn_drain_done(struct nbd_conn *c)
{
	struct nbd_req *r;

	while ((r = req_list_pop(c, &c->done))) {
		if (!r->err) {
			bool data = r->op == UBLK_OP_READ || r->op == UBLK_OP_WRITE;

			c->progress = true;
			req_complete(c, r, data ? (int)r->len : 0);
		} else if (r->err == ESHUTDOWN || r->err == ENOTCONN || conn_handle_lost(c)) {
			/* The connection went, not the request: send it again. */
			if (r->err == ESHUTDOWN)
				c->shutdown_seen = true;
			req_hold(c, r);
		} else {
			req_complete(c, r, -r->err);
		}
	}
}

/* Fail every held request: no connection will take them. */
void conn_fail_held(struct nbd_conn *c)
{
	struct nbd_req *r;

	while ((r = req_list_pop(c, &c->held)))
		req_complete(c, r, -EIO);
}
