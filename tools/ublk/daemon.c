// SPDX-License-Identifier: MIT
/*
 * The serving daemon: adds the device (or takes over one whose daemon
 * died), runs one thread per queue pinned as the kernel maps the queue,
 * starts the device, and serves it until it is stopped: by SIGTERM, SIGINT
 * or SIGHUP, which also delete it; by SIGUSR1 (from `ublk del`), which
 * leaves deleting it to the sender; or from outside.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ublk_tool.h"

/* Partition scanning at START_DEV goes through our own queues: allow time. */
#define START_CMD_TIMEOUT_MS 30000

struct daemon;

struct queue_thread {
	struct daemon *d;
	uint16_t q_id;
	pthread_t thread;
	bool created;
	bool target_queue; /* the target's queue_init() succeeded */
	int ret;
};

struct daemon {
	struct target *t;
	struct ublk_ctrl *ctrl;
	struct ublk_dev *dev;
	uint32_t id;
	uint16_t nr_queues;
	struct queue_thread *qt;
	int exit_fd; /* each queue thread adds 1 when it ends */
	/* This daemon deletes the device at its end: it added it, or a signal asks so. */
	bool added;
	bool queues_started; /* the queue threads were started, if not all succeeded */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int nr_ready; /* queues set up, or failed to */
	int init_err;
};

/*
 * Set queue @qt up on this thread: the target's per-queue set-up, the
 * queue, then the target's start. On failure nothing is left but what
 * queue_exit() ends; *@qdata is the target's data for the queue.
 */
static int queue_setup(struct queue_thread *qt, struct ublk_queue **qp, void **qdata)
{
	const struct target_ops *ops = qt->d->t->ops;
	int ret = 0;

	*qdata = qt->d->t->priv;
	if (ops->queue_init) {
		ret = ops->queue_init(qt->d->t, qt->q_id, qdata);
		if (ret < 0)
			return ret;
		qt->target_queue = true;
	}
	ret = ublk_queue_init(qt->d->dev, qt->q_id, ops->queue_ops, *qdata, qp);
	if (ret == 0 && ops->queue_start) {
		ret = ops->queue_start(*qp, *qdata);
		if (ret < 0) {
			ublk_queue_deinit(*qp);
			*qp = NULL;
		}
	}
	return ret;
}

static void *queue_thread_fn(void *arg)
{
	struct queue_thread *qt = arg;
	struct daemon *d = qt->d;
	struct ublk_queue *q = NULL;
	void *qdata;
	cpu_set_t cpus;
	int ret;

	if (!ublk_ctrl_get_affinity(d->ctrl, d->id, qt->q_id, &cpus, sizeof(cpus)))
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);

	ret = queue_setup(qt, &q, &qdata);
	pthread_mutex_lock(&d->lock);
	if (ret < 0 && !d->init_err)
		d->init_err = ret;
	d->nr_ready++;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);

	if (ret == 0) {
		ret = ublk_queue_serve(q);
		if (ret < 0)
			log_err("device %u queue %u: %s", d->id, qt->q_id, strerror(-ret));
		ublk_queue_deinit(q);
	}
	if (qt->target_queue)
		d->t->ops->queue_exit(qdata);
	qt->ret = ret;
	eventfd_write(d->exit_fd, 1);
	return NULL;
}

static int start_queue_threads(struct daemon *d)
{
	int ret;

	for (uint16_t i = 0; i < d->nr_queues; i++) {
		struct queue_thread *qt = &d->qt[i];

		qt->d = d;
		qt->q_id = i;
		ret = pthread_create(&qt->thread, NULL, queue_thread_fn, qt);
		if (ret) {
			pthread_mutex_lock(&d->lock);
			if (!d->init_err)
				d->init_err = -ret;
			d->nr_ready += d->nr_queues - i;
			pthread_mutex_unlock(&d->lock);
			break;
		}
		qt->created = true;
	}

	pthread_mutex_lock(&d->lock);
	while (d->nr_ready < d->nr_queues)
		pthread_cond_wait(&d->cond, &d->lock);
	ret = d->init_err;
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* Stop the device so that every queue's serving loop ends, then join them. */
static int stop_queue_threads(struct daemon *d, bool stop_dev)
{
	int ret = 0;

	if (stop_dev)
		ublk_ctrl_stop(d->ctrl, d->id);
	for (uint16_t i = 0; i < d->nr_queues; i++) {
		if (!d->qt[i].created)
			continue;
		pthread_join(d->qt[i].thread, NULL);
		d->qt[i].created = false;
		if (d->qt[i].ret < 0 && !ret)
			ret = d->qt[i].ret;
	}
	return ret;
}

/* Why serving ended. */
enum stop_reason {
	STOPPED_OUTSIDE, /* the device was stopped, or a queue failed */
	STOP_AND_DELETE, /* SIGTERM, SIGINT, SIGHUP: this daemon deletes its device */
	STOP_ONLY,       /* SIGUSR1 (from `ublk del`): whoever sent it deletes it */
};

/* Wait for a signal or the end of a queue. */
static enum stop_reason serve_until_stopped(struct daemon *d, int sig_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = d->exit_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("device %u: poll: %s", d->id, strerror(errno));
			return STOPPED_OUTSIDE;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			log_info("device %u: %s, stopping", d->id, strsignal((int)si.ssi_signo));
			return si.ssi_signo == SIGUSR1 ? STOP_ONLY : STOP_AND_DELETE;
		}
		if (pfd[1].revents & POLLIN)
			return STOPPED_OUTSIDE;
	}
}

