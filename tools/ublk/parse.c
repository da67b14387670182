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

/* "4096", "512K", "250G", "1T" (binary units); a multiple of 512 bytes. */
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
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	v <<= shift;
	if (!v || v % 512)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { OPT_BUFFERED = 256, OPT_FOREGROUND };

static const struct option add_options[] = {
	{ "type", required_argument, NULL, 't' },
	{ "number", required_argument, NULL, 'n' },
	{ "queues", required_argument, NULL, 'q' },
	{ "depth", required_argument, NULL, 'd' },
	{ "size", required_argument, NULL, 's' },
	{ "file", required_argument, NULL, 'f' },
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
	int c;

	memset(o, 0, sizeof(*o));
	o->id = -1;
	o->nr_queues = DEFAULT_QUEUES;
	o->depth = DEFAULT_DEPTH;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:n:q:d:s:f:r:i:e:", add_options, NULL)) != -1) {
		switch (c) {
		case 't':
			o->target = optarg;
			break;
		case 'n':
			if (parse_u32(optarg, 0, INT32_MAX - 1, &v)) {
				log_err("invalid device id '%s'", optarg);
				return -EINVAL;
			}
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
			if (parse_size(optarg, &o->size)) {
				log_err("invalid size '%s': need a positive multiple of 512 bytes (suffixes K, M, G, T)",
					optarg);
				return -EINVAL;
			}
			break;
		case 'f':
			o->file = optarg;
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
		case ':':
			log_err("option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			log_err("unknown option '%s' for add", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s' for add", argv[optind]);
		return -EINVAL;
	}
	if (!o->target) {
		log_err("add needs a target: -t null|loop");
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
