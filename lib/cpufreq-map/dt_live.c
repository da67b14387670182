// SPDX-License-Identifier: MIT
/*
 * The devfreq-cpufreq-map binding from a live tree directory, laid out as
 * /proc/device-tree: a directory per node, a file per property (raw,
 * big-endian), phandles in each node's "phandle" file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define PATH_LEN 4096

struct live_ctx {
	const char *dir;
	char full[PATH_LEN];		/* dir + node path, scratch */
};

/* Returns 1 to stop the walk at this node, 0 to go on, <0 on error. */
typedef int (*visit_fn)(struct live_ctx *c, const char *rel, void *arg);

static int full_path(struct live_ctx *c, const char *rel, const char *prop)
{
	int n = snprintf(c->full, sizeof(c->full), "%s%s%s%s", c->dir, rel,
			 prop ? "/" : "", prop ? prop : "");

	if (n < 0 || n >= (int)sizeof(c->full))
		return cfm_error(-ENAMETOOLONG, "%s%s: path too long", c->dir, rel);
	return 0;
}

static int not_dot(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Sorted entries of node rel that are (want_dirs) or are not directories. */
static int list(struct live_ctx *c, const char *rel, bool want_dirs,
		struct dirent ***out)
{
	struct dirent **ents;
	int n, i, k = 0, ret;

	ret = full_path(c, rel, NULL);
	if (ret)
		return ret;
	n = scandir(c->full[0] ? c->full : "/", &ents, not_dot, alphasort);
	if (n < 0)
		return cfm_error(-errno, "%s: %s", c->full, strerror(errno));
	for (i = 0; i < n; i++) {
		struct stat st;
		bool is_dir;

		ret = full_path(c, rel, ents[i]->d_name);
		/* Symlinks are not nodes: never follow them. */
		is_dir = !ret && !lstat(c->full, &st) && S_ISDIR(st.st_mode);
		if (is_dir == want_dirs)
			ents[k++] = ents[i];
		else
			free(ents[i]);
	}
	*out = ents;
	return k;
}

static void free_list(struct dirent **ents, int n)
{
	while (n > 0)
		free(ents[--n]);
	free(ents);
}

/* Depth-first, in name order, as the kernel's allnodes order would be. */
static int walk(struct live_ctx *c, char *rel, int depth, visit_fn fn,
		void *arg)
{
	size_t len = strlen(rel);
	struct dirent **ents;
	int n, i, ret;

	ret = fn(c, rel, arg);
	if (ret)
		return ret;
	if (depth >= CFM_MAX_DT_DEPTH)
		return 0;
	n = list(c, rel, true, &ents);
	if (n < 0)
		return n;
	for (i = 0; i < n && !ret; i++) {
		if (len + 1 + strlen(ents[i]->d_name) >= PATH_LEN) {
			ret = cfm_error(-ENAMETOOLONG, "%s%s: path too long",
					c->dir, rel);
			break;
		}
		rel[len] = '/';
		strcpy(rel + len + 1, ents[i]->d_name);
		ret = walk(c, rel, depth + 1, fn, arg);
		if (ret)
			break;	/* rel keeps naming the node that stopped us */
		rel[len] = '\0';
	}
	free_list(ents, n);
	return ret;
}

static int is_map_node(struct live_ctx *c, const char *rel, void *arg)
{
	const char *base = strrchr(rel, '/');

	(void)c;
	(void)arg;
	return base && cfm_dt_is_map_node(base + 1);
}

/* Read property prop of node rel; -ENOENT if absent (no message). */
static int read_prop(struct live_ctx *c, const char *rel, const char *prop,
		     char **val, size_t *len)
{
	struct stat st;
	int ret;

	ret = full_path(c, rel, prop);
	if (ret)
		return ret;
	if (lstat(c->full, &st) || !S_ISREG(st.st_mode))
		return -ENOENT;
	return cfm_slurp(c->full, val, len);
}

struct phandle_search {
	uint32_t phandle;
	char *found;
};

static int has_phandle(struct live_ctx *c, const char *rel, void *arg)
{
	struct phandle_search *s = arg;
	const char *props[] = { "phandle", "linux,phandle" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		uint32_t ph;
		size_t len;
		char *v;
		int ret;

		if (read_prop(c, rel, props[i], &v, &len))
			continue;
		ret = cfm_dt_parse_phandle("", v, len, &ph);
		free(v);
		if (!ret && ph == s->phandle) {
			s->found = strdup(rel[0] ? rel : "/");
			return s->found ? 1 : -ENOMEM;
		}
	}
	return 0;
}

static int resolve_target(struct live_ctx *c, const char *rel, struct cfm_map *m)
{
	struct phandle_search s = { 0 };
	char root[PATH_LEN] = "";
	size_t len;
	char *v;
	int ret;

	ret = read_prop(c, rel, CFM_DT_TARGET, &v, &len);
	if (ret == -ENOENT)
		return cfm_error(ret, "%s: missing " CFM_DT_TARGET, m->origin);
	if (ret)
		return ret;
	ret = cfm_dt_parse_phandle(m->origin, v, len, &s.phandle);
	free(v);
	if (ret)
		return ret;
	ret = walk(c, root, 0, has_phandle, &s);
	if (ret < 0)
		return ret;
	if (!s.found || !s.phandle || s.phandle == (uint32_t)-1) {
		free(s.found);
		return cfm_error(-ENOENT, "%s: " CFM_DT_TARGET ": phandle 0x%x matches no node",
				 m->origin, s.phandle);
	}
	m->target_node = s.found;
	return 0;
}

static int read_tables(struct live_ctx *c, const char *rel, struct cfm_map *m)
{
	struct dirent **ents;
	struct cfm_table_buf *t;
	unsigned int cpu;
	int n, i, ret;
	size_t len;
	char *v;

	ret = read_prop(c, rel, CFM_DT_TABLE, &v, &len);
	if (!ret) {
		/* As in the kernel governor, a common table wins. */
		ret = cfm_dt_parse_table(m->origin, CFM_DT_TABLE, v, len,
					 &m->common);
		free(v);
		return ret;
	}
	if (ret != -ENOENT)
		return ret;
	n = list(c, rel, false, &ents);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		ret = cfm_dt_cpu_prop(m->origin, name, &cpu);
		if (ret <= 0) {
			if (ret)
				break;
			continue;
		}
		ret = read_prop(c, rel, name, &v, &len);
		if (ret)
			break;
		ret = cfm_dt_parse_table(m->origin, name, v, len, &t);
		free(v);
		if (ret)
			break;
		ret = cfm_map_add_cpu_table(m, cpu, t);
		if (ret)
			break;
	}
	free_list(ents, n);
	return ret < 0 ? ret : cfm_dt_check_tables(m);
}

