// SPDX-License-Identifier: MIT
/*
 * `ublk add`: check the options and the target, then fork the serving
 * daemon and wait, bounded, until it reports the device live or fails.
 * On any failure no device is left behind.
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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait up to @ms for @pid to exit; kill it if it does not. */
static int reap_child(pid_t pid, int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0;

	if (pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (poll(&pfd, 1, ms) <= 0)
			kill(pid, SIGKILL);
		close(pidfd);
	} else {
		kill(pid, SIGKILL);
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

/* Read the daemon's start-up report: "ID n", then "OK n" or "ERR message". */
static int wait_for_daemon(int fd, pid_t pid)
{
	long long deadline = now_ms() + START_TIMEOUT_MS;
	char buf[1200];
	size_t len = 0;
	int32_t id = -1;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
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

			if (WIFSIGNALED(status))
				log_err("daemon was killed by signal %d during start-up",
					WTERMSIG(status));
			else
				log_err("daemon exited with status %d during start-up",
					WEXITSTATUS(status));
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

int cmd_add(int argc, char **argv)
{
	struct ublk_dev_params params = { 0 };
	struct target t = { .fd = -1 };
	struct add_opts o;
	int pipefd[2], ret;
	pid_t pid;

	if (parse_add_opts(argc, argv, &o))
		return 1;
	t.ops = target_find(o.target);
	if (!t.ops) {
		log_err("unknown target '%s' (known: null, loop)", o.target);
		return 1;
	}
	if (access("/dev/ublk-control", F_OK)) {
		log_err("/dev/ublk-control: %s (is the ublk_drv module loaded?)", strerror(errno));
		return 1;
	}
	if (t.ops->init(&t, &o, &params))
		return 1;

	if (o.foreground) {
		ret = daemon_run(&t, &o, &params, -1);
		t.ops->cleanup(&t);
		return ret;
	}

	fflush(NULL);
	if (pipe2(pipefd, O_CLOEXEC)) {
		log_err("pipe: %s", strerror(errno));
		t.ops->cleanup(&t);
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		t.ops->cleanup(&t);
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		/* If `add` is gone, reports fail with EPIPE instead of killing us. */
		signal(SIGPIPE, SIG_IGN);
		setsid();
		if (chdir("/"))
			_exit(1);
		detach_stdio();
		log_to_syslog();
		log_set_report_fd(pipefd[1]);
		ret = daemon_run(&t, &o, &params, pipefd[1]);
		t.ops->cleanup(&t);
		exit(ret); /* runs exit handlers (leak checks); stdio was flushed before fork */
	}
	close(pipefd[1]);
	t.ops->cleanup(&t);
	ret = wait_for_daemon(pipefd[0], pid);
	close(pipefd[0]);
	return ret;
}
