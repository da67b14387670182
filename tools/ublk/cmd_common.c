// SPDX-License-Identifier: MIT
/*
 * What the commands that act on devices share: their options (-n ID,
 * --all, --json), the control device, the error line for a device, and the
 * list of device ids.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ublk_tool.h"

int parse_dev_cmd(const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, struct dev_cmd_opts *o)
{
	uint32_t id;
	int c;

	memset(o, 0, sizeof(*o));
	o->id = -1;
	optind = 1;
	opterr = 0;
	for (int at = optind; (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1;
	     at = optind) {
		switch (c) {
		case 'n':
			if (parse_dev_id(optarg, &id))
				return -EINVAL;
			o->id = id;
			break;
		case 'a':
			o->all = true;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			log_bad_option(cmd, c, argv, at, longopts);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s' for %s", argv[optind], cmd);
		return -EINVAL;
	}
	return 0;
}

int open_control(struct ublk_ctrl **ctrl)
{
	int ret = ublk_ctrl_open(ctrl);

	if (ret < 0)
		log_err("open /dev/ublk-control: %s", strerror(-ret));
	return ret;
}

void log_dev_error(uint32_t id, int err)
{
	if (err == -ENOENT || err == -ENODEV)
		log_err("device %u does not exist", id);
	else
		log_err("device %u: %s", id, strerror(-err));
}

int list_device_ids(uint32_t **idsp)
{
	uint32_t *ids = NULL;
	int n = 0;

	/* Devices may come and go between the calls: retry until it fits. */
	for (;;) {
		int got = ublk_ctrl_list(ids, (unsigned int)n);

		if (got < 0) {
			free(ids);
			return got;
		}
		if (got <= n) {
			*idsp = ids;
			return got;
		}
		n = got + 8;
		free(ids);
		ids = malloc((size_t)n * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
	}
}
