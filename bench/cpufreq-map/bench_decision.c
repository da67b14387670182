// SPDX-License-Identifier: MIT
/*
 * Decision cost per update for 8 policies and 4 devices: the mapping
 * alone (cfm_map_target for each device), the governor's evaluation (dry
 * run, no I/O), and an update that also re-reads the 8 policies from a
 * fake sysfs tree. "--idle MS" instead sleeps in ppoll() every MS ms
 * forever: the cost of the wakeups alone, to compare the daemon with.
 */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpufreq-map/cpufreq-map.h"

#define NR_POL 8
#define NR_DEV 4

/* Two per-policy maps, one common table, one interpolated device. */
static const char config[] =
	"device dev0\n"
	"table cpu 0\n300000 100000000\n600000 200000000\n900000 300000000\n"
	"1200000 400000000\n1500000 500000000\n1800000 600000000\n"
	"table cpu 4\n500000 150000000\n1000000 300000000\n1500000 450000000\n"
	"2000000 600000000\n2400000 800000000\n"
	"device dev1\n"
	"table cpu 0\n300000 200000000\n1800000 800000000\n"
	"table cpu 2\n300000 200000000\n1800000 800000000\n"
	"table cpu 4\n500000 400000000\n2400000 1600000000\n"
	"table cpu 6\n500000 400000000\n2400000 1600000000\n"
	"device dev2\n"
	"table\n300000 300000\n422400 422400\n652800 499200\n883200 576000\n"
	"960000 960000\n1497600 1036800\n1574400 1574400\n1728000 1651200\n"
	"2649600 1728000\n"
	"device dev3\n"
	"min-freq 200000000\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[4096], *s;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) < 0 || close(fd)) {
		perror(path);
		exit(1);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* 8 single-CPU-pair policies (first CPUs 0, 1, ... 7) and 4 devices. */
static void make_tree(const char *root)
{
	char rel[256], text[64];
	int i;

	for (i = 0; i < NR_POL; i++) {
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpufreq/policy%d/related_cpus", i);
		snprintf(text, sizeof(text), "%d\n", i);
		put(root, rel, text);
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpufreq/policy%d/cpuinfo_min_freq", i);
		put(root, rel, i < 4 ? "300000\n" : "500000\n");
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpufreq/policy%d/cpuinfo_max_freq", i);
		put(root, rel, i < 4 ? "1800000\n" : "2400000\n");
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpufreq/policy%d/scaling_cur_freq", i);
		put(root, rel, "1000000\n");
	}
	for (i = 0; i < NR_DEV; i++) {
		static const char *const attrs[][2] = {
			{ "governor", "simple_ondemand\n" },
			{ "available_governors", "simple_ondemand userspace\n" },
			{ "available_frequencies", "100000000 800000000 1600000000\n" },
			{ "min_freq", "100000000\n" },
			{ "max_freq", "1600000000\n" },
			{ "userspace/set_freq", "undefined\n" },
		};
		unsigned int a;

		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			snprintf(rel, sizeof(rel), "sys/class/devfreq/dev%d/%s", i,
				 attrs[a][0]);
			put(root, rel, attrs[a][1]);
		}
	}
}

static _Noreturn void idle(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	for (;;)
		ppoll(NULL, 0, &ts, NULL);
}

int main(int argc, char **argv)
{
	long iters;
	struct cfm_policy pol[NR_POL];
	const struct cfm_map *maps[NR_DEV];
	struct cfm_gov_params params = { .flags = CFM_GOV_DRY_RUN };
	struct cfm_config *cfg;
	struct cfm_gov *gov;
	uint32_t khz[256];
	uint64_t sink = 0;
	char root[] = "/tmp/cfm-bench.XXXXXX";
	double t0, t;
	long i, io_iters;
	int p, d;

	if (argc > 2 && !strcmp(argv[1], "--idle"))
		idle(atol(argv[2]));
	iters = argc > 1 ? atol(argv[1]) : 10000000;
	io_iters = iters / 100 > 1000 ? iters / 100 : 1000;
	if (cfm_config_new(&cfg) ||
	    cfm_config_load_text(cfg, "bench", config, strlen(config))) {
		fprintf(stderr, "bench: %s\n", cfm_last_error());
		return 1;
	}
	for (d = 0; d < NR_DEV; d++)
		maps[d] = cfm_config_get_map(cfg, (unsigned int)d);
	for (i = 0; i < 256; i++)
		khz[i] = 300000 + (uint32_t)((i * 7919) % 2100000);
	for (p = 0; p < NR_POL; p++) {
		pol[p].first_cpu = (unsigned int)p;
		pol[p].min_khz = p < 4 ? 300000 : 500000;
		pol[p].max_khz = p < 4 ? 1800000 : 2400000;
	}

	/* One update: a policy changes, every device is decided again. */
	t0 = now_s();
	for (i = 0; i < iters; i++) {
		pol[i % NR_POL].cur_khz = khz[i & 255];
		for (d = 0; d < NR_DEV; d++)
			sink += cfm_map_target(maps[d], pol, NR_POL, 100000000,
					       1600000000);
	}
	t = now_s() - t0;
	printf("decision: %d policies, %d devices: %.1f ns per update (%ld updates)\n",
	       NR_POL, NR_DEV, t * 1e9 / (double)iters, iters);

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	make_tree(root);
	params.sysfs_root = root;
	if (cfm_gov_open(&gov, cfg, &params) || cfm_gov_start(gov)) {
		fprintf(stderr, "bench: %s\n", cfm_last_error());
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < iters; i++)
		sink += (uint64_t)cfm_gov_evaluate(gov, (uint64_t)i * 1000, NULL);
	t = now_s() - t0;
	printf("governor evaluation (dry run, no I/O): %.1f ns per update (%ld updates)\n",
	       t * 1e9 / (double)iters, iters);

	t0 = now_s();
	for (i = 0; i < io_iters; i++) {
		cfm_gov_refresh(gov);
		sink += (uint64_t)cfm_gov_evaluate(gov, (uint64_t)i * 1000, NULL);
	}
	t = now_s() - t0;
	printf("update with %d sysfs reads (fake tree, dry run): %.1f ns per update (%ld updates)\n",
	       NR_POL, t * 1e9 / (double)io_iters, io_iters);

	cfm_gov_close(gov);
	cfm_config_free(cfg);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	/* Keep the compiler from dropping the loops. */
	return sink == 1 ? 2 : 0;
}
