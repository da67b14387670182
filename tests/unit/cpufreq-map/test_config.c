// SPDX-License-Identifier: MIT
/* Description: the text configuration: what it accepts and each error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpufreq-map/cpufreq-map.h"
#include "t_cfm.h"

static void test_valid(void)
{
	static const char text[] =
		"# two devices\n"
		"device l3   # trailing comment\n"
		"\ttable cpu 0\n"
		"\t\t300000 300000000\r\n"
		"\t\t1800000 1200000000\n"
		"\ttable cpu 4\n"
		"\t\t500000 400000000\n"
		"\tmin-freq 300000000\n"
		"\tmax-freq 1000000000\n"
		"\thold-down-ms 50\n"
		"\tmin-interval-ms 0\n"
		"\n"
		"device ddr\n"
		"table\n"
		"100 5000000000\n"
		"device bus";
	const struct cfm_map *m;
	const struct cfm_table *t;
	struct cfm_config *cfg;
	struct cfm_limits lim;
	unsigned int cpu;

	T_EQ_INT(cfm_config_new(&cfg), 0);
	T_EQ_INT(cfm_config_load_text(cfg, "a.conf", text, strlen(text)), 0);
	T_EQ_INT(cfm_config_nr_maps(cfg), 3);

	m = cfm_config_get_map(cfg, 0);
	T_EQ_STR(cfm_map_device_name(m), "l3");
	T_EQ_STR(cfm_map_origin(m), "a.conf:2");
	T_EQ_INT(cfm_map_target_node(m) == NULL, 1);
	T_EQ_INT(cfm_map_common_table(m) == NULL, 1);
	T_EQ_INT(cfm_map_nr_cpu_tables(m), 2);
	t = cfm_map_cpu_table(m, 1, &cpu);
	T_EQ_INT(cpu, 4);
	T_EQ_INT(t->nr, 1);
	T_EQ_U64(t->entries[0].cpu_khz, 500000);
	T_EQ_U64(t->entries[0].dev_freq, 400000000);
	t = cfm_map_cpu_table(m, 0, &cpu);
	T_EQ_INT(cpu, 0);
	T_EQ_INT(t->nr, 2);
	T_EQ_U64(t->entries[1].dev_freq, 1200000000);
	T_EQ_INT(cfm_map_cpu_table(m, 2, &cpu) == NULL, 1);
	cfm_map_get_limits(m, &lim);
	T_EQ_U64(lim.min_freq, 300000000);
	T_EQ_U64(lim.max_freq, 1000000000);
	T_EQ_U64(lim.hold_down_ms, 50);
	T_EQ_U64(lim.min_interval_ms, 0);

	m = cfm_config_get_map(cfg, 1);
	T_EQ_STR(cfm_map_device_name(m), "ddr");
	t = cfm_map_common_table(m);
	T_EQ_INT(t != NULL, 1);
	if (t)
		T_EQ_U64(t->entries[0].dev_freq, 5000000000ull);	/* > 32 bits */
	cfm_map_get_limits(m, &lim);
	T_EQ_U64(lim.hold_down_ms, CFM_UNSET);
	T_EQ_U64(lim.min_freq, 0);

	m = cfm_config_get_map(cfg, 2);
	T_EQ_STR(cfm_map_device_name(m), "bus");
	T_EQ_INT(cfm_map_common_table(m) == NULL && !cfm_map_nr_cpu_tables(m), 1);
	T_EQ_INT(cfm_config_get_map(cfg, 3) == NULL, 1);

	/* A second source naming the same device is refused, adding nothing. */
	T_EQ_INT(cfm_config_load_text(cfg, "b.conf", "device x\ndevice l3\n", 19),
		 -EEXIST);
	T_EQ_STR(cfm_last_error(), "b.conf:2: device l3 already mapped at a.conf:2");
	T_EQ_INT(cfm_config_nr_maps(cfg), 3);
	cfm_config_free(cfg);
}

