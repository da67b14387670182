// SPDX-License-Identifier: MIT
/*
 * run: the daemon. Everything is checked before any device changes; then
 * the devices are switched, follow the CPUs, and are restored on SIGTERM,
 * SIGINT or SIGHUP.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cfm-tool.h"

/* Policy counters alone reach the state file at most this often. */
#define STATE_PERIOD_NS 1000000000ull

struct daemon {
	const struct tool_opts *o;
	struct cfm_gov *gov;
	char *state;			/* NULL: none kept (dry run) */
	bool state_failed;
	bool state_dirty;		/* policy counters moved since saved */
	uint64_t state_saved_ns;
	uint64_t *seen;
};

static void save_state(struct daemon *d, uint64_t now)
{
	int ret;

	if (!d->state)
		return;
	ret = tool_state_write(d->state, d->gov);
	/* Only status needs it: say so once and go on. */
	if (ret && !d->state_failed)
		tool_err("%s: %s (status will show no counts)", d->state,
			 strerror(-ret));
	d->state_failed = ret != 0;
	d->state_dirty = false;
	d->state_saved_ns = now;
}

/* Re-read as told, decide, write. Returns 0, or -1 on error. */
static int step(struct daemon *d, bool reread, uint64_t *next)
{
	int changed = reread ? cfm_gov_refresh(d->gov) : 0;
	uint64_t now = tool_now_ns();
	int n = 0;

	if (changed)
		d->state_dirty = true;
	/* Nothing new and nothing due: no decision to make. */
	if (!reread || changed || *next <= now) {
		n = cfm_gov_evaluate(d->gov, now, next);
		if (n < 0) {
			tool_lib_err();
			return -1;
		}
	}
	if (n && (d->o->dry_run || d->o->verbose))
		tool_print_decisions(d->gov, d->seen, !d->o->dry_run);
	if (n || (d->state_dirty && now - d->state_saved_ns >= STATE_PERIOD_NS))
		save_state(d, now);
	return 0;
}

static int follow(struct daemon *d, struct tool_events *ev)
{
	uint64_t next = UINT64_MAX;
	int ret;

	if (step(d, false, &next))
		return -1;
	for (;;) {
		ret = tool_events_wait(ev, next);
		if (ret == -1)
			return 0;
		if (ret == -2) {
			tool_err("ppoll: %s", strerror(errno));
			return -1;
		}
		if (step(d, ret == 1, &next))
			return -1;
	}
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cmd_run(const struct tool_opts *o)
{
	struct daemon d = { .o = o };
	struct cfm_config *cfg = NULL;
	struct tool_events *ev = NULL;
	int sigfd = -1, ret = 1;

	if (tool_load(o, &cfg) || tool_open_gov(o, cfg, o->dry_run, &d.gov))
		goto out;
	d.seen = calloc(cfm_gov_nr_devices(d.gov) + 1, sizeof(*d.seen));
	d.state = o->dry_run ? NULL : tool_state_path(o);
	if (!d.seen || (!o->dry_run && !d.state)) {
		tool_err("out of memory");
		goto out;
	}
	/* Block first: a signal during start must still restore. */
	sigfd = block_signals();
	if (sigfd < 0) {
		tool_err("signalfd: %s", strerror(errno));
		goto out;
	}
	ev = tool_events_open(o, sigfd);
	if (!ev) {
		tool_err("out of memory");
		goto out;
	}
	if (cfm_gov_start(d.gov)) {
		tool_lib_err();
		goto out;
	}
	tool_log("following %u policies for %u devices%s",
		 cfm_gov_nr_policies(d.gov), cfm_gov_nr_devices(d.gov),
		 o->dry_run ? " (dry run: writing nothing)" : "");
	ret = follow(&d, ev) ? 1 : 0;
	if (cfm_gov_restore(d.gov)) {
		tool_lib_err();
		ret = 1;
	} else if (!o->dry_run) {
		tool_log("restored %u devices", cfm_gov_nr_devices(d.gov));
	}
	if (d.state)
		tool_state_remove(d.state);
out:
	tool_events_close(ev);
	if (sigfd >= 0)
		close(sigfd);
	free(d.state);
	free(d.seen);
	cfm_gov_close(d.gov);
	cfm_config_free(cfg);
	return ret;
}