static int load_child(struct live_ctx *c, const char *rel,
		      struct cfm_config *out)
{
	char origin[PATH_LEN * 2];
	struct cfm_map *m;
	int ret;

	snprintf(origin, sizeof(origin), "%s: %s", c->dir, rel);
	m = cfm_map_new(origin);
	if (!m)
		return cfm_error(-ENOMEM, "%s: out of memory", origin);
	ret = resolve_target(c, rel, m);
	if (!ret)
		ret = read_tables(c, rel, m);
	if (ret) {
		if (ret == -ENOMEM)
			cfm_error(ret, "%s: out of memory", origin);
		cfm_map_free(m);
		return ret;
	}
	return cfm_config_add(out, m);
}

CFM_EXPORT int cfm_config_load_live(struct cfm_config *cfg, const char *dir)
{
	struct live_ctx *c;
	struct cfm_config out = { 0 };
	char rel[PATH_LEN] = "", child[PATH_LEN];
	struct dirent **ents = NULL;
	int n = 0, i, ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return cfm_error(-ENOMEM, "%s: out of memory", dir);
	c->dir = dir;
	ret = walk(c, rel, 0, is_map_node, NULL);
	if (ret < 0)
		goto out;
	if (!ret) {
		ret = cfm_error(-ENOENT, "%s: no " CFM_DT_NODE " node", dir);
		goto out;
	}
	/* walk() stopped with rel naming the node it found. */
	n = list(c, rel, true, &ents);
	if (n < 0) {
		ret = n;
		n = 0;
		goto out;
	}
	for (i = 0, ret = 0; i < n && !ret; i++) {
		if (snprintf(child, sizeof(child), "%s/%s", rel,
			     ents[i]->d_name) >= (int)sizeof(child))
			ret = cfm_error(-ENAMETOOLONG, "%s%s: path too long",
					dir, rel);
		else
			ret = load_child(c, child, &out);
	}
	if (!ret && !out.nr_maps)
		ret = cfm_error(-EINVAL, "%s: %s has no device nodes", dir, rel);
	if (!ret)
		ret = cfm_config_merge(cfg, &out);
out:
	free_list(ents, n);
	cfm_config_clear(&out);
	free(c);
	return ret;
}
