// SPDX-License-Identifier: MIT
/* cpufreq-map: options and subcommand dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm-tool.h"

static const char usage_text[] =
	"Usage: " TOOL_NAME " [OPTION]... COMMAND\n"
	"Drive devfreq devices from the CPU frequencies through mapping tables.\n"
	"\n"
	"Commands:\n"
	"  run       follow the CPUs until SIGTERM or SIGINT, then restore\n"
	"  apply     evaluate once, write the targets and exit\n"
	"  show      print each device's table\n"
	"  status    print policies, devices, targets and transition counts\n"
	"\n"
	"Options:\n"
	"  --sysfs-root DIR      root of sysfs and /proc paths (default /)\n"
	"  --dtb FILE            read the tables from a .dtb or .dtbo\n"
	"  --device-tree DIR     live tree (default ROOT/proc/device-tree)\n"
	"  --config FILE         read the tables from a text configuration\n"
	"  -n, --dry-run         decide and print, write nothing\n"
	"  -i, --interval MS     polling interval (default 20)\n"
	"      --hold-down MS    wait before stepping a device down (default 0)\n"
	"      --min-interval MS minimum time between writes (default 0)\n"
	"      --poll            poll even where the tracepoint is usable\n"
	"      --state-file FILE daemon state (default ROOT/run/cpufreq-map/state)\n"
	"  -v, --verbose         log every write\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show the version\n"
	"\n"
	"See cpufreq-map(8).\n";

enum {
	OPT_SYSFS_ROOT = 256,
	OPT_DTB,
	OPT_DEVICE_TREE,
	OPT_CONFIG,
	OPT_HOLD_DOWN,
	OPT_MIN_INTERVAL,
	OPT_POLL,
	OPT_STATE_FILE,
};

static const struct option long_opts[] = {
	{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
	{ "dtb", required_argument, NULL, OPT_DTB },
	{ "device-tree", required_argument, NULL, OPT_DEVICE_TREE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "interval", required_argument, NULL, 'i' },
	{ "hold-down", required_argument, NULL, OPT_HOLD_DOWN },
	{ "min-interval", required_argument, NULL, OPT_MIN_INTERVAL },
	{ "poll", no_argument, NULL, OPT_POLL },
	{ "state-file", required_argument, NULL, OPT_STATE_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	int (*fn)(const struct tool_opts *o);
} commands[] = {
	{ "run", cmd_run },
	{ "apply", cmd_apply },
	{ "show", cmd_show },
	{ "status", cmd_status },
};

static int parse_ms(const char *opt, const char *s, uint32_t min, uint32_t *v)
{
	char *end;
	unsigned long n;

	if (s[0] < '0' || s[0] > '9')
		goto bad;
	n = strtoul(s, &end, 10);
	if (*end || n > 3600000 || n < min)
		goto bad;
	*v = (uint32_t)n;
	return 0;
bad:
	tool_err("%s: expected milliseconds from %u to 3600000, got '%s'", opt,
		 min, s);
	return -1;
}

int main(int argc, char **argv)
{
	struct tool_opts o = { .sysfs_root = "/", .interval_ms = 20 };
	unsigned int i;
	int c;

	while ((c = getopt_long(argc, argv, "ni:vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_SYSFS_ROOT:
			o.sysfs_root = optarg;
			break;
		case OPT_DTB:
			o.dtb = optarg;
			break;
		case OPT_DEVICE_TREE:
			o.device_tree = optarg;
			break;
		case OPT_CONFIG:
			o.config = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'i':
			if (parse_ms("--interval", optarg, 1, &o.interval_ms))
				return EXIT_USAGE;
			break;
		case OPT_HOLD_DOWN:
			if (parse_ms("--hold-down", optarg, 0, &o.hold_down_ms))
				return EXIT_USAGE;
			break;
		case OPT_MIN_INTERVAL:
			if (parse_ms("--min-interval", optarg, 0,
				     &o.min_interval_ms))
				return EXIT_USAGE;
			break;
		case OPT_POLL:
			o.force_poll = true;
			break;
		case OPT_STATE_FILE:
			o.state_file = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf(TOOL_NAME " %s\n", cfm_version());
			return 0;
		default:
			fputs("Try '" TOOL_NAME " --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		tool_err(optind == argc ? "no command given" : "one command only");
		fputs("Try '" TOOL_NAME " --help'.\n", stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(&o);
	tool_err("unknown command '%s'", argv[optind]);
	fputs("Try '" TOOL_NAME " --help'.\n", stderr);
	return EXIT_USAGE;
}
