// SPDX-License-Identifier: MIT
/*
 * The daemon's start-up report: the lines a background daemon writes to
 * whoever waits for it, and the reading of them. One line each:
 *
 *   to `add` or `recover` (the starter):  "ID n", then "OK n" or "ERR message"
 *   to its supervisor:                    "ID n", then "READY"
 *
 * "ID n" comes as soon as device n exists, so that a failed start-up can
 * still be cleaned up; "ERR message" is the daemon's first error line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ublk_tool.h"

pid_t fork_reporting_child(int fds[2])
{
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		log_err("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
	}
	return pid;
}

/* --- the daemon's side ---------------------------------------------------- */

void report_id(struct daemon_report rep, uint32_t id)
{
	if (rep.start_fd >= 0)
		dprintf(rep.start_fd, "ID %u\n", id);
	if (rep.supervisor_fd >= 0)
		dprintf(rep.supervisor_fd, "ID %u\n", id);
}

void report_ready(struct daemon_report rep, uint32_t id)
{
	if (rep.supervisor_fd >= 0) {
		dprintf(rep.supervisor_fd, "READY\n");
		close(rep.supervisor_fd);
	}
	if (rep.start_fd >= 0) {
		dprintf(rep.start_fd, "OK %u\n", id);
		log_set_report_fd(-1);
		close(rep.start_fd);
	} else {
		/* In the foreground the user is the starter. */
		printf("dev id %u: /dev/ublkb%u\n", id, id);
		fflush(stdout);
	}
}

void report_error(int fd, const char *msg)
{
	dprintf(fd, "ERR %s\n", msg);
}

/* --- the reading side ----------------------------------------------------- */

void report_reader_init(struct report_reader *r, int fd)
{
	r->fd = fd;
	r->start = 0;
	r->len = 0;
}

int report_reader_fill(struct report_reader *r)
{
	ssize_t n;

	/* Keep what is not read yet at the start of the buffer. */
	r->len -= r->start;
	memmove(r->buf, r->buf + r->start, r->len);
	r->start = 0;
	if (r->len == sizeof(r->buf) - 1)
		r->len = 0; /* a garbled line, longer than any report: drop it */
	n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
	if (n < 0)
		return -errno;
	r->len += (size_t)n;
	return n > 0;
}

/* "ID n" or "OK n": the device id n, or false. */
static bool parse_id(const char *line, const char *word, uint32_t *id)
{
	size_t len = strlen(word);

	return !strncmp(line, word, len) && line[len] == ' ' &&
	       !parse_u32(line + len + 1, 0, MAX_DEV_ID, id);
}

bool report_reader_next(struct report_reader *r, struct report_line *line)
{
	char *text, *nl;

	for (;;) {
		text = r->buf + r->start;
		r->buf[r->len] = '\0';
		nl = strchr(text, '\n');
		if (!nl)
			return false;
		*nl = '\0';
		r->start = (size_t)(nl + 1 - r->buf);
		line->msg = NULL;
		if (parse_id(text, "ID", &line->id))
			line->kind = REPORT_ID;
		else if (parse_id(text, "OK", &line->id))
			line->kind = REPORT_OK;
		else if (!strcmp(text, "READY"))
			line->kind = REPORT_READY;
		else if (!strncmp(text, "ERR ", 4))
			line->kind = REPORT_ERR, line->msg = text + 4;
		else
			continue; /* not a report line */
		return true;
	}
}