static const struct {
	const char *text;
	const char *error;
} bad[] = {
	{ "", "c.conf: no device configured" },
	{ "# nothing\n\n", "c.conf: no device configured" },
	{ "table\n", "c.conf:1: 'table' outside a device" },
	{ "300000 1\n", "c.conf:1: table row outside a table" },
	{ "device a\n300000 1\n", "c.conf:2: table row outside a table" },
	{ "min-freq 1\n", "c.conf:1: 'min-freq' outside a device" },
	{ "device\n", "c.conf:1: expected: device NAME" },
	{ "device a b\n", "c.conf:1: expected: device NAME" },
	{ "device a/b\n", "c.conf:1: invalid device name 'a/b'" },
	{ "device ..\n", "c.conf:1: invalid device name '..'" },
	{ "device a\ndevice a\n", "c.conf:2: device 'a' already configured at c.conf:1" },
	{ "device a\nfrobnicate 1\n", "c.conf:2: unknown keyword 'frobnicate'" },
	{ "device a\ntable\n", "c.conf:2: empty table" },
	{ "device a\ntable\ntable cpu 0\n1 1\n", "c.conf:2: empty table" },
	{ "device a\ntable cpu 0\n1 1\nmin-freq 5\ntable cpu 1\n", "c.conf:5: empty table" },
	{ "device a\ntable\n1 1\ntable\n", "c.conf:4: second common table" },
	{ "device a\ntable cpu 0\n1 1\ntable cpu 0\n", "c.conf:4: second table for cpu 0" },
	{ "device a\ntable cpu 0\n1 1\ntable\n", "c.conf:4: common table after per-CPU tables" },
	{ "device a\ntable\n1 1\ntable cpu 0\n", "c.conf:4: per-CPU table after the common table" },
	{ "device a\ntable cpu\n", "c.conf:2: expected: table [cpu N]" },
	{ "device a\ntable cluster 0\n", "c.conf:2: expected: table [cpu N]" },
	{ "device a\ntable cpu x\n", "c.conf:2: not a number: 'x'" },
	{ "device a\ntable cpu 65536\n", "c.conf:2: number out of range: '65536'" },
	{ "device a\ntable\n300000\n", "c.conf:3: expected two numbers: CPU kHz and device Hz" },
	{ "device a\ntable\n300000 1 2\n", "c.conf:3: expected two numbers: CPU kHz and device Hz" },
	{ "device a\ntable\n300000 1x\n", "c.conf:3: not a number: '1x'" },
	{ "device a\ntable\n3e5 1\n", "c.conf:3: not a number: '3e5'" },
	{ "device a\ntable\n300000 -1\n", "c.conf:3: not a number: '-1'" },
	{ "device a\ntable\n4294967296 1\n", "c.conf:3: number out of range: '4294967296'" },
	{ "device a\ntable\n1 18446744073709551616\n", "c.conf:3: number out of range: '18446744073709551616'" },
	{ "device a\ntable\n0 100\n", "c.conf:3: zero frequency" },
	{ "device a\ntable\n100 0\n", "c.conf:3: zero frequency" },
	{ "device a\ntable\n200 1\n100 2\n", "c.conf:4: CPU frequencies not ascending (100 after 200)" },
	{ "device a\ntable\n200 1\n200 2\n", "c.conf:4: CPU frequencies not ascending (200 after 200)" },
	{ "device a\nmin-freq 0\n", "c.conf:2: zero frequency" },
	{ "device a\nmax-freq\n", "c.conf:2: expected: max-freq VALUE" },
	{ "device a\nmin-freq 9\nmax-freq 8\n", "c.conf:1: min-freq above max-freq" },
	{ "device a\nhold-down-ms 4294967295\n", "c.conf:2: number out of range: '4294967295'" },
	{ "device a\ntable\n1 2 3 4 5\n", "c.conf:3: too many words" },
	{ "device a\0\n", "c.conf:1: NUL byte in line" },
};

static void test_errors(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfm_config *cfg;
		/* The NUL case is one byte longer than strlen() sees. */
		size_t len = strlen(bad[i].text) + (strstr(bad[i].error, "NUL") ? 2 : 0);
		int ret;

		cfm_config_new(&cfg);
		ret = cfm_config_load_text(cfg, "c.conf", bad[i].text, len);
		if (ret >= 0)
			fprintf(stderr, "case %u accepted\n", i);
		T_EQ_INT(ret < 0, 1);
		T_EQ_STR(cfm_last_error(), bad[i].error);
		/* A failed load leaves the configuration as it was. */
		T_EQ_INT(cfm_config_nr_maps(cfg), 0);
		cfm_config_free(cfg);
	}
}

static void test_file(void)
{
	struct cfm_config *cfg;
	char *root = t_tree_new(), *path;

	cfm_config_new(&cfg);
	if (asprintf(&path, "%s/missing.conf", root) < 0)
		exit(T_EXIT_FAIL);
	T_EQ_INT(cfm_config_load_file(cfg, path), -ENOENT);
	T_EQ_INT(strstr(cfm_last_error(), "/missing.conf: No such file or directory") != NULL, 1);
	t_write(root, "ok.conf", "device gpu\n");
	free(path);
	if (asprintf(&path, "%s/ok.conf", root) < 0)
		exit(T_EXIT_FAIL);
	T_EQ_INT(cfm_config_load_file(cfg, path), 0);
	T_EQ_INT(cfm_config_nr_maps(cfg), 1);
	free(path);
	cfm_config_free(cfg);
	t_tree_free(root);
}

int main(void)
{
	test_valid();
	test_errors();
	test_file();
	return T_EXIT();
}
