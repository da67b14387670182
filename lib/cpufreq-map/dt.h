/* SPDX-License-Identifier: MIT */
/*
 * Device trees in libcpufreqmap: the devfreq-cpufreq-map binding
 * (dt_binding.c), the walker that loads it (dt_walk.c) and the accessor
 * the walker reads a tree through, with its two back ends: a flattened
 * blob (dt_fdt.c) and a live tree directory (dt_live.c).
 */
#ifndef LIBCPUFREQMAP_DT_H
#define LIBCPUFREQMAP_DT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define CFM_DT_NODE	"devfreq-cpufreq-map"
#define CFM_DT_TARGET	"target-dev"
#define CFM_DT_TABLE	"cpu-to-dev-map"

/* Longest node path, with its NUL. */
#define CFM_DT_PATH_MAX 4096

/* Deepest live tree walked; real trees are well under 16 levels. */
#define CFM_DT_MAX_DEPTH 64

/* A big-endian cell, as every device tree stores numbers. */
static inline uint32_t cfm_be32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* -------------------------------------------- dt_binding.c: the binding */

/* Does node name (with optional @unit) name the binding's parent node? */
bool cfm_dt_is_map_node(const char *name);
/*
 * Classify a property name: 0 unrelated, 1 cpu-to-dev-map-<cpu> (*cpu set),
 * negative errno for a malformed CPU suffix (message set).
 */
int cfm_dt_cpu_prop(const char *origin, const char *prop, unsigned int *cpu);
/* Parse and check a table property (big-endian u32 pairs). */
int cfm_dt_parse_table(const char *origin, const char *prop,
		       const void *val, size_t len,
		       struct cfm_table_buf **out);
/* Parse target-dev's value into a phandle. */
int cfm_dt_parse_phandle(const char *origin, const void *val, size_t len,
			 uint32_t *phandle);
/* A child without any table: the seed governor rejects it. */
int cfm_dt_check_tables(const struct cfm_map *m);

/* ------------------------------------------------------- the accessor */

/* A node, as the back end that found it finds it again. */
struct cfm_dt_node {
	const char *path;	/* from the root, "/a/b": set on the nodes
				   for_each_child() passes, which messages name */
	int off;		/* offset in a flattened tree */
};

/* A property's value; owned, if not NULL, is to be freed after use. */
struct cfm_dt_value {
	const void *data;
	size_t len;
	void *owned;
};

/*
 * A visit of a node's properties in tree order: pick() says whether a
 * property is wanted (1), not (0), or wrong (negative errno, which ends
 * the visit); take() then gets each wanted property's value.
 */
struct cfm_dt_visit {
	int (*pick)(void *arg, const char *name);
	int (*take)(void *arg, const char *name, const struct cfm_dt_value *v);
	void *arg;
};

typedef int (*cfm_dt_node_fn)(void *arg, const struct cfm_dt_node *node);

struct cfm_dt_source;

/* Each returns a negative errno, with cfm_last_error() set, on failure. */
struct cfm_dt_ops {
	/*
	 * The first node, depth first in tree order, whose name
	 * cfm_dt_is_map_node() accepts: 1 and *node, or 0 if there is none.
	 */
	int (*find_map_node)(struct cfm_dt_source *src,
			     struct cfm_dt_node *node);
	/* fn on each child of node in tree order, up to fn's first error. */
	int (*for_each_child)(struct cfm_dt_source *src,
			      const struct cfm_dt_node *node,
			      cfm_dt_node_fn fn, void *arg);
	/* Property name of node into *v; -ENOENT, no message, if absent. */
	int (*get_prop)(struct cfm_dt_source *src,
			const struct cfm_dt_node *node, const char *name,
			struct cfm_dt_value *v);
	int (*visit_props)(struct cfm_dt_source *src,
			   const struct cfm_dt_node *node,
			   const struct cfm_dt_visit *visit);
	/*
	 * The path of the node that node's target-dev, phandle ph, refers
	 * to: *path (malloc()ed), or NULL if no node has it. origin names
	 * node in messages.
	 */
	int (*resolve_target)(struct cfm_dt_source *src,
			      const struct cfm_dt_node *node, uint32_t ph,
			      const char *origin, char **path);
};

/* A tree to load; a back end's own state follows it in a larger struct. */
struct cfm_dt_source {
	const struct cfm_dt_ops *ops;
	const char *name;	/* file or directory, for messages */
};

/* ----------------------------------------------- dt_walk.c: the walker */

/*
 * Load a map from each child of the binding's node into cfg: all of them,
 * or none and a negative errno.
 */
int cfm_dt_load(struct cfm_config *cfg, struct cfm_dt_source *src);

#endif /* LIBCPUFREQMAP_DT_H */
