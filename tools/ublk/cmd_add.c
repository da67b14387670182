// SPDX-License-Identifier: MIT
/*
 * `ublk add`: check the options and the target, then start the serving
 * daemon in the background (spawn.c), or run it in the foreground.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ublk_tool.h"

/* Recovery modes the driver lacks fail here, before anything is created. */
static int check_recovery(const struct add_opts *o)
{
	struct ublk_ctrl *ctrl;
	uint64_t features, missing, first;

	if (!o->user_recovery || ublk_ctrl_open(&ctrl))
		return 0;
	/* Before Linux 6.5 the driver cannot say: the daemon checks what it granted. */
	missing = ublk_ctrl_get_features(ctrl, &features) ? 0 : recovery_flags(o) & ~features;
	ublk_ctrl_close(ctrl);
	if (!missing)
		return 0;
	first = missing & -missing;
	log_err("the ublk driver lacks %s, needed by %s 1",
		ublk_feature_name((unsigned int)__builtin_ctzll(first)), recovery_option(first));
	return -EOPNOTSUPP;
}

int cmd_add(int argc, char **argv)
{
	struct ublk_dev_params params = { 0 };
	struct target t = { 0 };
	struct add_opts o;
	int ret;

	if (parse_add_opts(argc, argv, &o))
		return 1;
	t.ops = target_find(o.target);
	if (!t.ops) {
		log_err("unknown target '%s' (known: null, loop, nbd)", o.target);
		return 1;
	}
	if (access("/dev/ublk-control", F_OK)) {
		log_err("/dev/ublk-control: %s (is the ublk_drv module loaded?)", strerror(errno));
		return 1;
	}
	if (check_recovery(&o))
		return 1;
	if (target_check_opts(t.ops, &o) || target_init(&t, &o, &params))
		return 1;

	if (o.foreground) {
		struct daemon_report rep = { .start_fd = -1, .supervisor_fd = -1 };

		ret = daemon_run(&t, &o, &params, rep);
	} else {
		ret = spawn_daemon(&t, &o, &params);
	}
	target_cleanup(&t);
	return ret;
}
