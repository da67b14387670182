// SPDX-License-Identifier: MIT
/* Description: table lookup, interpolation, maximum over policies, dump. */
#include <stdlib.h>
#include <string.h>

#include "cpufreq-map/cpufreq-map.h"
#include "t_cfm.h"

static const struct cfm_entry rows[] = {
	{ 300000, 1144000 },
	{ 422400, 2288000 },
	{ 652800, 3051000 },
};

static void test_lookup(void)
{
	struct cfm_table t = { 3, rows }, one = { 1, rows }, none = { 0, NULL };

	T_EQ_U64(cfm_table_lookup(&t, 1), 1144000);		/* below */
	T_EQ_U64(cfm_table_lookup(&t, 299999), 1144000);
	T_EQ_U64(cfm_table_lookup(&t, 300000), 1144000);	/* equal */
	T_EQ_U64(cfm_table_lookup(&t, 300001), 2288000);	/* between: up */
	T_EQ_U64(cfm_table_lookup(&t, 422399), 2288000);
	T_EQ_U64(cfm_table_lookup(&t, 422400), 2288000);
	T_EQ_U64(cfm_table_lookup(&t, 422401), 3051000);
	T_EQ_U64(cfm_table_lookup(&t, 652800), 3051000);
	T_EQ_U64(cfm_table_lookup(&t, 652801), 3051000);	/* above: last */
	T_EQ_U64(cfm_table_lookup(&t, UINT32_MAX), 3051000);
	T_EQ_U64(cfm_table_lookup(&one, 1), 1144000);
	T_EQ_U64(cfm_table_lookup(&one, 5000000), 1144000);
	T_EQ_U64(cfm_table_lookup(&none, 300000), 0);
}

static void test_interpolate(void)
{
	/* pct = 700000 * 100 / 1500000 = 46 (46.6 truncated) */
	T_EQ_U64(cfm_interpolate(1000000, 300000, 1800000, 100000000, 800000000),
		 422000000);
	T_EQ_U64(cfm_interpolate(300000, 300000, 1800000, 100000000, 800000000),
		 100000000);
	T_EQ_U64(cfm_interpolate(1800000, 300000, 1800000, 100000000, 800000000),
		 800000000);
	/* Outside the policy's range: clamped, no unsigned wrap. */
	T_EQ_U64(cfm_interpolate(200000, 300000, 1800000, 100000000, 800000000),
		 100000000);
	T_EQ_U64(cfm_interpolate(2000000, 300000, 1800000, 100000000, 800000000),
		 800000000);
	/* pct = 14999 * 100 / 15000 = 99: truncation, not rounding */
	T_EQ_U64(cfm_interpolate(314999, 300000, 315000, 0, 1000), 990);
	/* (dev_max - dev_min) * pct / 100 truncates: 333 * 50 / 100 = 166 */
	T_EQ_U64(cfm_interpolate(150, 100, 200, 1000, 1333), 1166);
	/* cpu_min == cpu_max: no division by zero; a fixed CPU is at its top */
	T_EQ_U64(cfm_interpolate(1000000, 1000000, 1000000, 200, 900), 900);
	T_EQ_U64(cfm_interpolate(0, 1000000, 1000000, 200, 900), 900);
	/* Inverted device range gives nothing; a one-frequency device its own. */
	T_EQ_U64(cfm_interpolate(1000000, 300000, 1800000, 900, 200), 0);
	T_EQ_U64(cfm_interpolate(1000000, 300000, 1800000, 500, 500), 500);
	/* Large ranges do not overflow 64 bits. */
	T_EQ_U64(cfm_interpolate(2, 1, 3, 0, 18446744073709551560ull),
		 9223372036854775780ull);
}

static const char common_cfg[] =
	"device cache\n"
	"table\n"
	"300000 300000000\n"
	"1000000 600000000\n"
	"2000000 900000000\n";

static const char per_cpu_cfg[] =
	"device ddr\n"
	"table cpu 4\n"
	"500000 400000000\n"
	"2800000 1600000000\n"
	"table cpu 0\n"
	"300000 200000000\n"
	"1800000 800000000\n";

static const char interp_cfg[] = "device bus\n";

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

