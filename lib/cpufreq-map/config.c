// SPDX-License-Identifier: MIT
/*
 * The text configuration: devfreq devices named directly, each with a
 * common table, per-policy tables, or none (interpolation), plus limits.
 *
 *   # comment
 *   device l3-cache
 *   table cpu 0            ("table" alone: the common table)
 *   300000   300000000     (CPU kHz, device Hz)
 *   1800000  1200000000
 *   min-freq 300000000     max-freq, hold-down-ms, min-interval-ms alike
 *
 * cpufreq-map(8) documents it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_WORDS 4

struct parser {
	const char *name;
	unsigned int line;
	struct cfm_config out;		/* maps parsed so far */
	struct cfm_map *map;		/* device being parsed */
	unsigned int map_line;
	struct cfm_table_buf *table;	/* table being parsed */
	unsigned int table_line;
	int table_cpu;			/* -1: common */
	bool has_min, has_max;
};

struct word {
	const char *s;
	size_t n;
};

static bool word_is(const struct word *w, const char *s)
{
	return w->n == strlen(s) && !memcmp(w->s, s, w->n);
}

#define perr(p, err, fmt, ...) \
	cfm_error(err, "%s:%u: " fmt, (p)->name, (p)->line, ##__VA_ARGS__)

static int number(struct parser *p, const struct word *w, uint64_t max,
		  uint64_t *val)
{
	if (!cfm_strtou64(w->s, w->n, max, val)) {
		/* Words are not NUL-terminated: count the digits by hand. */
		size_t d = 0;
		bool digits;

		while (d < w->n && w->s[d] >= '0' && w->s[d] <= '9')
			d++;
		digits = d && d == w->n;

		return perr(p, -EINVAL, "%s: '%.*s'",
			    digits ? "number out of range" : "not a number",
			    (int)(w->n > 40 ? 40 : w->n), w->s);
	}
	return 0;
}

static int end_table(struct parser *p)
{
	struct cfm_table_buf *t = p->table;
	int ret;

	if (!t)
		return 0;
	p->table = NULL;
	if (!t->t.nr) {
		cfm_table_buf_free(t);
		return cfm_error(-EINVAL, "%s:%u: empty table", p->name,
				 p->table_line);
	}
	if (p->table_cpu < 0) {
		p->map->common = t;
		return 0;
	}
	ret = cfm_map_add_cpu_table(p->map, (unsigned int)p->table_cpu, t);
	if (ret == -EEXIST)
		return cfm_error(ret, "%s:%u: second table for cpu %d",
				 p->name, p->table_line, p->table_cpu);
	return ret;
}

static int end_device(struct parser *p)
{
	struct cfm_map *m = p->map;
	int ret;

	ret = end_table(p);
	if (ret || !m)
		return ret;
	p->map = NULL;
	if (m->limits.min_freq && m->limits.max_freq &&
	    m->limits.min_freq > m->limits.max_freq) {
		cfm_map_free(m);
		return cfm_error(-EINVAL, "%s:%u: min-freq above max-freq",
				 p->name, p->map_line);
	}
	return cfm_config_add(&p->out, m);
}

static int start_device(struct parser *p, const struct word *w, int nw)
{
	char origin[512];
	unsigned int i;
	int ret;

	ret = end_device(p);
	if (ret)
		return ret;
	if (nw != 2)
		return perr(p, -EINVAL, "expected: device NAME");
	if (w[1].n > 255 || word_is(&w[1], ".") || word_is(&w[1], "..") ||
	    memchr(w[1].s, '/', w[1].n))
		return perr(p, -EINVAL, "invalid device name '%.*s'",
			    (int)(w[1].n > 40 ? 40 : w[1].n), w[1].s);
	for (i = 0; i < p->out.nr_maps; i++) {
		const struct cfm_map *o = p->out.maps[i];

		if (strlen(o->device) == w[1].n &&
		    !memcmp(o->device, w[1].s, w[1].n))
			return perr(p, -EEXIST, "device '%s' already configured at %s",
				    o->device, o->origin);
	}
	snprintf(origin, sizeof(origin), "%s:%u", p->name, p->line);
	p->map = cfm_map_new(origin);
	if (!p->map)
		return -ENOMEM;
	p->map->device = strndup(w[1].s, w[1].n);
	if (!p->map->device)
		return -ENOMEM;
	p->map_line = p->line;
	p->has_min = p->has_max = false;
	return 0;
}

static int start_table(struct parser *p, const struct word *w, int nw)
{
	struct cfm_map *m = p->map;
	uint64_t cpu;
	int ret;

	ret = end_table(p);
	if (ret)
		return ret;
	if (!m)
		return perr(p, -EINVAL, "'table' outside a device");
	if (nw == 1) {
		if (m->common)
			return perr(p, -EEXIST, "second common table");
		if (m->nr_cpu_tables)
			return perr(p, -EINVAL, "common table after per-CPU tables");
		p->table_cpu = -1;
	} else if (nw == 3 && word_is(&w[1], "cpu")) {
		ret = number(p, &w[2], 65535, &cpu);
		if (ret)
			return ret;
		if (m->common)
			return perr(p, -EINVAL, "per-CPU table after the common table");
		if (cfm_map_table_for(m, (unsigned int)cpu))
			return perr(p, -EEXIST, "second table for cpu %u",
				    (unsigned int)cpu);
		p->table_cpu = (int)cpu;
	} else {
		return perr(p, -EINVAL, "expected: table [cpu N]");
	}
	p->table = cfm_table_buf_new();
	if (!p->table)
		return -ENOMEM;
	p->table_line = p->line;
	return 0;
}

static int row(struct parser *p, const struct word *w, int nw)
{
	struct cfm_table_buf *t = p->table;
	struct cfm_entry e;
	const char *why;
	uint64_t khz;
	int ret;

	if (!t)
		return perr(p, -EINVAL, "table row outside a table");
	if (nw != 2)
		return perr(p, -EINVAL, "expected two numbers: CPU kHz and device Hz");
	ret = number(p, &w[0], UINT32_MAX, &khz);
	if (!ret)
		ret = number(p, &w[1], UINT64_MAX, &e.dev_freq);
	if (ret)
		return ret;
	e.cpu_khz = (uint32_t)khz;
	why = cfm_row_problem(t->t.nr ? &t->rows[t->t.nr - 1] : NULL, &e);
	/* Only order can be wrong with no zero in the row. */
	if (why && e.cpu_khz && e.dev_freq)
		return perr(p, -EINVAL, "%s (%u after %u)", why, e.cpu_khz,
			    t->rows[t->t.nr - 1].cpu_khz);
	if (why)
		return perr(p, -EINVAL, "%s", why);
	return cfm_table_buf_append(t, e.cpu_khz, e.dev_freq);
}

static int limit(struct parser *p, const struct word *w, int nw)
{
	struct cfm_limits *l;
	uint64_t v;
	int ret;

	ret = end_table(p);
	if (ret)
		return ret;
	if (!p->map)
		return perr(p, -EINVAL, "'%.*s' outside a device", (int)w[0].n,
			    w[0].s);
	if (nw != 2)
		return perr(p, -EINVAL, "expected: %.*s VALUE", (int)w[0].n, w[0].s);
	l = &p->map->limits;
	if (word_is(&w[0], "min-freq") || word_is(&w[0], "max-freq")) {
		ret = number(p, &w[1], UINT64_MAX, &v);
		if (!ret && !v)
			ret = perr(p, -EINVAL, "zero frequency");
		if (ret)
			return ret;
		if (word_is(&w[0], "min-freq"))
			l->min_freq = v;
		else
			l->max_freq = v;
		return 0;
	}
	/* CFM_UNSET is reserved to mean "not configured". */
	ret = number(p, &w[1], CFM_UNSET - 1, &v);
	if (ret)
		return ret;
	if (word_is(&w[0], "hold-down-ms"))
		l->hold_down_ms = (uint32_t)v;
	else
		l->min_interval_ms = (uint32_t)v;
	return 0;
}

static int split(struct parser *p, const char *s, size_t n, struct word *w)
{
	size_t i = 0;
	int nw = 0;

	while (i < n) {
		size_t start;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		if (s[i] == '#')
			break;
		if (nw == MAX_WORDS)
			return perr(p, -EINVAL, "too many words");
		start = i;
		while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		       s[i] != '#')
			i++;
		w[nw].s = s + start;
		w[nw].n = i - start;
		nw++;
	}
	return nw;
}

