// SPDX-License-Identifier: MIT
/*
 * Description: the governor on a fake sysfs tree with explicit times: save,
 * switch and restore; writes only on change; clamps; hold-down; minimum
 * interval; min_freq control; dry run; errors before any change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpufreq-map/cpufreq-map.h"
#include "t_cfm.h"

#define MS 1000000ull
#define L3 "sys/class/devfreq/l3/"
#define DDR "sys/class/devfreq/ddr/"

static const char cfg_text[] =
	"device l3\n"
	"table cpu 0\n"
	"300000 100000000\n"
	"1800000 400000000\n"
	"table cpu 4\n"
	"500000 200000000\n"
	"2800000 800000000\n"
	"hold-down-ms 100\n"
	"device ddr\n"
	"min-interval-ms 50\n"
	"max-freq 1000000000\n";

static void make_tree(const char *root)
{
	t_policy(root, 0, "0 1 2 3", 300000, 1800000, 300000);
	t_policy(root, 4, "4 5 6 7", 500000, 2800000, 500000);
	t_devfreq(root, "l3", "simple_ondemand performance userspace powersave",
		  "100000000 200000000 400000000 800000000", 100000000, 800000000);
	/* No userspace governor, no frequency table: min_freq control. */
	t_devfreq(root, "ddr", "simple_ondemand performance", NULL, 200000000,
		  1600000000);
}

static struct cfm_config *load(const char *text)
{
	struct cfm_config *cfg;

	if (cfm_config_new(&cfg) ||
	    cfm_config_load_text(cfg, "t.conf", text, strlen(text))) {
		fprintf(stderr, "load: %s\n", cfm_last_error());
		exit(T_EXIT_FAIL);
	}
	return cfg;
}

static struct cfm_gov *open_gov(const char *root, struct cfm_config *cfg,
				unsigned int flags)
{
	struct cfm_gov_params p = { .sysfs_root = root, .flags = flags };
	struct cfm_gov *gov;

	if (cfm_gov_open(&gov, cfg, &p)) {
		fprintf(stderr, "open: %s\n", cfm_last_error());
		exit(T_EXIT_FAIL);
	}
	return gov;
}

static void set_cur(struct cfm_gov *gov, const char *root, unsigned int id,
		    uint32_t khz)
{
	t_set_cur(root, id, khz);
	T_EQ_INT(cfm_gov_refresh(gov), 1);
}

