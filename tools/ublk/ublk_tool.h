/* SPDX-License-Identifier: MIT */
/* Shared declarations of the ublk runner. */
#ifndef UBLK_TOOL_H
#define UBLK_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <ublk/ublk.h>

#define NULL_DEFAULT_SIZE (250ULL << 30)
#define DEFAULT_QUEUES 1
#define DEFAULT_DEPTH 128
/* The driver's device ids: 0 .. 2^20 - 1 (UBLK_MAX_UBLKS, one per minor). */
#define MAX_DEV_ID ((1U << 20) - 1)
/* The largest device the block layer can size (i_size is a signed 64-bit). */
#define MAX_DEV_SIZE ((uint64_t)INT64_MAX & ~511ULL)
/* How long `add` waits for the daemon to report the device live. */
#define START_TIMEOUT_MS 30000
/* How long `del` waits for the kernel to release a device. */
#define DEL_TIMEOUT_MS 10000

/* CLOCK_MONOTONIC in milliseconds: for time limits. */
static inline long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* `ublk add` options. */
struct add_opts {
	const char *target;
	int32_t id; /* -1: the kernel chooses */
	uint16_t nr_queues;
	uint16_t depth;
	uint64_t size; /* 0: the target's default */
	const char *file;
	const char *uri; /* nbd: the server's NBD URI */
	bool buffered;
	bool foreground;
	bool user_recovery; /* -r 1: the device outlives its daemon */
	bool reissue;       /* -i 1: ... and requests in flight are sent again */
	bool fail_io;       /* -e 1: ... and IO fails while no daemon serves it */
	bool take_over;     /* `recover`: take over device @id, do not add one */
};

/* add_opts.c: fill @o from the command line; one error line on bad input. */
int parse_add_opts(int argc, char **argv, struct add_opts *o);
/* The UBLK_FEAT_* flags of @o's recovery options. */
uint64_t recovery_flags(const struct add_opts *o);
/* The recovery option ("-r", "-i", "-e") that asks for one such flag. */
const char *recovery_option(uint64_t feature);

/* The options of `add` that only some targets take. */
enum target_opt {
	TARGET_OPT_FILE = 1 << 0,     /* -f FILE */
	TARGET_OPT_URI = 1 << 1,      /* --uri URI */
	TARGET_OPT_SIZE = 1 << 2,     /* -s SIZE */
	TARGET_OPT_BUFFERED = 1 << 3, /* --buffered */
};

/* A target: what serves the requests of a device. */
struct target {
	const struct target_ops *ops;
	void *priv; /* the target's own data, set by its probe() */
};

struct dev_record;

struct target_ops {
	const char *name;
	/* UBLK_FEAT_* the target asks for; the driver grants what it has. */
	uint64_t flags;
	/* How its queues serve requests (see queue_init() for their data). */
	const struct ublk_queue_ops *queue_ops;
	/* The TARGET_OPT_* it takes, and those of them it cannot do without. */
	unsigned int accepts, needs;
	/*
	 * Optional: open or reach the backend and learn what it offers, into
	 * t->priv. Nothing exists in the kernel yet: on failure, print one
	 * line and return a negative errno, with nothing left to clean up.
	 */
	int (*probe)(struct target *t, const struct add_opts *o);
	/* The device parameters, from what probe() found and @o; one line on refusal. */
	int (*fill_params)(const struct target *t, const struct add_opts *o,
			   struct ublk_dev_params *p);
	/* Optional: what the device's record names (backing file, URI). */
	void (*record)(const struct target *t, struct dev_record *rec);
	/* Optional: free what probe() set up. */
	void (*cleanup)(struct target *t);
	/*
	 * Optional, per queue, on the queue's thread. queue_init() runs
	 * before ublk_queue_init() and may set *@qdata, the data the queue's
	 * ops get (t->priv by default); queue_start() runs once the queue is
	 * set up, before it serves; queue_exit() runs last, on every path,
	 * whenever queue_init() succeeded. A target whose own SQEs stay on the
	 * ring while it idles must end them once ublk_queue_done() would be
	 * true without them: the queue's serving loop waits for every one.
	 */
	int (*queue_init)(struct target *t, uint16_t q_id, void **qdata);
	int (*queue_start)(struct ublk_queue *q, void *qdata);
	void (*queue_exit)(void *qdata);
};

extern const struct target_ops null_target;
extern const struct target_ops loop_target;
extern const struct target_ops nbd_target;
/* targets.c */
const struct target_ops *target_find(const char *name);
/*
 * Whether @ops takes the options @o gives, and is given those it needs;
 * one error line if not.
 */
int target_check_opts(const struct target_ops *ops, const struct add_opts *o);
/* Probe t->ops's backend and fill @p; on failure nothing is left to clean up. */
int target_init(struct target *t, const struct add_opts *o, struct ublk_dev_params *p);
void target_cleanup(struct target *t);

/* log.c: "ublk: ..." on stderr, or to syslog once daemonized. */
void log_to_syslog(void);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send errors also to @fd (the start-up pipe), until log_set_report_fd(-1). */
void log_set_report_fd(int fd);

