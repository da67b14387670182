// SPDX-License-Identifier: MIT
/*
 * Description: one device tree, written both as a flattened blob and as a
 * live tree directory, loads to the same map and fails with the same error
 * code and message through either loader. The library's objects are linked
 * with cfm_map_add_cpu_table() wrapped (-Wl,--wrap), so that adding a
 * per-CPU table can be made to fail: no directory can make it fail, since
 * a CPU has one spelling and a directory one entry per name.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "t_cfm.h"

#define MAP "/devfreq-cpufreq-map/m"

/* A property: the node it is on and its big-endian cells. */
struct prop {
	const char *node;
	const char *name;
	unsigned int nr;
	uint32_t cells[4];
};

static const struct prop per_cpu_tree[] = {
	{ "/soc/bus@1000", "phandle", 1, { 7 } },
	{ MAP, "target-dev", 1, { 7 } },
	{ MAP, "cpu-to-dev-map-0", 4, { 500000, 100000000, 1500000, 200000000 } },
	{ MAP, "cpu-to-dev-map-4", 4, { 800000, 150000000, 2400000, 400000000 } },
};

static const struct prop no_target_tree[] = {
	{ MAP, "cpu-to-dev-map", 2, { 300000, 7 } },
};

/* Fails adding the table of fail_cpu with fail_err; 0: no failure. */
static int fail_err;
static unsigned int fail_cpu;

int __real_cfm_map_add_cpu_table(struct cfm_map *m, unsigned int cpu,
				 struct cfm_table_buf *t);
int __wrap_cfm_map_add_cpu_table(struct cfm_map *m, unsigned int cpu,
				 struct cfm_table_buf *t);

int __wrap_cfm_map_add_cpu_table(struct cfm_map *m, unsigned int cpu,
				 struct cfm_table_buf *t)
{
	if (fail_err && cpu == fail_cpu) {
		cfm_table_buf_free(t);	/* it owns t in every case */
		return fail_err;
	}
	return __real_cfm_map_add_cpu_table(m, cpu, t);
}

static void be_cells(const struct prop *p, unsigned char *out)
{
	unsigned int i;

	for (i = 0; i < p->nr; i++) {
		out[4 * i] = (unsigned char)(p->cells[i] >> 24);
		out[4 * i + 1] = (unsigned char)(p->cells[i] >> 16);
		out[4 * i + 2] = (unsigned char)(p->cells[i] >> 8);
		out[4 * i + 3] = (unsigned char)p->cells[i];
	}
}

/* The tree as a live tree: a directory per node, a file per property. */
static void write_live(const char *dir, const struct prop *props, size_t nr,
		       const char *extra_node)
{
	unsigned char val[16];
	char rel[256];
	size_t i;

	for (i = 0; i < nr; i++) {
		be_cells(&props[i], val);
		snprintf(rel, sizeof(rel), "%s/%s", props[i].node + 1,
			 props[i].name);
		t_write_bytes(dir, rel, val, 4 * props[i].nr);
	}
	if (extra_node) {
		/* A node is a directory: give it a file that is no table. */
		snprintf(rel, sizeof(rel), "%s/name", extra_node + 1);
		t_write(dir, rel, "x");
	}
}

/* Offset of the node at path in blob, creating it and its parents. */
static int fdt_node(void *blob, const char *path)
{
	const char *s = path + 1, *end;
	int off = 0, sub;

	while (*s) {
		end = strchr(s, '/');
		if (!end)
			end = s + strlen(s);
		sub = fdt_subnode_offset_namelen(blob, off, s, (int)(end - s));
		if (sub == -FDT_ERR_NOTFOUND)
			sub = fdt_add_subnode_namelen(blob, off, s, (int)(end - s));
		if (sub < 0)
			return sub;
		off = sub;
		s = *end ? end + 1 : end;
	}
	return off;
}

/* The same tree as a flattened blob in buf. */
static void write_fdt(void *buf, int size, const struct prop *props, size_t nr,
		      const char *extra_node)
{
	unsigned char val[16];
	size_t i;
	int off;

	if (fdt_create_empty_tree(buf, size))
		exit(T_EXIT_FAIL);
	for (i = 0; i < nr; i++) {
		be_cells(&props[i], val);
		off = fdt_node(buf, props[i].node);
		if (off < 0 || fdt_setprop(buf, off, props[i].name, val,
					   (int)(4 * props[i].nr)))
			exit(T_EXIT_FAIL);
	}
	if (extra_node && fdt_node(buf, extra_node) < 0)
		exit(T_EXIT_FAIL);
}

