// SPDX-License-Identifier: MIT
/* Command-line parsing: strict numbers, sizes and ids; getopt's rejections. */
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
