// SPDX-License-Identifier: MIT
/*
 * The mapping itself: table lookup, interpolation, the maximum over
 * policies, and the freq_map dump. Semantics follow the kernel governor
 * this library replaces; see cpufreq-map(8).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

CFM_EXPORT uint64_t cfm_table_lookup(const struct cfm_table *t,
				     uint32_t cpu_khz)
{
	unsigned int lo = 0, hi;

	if (!t || !t->nr)
		return 0;
	/* First row with cpu_khz >= the CPU frequency: round up. */
	hi = t->nr;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t->entries[mid].cpu_khz < cpu_khz)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Above the last row: clamp to it. */
	if (lo == t->nr)
		lo = t->nr - 1;
	return t->entries[lo].dev_freq;
}

CFM_EXPORT uint64_t cfm_interpolate(uint32_t cur_khz, uint32_t cpu_min_khz,
				    uint32_t cpu_max_khz, uint64_t dev_min,
				    uint64_t dev_max)
{
	uint64_t pct;

	if (dev_max < dev_min)
		return 0;
	/* A policy with a single frequency always runs at its top. */
	if (cpu_max_khz <= cpu_min_khz) {
		pct = 100;
	} else {
		if (cur_khz < cpu_min_khz)
			cur_khz = cpu_min_khz;
		if (cur_khz > cpu_max_khz)
			cur_khz = cpu_max_khz;
		pct = (uint64_t)(cur_khz - cpu_min_khz) * 100 /
		      (cpu_max_khz - cpu_min_khz);
	}
	/* Split as mult_frac() does, so large ranges cannot overflow. */
	return dev_min + (dev_max - dev_min) / 100 * pct +
	       (dev_max - dev_min) % 100 * pct / 100;
}

const char *cfm_row_problem(const struct cfm_entry *prev,
			    const struct cfm_entry *row)
{
	if (!row->cpu_khz || !row->dev_freq)
		return "zero frequency";
	if (prev && row->cpu_khz <= prev->cpu_khz)
		return "CPU frequencies not ascending";
	return NULL;
}

CFM_EXPORT uint64_t cfm_map_target(const struct cfm_map *m,
				   const struct cfm_policy *pol,
				   unsigned int nr, uint64_t dev_min,
				   uint64_t dev_max)
{
	uint64_t target = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct cfm_policy *p = &pol[i];
		uint64_t f;

		if (!p->cur_khz)
			continue;
		if (m->common) {
			f = cfm_table_lookup(&m->common->t, p->cur_khz);
		} else if (m->nr_cpu_tables) {
			/* A policy without its own table contributes nothing. */
			f = cfm_table_lookup(cfm_map_table_for(m, p->first_cpu),
					     p->cur_khz);
		} else {
			f = cfm_interpolate(p->cur_khz, p->min_khz, p->max_khz,
					    dev_min, dev_max);
		}
		if (f > target)
			target = f;
	}
	return target;
}

struct cfm_out {
	char *buf;
	size_t size;
	size_t len;
};

static void CFM_PRINTF(2, 3) out_printf(struct cfm_out *o, const char *fmt, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void format_table(struct cfm_out *o, const struct cfm_table *t)
{
	unsigned int i;

	out_printf(o, "CPU freq\tDevice freq\n");
	for (i = 0; i < t->nr; i++)
		out_printf(o, "%8" PRIu32 "\t%11" PRIu64 "\n",
			   t->entries[i].cpu_khz, t->entries[i].dev_freq);
	out_printf(o, "\n");
}

CFM_EXPORT int cfm_map_format(const struct cfm_map *m, char *buf, size_t size)
{
	struct cfm_out o = { .buf = buf, .size = size };
	unsigned int i;

	if (size)
		buf[0] = '\0';
	if (m->common) {
		out_printf(&o, "Common table for all CPUs:\n");
		format_table(&o, &m->common->t);
	} else if (m->nr_cpu_tables) {
		for (i = 0; i < m->nr_cpu_tables; i++) {
			out_printf(&o, "CPU %u:\n", m->cpu_tables[i].cpu);
			format_table(&o, &m->cpu_tables[i].table->t);
		}
	} else {
		out_printf(&o, "Device freq interpolated based on CPU freq\n");
	}
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
