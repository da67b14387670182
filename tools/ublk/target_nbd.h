/* SPDX-License-Identifier: MIT */
/* The nbd target: what its parts share. */
#ifndef TARGET_NBD_H
#define TARGET_NBD_H

#include <stdbool.h>
#include <stdint.h>

#include <libnbd.h>

#include "nbd_client.h"
#include "ublk_tool.h"

/* A lost connection is tried again at most this often, for at most this long. */
#define NBD_RECONNECT_ATTEMPTS 10
#define NBD_RECONNECT_MS 10000
/* Largest DISCARD or WRITE_ZEROES sent as one command. */
#define NBD_MAX_RANGE_SECTORS ((1U << 30) >> 9)

/* The export, as the first connection found it; shared read-only by the queues. */
struct nbd_export {
	char *uri;
	uint16_t depth;
	uint64_t size;     /* in whole blocks */
	unsigned int lbs;  /* logical block size: the server's minimum, at least 512 */
	int64_t pref, max; /* the server's preferred and maximum block sizes, or <= 0 */
	bool read_only;
	bool can_flush;
	bool can_fua;
	bool can_trim;
	bool can_zero;
	bool can_multi_conn;
};

/* target_nbd_conn.c: one connection per queue, driven from its ring. */
int nbd_conn_queue_init(struct target *t, uint16_t q_id, void **qdata);
int nbd_conn_queue_start(struct ublk_queue *q, void *qdata);
void nbd_conn_queue_exit(void *qdata);
extern const struct ublk_queue_ops nbd_conn_queue_ops;

#endif
