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

/* What the connected @h says of its export, into @ex; one line on what the device cannot use. */
static int learn_export(struct nbd_handle *h, struct nbd_export *ex)
{
	int64_t size = nbd_get_size(h), min = nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM);

	ex->pref = nbd_get_block_size(h, LIBNBD_SIZE_PREFERRED);
	ex->max = nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM);
	ex->read_only = nbd_is_read_only(h) == 1;
	ex->can_flush = nbd_can_flush(h) == 1;
	ex->can_fua = nbd_can_fua(h) == 1;
	ex->can_trim = !ex->read_only && nbd_can_trim(h) == 1;
	ex->can_zero = !ex->read_only && nbd_can_zero(h) == 1;
	ex->can_multi_conn = nbd_can_multi_conn(h) == 1;

	/* A server with no minimum takes 512-byte requests. */
	ex->lbs = min > 512 ? (unsigned int)min : 512;
	if (ex->lbs > 4096) {
		log_err("NBD server %s: its minimum block size %u is above 4096", ex->uri, ex->lbs);
		return -EINVAL;
	}
	if (ex->max > 0 && ex->max < ex->lbs) {
		log_err("NBD server %s: its maximum block size %lld is below its minimum %u",
			ex->uri, (long long)ex->max, ex->lbs);
		return -EINVAL;
	}
	if (size < 0) {
		char e[256];

		nbd_client_error(e, sizeof(e));
		log_err("NBD server %s: export size: %s", ex->uri, e);
		return -EINVAL;
	}
	ex->size = (uint64_t)size & ~(uint64_t)(ex->lbs - 1);
	if (ex->size > MAX_DEV_SIZE)
		ex->size = MAX_DEV_SIZE & ~(uint64_t)(ex->lbs - 1);
	if (!ex->size) {
		log_err("NBD server %s: the export is smaller than one block (%lld bytes)", ex->uri,
			(long long)size);
		return -EINVAL;
	}
	return 0;
}

/* Connect once to @ex->uri and learn the export. */
static int probe_export(struct nbd_export *ex)
{
	struct nbd_handle *h = nbd_client_new();
	char why[512];
	int ret;

	if (!h) {
		log_err("out of memory");
		return -ENOMEM;
	}
	if (!strncmp(ex->uri, "nbds", 4) && !nbd_supports_tls(h)) {
		log_err("NBD URI '%s' asks for TLS, which this libnbd was built without", ex->uri);
		nbd_close(h);
		return -EINVAL;
	}
	if (nbd_client_connect(h, ex->uri, NBD_CONNECT_TIMEOUT_MS, why, sizeof(why))) {
		log_err("NBD server %s: %s", ex->uri, why);
		nbd_close(h);
		return -ECONNREFUSED;
	}
	ret = learn_export(h, ex);
	if (!ret)
		nbd_shutdown(h, 0);
	nbd_close(h);
	return ret;
}

static void nbd_cleanup(struct target *t)
{
	struct nbd_export *ex = t->priv;

	if (ex)
		free(ex->uri);
	free(ex);
	t->priv = NULL;
}

static int nbd_probe(struct target *t, const struct add_opts *o)
{
	struct nbd_export *ex;
	char why[512];
	int ret;

	if (nbd_uri_check(o->uri, why, sizeof(why))) {
		log_err("invalid NBD URI '%s': %s", o->uri, why);
		return -EINVAL;
	}
	ex = calloc(1, sizeof(*ex));
	if (!ex || !(ex->uri = strdup(o->uri))) {
		free(ex);
		log_err("out of memory");
		return -ENOMEM;
	}
	ex->depth = o->depth;
	t->priv = ex;
	ret = probe_export(ex);
	if (ret < 0)
		nbd_cleanup(t);
	return ret;
}

static int nbd_fill_params(const struct target *t, const struct add_opts *o,
			   struct ublk_dev_params *p)
{
	const struct nbd_export *ex = t->priv;
	int64_t lbs = ex->lbs;

	/*
	 * One connection per queue: writes on one connection are only known to
	 * be seen by reads on another if the server says so (multi-conn).
	 */
	if (o->nr_queues > 1 && !ex->read_only && !ex->can_multi_conn) {
		log_err("NBD server %s does not offer multi-conn: a writable export takes one "
			"queue (-q 1), as each queue has its own connection and writes on one "
			"need not be seen on another", ex->uri);
		return -EINVAL;
	}
	p->size = ex->size;
	p->logical_block_shift = shift_of(lbs);
	if (ex->pref > lbs && ex->pref <= 4096)
		p->physical_block_shift = shift_of(ex->pref);
	if (ex->pref > lbs && ex->pref <= (1 << 20))
		p->io_opt_shift = shift_of(ex->pref);
	if (ex->max > 0 && ex->max < (int64_t)UBLK_DEFAULT_IO_BYTES)
		p->max_sectors = (uint32_t)(ex->max & ~(lbs - 1)) >> 9;
	p->read_only = ex->read_only;
	p->volatile_cache = ex->can_flush;
	p->fua = ex->can_flush && ex->can_fua;
	/* Without zero on the server the kernel writes zeroes itself. */
	p->discard = ex->can_trim;
	p->write_zeroes = ex->can_zero;
	p->max_discard_sectors = NBD_MAX_RANGE_SECTORS;
	p->max_write_zeroes_sectors = NBD_MAX_RANGE_SECTORS;
	return 0;
}

static void nbd_record(const struct target *t, struct dev_record *rec)
{
	const struct nbd_export *ex = t->priv;

	snprintf(rec->uri, sizeof(rec->uri), "%s", ex->uri);
}

const struct target_ops nbd_target = {
	.name = "nbd",
	.queue_ops = &nbd_conn_queue_ops,
	.accepts = TARGET_OPT_URI,
	.needs = TARGET_OPT_URI,
	.probe = nbd_probe,
	.fill_params = nbd_fill_params,
	.record = nbd_record,
	.cleanup = nbd_cleanup,
	.queue_init = nbd_conn_queue_init,
	.queue_start = nbd_conn_queue_start,
	.queue_exit = nbd_conn_queue_exit,
};