void daemon_stop_signals(sigset_t *set)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	sigemptyset(set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(set, sigs[i]);
}

static int block_signals(void)
{
	sigset_t set;

	daemon_stop_signals(&set);
	/* And the one from `ublk del`, which the supervisor does not pass on. */
	sigaddset(&set, SIGUSR1);
	/* Queue threads inherit the mask: only the signalfd sees these. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* The flags asked for that the driver did not grant, by name, or NULL. */
static const char *missing_flag(uint64_t asked, uint64_t granted)
{
	uint64_t missing = asked & ~granted;

	return missing ? ublk_feature_name((unsigned int)__builtin_ctzll(missing)) : NULL;
}

/*
 * The data path features to ask for: the target's, and with automatic
 * buffer registration user copy too, for the requests whose registration
 * fails; not on a driver without the former, where user copy alone would
 * replace the target's buffers.
 */
static uint64_t data_path_flags(struct daemon *d)
{
	uint64_t flags = d->t->ops->flags, features = 0;

	if ((flags & UBLK_FEAT_AUTO_BUF_REG) &&
	    (ublk_ctrl_get_features(d->ctrl, &features) < 0 ||
	     !(features & UBLK_FEAT_AUTO_BUF_REG)))
		flags &= ~UBLK_FEAT_AUTO_BUF_REG;
	if (flags & UBLK_FEAT_AUTO_BUF_REG)
		flags |= UBLK_FEAT_USER_COPY;
	return flags;
}

static int add_device(struct daemon *d, const struct add_opts *o,
		      const struct ublk_dev_params *p, struct daemon_report rep)
{
	struct ublk_dev_config cfg = {
		.id = o->id,
		.nr_queues = o->nr_queues,
		.queue_depth = o->depth,
		.max_io_bytes = UBLK_DEFAULT_IO_BYTES,
		.flags = data_path_flags(d) | recovery_flags(o),
	};
	struct ublk_dev_info info;
	const char *missing;
	int ret;

	ret = ublk_ctrl_add(d->ctrl, &cfg, &info);
	if (ret < 0) {
		if (ret == -EEXIST)
			log_err("device %d already exists", o->id);
		else
			log_err("add device: %s", strerror(-ret));
		return ret;
	}
	d->id = (uint32_t)ret;
	d->nr_queues = info.nr_queues;
	d->added = true;
	report_id(rep, d->id);

	/* Recovery the driver cannot give is an error, not a silent downgrade. */
	missing = missing_flag(recovery_flags(o), info.flags);
	if (missing) {
		log_err("device %u: the ublk driver lacks %s", d->id, missing);
		return -EOPNOTSUPP;
	}
	ret = ublk_ctrl_set_params(d->ctrl, d->id, p);
	if (ret < 0) {
		log_err("device %u: set parameters: %s", d->id, strerror(-ret));
		return ret;
	}
	ret = ublk_dev_open(d->ctrl, d->id, &d->dev);
	if (ret < 0)
		log_err("device %u: open /dev/ublkc%u: %s", d->id, d->id, strerror(-ret));
	return ret;
}

/* Take over device o->id, whose daemon died. */
static int recover_device(struct daemon *d, const struct add_opts *o,
			  struct daemon_report rep)
{
	int ret;

	d->id = (uint32_t)o->id;
	ret = ublk_ctrl_start_recovery(d->ctrl, d->id);
	if (ret == -EBUSY)
		log_err("device %u: still held by its previous daemon", d->id);
	else if (ret < 0)
		log_err("device %u: start recovery: %s", d->id, strerror(-ret));
	if (ret < 0)
		return ret;
	report_id(rep, d->id);
	ret = ublk_dev_open(d->ctrl, d->id, &d->dev);
	if (ret < 0) {
		log_err("device %u: open /dev/ublkc%u: %s", d->id, d->id, strerror(-ret));
		return ret;
	}
	d->nr_queues = ublk_dev_get_info(d->dev)->nr_queues;
	return 0;
}

/* Add (or take over) the device and start serving it; one error line on failure. */
static int start_device(struct daemon *d, const struct add_opts *o,
			const struct ublk_dev_params *p, struct daemon_report rep)
{
	int ret;

	/* A failed recovery leaves the device to a later one, or to `del`. */
	ret = o->take_over ? recover_device(d, o, rep) : add_device(d, o, p, rep);
	if (ret < 0)
		return ret;
	d->qt = calloc(d->nr_queues, sizeof(*d->qt));
	if (!d->qt) {
		log_err("device %u: out of memory", d->id);
		return -ENOMEM;
	}
	d->queues_started = true;
	ret = start_queue_threads(d);
	if (ret < 0) {
		log_err("device %u: set up queues: %s", d->id, strerror(-ret));
		return ret;
	}
	ublk_ctrl_set_timeout(d->ctrl, START_CMD_TIMEOUT_MS);
	if (o->take_over)
		ret = ublk_ctrl_end_recovery(d->ctrl, d->id, getpid());
	else
		ret = ublk_ctrl_start(d->ctrl, d->id, getpid());
	ublk_ctrl_set_timeout(d->ctrl, DEL_TIMEOUT_MS);
	if (ret < 0)
		log_err("device %u: %s: %s", d->id, o->take_over ? "end recovery" : "start",
			strerror(-ret));
	return ret;
}

/* Close the device; one this daemon added is deleted, with its record. */
static void delete_device(struct daemon *d)
{
	int ret;

	if (d->dev)
		ublk_dev_close(d->dev);
	d->dev = NULL;
	if (!d->added)
		return;
	record_remove(d->id);
	ret = ublk_ctrl_del(d->ctrl, d->id);
	if (ret < 0 && ret != -ENOENT && ret != -ENODEV)
		log_err("device %u: delete: %s", d->id, strerror(-ret));
}

/* A start-up that failed: leave nothing behind but a device being recovered. */
static void abort_start(struct daemon *d, bool take_over)
{
	if (d->queues_started) {
		if (take_over) {
			/*
			 * Stopping the device would fail the IO it holds: leave it
			 * for a later recovery, as a daemon that died would, by
			 * ending this process while the queues still serve.
			 */
			_exit(1);
		}
		stop_queue_threads(d, true);
	}
	delete_device(d);
}

/* What `list` and `recover` need to know of the device, in the run directory. */
static void write_record(const struct daemon *d, const struct add_opts *o)
{
	struct dev_record rec = { .pid = getpid(), .size = o->size, .buffered = o->buffered };

	snprintf(rec.target, sizeof(rec.target), "%s", d->t->ops->name);
	if (d->t->ops->record)
		d->t->ops->record(d->t, &rec);
	if (record_write(d->id, &rec) < 0)
		log_info("device %u: cannot write its record in %s", d->id, record_dir());
}

/* Serve the live device until it is stopped; what its queues ended with. */
static int serve(struct daemon *d, int sig_fd)
{
	/*
	 * The stop happens here, in the process that serves the queues, so
	 * that the library fails the requests in flight.
	 */
	enum stop_reason why = serve_until_stopped(d, sig_fd);
	int ret = stop_queue_threads(d, true);

	if (why == STOP_AND_DELETE) {
		d->added = true; /* delete it, recovered or not */
	} else if (ret == 0) {
		/* Whoever stopped it deletes it. */
		record_remove(d->id);
		ublk_dev_close(d->dev);
		d->dev = NULL;
		return 0;
	}
	/* After a failed queue, nobody else will delete it. */
	delete_device(d);
	return ret;
}

int daemon_run(struct target *t, const struct add_opts *o,
	       const struct ublk_dev_params *p, struct daemon_report rep)
{
	struct daemon d = { .t = t, .exit_fd = -1 };
	int sig_fd, ret;

	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.cond, NULL);
	sig_fd = block_signals();
	d.exit_fd = eventfd(0, EFD_CLOEXEC);
	if (sig_fd < 0 || d.exit_fd < 0) {
		ret = -errno;
		log_err("daemon set-up: %s", strerror(errno));
	} else {
		ret = open_control(&d.ctrl);
	}
	if (ret == 0) {
		ret = start_device(&d, o, p, rep);
		if (ret < 0) {
			abort_start(&d, o->take_over);
		} else {
			write_record(&d, o);
			report_ready(rep, d.id);
			ret = serve(&d, sig_fd);
		}
	}
	if (d.ctrl)
		ublk_ctrl_close(d.ctrl);
	free(d.qt);
	if (d.exit_fd >= 0)
		close(d.exit_fd);
	if (sig_fd >= 0)
		close(sig_fd);
	pthread_cond_destroy(&d.cond);
	pthread_mutex_destroy(&d.lock);
	return ret < 0 ? 1 : 0;
}