/*
 * nbd_uri.c: a strict check of an NBD URI (nbd://, nbds://, nbd+unix://,
 * nbds+unix://) before libnbd sees it: 0, or -EINVAL with the reason in
 * @why (@len bytes).
 */
int nbd_uri_check(const char *uri, char *why, size_t len);

/* parse.c: strict number and size parsing; 0 or -EINVAL / -ERANGE. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* A multiple of 512 up to MAX_DEV_SIZE; -ERANGE above it. */
int parse_size(const char *s, uint64_t *out);
/* A device id, 0..MAX_DEV_ID; prints one error line if it is not. */
int parse_dev_id(const char *s, uint32_t *out);

struct option;
/*
 * Print the error line for what getopt_long() just rejected: @c is what it
 * returned (':' or '?'), @at the optind before the call, @cmd the command.
 */
void log_bad_option(const char *cmd, int c, char **argv, int at,
		    const struct option *longopts);

/* json.c: a small JSON writer. */
struct json {
	FILE *f;
	int depth;
	bool need_comma;
};
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_key_string(struct json *j, const char *key, const char *val);
void json_key_int(struct json *j, const char *key, long long val);
void json_key_bool(struct json *j, const char *key, bool val);
void json_string(struct json *j, const char *val);

/*
 * record.c: what the daemon records of its device in the run directory:
 * what `list` shows and what `recover` needs to serve the device again.
 */
struct dev_record {
	char target[16];
	char file[4096]; /* backing file, or "" */
	char uri[4096];  /* NBD URI, or "" */
	uint64_t size;   /* -s as given, 0 for the target's default */
	bool buffered;
	long long pid;
};
const char *record_dir(void);
int record_write(uint32_t id, const struct dev_record *s);
int record_read(uint32_t id, struct dev_record *s);
void record_remove(uint32_t id);
/* Parse a record's text (exposed for tests). */
int record_parse(const char *text, struct dev_record *s);

/*
 * daemon_report.c: the start-up report of a background daemon, one line
 * each: to `add` or `recover` ("ID n", then "OK n" or "ERR message") and
 * to its supervisor ("ID n", then "READY").
 */
struct daemon_report {
	int start_fd;      /* to the starter, or -1: nobody listens */
	int supervisor_fd; /* to the supervisor, or -1 */
};
/*
 * fork() with a pipe for the child's report: @fds[1] is the child's end.
 * -1 after one error line, with nothing left open.
 */
pid_t fork_reporting_child(int fds[2]);
/* Device @id exists. */
void report_id(struct daemon_report rep, uint32_t id);
/* Device @id is live: tell both (or the user, in the foreground), and close. */
void report_ready(struct daemon_report rep, uint32_t id);
/* The start-up failed with @msg (log.c sends the first error line). */
void report_error(int fd, const char *msg);

enum report_kind { REPORT_ID, REPORT_OK, REPORT_ERR, REPORT_READY };
struct report_line {
	enum report_kind kind;
	uint32_t id;     /* REPORT_ID, REPORT_OK */
	const char *msg; /* REPORT_ERR: valid until the next fill */
};
struct report_reader {
	int fd;
	size_t start, len;
	char buf[1200];
};
void report_reader_init(struct report_reader *r, int fd);
/* One read(): 1 if it read something, 0 at the end of the pipe, or -errno. */
int report_reader_fill(struct report_reader *r);
/* The next whole line read, parsed; false if there is none yet. */
bool report_reader_next(struct report_reader *r, struct report_line *line);

/* daemon.c: create (or recover) and serve a device; returns the exit status. */
int daemon_run(struct target *t, const struct add_opts *o,
	       const struct ublk_dev_params *p, struct daemon_report rep);
/* The signals that stop the daemon and delete its device, alone in @set. */
void daemon_stop_signals(sigset_t *set);

/*
 * spawn.c: run the daemon in the background under a supervisor, wait
 * (bounded) for its report and print it; returns the exit status. A
 * device added on the way is removed again if the start fails.
 */
int spawn_daemon(struct target *t, const struct add_opts *o,
		 const struct ublk_dev_params *p);

/*
 * supervisor.c: fork the daemon and wait for it; when it dies leaving its
 * device behind, delete the device unless the device can be recovered.
 * Returns the daemon's exit status (128 + signal if it was killed).
 */
int supervise(struct target *t, const struct add_opts *o,
	      const struct ublk_dev_params *p, int start_fd);


/* cmd_common.c: what the commands acting on devices share. */
struct dev_cmd_opts {
	int64_t id; /* -n ID, or -1 */
	bool all;   /* --all */
	bool json;  /* --json */
};
/*
 * Parse @cmd's options, a subset of -n ID ('n'), --all ('a') and --json
 * ('j'); print one error line and fail on anything else.
 */
int parse_dev_cmd(const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, struct dev_cmd_opts *o);
/* Open the control device; print one error line if it cannot be. */
int open_control(struct ublk_ctrl **ctrl);
/* The error line for @err (a negative errno) of a command on device @id. */
void log_dev_error(uint32_t id, int err);
/* The ids of all devices, in a malloc'd array; the count. */
int list_device_ids(uint32_t **ids);

/* The subcommands. */
int cmd_add(int argc, char **argv);
int cmd_del(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_recover(int argc, char **argv);

#endif