static void test_target(void)
{
	struct cfm_policy pol[3] = {
		{ .first_cpu = 0, .cur_khz = 300000, .min_khz = 300000, .max_khz = 1800000 },
		{ .first_cpu = 4, .cur_khz = 500000, .min_khz = 500000, .max_khz = 2800000 },
		{ .first_cpu = 8, .cur_khz = 3000000, .min_khz = 1000000, .max_khz = 3000000 },
	};
	struct cfm_config *c = load(common_cfg), *p = load(per_cpu_cfg),
			  *i = load(interp_cfg);
	const struct cfm_map *cm = cfm_config_get_map(c, 0);
	const struct cfm_map *pm = cfm_config_get_map(p, 0);
	const struct cfm_map *im = cfm_config_get_map(i, 0);

	/* Common table: the maximum over all policies. */
	T_EQ_U64(cfm_map_target(cm, pol, 2, 0, 0), 600000000);
	pol[0].cur_khz = 1500000;
	T_EQ_U64(cfm_map_target(cm, pol, 2, 0, 0), 900000000);
	/* An inactive policy (cur 0) contributes nothing. */
	pol[0].cur_khz = 0;
	T_EQ_U64(cfm_map_target(cm, pol, 2, 0, 0), 600000000);
	T_EQ_U64(cfm_map_target(cm, pol, 0, 0, 0), 0);

	/* Per-policy tables keyed by the first CPU; policy 8 has none. */
	pol[0].cur_khz = 1800000;
	pol[1].cur_khz = 500000;
	T_EQ_U64(cfm_map_target(pm, pol, 3, 0, 0), 800000000);
	pol[1].cur_khz = 500001;
	T_EQ_U64(cfm_map_target(pm, pol, 3, 0, 0), 1600000000);
	pol[0].cur_khz = 300000;
	pol[1].cur_khz = 400000;
	T_EQ_U64(cfm_map_target(pm, &pol[2], 1, 0, 0), 0);
	T_EQ_U64(cfm_map_target(pm, pol, 3, 0, 0), 400000000);

	/* No table: interpolation per policy, then the maximum. */
	pol[0].cur_khz = 1050000;	/* 50% */
	pol[1].cur_khz = 500000;	/* 0% */
	pol[2].cur_khz = 1000000;	/* 0% */
	T_EQ_U64(cfm_map_target(im, pol, 3, 100000000, 900000000), 500000000);
	pol[2].cur_khz = 2000000;	/* 50% */
	pol[1].cur_khz = 1650000;	/* 50% */
	T_EQ_U64(cfm_map_target(im, pol, 3, 100000000, 900000000), 500000000);
	pol[1].cur_khz = 2800000;	/* 100% */
	T_EQ_U64(cfm_map_target(im, pol, 3, 100000000, 900000000), 900000000);

	cfm_config_free(c);
	cfm_config_free(p);
	cfm_config_free(i);
}

static void test_format(void)
{
	struct cfm_config *c = load(common_cfg), *p = load(per_cpu_cfg),
			  *i = load(interp_cfg);
	char buf[512], small[8];

	cfm_map_format(cfm_config_get_map(c, 0), buf, sizeof(buf));
	T_EQ_STR(buf, "Common table for all CPUs:\n"
		      "CPU freq\tDevice freq\n"
		      "  300000\t  300000000\n"
		      " 1000000\t  600000000\n"
		      " 2000000\t  900000000\n"
		      "\n");
	cfm_map_format(cfm_config_get_map(p, 0), buf, sizeof(buf));
	T_EQ_STR(buf, "CPU 0:\n"
		      "CPU freq\tDevice freq\n"
		      "  300000\t  200000000\n"
		      " 1800000\t  800000000\n"
		      "\n"
		      "CPU 4:\n"
		      "CPU freq\tDevice freq\n"
		      "  500000\t  400000000\n"
		      " 2800000\t 1600000000\n"
		      "\n");
	T_EQ_INT(cfm_map_format(cfm_config_get_map(i, 0), buf, sizeof(buf)), 43);
	T_EQ_STR(buf, "Device freq interpolated based on CPU freq\n");
	/* snprintf semantics: truncated, terminated, full length returned. */
	T_EQ_INT(cfm_map_format(cfm_config_get_map(i, 0), small, sizeof(small)), 43);
	T_EQ_STR(small, "Device ");
	cfm_config_free(c);
	cfm_config_free(p);
	cfm_config_free(i);
}

int main(void)
{
	test_lookup();
	test_interpolate();
	test_target();
	test_format();
	return T_EXIT();
}
