// SPDX-License-Identifier: MIT
/*
 * The supervisor: the small process a background device leaves besides
 * its daemon. It forks the daemon and waits for it. A daemon that ends on
 * its own has dealt with its device; one that dies (kill -9, a crash)
 * leaves the device to the supervisor: a device with user recovery stays
 * for `ublk recover`, any other is deleted, so nothing dead lingers.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ublk_tool.h"

/* What the daemon told us before it died: its device id, and whether it got ready. */
struct daemon_news {
	int64_t id;
	bool ready;
};

static void read_news(int fd, struct daemon_news *news)
{
	struct report_reader r;
	struct report_line line;
	int ret;

	/* The daemon is gone: everything it wrote is in the pipe. */
	report_reader_init(&r, fd);
	while ((ret = report_reader_fill(&r)) > 0 || ret == -EINTR) {
		while (report_reader_next(&r, &line)) {
			if (line.kind == REPORT_ID)
				news->id = line.id;
			else if (line.kind == REPORT_READY)
				news->ready = true;
		}
	}
}

/* The daemon of device @id died without stopping it. */
static void daemon_died(const struct daemon_news *news, bool recovering, pid_t pid)
{
	uint32_t id = (uint32_t)news->id;
	struct ublk_dev_info info;
	struct ublk_ctrl *ctrl;
	int ret;

	ret = ublk_ctrl_open(&ctrl);
	if (ret < 0) {
		log_err("device %u: open /dev/ublk-control: %s", id, strerror(-ret));
		return;
	}
	ublk_ctrl_set_timeout(ctrl, DEL_TIMEOUT_MS);
	if (ublk_ctrl_get_info(ctrl, id, &info) < 0)
		goto out; /* deleted already */
	/* A device that served, or was served before, waits to be recovered. */
	if ((news->ready || recovering) && (info.flags & UBLK_FEAT_USER_RECOVERY)) {
		log_info("device %u: daemon %d died; IO %s until 'ublk recover -n %u'", id, pid,
			 (info.flags & UBLK_FEAT_USER_RECOVERY_FAIL_IO) ? "fails" : "waits", id);
		goto out;
	}
	log_info("device %u: daemon %d died; deleting the device", id, pid);
	ublk_ctrl_stop(ctrl, id);
	ret = ublk_ctrl_del(ctrl, id);
	if (ret < 0 && ret != -ENODEV && ret != -ENOENT)
		log_err("device %u: delete: %s", id, strerror(-ret));
	else
		record_remove(id);
out:
	ublk_ctrl_close(ctrl);
}

int supervise(struct target *t, const struct add_opts *o,
	      const struct ublk_dev_params *p, int start_fd)
{
	struct daemon_news news = { .id = -1 };
	sigset_t set, old;
	int sup[2], status = 0;
	pid_t pid;

	/* The daemon's end, and the signals it is passed. */
	daemon_stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork_reporting_child(sup);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		struct daemon_report rep = { .start_fd = start_fd, .supervisor_fd = sup[1] };

		close(sup[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		exit(daemon_run(t, o, p, rep));
	}
	close(sup[1]);
	/* The starter must see the daemon's end as the end of its pipe. */
	log_set_report_fd(-1);
	close(start_fd);

	for (;;) {
		siginfo_t si;

		if (sigwaitinfo(&set, &si) < 0)
			continue; /* EINTR */
		if (si.si_signo != SIGCHLD) {
			kill(pid, si.si_signo); /* the daemon decides what it means */
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	read_news(sup[0], &news);
	close(sup[0]);
	if (news.id >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		daemon_died(&news, o->take_over, pid);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
