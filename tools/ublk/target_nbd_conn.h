/* SPDX-License-Identifier: MIT */
/*
 * One NBD connection per queue (target_nbd_conn.c) and its requests
 * (target_nbd_req.c): what the two share.
 */
#ifndef TARGET_NBD_CONN_H
#define TARGET_NBD_CONN_H

#include <liburing.h>

#include "target_nbd.h"

enum conn_state {
	C_READY,      /* connected: requests are sent */
	C_CONNECTING, /* a new connection is being made: requests are held */
	C_BACKOFF,    /* waiting before the next attempt: requests are held */
	C_FAILED,     /* attempts used up: requests fail */
};

enum req_where { R_IDLE, R_HELD, R_SENT, R_DONE };

struct nbd_conn;

struct nbd_req {
	struct nbd_conn *c;
	uint16_t tag;
	uint16_t next; /* in the held or done list */
	uint8_t op;
	uint8_t where; /* enum req_where */
	uint32_t flags;
	uint64_t off;
	uint32_t len;
	void *buf;
	int err;
};

struct req_list {
	uint16_t head, tail;
	unsigned int count;
};

struct nbd_conn {
	const struct nbd_export *ex;
	struct ublk_queue *q;
	uint16_t q_id;
	uint16_t depth;
	struct nbd_handle *h;
	unsigned int gen; /* counts handles */
	enum conn_state state;
	struct nbd_req *reqs;
	struct req_list held, done;
	unsigned int sent; /* requests with libnbd */
	bool shutdown_seen; /* the server said it shuts down */
	bool closing;       /* nbd_close() runs: its callbacks are ignored */

	/* Our SQEs on the ring. */
	bool poll_armed, poll_removing;
	unsigned int poll_mask, poll_gen;
	uint64_t poll_seq;
	bool timer_armed;
	struct __kernel_timespec timer_ts;
	bool stopping; /* the device stops: no request will come */

	/* Reconnection. */
	unsigned int attempts;
	long long lost_at, attempt_at, retry_at;
	long long ready_at; /* when the connection became ready */
	bool progress;      /* a request succeeded on it */
};

/* The first request of @l, taken off it, or NULL. */
struct nbd_req *req_list_pop(struct nbd_conn *c, struct req_list *l);
/* Complete @r's ublk request with @res. */
void req_complete(struct nbd_conn *c, struct nbd_req *r, int res);
/* Hold @r until a connection takes it. */
void req_hold(struct nbd_conn *c, struct nbd_req *r);
/* Send @r on the connection; hold it if the connection is gone. */
void req_send(struct nbd_conn *c, struct nbd_req *r);
/* Whether the connection's handle is gone, dead or closed. */
bool conn_handle_lost(const struct nbd_conn *c);
/* Finish what libnbd completed: done, failed, or held to be sent again. */
void conn_drain_done(struct nbd_conn *c);
/* Fail every held request with EIO. */
void conn_fail_held(struct nbd_conn *c);

#endif