static void test_follow_and_restore(void)
{
	char *root = t_tree_new();
	struct cfm_config *cfg;
	struct cfm_gov *gov;
	struct cfm_device_info d;
	struct cfm_policy_info p;
	uint64_t next;

	make_tree(root);
	cfg = load(cfg_text);
	gov = open_gov(root, cfg, 0);

	T_EQ_INT(cfm_gov_nr_policies(gov), 2);
	T_EQ_INT(cfm_gov_policy_info(gov, 1, &p), 0);
	T_EQ_INT(p.id, 4);
	T_EQ_STR(p.related_cpus, "4 5 6 7");
	T_EQ_INT(p.policy.first_cpu, 4);
	T_EQ_U64(p.policy.cur_khz, 500000);
	T_EQ_U64(p.policy.max_khz, 2800000);
	T_EQ_INT(cfm_gov_policy_info(gov, 2, &p), -ERANGE);

	T_EQ_INT(cfm_gov_nr_devices(gov), 2);
	T_EQ_INT(cfm_gov_device_info(gov, 0, &d), 0);
	T_EQ_STR(d.name, "l3");
	T_EQ_INT(d.control, CFM_CONTROL_USERSPACE);
	T_EQ_STR(d.saved_governor, "simple_ondemand");
	T_EQ_U64(d.saved_min_freq, 100000000);
	T_EQ_U64(d.saved_max_freq, 800000000);
	T_EQ_U64(d.range_min, 100000000);
	T_EQ_U64(d.range_max, 800000000);
	T_EQ_INT(cfm_gov_device_info(gov, 1, &d), 0);
	T_EQ_STR(d.name, "ddr");
	T_EQ_INT(d.control, CFM_CONTROL_MIN_FREQ);
	T_EQ_U64(d.range_min, 200000000);	/* from min_freq/max_freq */
	T_EQ_U64(d.range_max, 1600000000);

	/* Opening changed nothing. */
	T_EQ_STR(t_read(root, L3 "governor"), "simple_ondemand");

	T_EQ_INT(cfm_gov_start(gov), 0);
	T_EQ_STR(t_read(root, L3 "governor"), "userspace");
	T_EQ_STR(t_read(root, DDR "governor"), "simple_ondemand");

	/* First evaluation writes everything. */
	T_EQ_INT(cfm_gov_evaluate(gov, 1000 * MS, &next), 2);
	T_EQ_U64(next, UINT64_MAX);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "200000000");
	T_EQ_STR(t_read(root, DDR "min_freq"), "200000000");

	/* Nothing changed: nothing written. */
	t_write(root, L3 "userspace/set_freq", "sentinel\n");
	T_EQ_INT(cfm_gov_refresh(gov), 0);
	T_EQ_INT(cfm_gov_evaluate(gov, 1005 * MS, &next), 0);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "sentinel");

	/* Up: l3 at once; ddr (clamped to max-freq) waits out 50 ms. */
	set_cur(gov, root, 4, 2800000);
	T_EQ_INT(cfm_gov_evaluate(gov, 1010 * MS, &next), 1);
	T_EQ_U64(next, 1050 * MS);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "800000000");
	T_EQ_STR(t_read(root, DDR "min_freq"), "200000000");
	T_EQ_INT(cfm_gov_evaluate(gov, 1049 * MS, &next), 0);
	T_EQ_INT(cfm_gov_evaluate(gov, 1050 * MS, &next), 1);
	T_EQ_STR(t_read(root, DDR "min_freq"), "1000000000");

	/* Down: l3 holds 100 ms; ddr steps down at once. */
	set_cur(gov, root, 4, 500000);
	T_EQ_INT(cfm_gov_evaluate(gov, 2000 * MS, &next), 1);
	T_EQ_U64(next, 2100 * MS);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "800000000");
	T_EQ_STR(t_read(root, DDR "min_freq"), "200000000");
	T_EQ_INT(cfm_gov_evaluate(gov, 2099 * MS, &next), 0);
	T_EQ_U64(next, 2100 * MS);
	T_EQ_INT(cfm_gov_evaluate(gov, 2100 * MS, &next), 1);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "200000000");

	/* A dip shorter than the hold-down is never written. */
	set_cur(gov, root, 4, 2800000);
	T_EQ_INT(cfm_gov_evaluate(gov, 3000 * MS, &next), 2);
	set_cur(gov, root, 4, 500000);
	T_EQ_INT(cfm_gov_evaluate(gov, 3010 * MS, &next), 0);
	T_EQ_U64(next, 3050 * MS);	/* ddr's interval ends before l3's hold */
	set_cur(gov, root, 4, 2800000);
	T_EQ_INT(cfm_gov_evaluate(gov, 3060 * MS, &next), 0);
	T_EQ_U64(next, UINT64_MAX);
	T_EQ_INT(cfm_gov_evaluate(gov, 3200 * MS, &next), 0);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "800000000");

	/* The max over policies: policy 0 alone asks for 400 MHz on l3. */
	set_cur(gov, root, 4, 500000);
	set_cur(gov, root, 0, 1800000);
	T_EQ_INT(cfm_gov_evaluate(gov, 4000 * MS, &next), 0);
	T_EQ_INT(cfm_gov_evaluate(gov, 4100 * MS, &next), 1);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "400000000");
	/* ddr: policy 0 at 100% -> 1.6 GHz, clamped to 1 GHz */
	T_EQ_STR(t_read(root, DDR "min_freq"), "1000000000");

	T_EQ_INT(cfm_gov_device_info(gov, 0, &d), 0);
	T_EQ_U64(d.target, 400000000);
	T_EQ_U64(d.written, 400000000);
	T_EQ_U64(d.transitions, 5);
	T_EQ_INT(cfm_gov_device_info(gov, 1, &d), 0);
	T_EQ_U64(d.transitions, 4);
	T_EQ_INT(cfm_gov_policy_info(gov, 1, &p), 0);
	T_EQ_U64(p.changes, 6);

	/* Restore: the saved governor, and min_freq where it moved. */
	T_EQ_INT(cfm_gov_restore(gov), 0);
	T_EQ_STR(t_read(root, L3 "governor"), "simple_ondemand");
	T_EQ_STR(t_read(root, L3 "min_freq"), "100000000");
	T_EQ_STR(t_read(root, L3 "max_freq"), "800000000");
	T_EQ_STR(t_read(root, DDR "governor"), "simple_ondemand");
	T_EQ_STR(t_read(root, DDR "min_freq"), "200000000");
	T_EQ_STR(t_read(root, DDR "max_freq"), "1600000000");
	/* Changed limits are put back too. */
	t_write(root, L3 "max_freq", "400000000\n");
	T_EQ_INT(cfm_gov_start(gov), 0);
	T_EQ_INT(cfm_gov_restore(gov), 0);
	T_EQ_STR(t_read(root, L3 "max_freq"), "800000000");

	cfm_gov_close(gov);
	cfm_config_free(cfg);
	t_tree_free(root);
}