/* A known message first, so that a failure that sets none shows. */
static void reset_error(struct cfm_config *cfg)
{
	cfm_config_load_text(cfg, "reset", "", 0);
}

/*
 * Load the tree through both loaders: each must return want; on failure
 * the message must be "<source>: " want_msg and nothing must be loaded.
 */
static void expect(const struct prop *props, size_t nr, const char *extra_node,
		   int want, const char *want_msg)
{
	static char blob[4096];
	char *dir = t_tree_new(), msg[512];
	struct cfm_config *cfg;

	write_live(dir, props, nr, extra_node);
	write_fdt(blob, sizeof(blob), props, nr, extra_node);

	T_EQ_INT(cfm_config_new(&cfg), 0);
	reset_error(cfg);
	T_EQ_INT(cfm_config_load_fdt(cfg, "blob", blob, fdt_totalsize(blob), NULL),
		 want);
	snprintf(msg, sizeof(msg), "blob: %s", want_msg);
	if (want)
		T_EQ_STR(cfm_last_error(), msg);
	T_EQ_INT(cfm_config_nr_maps(cfg), want ? 0 : 1);
	cfm_config_free(cfg);

	T_EQ_INT(cfm_config_new(&cfg), 0);
	reset_error(cfg);
	T_EQ_INT(cfm_config_load_live(cfg, dir), want);
	snprintf(msg, sizeof(msg), "%s: %s", dir, want_msg);
	if (want)
		T_EQ_STR(cfm_last_error(), msg);
	T_EQ_INT(cfm_config_nr_maps(cfg), want ? 0 : 1);
	cfm_config_free(cfg);
	t_tree_free(dir);
}

/* Both loaders give the same map: target, origin and both tables. */
static void test_same_map(void)
{
	static char blob[4096];
	char *dir = t_tree_new(), origin[512];
	const struct cfm_table *t;
	struct cfm_config *cfg;
	const struct cfm_map *m;
	unsigned int cpu;

	write_live(dir, per_cpu_tree, 4, NULL);
	write_fdt(blob, sizeof(blob), per_cpu_tree, 4, NULL);
	T_EQ_INT(cfm_config_new(&cfg), 0);
	T_EQ_INT(cfm_config_load_fdt(cfg, "blob", blob, fdt_totalsize(blob), NULL), 0);
	T_EQ_INT(cfm_config_load_live(cfg, dir), -EEXIST);	/* same node */
	snprintf(origin, sizeof(origin),
		 "%s: " MAP ": node /soc/bus@1000 already mapped at blob: " MAP, dir);
	T_EQ_STR(cfm_last_error(), origin);
	T_EQ_INT(cfm_config_nr_maps(cfg), 1);
	cfm_config_free(cfg);

	T_EQ_INT(cfm_config_new(&cfg), 0);
	T_EQ_INT(cfm_config_load_live(cfg, dir), 0);
	T_EQ_INT(cfm_config_nr_maps(cfg), 1);
	m = cfm_config_get_map(cfg, 0);
	T_EQ_STR(cfm_map_target_node(m), "/soc/bus@1000");
	snprintf(origin, sizeof(origin), "%s: " MAP, dir);
	T_EQ_STR(cfm_map_origin(m), origin);
	T_EQ_INT(cfm_map_nr_cpu_tables(m), 2);
	t = cfm_map_cpu_table(m, 1, &cpu);
	T_EQ_INT(cpu, 4);
	T_EQ_U64(t ? t->entries[1].dev_freq : 0, 400000000);
	cfm_config_free(cfg);
	t_tree_free(dir);
}

int main(void)
{
	test_same_map();
	expect(per_cpu_tree, 4, NULL, 0, "");

	/* A per-CPU table that cannot be added fails the load, named. */
	fail_cpu = 4;
	fail_err = -EEXIST;
	expect(per_cpu_tree, 4, NULL, -EEXIST,
	       MAP ": cpu-to-dev-map-4: File exists");
	fail_err = -ENOMEM;
	expect(per_cpu_tree, 4, NULL, -ENOMEM, MAP ": out of memory");
	fail_err = 0;

	/* A node without target-dev is invalid, whichever the source. */
	expect(no_target_tree, 1, NULL, -EINVAL, MAP ": missing target-dev");
	/* The binding's node without children. */
	expect(NULL, 0, "/devfreq-cpufreq-map", -EINVAL,
	       "devfreq-cpufreq-map has no device nodes");
	return T_EXIT();
}
