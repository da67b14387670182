// SPDX-License-Identifier: MIT
/*
 * The live tree back end of the device-tree accessor (dt.h): a directory
 * laid out as /proc/device-tree, a directory per node, a file per property
 * (raw, big-endian), phandles in each node's "phandle" file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dt.h"

/* Node paths below the directory are "" (the root) or "/a/b". */
struct live_source {
	struct cfm_dt_source src;	/* first: what the walker sees; its
					   name is the directory */
	char full[CFM_DT_PATH_MAX];	/* directory + node path, scratch */
	char map[CFM_DT_PATH_MAX];	/* the binding's node, once found */
};

/* Returns 1 to stop the walk at this node, 0 to go on, <0 on error. */
typedef int (*visit_fn)(struct live_source *c, const char *rel, void *arg);

static int full_path(struct live_source *c, const char *rel, const char *prop)
{
	int n = snprintf(c->full, sizeof(c->full), "%s%s%s%s", c->src.name,
			 rel, prop ? "/" : "", prop ? prop : "");

	if (n < 0 || n >= (int)sizeof(c->full))
		return cfm_error(-ENAMETOOLONG, "%s%s: path too long",
				 c->src.name, rel);
	return 0;
}

static int not_dot(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Sorted entries of node rel that are (want_dirs) or are not directories. */
static int list(struct live_source *c, const char *rel, bool want_dirs,
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
static int walk(struct live_source *c, char *rel, int depth, visit_fn fn,
		void *arg)
{
	size_t len = strlen(rel);
	struct dirent **ents;
	int n, i, ret;

	ret = fn(c, rel, arg);
	if (ret)
		return ret;
	if (depth >= CFM_DT_MAX_DEPTH)
		return 0;
	n = list(c, rel, true, &ents);
	if (n < 0)
		return n;
	for (i = 0; i < n && !ret; i++) {
		if (len + 1 + strlen(ents[i]->d_name) >= CFM_DT_PATH_MAX) {
			ret = cfm_error(-ENAMETOOLONG, "%s%s: path too long",
					c->src.name, rel);
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

static int is_map_node(struct live_source *c, const char *rel, void *arg)
{
	const char *base = strrchr(rel, '/');

	(void)c;
	(void)arg;
	return base && cfm_dt_is_map_node(base + 1);
}

/* Read property prop of node rel; -ENOENT if absent (no message). */
static int read_prop(struct live_source *c, const char *rel, const char *prop,
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

static int has_phandle(struct live_source *c, const char *rel, void *arg)
{
	struct phandle_search *s = arg;
	const char *props[] = { "phandle", "linux,phandle" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		size_t len;
		char *v;
		bool match;

		if (read_prop(c, rel, props[i], &v, &len))
			continue;
		match = len == 4 && cfm_be32(v) == s->phandle;
		free(v);
		if (match) {
			s->found = strdup(rel[0] ? rel : "/");
			return s->found ? 1 : -ENOMEM;
		}
	}
	return 0;
}

/* The node whose phandle file holds ph, searched in the whole tree. */
static int live_resolve_target(struct cfm_dt_source *src,
			       const struct cfm_dt_node *node, uint32_t ph,
			       const char *origin, char **path)
{
	struct live_source *c = (struct live_source *)src;
	struct phandle_search s = { .phandle = ph };
	char root[CFM_DT_PATH_MAX] = "";
	int ret;

	(void)node;
	(void)origin;
	*path = NULL;
	ret = walk(c, root, 0, has_phandle, &s);
	if (ret < 0)
		return ret;
	/* 0 and ~0 are no phandle, whatever a node's file says. */
	if (!ph || ph == (uint32_t)-1)
		free(s.found);
	else
		*path = s.found;
	return 0;
}

static int live_find_map_node(struct cfm_dt_source *src,
			      struct cfm_dt_node *node)
{
	struct live_source *c = (struct live_source *)src;
	int ret;

	c->map[0] = '\0';
	ret = walk(c, c->map, 0, is_map_node, NULL);
	/* walk() stopped with map naming the node it found. */
	node->path = c->map;
	node->off = 0;
	return ret;
}

static int live_for_each_child(struct cfm_dt_source *src,
			       const struct cfm_dt_node *node,
			       cfm_dt_node_fn fn, void *arg)
{
	struct live_source *c = (struct live_source *)src;
	char path[CFM_DT_PATH_MAX];
	struct cfm_dt_node child = { .path = path };
	struct dirent **ents;
	int n, i, ret = 0;

	n = list(c, node->path, true, &ents);
	if (n < 0)
		return n;
	for (i = 0; i < n && !ret; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", node->path,
			     ents[i]->d_name) >= (int)sizeof(path))
			ret = cfm_error(-ENAMETOOLONG, "%s%s: path too long",
					src->name, node->path);
		else
			ret = fn(arg, &child);
	}
	free_list(ents, n);
	return ret;
}

static int live_get_prop(struct cfm_dt_source *src,
			 const struct cfm_dt_node *node, const char *name,
			 struct cfm_dt_value *v)
{
	char *val;
	int ret;

	ret = read_prop((struct live_source *)src, node->path, name, &val,
			&v->len);
	if (ret)
		return ret;
	v->data = v->owned = val;
	return 0;
}

/* The files of the node's directory, in name order. */
static int live_visit_props(struct cfm_dt_source *src,
			    const struct cfm_dt_node *node,
			    const struct cfm_dt_visit *visit)
{
	struct dirent **ents;
	struct cfm_dt_value v;
	int n, i, ret = 0;

	n = list((struct live_source *)src, node->path, false, &ents);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		ret = visit->pick(visit->arg, name);
		if (ret <= 0) {
			if (ret)
				break;
			continue;
		}
		ret = live_get_prop(src, node, name, &v);
		if (ret)
			break;
		ret = visit->take(visit->arg, name, &v);
		free(v.owned);
		if (ret)
			break;
	}
	free_list(ents, n);
	return ret;
}

static const struct cfm_dt_ops live_ops = {
	.find_map_node = live_find_map_node, .get_prop = live_get_prop,
	.for_each_child = live_for_each_child, .visit_props = live_visit_props,
	.resolve_target = live_resolve_target,
};

CFM_EXPORT int cfm_config_load_live(struct cfm_config *cfg, const char *dir)
{
	struct live_source *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return cfm_error(-ENOMEM, "%s: out of memory", dir);
	c->src.ops = &live_ops;
	c->src.name = dir;
	ret = cfm_dt_load(cfg, &c->src);
	free(c);
	return ret;
}