static void test_dry_run(void)
{
	char *root = t_tree_new();
	struct cfm_config *cfg;
	struct cfm_gov *gov;
	struct cfm_device_info d;

	make_tree(root);
	cfg = load(cfg_text);
	gov = open_gov(root, cfg, CFM_GOV_DRY_RUN);
	T_EQ_INT(cfm_gov_start(gov), 0);
	set_cur(gov, root, 4, 2800000);
	T_EQ_INT(cfm_gov_evaluate(gov, 1000 * MS, NULL), 2);
	T_EQ_INT(cfm_gov_device_info(gov, 0, &d), 0);
	T_EQ_U64(d.written, 800000000);
	T_EQ_INT(cfm_gov_restore(gov), 0);
	T_EQ_STR(t_read(root, L3 "governor"), "simple_ondemand");
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "undefined");
	T_EQ_STR(t_read(root, DDR "min_freq"), "200000000");
	cfm_gov_close(gov);
	cfm_config_free(cfg);
	t_tree_free(root);
}

static void test_global_limits(void)
{
	struct cfm_gov_params p = { .hold_down_ms = 30, .min_interval_ms = 7 };
	char *root = t_tree_new();
	struct cfm_config *cfg = load("device l3\ntable\n300000 100000000\n"
				      "2800000 800000000\nmin-freq 150000000\n"
				      "hold-down-ms 0\n");
	struct cfm_gov *gov;
	uint64_t next;

	make_tree(root);
	p.sysfs_root = root;
	T_EQ_INT(cfm_gov_open(&gov, cfg, &p), 0);
	T_EQ_INT(cfm_gov_start(gov), 0);
	/* min-freq clamps the 100 MHz row up. */
	set_cur(gov, root, 4, 300000);
	T_EQ_INT(cfm_gov_evaluate(gov, 1000 * MS, &next), 1);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "150000000");
	/* The map's hold-down-ms 0 beats the default; the interval applies. */
	set_cur(gov, root, 4, 2800000);
	T_EQ_INT(cfm_gov_evaluate(gov, 1001 * MS, &next), 0);
	T_EQ_U64(next, 1007 * MS);
	T_EQ_INT(cfm_gov_evaluate(gov, 1007 * MS, &next), 1);
	set_cur(gov, root, 4, 300000);
	T_EQ_INT(cfm_gov_evaluate(gov, 1100 * MS, &next), 1);
	T_EQ_STR(t_read(root, L3 "userspace/set_freq"), "150000000");
	T_EQ_INT(cfm_gov_restore(gov), 0);
	cfm_gov_close(gov);
	cfm_config_free(cfg);
	t_tree_free(root);
}

/* An error while switching puts back the devices already switched. */
static void test_start_undo(void)
{
	char *root = t_tree_new(), *path;
	struct cfm_config *cfg = load("device a\ndevice b\n");
	struct cfm_gov *gov;

	t_policy(root, 0, "0", 300000, 1800000, 300000);
	t_devfreq(root, "a", "userspace simple_ondemand", NULL, 1, 2);
	t_devfreq(root, "b", "userspace simple_ondemand", NULL, 1, 2);
	gov = open_gov(root, cfg, 0);
	if (asprintf(&path, "%s/" "sys/class/devfreq/b/governor", root) < 0)
		exit(T_EXIT_FAIL);
	unlink(path);
	mkdir(path, 0755);
	T_EQ_INT(cfm_gov_start(gov), -EISDIR);
	T_EQ_INT(strstr(cfm_last_error(), "/sys/class/devfreq/b/governor: Is a directory") != NULL, 1);
	T_EQ_STR(t_read(root, "sys/class/devfreq/a/governor"), "simple_ondemand");
	rmdir(path);
	free(path);
	cfm_gov_close(gov);
	cfm_config_free(cfg);
	t_tree_free(root);
}

static void expect_open_error(const char *root, const char *text,
			      int err, const char *msg)
{
	struct cfm_gov_params p = { .sysfs_root = root };
	struct cfm_config *cfg = load(text);
	struct cfm_gov *gov = NULL;
	char *want;

	if (asprintf(&want, msg, root) < 0)
		exit(T_EXIT_FAIL);
	T_EQ_INT(cfm_gov_open(&gov, cfg, &p), err);
	T_EQ_STR(cfm_last_error(), want);
	T_EQ_INT(gov == NULL, 1);
	free(want);
	cfm_config_free(cfg);
}

