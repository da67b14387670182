// SPDX-License-Identifier: MIT
/*
 * ublk-threads: the library creates no threads.
 *
 * Counts this process's threads (/proc/self/task) before anything is set
 * up, after a device with 2 queues is added and both queues are set up in
 * this thread, after it served IO and stopped, and after it is deleted. Only
 * io_uring's own workers (iou-wrk-*) may come and go. A child process
 * starts the device, does IO and stops it, so that this process never makes
 * a thread of its own: it serves both queues from one epoll loop.
 *
 * Exit status 0 if no other thread appeared and the device is gone at the
 * end, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ublk/ublk.h>

#include "common.h"

const char *prog_name = "ublk-threads";

#define NR_QUEUES 2
#define DEPTH 32
#define DEV_SIZE (64ULL << 20)
#define SERVE_TIMEOUT_MS 60000

static void handle_io(struct ublk_queue *q, const struct ublk_io *io, void *data)
{
	(void)data;
	if (io->op == UBLK_OP_READ)
		memset(io->buf, 0, (size_t)io->nr_sectors << 9);
	ublk_complete(q, io->tag, io->op == UBLK_OP_READ || io->op == UBLK_OP_WRITE
				  ? (int32_t)io->nr_sectors << 9 : 0);
}

/* Served from this program's epoll loop. */
static const struct ublk_queue_ops ops = { .handle_io = handle_io, .flags = UBLK_QUEUE_POLL };

/* Print the threads of this process, for the record. */
static void list_tasks(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char path[300], comm[64] = "?\n";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				strcpy(comm, "?\n");
			fclose(f);
		}
		printf("  thread %s: %s", de->d_name, comm);
	}
	closedir(dir);
}

/* Count the threads now; false if a thread other than io_uring's appeared. */
static bool check_tasks(const char *when, const struct task_count *before)
{
	struct task_count tc;
	int others;

	if (count_tasks(&tc)) {
		msg("cannot read /proc/self/task");
		return false;
	}
	others = tc.total - tc.io_workers;
	printf("threads %s: %d (%d io_uring workers, %d others; %d others before)\n", when,
	       tc.total, tc.io_workers, others, before->total - before->io_workers);
	fflush(stdout);
	if (others > before->total - before->io_workers) {
		printf("FAIL: a thread that is not io_uring's appeared %s:\n", when);
		list_tasks();
		return false;
	}
	return true;
}

/* The child: start the device, write and read it, stop it. */
static int child(int id_fd, pid_t daemon)
{
	struct ublk_ctrl *ctrl;
	char path[64];
	void *buf;
	int id, fd, ret;

	if (read(id_fd, &id, sizeof(id)) != sizeof(id))
		return 0; /* the parent gave up before */
	ret = ublk_ctrl_open(&ctrl);
	if (ret) {
		msg_err(ret, "child: open /dev/ublk-control");
		return 1;
	}
	ret = ublk_ctrl_start(ctrl, (uint32_t)id, daemon);
	if (ret) {
		msg_err(ret, "child: start device %d", id);
		ublk_ctrl_close(ctrl);
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/ublkb%d", id);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&buf, 4096, 1 << 20)) {
		msg_err(errno, "child: open %s", path);
		ret = 1;
	} else {
		memset(buf, 0x5a, 1 << 20);
		for (int i = 0; i < 16 && !ret; i++) {
			if (pwrite(fd, buf, 1 << 20, (off_t)i << 20) != 1 << 20 ||
			    pread(fd, buf, 64 << 10, (off_t)i << 16) != 64 << 10) {
				msg_err(errno, "child: IO on %s", path);
				ret = 1;
			}
		}
		close(fd);
		free(buf);
	}
	if (ublk_ctrl_stop(ctrl, (uint32_t)id)) {
		msg("child: stop device %d failed", id);
		ret = 1;
	}
	ublk_ctrl_close(ctrl);
	return ret ? 1 : 0;
}

/* Serve both queues from this thread until they are done (bounded). */
static bool serve(struct ublk_queue **qs, int done_fd)
{
	struct epoll_event ev;
	uint64_t deadline = now_ms() + SERVE_TIMEOUT_MS;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok = ep >= 0;

	for (int i = 0; ok && i < NR_QUEUES; i++) {
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = (uint32_t)i };
		ok = !epoll_ctl(ep, EPOLL_CTL_ADD, ublk_queue_fd(qs[i]), &ev);
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = NR_QUEUES };
	ok = ok && !epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &ev);
	if (!ok) {
		msg_err(errno, "epoll");
		if (ep >= 0)
			close(ep);
		return false;
	}
	for (;;) { /* bounded: SERVE_TIMEOUT_MS */
		struct epoll_event evs[NR_QUEUES + 1];
		bool all_done = true;
		uint64_t now;
		int n;

		for (int i = 0; i < NR_QUEUES; i++) {
			if (ublk_queue_done(qs[i]))
				continue;
			if (ublk_queue_process(qs[i], 0) < 0) {
				msg("queue %d failed", i);
				ok = false;
			}
			all_done = all_done && ublk_queue_done(qs[i]);
		}
		now = now_ms();
		if (all_done || !ok || now >= deadline)
			break;
		n = epoll_wait(ep, evs, NR_QUEUES + 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR) {
			msg_err(errno, "epoll_wait");
			ok = false;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == NR_QUEUES)
				/* the child is gone: nothing to watch there any more */
				epoll_ctl(ep, EPOLL_CTL_DEL, done_fd, NULL);
		}
	}
	close(ep);
	if (ok && now_ms() >= deadline) {
		msg("the queues were not done within %d ms", SERVE_TIMEOUT_MS);
		ok = false;
	}
	return ok;
}

