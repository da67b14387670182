// SPDX-License-Identifier: MIT
/* Command-line parsing for `ublk add`: strict numbers, sizes, ranges. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ublk_tool.h"

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/*
 * "4096", "512K", "250G", "1T" (binary units); a multiple of 512 bytes, at
 * most MAX_DEV_SIZE.
 */
int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -EINVAL;
	if (v > (MAX_DEV_SIZE >> shift))
		return -ERANGE;
	v <<= shift;
	if (!v || v % 512)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_dev_id(const char *s, uint32_t *out)
{
	if (parse_u32(s, 0, MAX_DEV_ID, out)) {
		log_err("invalid device id '%s': must be 0..%u", s, MAX_DEV_ID);
		return -EINVAL;
	}
	return 0;
}

/* Whether @name (@len bytes) abbreviates more than one long option. */
static bool ambiguous(const struct option *longopts, const char *name, size_t len)
{
	int n = 0;

	for (const struct option *o = longopts; o->name; o++) {
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return false; /* an exact match */
		n += !strncmp(o->name, name, len);
	}
	return n > 1;
}

void log_bad_option(const char *cmd, int c, char **argv, int at,
		    const struct option *longopts)
{
	/*
	 * getopt_long() has moved past the element it rejected, unless it
	 * stopped inside a group of short options (-Zq): then it is argv[optind].
	 */
	const char *arg = optind > at ? argv[optind - 1] : argv[optind];
	int len;

	if (strncmp(arg, "--", 2)) {
		if (c == ':')
			log_err("option '-%c' needs a value", optopt);
		else
			log_err("unknown option '-%c' for %s", optopt, cmd);
		return;
	}
	len = (int)strcspn(arg, "=");
	if (c == ':')
		log_err("option '%.*s' needs a value", len, arg);
	else if (optopt) /* a known option given a value it does not take */
		log_err("option '%.*s' takes no value", len, arg);
	else if (ambiguous(longopts, arg + 2, (size_t)len - 2))
		log_err("ambiguous option '%.*s' for %s", len, arg, cmd);
	else
		log_err("unknown option '%.*s' for %s", len, arg, cmd);
}

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

uint64_t recovery_flags(const struct add_opts *o)
{
	if (!o->recovery)
		return 0;
	return UBLK_FEAT_USER_RECOVERY |
	       (o->reissue ? UBLK_FEAT_USER_RECOVERY_REISSUE : 0) |
	       (o->fail_io ? UBLK_FEAT_USER_RECOVERY_FAIL_IO : 0);
}

/* Fill @o from the command line; print one error line and fail on bad input. */
int parse_add_opts(int argc, char **argv, struct add_opts *o)
{
	uint32_t v;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->id = -1;
	o->nr_queues = DEFAULT_QUEUES;
	o->depth = DEFAULT_DEPTH;

	optind = 1;
	opterr = 0;
	for (int at = optind;
	     (c = getopt_long(argc, argv, ":t:n:q:d:s:f:r:i:e:", add_options, NULL)) != -1;
	     at = optind) {
		switch (c) {
		case 't':
			o->target = optarg;
			break;
		case 'n':
			if (parse_dev_id(optarg, &v))
				return -EINVAL;
			o->id = (int32_t)v;
			break;
		case 'q':
			if (parse_u32(optarg, 1, UBLK_MAX_QUEUES, &v)) {
				log_err("invalid number of queues '%s': must be 1..%u",
					optarg, UBLK_MAX_QUEUES);
				return -EINVAL;
			}
			o->nr_queues = (uint16_t)v;
			break;
		case 'd':
			if (parse_u32(optarg, 1, UBLK_MAX_DEPTH, &v)) {
				log_err("invalid queue depth '%s': must be 1..%u",
					optarg, UBLK_MAX_DEPTH);
				return -EINVAL;
			}
			o->depth = (uint16_t)v;
			break;
		case 's':
			ret = parse_size(optarg, &o->size);
			if (ret == -ERANGE) {
				log_err("invalid size '%s': larger than %llu bytes", optarg,
					(unsigned long long)MAX_DEV_SIZE);
				return -EINVAL;
			}
			if (ret) {
				log_err("invalid size '%s': need a positive multiple of 512 bytes (suffixes K, M, G, T)",
					optarg);
				return -EINVAL;
			}
			break;
		case 'f':
			if (!*optarg) {
				log_err("option '-f' needs a file name, not ''");
				return -EINVAL;
			}
			o->file = optarg;
			break;
		case OPT_URI:
			if (!*optarg) {
				log_err("option '--uri' needs an NBD URI, not ''");
				return -EINVAL;
			}
			o->uri = optarg;
			break;
		case OPT_BUFFERED:
			o->buffered = true;
			break;
		case OPT_FOREGROUND:
			o->foreground = true;
			break;
		case 'r':
			if (parse_switch("-r", optarg, &o->recovery))
				return -EINVAL;
			break;
		case 'i':
			if (parse_switch("-i", optarg, &o->reissue))
				return -EINVAL;
			break;
		case 'e':
			if (parse_switch("-e", optarg, &o->fail_io))
				return -EINVAL;
			break;
		default:
			log_bad_option("add", c, argv, at, add_options);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s' for add", argv[optind]);
		return -EINVAL;
	}
	if (!o->target) {
		log_err("add needs a target: -t null|loop|nbd");
		return -EINVAL;
	}
	if ((o->reissue || o->fail_io) && !o->recovery) {
		log_err("%s 1 needs user recovery: add -r 1", o->reissue ? "-i" : "-e");
		return -EINVAL;
	}
	if (o->reissue && o->fail_io) {
		log_err("-i 1 and -e 1 exclude each other: requests are either held and sent again, or failed");
		return -EINVAL;
	}
	return 0;
}