static void test_open_errors(void)
{
	char *root = t_tree_new();

	expect_open_error(root, "device l3\n", -ENOENT,
			  "%s/sys/devices/system/cpu/cpufreq: No such file or directory");
	t_write(root, "sys/devices/system/cpu/cpufreq/boost", "0\n");
	expect_open_error(root, "device l3\n", -ENOENT,
			  "%s/sys/devices/system/cpu/cpufreq: no cpufreq policy");
	make_tree(root);
	expect_open_error(root, "device gpu\n", -ENOENT,
			  "t.conf:1: devfreq device 'gpu' not found under %s/sys/class/devfreq");

	t_write(root, "sys/devices/system/cpu/cpufreq/policy4/scaling_cur_freq", "fast\n");
	expect_open_error(root, "device l3\n", -EINVAL,
			  "%s/sys/devices/system/cpu/cpufreq/policy4/scaling_cur_freq: not a number: 'fast'");
	t_set_cur(root, 4, 500000);
	t_write(root, "sys/devices/system/cpu/cpufreq/policy0/related_cpus", "0 x\n");
	expect_open_error(root, "device l3\n", -EINVAL,
			  "%s/sys/devices/system/cpu/cpufreq/policy0/related_cpus: not a CPU list: '0 x'");
	t_write(root, "sys/devices/system/cpu/cpufreq/policy0/related_cpus", " \t\n");
	expect_open_error(root, "device l3\n", -EINVAL,
			  "%s/sys/devices/system/cpu/cpufreq/policy0/related_cpus: no CPU");
	t_write(root, "sys/devices/system/cpu/cpufreq/policy0/related_cpus", "0\n");
	t_write(root, "sys/devices/system/cpu/cpufreq/policy0/cpuinfo_max_freq", "\n");
	expect_open_error(root, "device l3\n", -EINVAL,
			  "%s/sys/devices/system/cpu/cpufreq/policy0/cpuinfo_max_freq: not a number: ''");
	t_policy(root, 0, "0 1 2 3", 300000, 1800000, 300000);

	t_write(root, L3 "min_freq", "abc\n");
	expect_open_error(root, "device l3\n", -EINVAL,
			  "%s/sys/class/devfreq/l3/min_freq: not a number: 'abc'");
	t_write(root, L3 "min_freq", "100000000\n");
	t_write(root, L3 "available_frequencies", "100000000 2e8\n");
	expect_open_error(root, "device l3\n", -EINVAL,
			  "%s/sys/class/devfreq/l3/available_frequencies: not a number: '2e8'");
	t_write(root, L3 "available_frequencies", "100000000\n");

	t_chmod(root, DDR "min_freq", 0444);
	expect_open_error(root, "device ddr\n", -EPERM,
			  "%s/sys/class/devfreq/ddr: no userspace governor and min_freq is not writable");
	t_chmod(root, DDR "min_freq", 0644);

	expect_open_error(root, "device l3\ndevice ddr\ndevice gpu\n", -ENOENT,
			  "t.conf:3: devfreq device 'gpu' not found under %s/sys/class/devfreq");
	t_tree_free(root);
}

/* Lists of numbers in any order, with any blanks between them. */
static void test_lists(void)
{
	char *root = t_tree_new();
	struct cfm_config *cfg = load("device l3\n");
	struct cfm_device_info d;
	struct cfm_policy_info p;
	struct cfm_gov *gov;

	make_tree(root);
	t_write(root, "sys/devices/system/cpu/cpufreq/policy4/related_cpus",
		"\t7  5 4\t6 \n");
	t_write(root, L3 "available_frequencies",
		" 400000000\t100000000  800000000 200000000 \n");
	gov = open_gov(root, cfg, 0);
	T_EQ_INT(cfm_gov_policy_info(gov, 1, &p), 0);
	T_EQ_INT(p.policy.first_cpu, 4);
	T_EQ_INT(cfm_gov_device_info(gov, 0, &d), 0);
	T_EQ_U64(d.range_min, 100000000);
	T_EQ_U64(d.range_max, 800000000);
	cfm_gov_close(gov);
	cfm_config_free(cfg);
	t_tree_free(root);
}

int main(void)
{
	test_follow_and_restore();
	test_dry_run();
	test_global_limits();
	test_start_undo();
	test_open_errors();
	test_lists();
	return T_EXIT();
}
