// SPDX-License-Identifier: MIT
/* The configuration model: tables, device maps and the set of maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct cfm_table_buf *cfm_table_buf_new(void)
{
	return calloc(1, sizeof(struct cfm_table_buf));
}

void cfm_table_buf_free(struct cfm_table_buf *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}

int cfm_table_buf_append(struct cfm_table_buf *t, uint32_t cpu_khz,
			 uint64_t dev_freq)
{
	if (t->t.nr == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16;
		struct cfm_entry *rows;

		if (cap > (1u << 24))
			return -E2BIG;
		rows = realloc(t->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->t.nr].cpu_khz = cpu_khz;
	t->rows[t->t.nr].dev_freq = dev_freq;
	t->t.nr++;
	t->t.entries = t->rows;
	return 0;
}

struct cfm_map *cfm_map_new(const char *origin)
{
	struct cfm_map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->origin = strdup(origin);
	if (!m->origin) {
		free(m);
		return NULL;
	}
	m->limits.hold_down_ms = CFM_UNSET;
	m->limits.min_interval_ms = CFM_UNSET;
	return m;
}

void cfm_map_free(struct cfm_map *m)
{
	unsigned int i;

	if (!m)
		return;
	for (i = 0; i < m->nr_cpu_tables; i++)
		cfm_table_buf_free(m->cpu_tables[i].table);
	free(m->cpu_tables);
	cfm_table_buf_free(m->common);
	free(m->origin);
	free(m->device);
	free(m->target_node);
	free(m);
}

int cfm_map_add_cpu_table(struct cfm_map *m, unsigned int cpu,
			  struct cfm_table_buf *t)
{
	struct cfm_cpu_table *ct;
	unsigned int i;

	for (i = 0; i < m->nr_cpu_tables && m->cpu_tables[i].cpu < cpu; i++)
		;
	if (i < m->nr_cpu_tables && m->cpu_tables[i].cpu == cpu) {
		cfm_table_buf_free(t);
		return -EEXIST;
	}
	ct = realloc(m->cpu_tables, (m->nr_cpu_tables + 1) * sizeof(*ct));
	if (!ct) {
		cfm_table_buf_free(t);
		return -ENOMEM;
	}
	m->cpu_tables = ct;
	/* Keep them sorted: show prints and lookups search in CPU order. */
	memmove(&ct[i + 1], &ct[i], (m->nr_cpu_tables - i) * sizeof(*ct));
	ct[i].cpu = cpu;
	ct[i].table = t;
	m->nr_cpu_tables++;
	return 0;
}

const struct cfm_table *cfm_map_table_for(const struct cfm_map *m,
					  unsigned int cpu)
{
	unsigned int lo = 0, hi = m->nr_cpu_tables;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (m->cpu_tables[mid].cpu == cpu)
			return &m->cpu_tables[mid].table->t;
		if (m->cpu_tables[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int cfm_config_add(struct cfm_config *cfg, struct cfm_map *m)
{
	struct cfm_map **maps;

	maps = realloc(cfg->maps, (cfg->nr_maps + 1) * sizeof(*maps));
	if (!maps) {
		cfm_map_free(m);
		return -ENOMEM;
	}
	cfg->maps = maps;
	cfg->maps[cfg->nr_maps++] = m;
	return 0;
}

static const struct cfm_map *find_same(struct cfm_map *const *maps,
				       unsigned int nr, const struct cfm_map *m)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct cfm_map *o = maps[i];

		if (m->device && o->device && !strcmp(m->device, o->device))
			return o;
		if (m->target_node && o->target_node &&
		    !strcmp(m->target_node, o->target_node))
			return o;
	}
	return NULL;
}

int cfm_config_merge(struct cfm_config *dst, struct cfm_config *src)
{
	struct cfm_map **maps;
	unsigned int i;

	for (i = 0; i < src->nr_maps; i++) {
		const struct cfm_map *m = src->maps[i], *o;

		o = find_same(dst->maps, dst->nr_maps, m);
		if (!o)
			o = find_same(src->maps, i, m);

		if (o)
			return cfm_error(-EEXIST, "%s: %s %s already mapped at %s",
					 m->origin,
					 m->device ? "device" : "node",
					 m->device ? m->device : m->target_node,
					 o->origin);
	}
	if (!src->nr_maps)
		return 0;
	maps = realloc(dst->maps, (dst->nr_maps + src->nr_maps) * sizeof(*maps));
	if (!maps)
		return cfm_error(-ENOMEM, "out of memory");
	memcpy(&maps[dst->nr_maps], src->maps, src->nr_maps * sizeof(*maps));
	dst->maps = maps;
	dst->nr_maps += src->nr_maps;
	free(src->maps);
	src->maps = NULL;
	src->nr_maps = 0;
	return 0;
}

void cfm_config_clear(struct cfm_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_maps; i++)
		cfm_map_free(cfg->maps[i]);
	free(cfg->maps);
	cfg->maps = NULL;
	cfg->nr_maps = 0;
}

CFM_EXPORT int cfm_config_new(struct cfm_config **cfgp)
{
	*cfgp = calloc(1, sizeof(**cfgp));
	return *cfgp ? 0 : cfm_error(-ENOMEM, "out of memory");
}

CFM_EXPORT void cfm_config_free(struct cfm_config *cfg)
{
	if (!cfg)
		return;
	cfm_config_clear(cfg);
	free(cfg);
}

CFM_EXPORT unsigned int cfm_config_nr_maps(const struct cfm_config *cfg)
{
	return cfg->nr_maps;
}

CFM_EXPORT const struct cfm_map *
cfm_config_get_map(const struct cfm_config *cfg, unsigned int i)
{
	return i < cfg->nr_maps ? cfg->maps[i] : NULL;
}

CFM_EXPORT const char *cfm_map_device_name(const struct cfm_map *m)
{
	return m->device;
}

CFM_EXPORT const char *cfm_map_target_node(const struct cfm_map *m)
{
	return m->target_node;
}

CFM_EXPORT const char *cfm_map_origin(const struct cfm_map *m)
{
	return m->origin;
}

CFM_EXPORT const struct cfm_table *cfm_map_common_table(const struct cfm_map *m)
{
	return m->common ? &m->common->t : NULL;
}

CFM_EXPORT unsigned int cfm_map_nr_cpu_tables(const struct cfm_map *m)
{
	return m->nr_cpu_tables;
}

CFM_EXPORT const struct cfm_table *cfm_map_cpu_table(const struct cfm_map *m,
						     unsigned int i,
						     unsigned int *cpu)
{
	if (i >= m->nr_cpu_tables)
		return NULL;
	if (cpu)
		*cpu = m->cpu_tables[i].cpu;
	return &m->cpu_tables[i].table->t;
}

CFM_EXPORT void cfm_map_get_limits(const struct cfm_map *m,
				   struct cfm_limits *lim)
{
	*lim = m->limits;
}
