/* SPDX-License-Identifier: MIT */
/* nbd_client.c: the libnbd client of the nbd target's connections. */
#ifndef NBD_CLIENT_H
#define NBD_CLIENT_H

#include <stddef.h>

#include <libnbd.h>

/* How long one connection attempt may take, handshake included. */
#define NBD_CONNECT_TIMEOUT_MS 5000

/*
 * A new handle, set up as every connection of the target is, or NULL
 * (out of memory).
 */
struct nbd_handle *nbd_client_new(void);

/*
 * Connect @h to @uri (blocking, bounded by @timeout_ms). 0, or -1 with
 * libnbd's reason in @why.
 */
int nbd_client_connect(struct nbd_handle *h, const char *uri, int timeout_ms,
		       char *why, size_t len);

/* libnbd's last error, without the name of the call: one line. */
void nbd_client_error(char *buf, size_t len);

#endif
