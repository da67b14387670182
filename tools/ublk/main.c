// SPDX-License-Identifier: MIT
/* ublk: create, list and delete userspace block devices served by libublk. */
#include <stdio.h>
#include <string.h>

#include "ublk_tool.h"

static const char usage[] =
	"Usage: ublk COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  add -t null|loop|nbd [-n ID] [-q QUEUES] [-d DEPTH] [-s SIZE]\n"
	"      [-f FILE] [--buffered] [--uri URI] [-r 0|1 [-i 0|1 | -e 0|1]]\n"
	"      [--foreground]\n"
	"                     create a device and serve it in the background\n"
	"  del -n ID | --all  stop and delete devices\n"
	"  recover -n ID      serve again a device (added with -r 1) whose\n"
	"                     daemon died\n"
	"  list [-n ID] [--json]\n"
	"                     show devices\n"
	"  features           show the ublk driver's features\n"
	"  help               show this text\n"
	"  version            show the version\n"
	"\n"
	"See ublk(8).\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "add", cmd_add },
	{ "del", cmd_del },
	{ "list", cmd_list },
	{ "features", cmd_features },
	{ "recover", cmd_recover },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		log_err("no command given (try 'ublk help')");
		return 1;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("ublk %d.%d\n", UBLK_VERSION_MAJOR, UBLK_VERSION_MINOR);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	log_err("unknown command '%s' (try 'ublk help')", argv[1]);
	return 1;
}
