// SPDX-License-Identifier: MIT
/*
 * What wakes the daemon. sysfs does not notify scaling_cur_freq changes,
 * so where permitted we subscribe to the power:cpu_frequency tracepoint
 * through perf_event_open (one event per CPU, since a tracepoint fires on
 * the CPU that runs the change); otherwise we poll at --interval.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cfm-tool.h"

/* With the tracepoint, still look now and then: CPUs come online. */
#define SAFETY_POLL_MS 1000

struct tool_events {
	int sigfd;
	uint64_t period_ns;		/* polling period */
	uint64_t next_tick_ns;
	unsigned int nr_perf;
	struct pollfd *pfds;		/* [0] signalfd, then perf fds */
	struct perf_event_mmap_page **rings;
	size_t ring_len;
};

static const char *const tracefs_ids[] = {
	"/sys/kernel/tracing/events/power/cpu_frequency/id",
	"/sys/kernel/debug/tracing/events/power/cpu_frequency/id",
};

static int tracepoint_id(uint64_t *id)
{
	char buf[32];
	unsigned int i;

	for (i = 0; i < sizeof(tracefs_ids) / sizeof(tracefs_ids[0]); i++) {
		ssize_t n;
		int fd = open(tracefs_ids[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		*id = strtoull(buf, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

static void close_perf(struct tool_events *ev)
{
	unsigned int i;

	for (i = 0; i < ev->nr_perf; i++) {
		if (ev->rings[i])
			munmap(ev->rings[i], ev->ring_len);
		close(ev->pfds[i + 1].fd);
	}
	ev->nr_perf = 0;
}

/* Subscribe on every CPU that accepts; returns 0 or a negative errno. */
static int open_perf(struct tool_events *ev)
{
	long nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	struct perf_event_attr attr;
	uint64_t id;
	long cpu;
	int ret, first_err = 0;

	ret = tracepoint_id(&id);
	if (ret)
		return ret;
	if (nr_cpus < 1)
		return -EINVAL;
	ev->pfds = realloc(ev->pfds, (size_t)(nr_cpus + 1) * sizeof(*ev->pfds));
	ev->rings = calloc((size_t)nr_cpus, sizeof(*ev->rings));
	if (!ev->pfds || !ev->rings)
		return -ENOMEM;
	ev->ring_len = 2 * (size_t)sysconf(_SC_PAGESIZE);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		void *ring;
		int fd;

		fd = (int)syscall(SYS_perf_event_open, &attr, -1, (int)cpu, -1,
				  PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			/* Offline CPUs refuse (ENODEV); remember real errors. */
			if (errno != ENODEV && !first_err)
				first_err = -errno;
			continue;
		}
		ring = mmap(NULL, ev->ring_len, PROT_READ | PROT_WRITE,
			    MAP_SHARED, fd, 0);
		if (ring == MAP_FAILED) {
			if (!first_err)
				first_err = -errno;
			close(fd);
			continue;
		}
		ev->rings[ev->nr_perf] = ring;
		ev->pfds[ev->nr_perf + 1].fd = fd;
		ev->pfds[ev->nr_perf + 1].events = POLLIN;
		ev->nr_perf++;
	}
	if (first_err || !ev->nr_perf) {
		close_perf(ev);
		return first_err ? first_err : -ENODEV;
	}
	return 0;
}

struct tool_events *tool_events_open(const struct tool_opts *o, int sigfd)
{
	struct tool_events *ev = calloc(1, sizeof(*ev));
	const char *why = NULL;
	int ret;

	if (!ev)
		return NULL;
	ev->sigfd = sigfd;
	ev->pfds = calloc(1, sizeof(*ev->pfds));
	if (!ev->pfds) {
		free(ev);
		return NULL;
	}
	ev->pfds[0].fd = sigfd;
	ev->pfds[0].events = POLLIN;
	if (o->force_poll) {
		why = "--poll";
	} else if (strcmp(o->sysfs_root, "/")) {
		why = "sysfs root is not /";
	} else {
		ret = open_perf(ev);
		if (!ret) {
			ev->period_ns = SAFETY_POLL_MS * 1000000ull;
			tool_log("event source: power:cpu_frequency tracepoint on %u CPUs",
				 ev->nr_perf);
			return ev;
		}
		why = ret == -ENOENT ? "tracepoint not found in tracefs"
				     : strerror(-ret);
	}
	ev->period_ns = (uint64_t)o->interval_ms * 1000000ull;
	tool_log("event source: polling every %u ms (%s)", o->interval_ms, why);
	return ev;
}

void tool_events_close(struct tool_events *ev)
{
	if (!ev)
		return;
	close_perf(ev);
	free(ev->rings);
	free(ev->pfds);
	free(ev);
}

/* Forget the samples: we only need to know that something changed. */
static void drain(struct perf_event_mmap_page *meta)
{
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);

	__atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
}

int tool_events_wait(struct tool_events *ev, uint64_t deadline_ns)
{
	uint64_t now = tool_now_ns(), until;
	struct timespec ts;
	unsigned int i;
	int n;

	if (!ev->next_tick_ns || ev->next_tick_ns + ev->period_ns <= now)
		ev->next_tick_ns = now + ev->period_ns;
	until = deadline_ns < ev->next_tick_ns ? deadline_ns : ev->next_tick_ns;
	if (until > now) {
		ts.tv_sec = (time_t)((until - now) / 1000000000ull);
		ts.tv_nsec = (long)((until - now) % 1000000000ull);
	} else {
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
	}
	n = ppoll(ev->pfds, ev->nr_perf + 1, &ts, NULL);
	if (n < 0)
		return errno == EINTR ? 0 : -2;
	if (ev->pfds[0].revents & POLLIN)
		return -1;
	if (n > 0) {
		for (i = 0; i < ev->nr_perf; i++)
			drain(ev->rings[i]);
		return 1;
	}
	now = tool_now_ns();
	if (now >= ev->next_tick_ns) {
		/* Keep the period steady rather than drifting by our cost. */
		ev->next_tick_ns += ev->period_ns;
		return 1;
	}
	return 0;
}
