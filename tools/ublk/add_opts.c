// SPDX-License-Identifier: MIT
/* The options of `ublk add`, and the driver features its recovery options need. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "ublk_tool.h"

enum { OPT_BUFFERED = 256, OPT_FOREGROUND, OPT_URI };

static const struct option add_options[] = {
	{ "type", required_argument, NULL, 't' },
	{ "number", required_argument, NULL, 'n' },
	{ "queues", required_argument, NULL, 'q' },
	{ "depth", required_argument, NULL, 'd' },
	{ "size", required_argument, NULL, 's' },
	{ "file", required_argument, NULL, 'f' },
	{ "uri", required_argument, NULL, OPT_URI },
	{ "buffered", no_argument, NULL, OPT_BUFFERED },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "recovery", required_argument, NULL, 'r' },
	{ "recovery-reissue", required_argument, NULL, 'i' },
	{ "recovery-fail-io", required_argument, NULL, 'e' },
	{ NULL, 0, NULL, 0 },
};

/* The recovery options, each with the driver feature it asks for. */
static const struct {
	uint64_t feature;
	const char *opt;
} recovery_options[] = {
	{ UBLK_FEAT_USER_RECOVERY, "-r" },
	{ UBLK_FEAT_USER_RECOVERY_REISSUE, "-i" },
	{ UBLK_FEAT_USER_RECOVERY_FAIL_IO, "-e" },
};

uint64_t recovery_flags(const struct add_opts *o)
{
	if (!o->user_recovery)
		return 0;
	return UBLK_FEAT_USER_RECOVERY |
	       (o->reissue ? UBLK_FEAT_USER_RECOVERY_REISSUE : 0) |
	       (o->fail_io ? UBLK_FEAT_USER_RECOVERY_FAIL_IO : 0);
}

const char *recovery_option(uint64_t feature)
{
	for (size_t i = 0; i < sizeof(recovery_options) / sizeof(recovery_options[0]); i++)
		if (recovery_options[i].feature == feature)
			return recovery_options[i].opt;
	return "-r";
}

/* A 0|1 switch such as -r 1. */
static int parse_switch(const char *opt, const char *s, bool *out)
{
	uint32_t v;

	if (parse_u32(s, 0, 1, &v)) {
		log_err("invalid value '%s' for %s: must be 0 or 1", s, opt);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A count of 1..@max, such as the number of queues (@what). */
static int parse_count(const char *what, const char *s, uint32_t max, uint16_t *out)
{
	uint32_t v;

	if (parse_u32(s, 1, max, &v)) {
		log_err("invalid %s '%s': must be 1..%u", what, s, max);
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

/* The value of @opt, which names @what and cannot be empty. */
static int parse_name(const char *opt, const char *what, const char *s, const char **out)
{
	if (!*s) {
		log_err("option '%s' needs %s, not ''", opt, what);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

static int parse_dev_size(const char *s, uint64_t *out)
{
	int ret = parse_size(s, out);

	if (ret == -ERANGE)
		log_err("invalid size '%s': larger than %llu bytes", s,
			(unsigned long long)MAX_DEV_SIZE);
	else if (ret)
		log_err("invalid size '%s': need a positive multiple of 512 bytes (suffixes K, M, G, T)",
			s);
	return ret ? -EINVAL : 0;
}

/* Option @c (as getopt_long() returned it) with value @arg, into @o. */
static int set_option(struct add_opts *o, int c, const char *arg)
{
	uint32_t id;

	switch (c) {
	case 't':
		o->target = arg;
		return 0;
	case 'n':
		if (parse_dev_id(arg, &id))
			return -EINVAL;
		o->id = (int32_t)id;
		return 0;
	case 'q':
		return parse_count("number of queues", arg, UBLK_MAX_QUEUES, &o->nr_queues);
	case 'd':
		return parse_count("queue depth", arg, UBLK_MAX_DEPTH, &o->depth);
	case 's':
		return parse_dev_size(arg, &o->size);
	case 'f':
		return parse_name("-f", "a file name", arg, &o->file);
	case OPT_URI:
		return parse_name("--uri", "an NBD URI", arg, &o->uri);
	case OPT_BUFFERED:
		o->buffered = true;
		return 0;
	case OPT_FOREGROUND:
		o->foreground = true;
		return 0;
	case 'r':
		return parse_switch("-r", arg, &o->user_recovery);
	case 'i':
		return parse_switch("-i", arg, &o->reissue);
	case 'e':
		return parse_switch("-e", arg, &o->fail_io);
	}
	return -EINVAL;
}

/* What the options say together. */
static int check_combination(const struct add_opts *o)
{
	if (!o->target) {
		log_err("add needs a target: -t null|loop|nbd");
		return -EINVAL;
	}
	if ((o->reissue || o->fail_io) && !o->user_recovery) {
		log_err("%s 1 needs user recovery: add -r 1", o->reissue ? "-i" : "-e");
		return -EINVAL;
	}
	if (o->reissue && o->fail_io) {
		log_err("-i 1 and -e 1 exclude each other: requests are either held and sent again, or failed");
		return -EINVAL;
	}
	return 0;
}

int parse_add_opts(int argc, char **argv, struct add_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->id = -1;
	o->nr_queues = DEFAULT_QUEUES;
	o->depth = DEFAULT_DEPTH;

	optind = 1;
	opterr = 0;
	for (int at = optind;
	     (c = getopt_long(argc, argv, ":t:n:q:d:s:f:r:i:e:", add_options, NULL)) != -1;
	     at = optind) {
		if (c == ':' || c == '?') {
			log_bad_option("add", c, argv, at, add_options);
			return -EINVAL;
		}
		if (set_option(o, c, optarg))
			return -EINVAL;
	}
	if (optind < argc) {
		log_err("unexpected argument '%s' for add", argv[optind]);
		return -EINVAL;
	}
	return check_combination(o);
}