static int parse_line(struct parser *p, const char *s, size_t n)
{
	struct word w[MAX_WORDS];
	int nw;

	if (memchr(s, '\0', n))
		return perr(p, -EINVAL, "NUL byte in line");
	nw = split(p, s, n, w);
	if (nw <= 0)
		return nw;
	if (w[0].s[0] >= '0' && w[0].s[0] <= '9')
		return row(p, w, nw);
	if (word_is(&w[0], "device"))
		return start_device(p, w, nw);
	if (word_is(&w[0], "table"))
		return start_table(p, w, nw);
	if (word_is(&w[0], "min-freq") || word_is(&w[0], "max-freq") ||
	    word_is(&w[0], "hold-down-ms") || word_is(&w[0], "min-interval-ms"))
		return limit(p, w, nw);
	return perr(p, -EINVAL, "unknown keyword '%.*s'",
		    (int)(w[0].n > 40 ? 40 : w[0].n), w[0].s);
}

CFM_EXPORT int cfm_config_load_text(struct cfm_config *cfg, const char *name,
				    const char *text, size_t len)
{
	struct parser p = { .name = name };
	size_t pos = 0;
	int ret = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		ret = parse_line(&p, text + pos, n);
		if (ret)
			goto out;
		pos += n + 1;
	}
	ret = end_device(&p);
	if (ret)
		goto out;
	if (!p.out.nr_maps) {
		ret = cfm_error(-EINVAL, "%s: no device configured", name);
		goto out;
	}
	ret = cfm_config_merge(cfg, &p.out);
out:
	if (ret == -ENOMEM)
		cfm_error(ret, "%s: out of memory", name);
	cfm_table_buf_free(p.table);
	cfm_map_free(p.map);
	cfm_config_clear(&p.out);
	return ret;
}

/* cfm_config_load_text() as cfm_load_path() calls a loader. */
static int load_text(struct cfm_config *cfg, const char *name,
		     const void *text, size_t len, const char *unused)
{
	(void)unused;
	return cfm_config_load_text(cfg, name, text, len);
}

CFM_EXPORT int cfm_config_load_file(struct cfm_config *cfg, const char *path)
{
	return cfm_load_path(cfg, path, load_text, NULL);
}
