// SPDX-License-Identifier: MIT
/*
 * devfreq devices (Hz) under <root>/sys/class/devfreq/<name>: what they can
 * do, and the governor and frequency writes that drive them. The root lets
 * tests and chroots use a tree of plain files.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define DEVFREQ_DIR "/sys/class/devfreq"

/* The device tree path an of_node link points at, or NULL. */
static const char *node_of_link(const char *link)
{
	static const char base[] = "/devicetree/base";
	const char *s = strstr(link, base);

	if (!s)
		return NULL;
	s += sizeof(base) - 1;
	if (*s && *s != '/')
		return NULL;
	return *s ? s : "/";
}

int cfm_devfreq_by_node(const char *root, const char *node, char **name)
{
	char dir[PATH_MAX], path[PATH_MAX], link[PATH_MAX];
	struct dirent **ents;
	int i, n, ret = -ENOENT;

	if (snprintf(dir, sizeof(dir), "%s" DEVFREQ_DIR, root) >= (int)sizeof(dir))
		return cfm_error(-ENAMETOOLONG, "%s: path too long", root);
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return cfm_error(-errno, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *target;
		ssize_t len;

		if (ret != -ENOENT || ents[i]->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s/device/of_node", dir,
			     ents[i]->d_name) >= (int)sizeof(path))
			continue;
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		target = node_of_link(link);
		if (target && !strcmp(target, node)) {
			*name = strdup(ents[i]->d_name);
			ret = *name ? 0 : -ENOMEM;
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

int cfm_devfreq_attr_path(const struct cfm_devfreq *d, const char *attr,
			  char *buf, size_t size)
{
	return cfm_path_join(buf, size, d->dir, attr);
}

static int read_attr_u64(struct cfm_devfreq *d, const char *attr,
			 uint64_t *v)
{
	char path[PATH_MAX];
	int ret;

	ret = cfm_devfreq_attr_path(d, attr, path, sizeof(path));
	return ret ? ret : cfm_read_u64(path, v);
}

/* Is word w one of the blank-separated words of list? */
static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	while (*list) {
		size_t k = strcspn(list, " \t\n");

		if (k == n && !strncmp(list, w, n))
			return true;
		list += k;
		if (*list)
			list++;
	}
	return false;
}

/* The lowest and highest of available_frequencies; 0, 0 if none listed. */
static int read_range(struct cfm_devfreq *d, char *path, size_t size)
{
	uint64_t lo, hi;
	const char *bad;
	size_t len, n;
	char *buf;
	int ret;

	ret = cfm_devfreq_attr_path(d, "available_frequencies", path, size);
	if (ret)
		return ret;
	ret = cfm_slurp(path, &buf, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	bad = cfm_number_range(buf, UINT64_MAX, &lo, &hi, &n);
	if (bad)
		ret = cfm_error(-EINVAL, "%s: not a number: '%.*s'", path,
				(int)(n > 40 ? 40 : n), bad);
	free(buf);
	if (!ret && hi) {
		d->range_min = lo;
		d->range_max = hi;
	}
	return ret;
}

int cfm_devfreq_probe(const char *root, const char *name,
		      struct cfm_devfreq *d)
{
	char path[PATH_MAX], govs[4096];
	struct stat st;
	int ret;

	if (snprintf(path, sizeof(path), "%s" DEVFREQ_DIR "/%s", root, name) >=
	    (int)sizeof(path))
		return cfm_error(-ENAMETOOLONG, "%s: path too long", root);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return cfm_error(-ENOENT, "%s: no such devfreq device", path);
	d->name = strdup(name);
	d->dir = strdup(path);
	if (!d->name || !d->dir)
		return cfm_error(-ENOMEM, "%s: out of memory", path);
	ret = cfm_devfreq_attr_path(d, "governor", path, sizeof(path));
	if (!ret)
		ret = cfm_read_str(path, d->saved_governor,
				   sizeof(d->saved_governor));
	if (!ret && !d->saved_governor[0])
		ret = cfm_error(-EINVAL, "%s: empty", path);
	if (!ret)
		ret = cfm_devfreq_attr_path(d, "available_governors", path,
					    sizeof(path));
	if (!ret)
		ret = cfm_read_str(path, govs, sizeof(govs));
	if (!ret)
		ret = read_attr_u64(d, "min_freq", &d->saved_min);
	if (!ret)
		ret = read_attr_u64(d, "max_freq", &d->saved_max);
	if (!ret)
		ret = read_range(d, path, sizeof(path));
	if (ret)
		return ret;
	if (!d->range_max) {
		/* No frequency table: the current limits bound it. */
		d->range_min = d->saved_min;
		d->range_max = d->saved_max;
	}
	if (has_word(govs, "userspace")) {
		d->control = CFM_CONTROL_USERSPACE;
		return 0;
	}
	/* Mode bits, not access(): root may write anything but sysfs won't. */
	ret = cfm_devfreq_attr_path(d, "min_freq", path, sizeof(path));
	if (ret)
		return ret;
	if (stat(path, &st) || !(st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)))
		return cfm_error(-EPERM, "%s: no userspace governor and min_freq is not writable",
				 d->dir);
	d->control = CFM_CONTROL_MIN_FREQ;
	return 0;
}

void cfm_devfreq_release(struct cfm_devfreq *d)
{
	free(d->name);
	free(d->dir);
	d->name = d->dir = NULL;
}

int cfm_devfreq_set_governor(struct cfm_devfreq *d, const char *gov)
{
	char path[PATH_MAX], buf[80];
	int ret;

	ret = cfm_devfreq_attr_path(d, "governor", path, sizeof(path));
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%s\n", gov);
	return cfm_write_str(path, buf);
}

int cfm_devfreq_write_target(struct cfm_devfreq *d, uint64_t freq)
{
	char path[PATH_MAX];
	int ret;

	ret = cfm_devfreq_attr_path(d, d->control == CFM_CONTROL_USERSPACE ?
					 "userspace/set_freq" : "min_freq",
				    path, sizeof(path));
	return ret ? ret : cfm_write_u64(path, freq);
}

int cfm_devfreq_restore_limits(struct cfm_devfreq *d)
{
	const char *attr[2] = { "min_freq", "max_freq" };
	uint64_t saved[2] = { d->saved_min, d->saved_max };
	int i, ret, first = 0;

	for (i = 0; i < 2; i++) {
		char path[PATH_MAX];
		uint64_t cur;

		ret = cfm_devfreq_attr_path(d, attr[i], path, sizeof(path));
		if (!ret && !cfm_read_u64(path, &cur) && cur == saved[i])
			continue;
		if (!ret)
			ret = cfm_write_u64(path, saved[i]);
		if (ret && !first)
			first = ret;
	}
	return first;
}
