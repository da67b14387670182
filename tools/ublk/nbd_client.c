// SPDX-License-Identifier: MIT
/*
 * The libnbd client every connection of the nbd target is made with: one
 * set-up of a handle, a bounded blocking connect, and libnbd's error as
 * one line.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "nbd_client.h"
#include "ublk_tool.h"

void nbd_client_error(char *buf, size_t len)
{
	const char *msg = nbd_get_error();
	size_t n;

	if (!msg || !*msg)
		msg = strerror(nbd_get_errno() ? nbd_get_errno() : EIO);
	/* "nbd_aio_notify_read: handshake: ...": the call's name says nothing. */
	if (!strncmp(msg, "nbd_", 4) && strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	snprintf(buf, len, "%s", msg);
	n = strcspn(buf, "\n");
	buf[n] = '\0';
}

struct nbd_handle *nbd_client_new(void)
{
	struct nbd_handle *h = nbd_create();

	if (!h)
		return NULL;
	/* tls-psk-file= in the URI names a local file: the user gave it. */
	nbd_set_uri_allow_local_file(h, true);
	/* The buffer of a failed read is never used: no need to clear it first. */
	nbd_set_pread_initialize(h, false);
	/*
	 * Plain replies: a read's data follows a 16-byte header, which libnbd
	 * takes in fewer steps than structured chunks; nothing here needs the
	 * extents or holes those carry.
	 */
	nbd_set_request_structured_replies(h, false);
	return h;
}

int nbd_client_connect(struct nbd_handle *h, const char *uri, int timeout_ms,
		       char *why, size_t len)
{
	long long deadline = mono_ms() + timeout_ms;

	if (nbd_aio_connect_uri(h, uri) < 0) {
		nbd_client_error(why, len);
		return -1;
	}
	while (nbd_aio_is_connecting(h)) {
		unsigned int dir = (unsigned int)nbd_aio_get_direction(h);
		struct pollfd pfd = {
			.fd = nbd_aio_get_fd(h),
			.events = (short)(((dir & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
					  ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0)),
		};
		long long left = deadline - mono_ms();
		int ret;

		if (left <= 0) {
			snprintf(why, len, "no answer within %d s", timeout_ms / 1000);
			return -1;
		}
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR) {
			snprintf(why, len, "poll: %s", strerror(errno));
			return -1;
		}
		if (ret <= 0)
			continue;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			ret = nbd_aio_notify_read(h);
		else
			ret = nbd_aio_notify_write(h);
		if (ret < 0)
			break;
	}
	if (!nbd_aio_is_ready(h)) {
		nbd_client_error(why, len);
		return -1;
	}
	return 0;
}
