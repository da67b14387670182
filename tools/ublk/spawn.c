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

/*
 * Read the daemon's start-up report: "ID n", then "OK n" or "ERR message".
 * A device added on the way is removed on failure, unless it is one being
 * recovered (@keep_id).
 */
static int wait_for_daemon(int fd, pid_t pid, bool keep_id)
{
	long long deadline = mono_ms() + START_TIMEOUT_MS;
	char buf[1200];
	size_t len = 0;
	int32_t id = -1;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - mono_ms();
		char *nl;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			log_err("device did not start within %d s", START_TIMEOUT_MS / 1000);
			break;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int status = reap_child(pid, CLEANUP_TIMEOUT_MS);

			/* The supervisor passes the daemon's end on as 128 + signal. */
			if (WIFEXITED(status) && WEXITSTATUS(status) > 128)
				log_err("daemon was killed by signal %d (%s) during start-up",
					WEXITSTATUS(status) - 128,
					strsignal(WEXITSTATUS(status) - 128));
			else if (WIFSIGNALED(status))
				log_err("daemon was killed by signal %d (%s) during start-up",
					WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				log_err("daemon exited with status %d during start-up",
					WEXITSTATUS(status));
			if (!keep_id)
				remove_leftover(id);
			return 1;
		}
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (!strncmp(buf, "ID ", 3)) {
				id = atoi(buf + 3);
			} else if (!strncmp(buf, "OK ", 3)) {
				id = atoi(buf + 3);
				printf("dev id %d: /dev/ublkb%d\n", id, id);
				return 0;
			} else if (!strncmp(buf, "ERR ", 4)) {
				fprintf(stderr, "ublk: %s\n", buf + 4);
				/* The daemon removes its device; make sure of it. */
				reap_child(pid, CLEANUP_TIMEOUT_MS);
				if (!keep_id)
					remove_leftover(id);
				return 1;
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* a garbled line: drop it */
	}
	reap_child(pid, 0);
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
	if (pipe2(pipefd, O_CLOEXEC)) {
		log_err("pipe: %s", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return 1;
	}
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
		t->ops->cleanup(t);
		exit(ret);
	}
	close(pipefd[1]);
	ret = wait_for_daemon(pipefd[0], pid, o->take_over);
	close(pipefd[0]);
	return ret;
}
