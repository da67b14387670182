/* SPDX-License-Identifier: MIT */
/* Shared declarations of the cpufreq-map command-line tool. */
#ifndef CFM_TOOL_H
#define CFM_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpufreq-map/cpufreq-map.h"

#define TOOL_NAME "cpufreq-map"

/* Exit status: 0 success, 1 failure, 2 usage error. */
#define EXIT_USAGE 2

struct tool_opts {
	const char *sysfs_root;		/* "/" by default */
	const char *dtb;
	const char *device_tree;	/* NULL: <root>/proc/device-tree */
	const char *config;
	const char *state_file;		/* NULL: <root>/run/cpufreq-map/state */
	bool dry_run;
	bool force_poll;
	bool verbose;
	uint32_t interval_ms;
	uint32_t hold_down_ms;
	uint32_t min_interval_ms;
};

/* common.c */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print cfm_last_error() as the tool's one line. */
void tool_lib_err(void);
/* Path under the sysfs root; the result is malloc()ed. */
char *tool_root_path(const struct tool_opts *o, const char *rel);
/* Load every configured source; prints the error. */
int tool_load(const struct tool_opts *o, struct cfm_config **cfgp);
/* Bind to sysfs, reading only; prints the error. */
int tool_open_gov(const struct tool_opts *o, const struct cfm_config *cfg,
		  bool dry_run, struct cfm_gov **govp);
uint64_t tool_now_ns(void);
/* Print each device whose transitions moved past seen[] (a decision). */
void tool_print_decisions(const struct cfm_gov *gov, uint64_t *seen,
			  bool to_stderr);

/* state.c: the running daemon's counters, for status */
struct tool_state;
char *tool_state_path(const struct tool_opts *o);
int tool_state_write(const char *path, const struct cfm_gov *gov);
void tool_state_remove(const char *path);
/* Read the state of a live daemon; NULL if there is none. */
struct tool_state *tool_state_read(const char *path);
void tool_state_free(struct tool_state *s);
bool tool_state_policy(const struct tool_state *s, unsigned int id,
		       uint64_t *changes);
bool tool_state_device(const struct tool_state *s, const char *name,
		       uint64_t *target, uint64_t *transitions);

/* events.c: what wakes the daemon */
struct tool_events;
struct tool_events *tool_events_open(const struct tool_opts *o, int sigfd);
void tool_events_close(struct tool_events *ev);
/* Wait for a frequency event, a poll tick or deadline_ns. 1: re-read the
 * policies; 0: deadline; -1: a termination signal arrived; -2: error. */
int tool_events_wait(struct tool_events *ev, uint64_t deadline_ns);

/* One function per subcommand; each returns the exit status. */
int cmd_run(const struct tool_opts *o);
int cmd_apply(const struct tool_opts *o);
int cmd_show(const struct tool_opts *o);
int cmd_status(const struct tool_opts *o);

#endif /* CFM_TOOL_H */