int main(void)
{
	struct ublk_dev_config cfg = { .id = -1, .nr_queues = NR_QUEUES, .queue_depth = DEPTH };
	struct ublk_dev_params params = { .size = DEV_SIZE };
	struct ublk_queue *qs[NR_QUEUES] = { 0 };
	struct ublk_dev_info info, after;
	struct ublk_dev *dev = NULL;
	struct ublk_ctrl *ctrl;
	struct task_count before;
	int id_pipe[2], done_pipe[2], status, id, ret;
	bool ok = true;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (count_tasks(&before)) {
		msg("cannot read /proc/self/task");
		return 1;
	}
	printf("threads before: %d (%d io_uring workers)\n", before.total, before.io_workers);

	if (pipe2(id_pipe, O_CLOEXEC) || pipe2(done_pipe, O_CLOEXEC)) {
		msg_err(errno, "pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		msg_err(errno, "fork");
		return 1;
	}
	if (pid == 0) {
		close(id_pipe[1]);
		close(done_pipe[0]);
		_exit(child(id_pipe[0], getppid()));
	}
	close(id_pipe[0]);
	close(done_pipe[1]);

	ret = ublk_ctrl_open(&ctrl);
	if (ret) {
		msg_err(ret, "open /dev/ublk-control");
		return 1;
	}
	id = ublk_ctrl_add(ctrl, &cfg, &info);
	if (id < 0) {
		msg_err(id, "add a device with %d queues", NR_QUEUES);
		ublk_ctrl_close(ctrl);
		return 1;
	}
	if (info.nr_queues != NR_QUEUES) {
		msg("the kernel granted %u queues, not %d", info.nr_queues, NR_QUEUES);
		ok = false;
		goto del;
	}
	ret = ublk_ctrl_set_params(ctrl, (uint32_t)id, &params);
	if (!ret)
		ret = ublk_dev_open(ctrl, (uint32_t)id, &dev);
	for (int i = 0; !ret && i < NR_QUEUES; i++)
		ret = ublk_queue_init(dev, (uint16_t)i, &ops, NULL, &qs[i]);
	if (ret) {
		msg_err(ret, "set device %d up", id);
		ok = false;
		goto teardown;
	}
	printf("device %d: %d queues of depth %d set up in this thread\n", id, NR_QUEUES, DEPTH);
	ok = check_tasks("after setting up the device and its queues", &before) && ok;

	/* The child starts the device, does IO and stops it; we serve. */
	if (write(id_pipe[1], &id, sizeof(id)) != sizeof(id)) {
		msg_err(errno, "write to the child");
		ok = false;
		goto teardown;
	}
	ok = serve(qs, done_pipe[0]) && ok;
	ok = check_tasks("after serving IO until the device stopped", &before) && ok;

teardown:
	/* Tearing the queues down fails whatever IO a stuck child waits for. */
	close(id_pipe[1]);
	for (int i = 0; i < NR_QUEUES; i++)
		ublk_queue_deinit(qs[i]);
	if (dev)
		ublk_dev_close(dev);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		msg("the child (start, IO, stop) failed");
		ok = false;
	}
del:
	ret = ublk_ctrl_del(ctrl, (uint32_t)id);
	if (ret) {
		msg_err(ret, "delete device %d", id);
		ok = false;
	}
	ret = ublk_ctrl_get_info(ctrl, (uint32_t)id, &after);
	if (ret != -ENODEV && ret != -ENOENT) {
		msg("device %d is still known to the kernel after delete (get_info: %d)", id, ret);
		ok = false;
	}
	if (!wait_nodes_gone(id, 10000)) {
		msg("/dev/ublkb%d or /dev/ublkc%d still exists after delete", id, id);
		ok = false;
	}
	ublk_ctrl_close(ctrl);
	ok = check_tasks("after deleting the device", &before) && ok;
	printf("%s\n", ok ? "ok: the library created no thread" : "FAILED");
	return ok ? 0 : 1;
}
