// SPDX-License-Identifier: MIT
/*
 * Start a device's daemon in the background: fork a supervisor (see
 * supervisor.c), which forks the daemon, and wait, bounded, until the
 * daemon reports the device live or fails. On failure no device added on
 * the way is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ublk_tool.h"

#define CLEANUP_TIMEOUT_MS 15000

/*
 * Wait up to @ms for the supervisor @pid to exit; if it does not, kill it
 * and its daemon (its process group: it leads one).
 */
static int reap_child(pid_t pid, int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0;

	if (pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (poll(&pfd, 1, ms) <= 0)
			kill(-pid, SIGKILL);
		close(pidfd);
	} else {
		kill(-pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	return status;
}

/* Remove what a failed daemon may have left. */
static void remove_leftover(int32_t id)
{
	struct ublk_ctrl *ctrl;

	if (id < 0 || ublk_ctrl_open(&ctrl))
		return;
	ublk_ctrl_stop(ctrl, (uint32_t)id);
	ublk_ctrl_del(ctrl, (uint32_t)id);
	ublk_ctrl_close(ctrl);
}

/* How the supervisor @status says the daemon ended during start-up. */
static void log_early_end(int status)
{
	/* The supervisor passes the daemon's end on as 128 + signal. */
	if (WIFEXITED(status) && WEXITSTATUS(status) > 128)
		log_err("daemon was killed by signal %d (%s) during start-up",
			WEXITSTATUS(status) - 128, strsignal(WEXITSTATUS(status) - 128));
	else if (WIFSIGNALED(status))
		log_err("daemon was killed by signal %d (%s) during start-up",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		log_err("daemon exited with status %d during start-up", WEXITSTATUS(status));
}

/*
 * Read the daemon's start-up report (daemon_report.c) from @fd: 0 once the
 * device is live; 1 after one error line, with the supervisor @pid ended.
 * *@id is the device the daemon added, or -1.
 */
static int read_report(int fd, pid_t pid, int32_t *id)
{
	long long deadline = mono_ms() + START_TIMEOUT_MS;
	struct report_reader r;
	struct report_line line;
	int ret;

	report_reader_init(&r, fd);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - mono_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			log_err("device did not start within %d s", START_TIMEOUT_MS / 1000);
			reap_child(pid, 0);
			return 1;
		}
		ret = report_reader_fill(&r);
		if (ret == -EINTR)
			continue;
		if (ret <= 0) {
			log_early_end(reap_child(pid, CLEANUP_TIMEOUT_MS));
			return 1;
		}
		while (report_reader_next(&r, &line)) {
			switch (line.kind) {
			case REPORT_ID:
				*id = (int32_t)line.id;
				break;
			case REPORT_OK:
				printf("dev id %u: /dev/ublkb%u\n", line.id, line.id);
				return 0;
			case REPORT_ERR:
				log_err("%s", line.msg);
				/* The daemon removes its device; make sure of it. */
				reap_child(pid, CLEANUP_TIMEOUT_MS);
				return 1;
			case REPORT_READY:
				break;
			}
		}
	}
}

/*
 * Wait for the daemon's start-up. A device added on the way is removed on
 * failure, unless it is one being recovered (@keep_id).
 */
static int wait_for_daemon(int fd, pid_t pid, bool keep_id)
{
	int32_t id = -1;

	if (!read_report(fd, pid, &id))
		return 0;
	if (!keep_id)
		remove_leftover(id);
	return 1;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int spawn_daemon(struct target *t, const struct add_opts *o,
		 const struct ublk_dev_params *p)
{
	int pipefd[2], ret;
	pid_t pid;

	fflush(NULL);
	pid = fork_reporting_child(pipefd);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pipefd[0]);
		/* If the starter is gone, reports fail with EPIPE instead of killing us. */
		signal(SIGPIPE, SIG_IGN);
		setsid();
		if (chdir("/"))
			_exit(1);
		detach_stdio();
		log_to_syslog();
		log_set_report_fd(pipefd[1]);
		ret = supervise(t, o, p, pipefd[1]);
		target_cleanup(t);
		exit(ret);
	}
	close(pipefd[1]);
	ret = wait_for_daemon(pipefd[0], pid, o->take_over);
	close(pipefd[0]);
	return ret;
}
