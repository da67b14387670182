// SPDX-License-Identifier: MIT
/* Description: the daemon's start-up report reads back as it was written. */
#include <fcntl.h>
#include <unistd.h>

#include "t_assert.h"
#include "ublk_tool.h"

/* Write @text to a pipe, close it, and read the report from the other end. */
static int pipe_of(const char *text)
{
	int fds[2];

	T_CHECK(pipe2(fds, O_CLOEXEC) == 0);
	T_CHECK(write(fds[1], text, strlen(text)) == (ssize_t)strlen(text));
	close(fds[1]);
	return fds[0];
}

static void test_round_trip(void)
{
	struct daemon_report rep;
	struct report_reader r;
	struct report_line line;
	int start[2], sup[2];

	T_CHECK(pipe2(start, O_CLOEXEC) == 0 && pipe2(sup, O_CLOEXEC) == 0);
	rep.start_fd = start[1];
	rep.supervisor_fd = sup[1];
	report_id(rep, 1048575);
	report_ready(rep, 1048575); /* closes both writing ends */

	report_reader_init(&r, start[0]);
	T_CHECK(report_reader_fill(&r) == 1);
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_ID && line.id == 1048575);
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_OK && line.id == 1048575);
	T_CHECK(!report_reader_next(&r, &line));
	T_CHECK(report_reader_fill(&r) == 0);

	report_reader_init(&r, sup[0]);
	T_CHECK(report_reader_fill(&r) == 1);
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_ID && line.id == 1048575);
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_READY);
	T_CHECK(!report_reader_next(&r, &line));
	close(start[0]);
	close(sup[0]);
}

static void test_error_and_garbage(void)
{
	struct report_reader r;
	struct report_line line;
	int fd = pipe_of("ID 7\nfrob\nID x\nID 1048576\nERR device 7: it broke\nOK 7");

	report_reader_init(&r, fd);
	T_CHECK(report_reader_fill(&r) == 1);
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_ID && line.id == 7);
	/* Lines that are not reports are passed over. */
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_ERR);
	T_CHECK_STR(line.msg, "device 7: it broke");
	/* A line without its newline is not whole yet. */
	T_CHECK(!report_reader_next(&r, &line));
	T_CHECK(report_reader_fill(&r) == 0);
	close(fd);
}

static void test_split_and_long_lines(void)
{
	char text[3000];
	struct report_reader r;
	struct report_line line;
	int fds[2];

	T_CHECK(pipe2(fds, O_CLOEXEC) == 0);
	report_reader_init(&r, fds[0]);
	/* A line in two writes. */
	T_CHECK(write(fds[1], "RE", 2) == 2);
	T_CHECK(report_reader_fill(&r) == 1 && !report_reader_next(&r, &line));
	T_CHECK(write(fds[1], "ADY\n", 4) == 4);
	T_CHECK(report_reader_fill(&r) == 1);
	T_CHECK(report_reader_next(&r, &line) && line.kind == REPORT_READY);
	/* A line longer than the buffer is dropped; the next one reads. */
	memset(text, 'x', sizeof(text));
	memcpy(text + sizeof(text) - 6, "\nID 3\n", 6);
	T_CHECK(write(fds[1], text, sizeof(text)) == (ssize_t)sizeof(text));
	close(fds[1]);
	while (report_reader_fill(&r) > 0)
		if (report_reader_next(&r, &line))
			break;
	T_CHECK(line.kind == REPORT_ID && line.id == 3);
	close(fds[0]);
}

int main(void)
{
	test_round_trip();
	test_error_and_garbage();
	test_split_and_long_lines();
	return T_EXIT();
}
