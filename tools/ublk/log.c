// SPDX-License-Identifier: MIT
/* Messages: "ublk: ..." on stderr in the foreground, syslog in the background. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ublk_tool.h"

static bool use_syslog;
static int report_fd = -1;

void log_to_syslog(void)
{
	openlog("ublk", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

void log_set_report_fd(int fd)
{
	report_fd = fd;
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_syslog)
		syslog(prio, "%s", msg);
	else
		fprintf(stderr, "ublk: %s\n", msg);
	/* During start-up, `ublk add` waits for the first error to show it. */
	if (prio == LOG_ERR && report_fd >= 0) {
		report_error(report_fd, msg);
		report_fd = -1;
	}
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}
