// SPDX-License-Identifier: MIT
/*
 * `ublk del -n ID | --all`: delete a device, in bounded time.
 *
 * A device served by a daemon of ours is stopped by that daemon: `del`
 * sends it SIGUSR1, and the daemon stops the device through the library,
 * which fails the requests in flight and those that keep coming, then
 * exits. Stopped from here instead, the daemon would serve those requests
 * and readers would see the device end in end-of-file rather than in an
 * error. A daemon that does not exit in time is killed. The device, which
 * keeps its id until it is deleted, is then deleted from here (stopped
 * first, if it still needs it: a device of another server, or one whose
 * daemon failed).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ublk_tool.h"

/* Wait up to @ms for process @pid to be gone. */
static bool wait_pid_gone(pid_t pid, int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .events = POLLIN };
	int ret;

	if (pidfd < 0)
		return errno == ESRCH;
	pfd.fd = pidfd;
	ret = poll(&pfd, 1, ms);
	close(pidfd);
	return ret > 0;
}

/* Is @pid the daemon that `ublk add` or `ublk recover` left for device @id? */
static bool our_daemon(uint32_t id, pid_t pid)
{
	struct dev_record rec;

	return pid > 0 && !record_read(id, &rec) && rec.pid == pid && kill(pid, 0) == 0;
}

/* Have our daemon stop device @id and exit; kill it if it does not. */
static void end_daemon(uint32_t id, pid_t pid)
{
	if (kill(pid, SIGUSR1) == 0 && wait_pid_gone(pid, DEL_TIMEOUT_MS))
		return;
	log_info("device %u: daemon %d did not exit, killing it", id, pid);
	kill(pid, SIGKILL);
	if (!wait_pid_gone(pid, DEL_TIMEOUT_MS))
		log_info("device %u: daemon %d still running", id, pid);
}

static int del_one(struct ublk_ctrl *ctrl, uint32_t id)
{
	struct ublk_dev_info info;
	struct dev_record rec;
	pid_t pid;
	int ret;

	ret = ublk_ctrl_get_info(ctrl, id, &info);
	if (ret < 0) {
		log_dev_error(id, ret);
		return ret;
	}
	pid = info.daemon_pid;
	if (our_daemon(id, pid))
		end_daemon(id, pid);

	ret = ublk_ctrl_stop(ctrl, id);
	if (ret < 0 && ret != -ENODEV && ret != -ENOENT)
		log_info("device %u: stop: %s", id, strerror(-ret));
	ret = ublk_ctrl_del(ctrl, id);
	if (ret < 0 && ret != -ENOENT && ret != -ENODEV) {
		log_err("device %u: delete: %s", id, strerror(-ret));
		return ret;
	}
	/* A daemon that was killed could not remove its record. */
	if (pid > 0 && !record_read(id, &rec) && rec.pid == pid)
		record_remove(id);
	return 0;
}

static const struct option del_options[] = {
	{ "number", required_argument, NULL, 'n' },
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

int cmd_del(int argc, char **argv)
{
	struct dev_cmd_opts o;
	struct ublk_ctrl *ctrl;
	int failed = 0;

	if (parse_dev_cmd("del", argc, argv, ":n:a", del_options, &o))
		return 1;
	if (o.all == (o.id >= 0)) {
		log_err("del needs either -n ID or --all");
		return 1;
	}
	if (open_control(&ctrl) < 0)
		return 1;
	ublk_ctrl_set_timeout(ctrl, DEL_TIMEOUT_MS);
	if (o.all) {
		uint32_t *ids = NULL;
		int n = list_device_ids(&ids);

		if (n < 0) {
			log_err("list devices: %s", strerror(-n));
			failed = 1;
		}
		for (int i = 0; i < n; i++)
			failed |= del_one(ctrl, ids[i]) < 0;
		free(ids);
	} else {
		failed = del_one(ctrl, (uint32_t)o.id) < 0;
	}
	ublk_ctrl_close(ctrl);
	return failed;
}
