// SPDX-License-Identifier: MIT
/*
 * nbd: a device served by an NBD server, through libnbd. `add` connects
 * once to check the URI and learn the export: its size, whether it is
 * read-only, its block sizes and which of flush, FUA, trim and
 * write-zeroes the server offers; the device gets only those. Each queue
 * then has a connection of its own (target_nbd_conn.c), driven from the
 * queue's ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "target_nbd.h"

/* log2 of a power of two. */
static uint8_t shift_of(int64_t v)
{
	return (uint8_t)__builtin_ctzll((unsigned long long)v);
}

static int nbd_init(struct target *t, const struct add_opts *o,
		    struct ublk_dev_params *p)
{
	struct nbd_export *ex = NULL;
	struct nbd_handle *h = NULL;
	int64_t size, min, pref, max;
	char why[512];
	unsigned int lbs;
	int ret = -EINVAL;

	if (o->file) {
		log_err("target nbd takes no backing file (-f): give the server as --uri URI");
		return -EINVAL;
	}
	if (!o->uri) {
		log_err("target nbd needs the server: --uri URI");
		return -EINVAL;
	}
	if (o->size) {
		log_err("target nbd takes no size (-s): the device has the export's size");
		return -EINVAL;
	}
	if (o->buffered) {
		log_err("target nbd takes no --buffered");
		return -EINVAL;
	}
	if (nbd_uri_check(o->uri, why, sizeof(why))) {
		log_err("invalid NBD URI '%s': %s", o->uri, why);
		return -EINVAL;
	}

	h = nbd_client_new();
	ex = calloc(1, sizeof(*ex));
	t->uri = strdup(o->uri);
	if (!h || !ex || !t->uri) {
		log_err("out of memory");
		ret = -ENOMEM;
		goto err;
	}
	if (!strncmp(o->uri, "nbds", 4) && !nbd_supports_tls(h)) {
		log_err("NBD URI '%s' asks for TLS, which this libnbd was built without", o->uri);
		goto err;
	}
	if (nbd_client_connect(h, o->uri, NBD_CONNECT_TIMEOUT_MS, why, sizeof(why))) {
		log_err("NBD server %s: %s", o->uri, why);
		ret = -ECONNREFUSED;
		goto err;
	}

	size = nbd_get_size(h);
	min = nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM);
	pref = nbd_get_block_size(h, LIBNBD_SIZE_PREFERRED);
	max = nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM);
	ex->uri = t->uri;
	ex->depth = o->depth;
	ex->read_only = nbd_is_read_only(h) == 1;
	ex->can_flush = nbd_can_flush(h) == 1;
	ex->can_fua = nbd_can_fua(h) == 1;
	ex->can_trim = !ex->read_only && nbd_can_trim(h) == 1;
	ex->can_zero = !ex->read_only && nbd_can_zero(h) == 1;

	/* A server with no minimum takes 512-byte requests. */
	lbs = min > 512 ? (unsigned int)min : 512;
	if (lbs > 4096) {
		log_err("NBD server %s: its minimum block size %u is above 4096", o->uri, lbs);
		goto err;
	}
	if (max > 0 && max < lbs) {
		log_err("NBD server %s: its maximum block size %lld is below its minimum %u",
			o->uri, (long long)max, lbs);
		goto err;
	}
	if (size < 0) {
		char e[256];

		nbd_client_error(e, sizeof(e));
		log_err("NBD server %s: export size: %s", o->uri, e);
		goto err;
	}
	ex->size = (uint64_t)size & ~(uint64_t)(lbs - 1);
	if (ex->size > MAX_DEV_SIZE)
		ex->size = MAX_DEV_SIZE & ~(uint64_t)(lbs - 1);
	if (!ex->size) {
		log_err("NBD server %s: the export is smaller than one block (%lld bytes)", o->uri,
			(long long)size);
		goto err;
	}
	/*
	 * One connection per queue: writes on one connection are only known to
	 * be seen by reads on another if the server says so (multi-conn).
	 */
	if (o->nr_queues > 1 && !ex->read_only && nbd_can_multi_conn(h) != 1) {
		log_err("NBD server %s does not offer multi-conn: a writable export takes one "
			"queue (-q 1), as each queue has its own connection and writes on one "
			"need not be seen on another", o->uri);
		goto err;
	}
	nbd_shutdown(h, 0);
	nbd_close(h);
	h = NULL;

	p->size = ex->size;
	p->logical_block_shift = shift_of(lbs);
	if (pref > (int64_t)lbs && pref <= 4096)
		p->physical_block_shift = shift_of(pref);
	if (pref > (int64_t)lbs && pref <= (1 << 20))
		p->io_opt_shift = shift_of(pref);
	if (max > 0 && max < (int64_t)UBLK_DEFAULT_IO_BYTES)
		p->max_sectors = (uint32_t)(max & ~(int64_t)(lbs - 1)) >> 9;
	p->read_only = ex->read_only;
	p->volatile_cache = ex->can_flush;
	p->fua = ex->can_flush && ex->can_fua;
	/* Without zero on the server the kernel writes zeroes itself. */
	p->discard = ex->can_trim;
	p->write_zeroes = ex->can_zero;
	p->max_discard_sectors = NBD_MAX_RANGE_SECTORS;
	p->max_write_zeroes_sectors = NBD_MAX_RANGE_SECTORS;
	t->priv = ex;
	return 0;

err:
	if (h)
		nbd_close(h);
	free(ex);
	free(t->uri);
	t->uri = NULL;
	return ret;
}

static void nbd_cleanup(struct target *t)
{
	free(t->priv);
	free(t->uri);
	t->priv = NULL;
	t->uri = NULL;
}

const struct target_ops nbd_target = {
	.name = "nbd",
	.init = nbd_init,
	.cleanup = nbd_cleanup,
	.queue_init = nbd_conn_queue_init,
	.queue_start = nbd_conn_queue_start,
	.queue_exit = nbd_conn_queue_exit,
	.queue_ops = {
		.handle_io = nbd_conn_handle_io,
		.handle_cqe = nbd_conn_handle_cqe,
		.stop = nbd_conn_stop,
	},
};
