// SPDX-License-Identifier: MIT
/*
 * The walker: loads the devfreq-cpufreq-map binding from a device tree
 * through the accessor of dt.h, so that a blob and a live tree give the
 * same maps and fail the same way. Each child of the binding's node is one
 * device: target-dev names it, and either cpu-to-dev-map or one
 * cpu-to-dev-map-<cpu> per policy maps its frequencies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt.h"

struct walk {
	struct cfm_dt_source *src;
	struct cfm_config out;		/* maps loaded so far */
};

/* The per-CPU tables of one map, property by property. */
struct cpu_tables {
	struct cfm_map *m;
	unsigned int cpu;		/* of the property picked last */
};

static int resolve_target(struct cfm_dt_source *src,
			  const struct cfm_dt_node *node, struct cfm_map *m)
{
	struct cfm_dt_value v;
	uint32_t ph;
	int ret;

	ret = src->ops->get_prop(src, node, CFM_DT_TARGET, &v);
	if (ret == -ENOENT)
		return cfm_error(-EINVAL, "%s: missing " CFM_DT_TARGET, m->origin);
	if (ret)
		return ret;
	ret = cfm_dt_parse_phandle(m->origin, v.data, v.len, &ph);
	free(v.owned);
	if (ret)
		return ret;
	ret = src->ops->resolve_target(src, node, ph, m->origin,
				       &m->target_node);
	if (!ret && !m->target_node)
		return cfm_error(-ENOENT, "%s: " CFM_DT_TARGET ": phandle 0x%x matches no node",
				 m->origin, ph);
	return ret;
}

static int pick_cpu_table(void *arg, const char *name)
{
	struct cpu_tables *c = arg;

	return cfm_dt_cpu_prop(c->m->origin, name, &c->cpu);
}

static int take_cpu_table(void *arg, const char *name,
			  const struct cfm_dt_value *v)
{
	struct cpu_tables *c = arg;
	struct cfm_table_buf *t;
	int ret;

	ret = cfm_dt_parse_table(c->m->origin, name, v->data, v->len, &t);
	if (ret)
		return ret;
	ret = cfm_map_add_cpu_table(c->m, c->cpu, t);
	if (ret)
		return cfm_error(ret, "%s: %s: %s", c->m->origin, name,
				 strerror(-ret));
	return 0;
}

static int read_tables(struct cfm_dt_source *src,
		       const struct cfm_dt_node *node, struct cfm_map *m)
{
	struct cpu_tables c = { .m = m };
	const struct cfm_dt_visit visit = {
		.pick = pick_cpu_table,
		.take = take_cpu_table,
		.arg = &c,
	};
	struct cfm_dt_value v;
	int ret;

	ret = src->ops->get_prop(src, node, CFM_DT_TABLE, &v);
	if (!ret) {
		/* As in the kernel governor, a common table wins. */
		ret = cfm_dt_parse_table(m->origin, CFM_DT_TABLE, v.data, v.len,
					 &m->common);
		free(v.owned);
		return ret;
	}
	if (ret != -ENOENT)
		return ret;
	ret = src->ops->visit_props(src, node, &visit);
	return ret ? ret : cfm_dt_check_tables(m);
}

static int load_child(void *arg, const struct cfm_dt_node *node)
{
	struct walk *w = arg;
	struct cfm_map *m;
	char *origin;
	int ret;

	if (asprintf(&origin, "%s: %s", w->src->name, node->path) < 0)
		return cfm_error(-ENOMEM, "%s: out of memory", w->src->name);
	m = cfm_map_new(origin);
	ret = m ? resolve_target(w->src, node, m) : -ENOMEM;
	if (!ret)
		ret = read_tables(w->src, node, m);
	if (ret)
		cfm_map_free(m);
	else
		ret = cfm_config_add(&w->out, m);
	if (ret == -ENOMEM)
		cfm_error(ret, "%s: out of memory", origin);
	free(origin);
	return ret;
}

int cfm_dt_load(struct cfm_config *cfg, struct cfm_dt_source *src)
{
	struct walk w = { .src = src };
	struct cfm_dt_node map;
	int ret;

	ret = src->ops->find_map_node(src, &map);
	if (!ret)
		return cfm_error(-ENOENT, "%s: no " CFM_DT_NODE " node", src->name);
	if (ret < 0)
		return ret;
	ret = src->ops->for_each_child(src, &map, load_child, &w);
	if (!ret && !w.out.nr_maps)
		ret = cfm_error(-EINVAL, "%s: " CFM_DT_NODE " has no device nodes",
				src->name);
	if (!ret)
		ret = cfm_config_merge(cfg, &w.out);
	cfm_config_clear(&w.out);
	return ret;
}
