// SPDX-License-Identifier: MIT
/*
 * The kernel side: cpufreq policies (kHz) under
 * <root>/sys/devices/system/cpu/cpufreq/policyN and devfreq devices (Hz)
 * under <root>/sys/class/devfreq/<name>. The root lets tests and chroots
 * use a tree of plain files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CPUFREQ_DIR "/sys/devices/system/cpu/cpufreq"
#define DEVFREQ_DIR "/sys/class/devfreq"

static int join(char *buf, size_t size, const char *a, const char *b)
{
	if (snprintf(buf, size, "%s/%s", a, b) >= (int)size)
		return cfm_error(-ENAMETOOLONG, "%s/%s: path too long", a, b);
	return 0;
}

char *cfm_root_prefix(const char *root)
{
	size_t n;

	if (!root)
		root = "/";
	n = strlen(root);
	while (n && root[n - 1] == '/')
		n--;
	return strndup(root, n);
}

/* -------------------------------------------------------------- cpufreq */

static int read_khz(const char *dir, const char *attr, uint32_t *khz)
{
	char path[PATH_MAX];
	uint64_t v;
	int ret;

	ret = join(path, sizeof(path), dir, attr);
	if (!ret)
		ret = cfm_read_u64(path, &v);
	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return cfm_error(-ERANGE, "%s: out of range", path);
	*khz = (uint32_t)v;
	return 0;
}

/* related_cpus: CPU numbers separated by blanks; the first is the lowest. */
static int read_related(struct cfm_policy_state *p, struct cfm_policy *snap)
{
	char path[PATH_MAX], buf[4096], *s;
	uint64_t cpu, first = UINT64_MAX;
	int ret;

	ret = join(path, sizeof(path), p->dir, "related_cpus");
	if (!ret)
		ret = cfm_read_str(path, buf, sizeof(buf));
	if (ret)
		return ret;
	for (s = buf; *s;) {
		size_t n = strcspn(s, " \t\n");

		if (!n) {
			s++;
			continue;
		}
		if (!cfm_strtou64(s, n, 65535, &cpu))
			return cfm_error(-EINVAL, "%s: not a CPU list: '%.40s'",
					 path, buf);
		if (cpu < first)
			first = cpu;
		s += n;
	}
	if (first == UINT64_MAX)
		return cfm_error(-EINVAL, "%s: no CPU", path);
	free(p->related);
	p->related = strdup(buf);
	if (!p->related)
		return cfm_error(-ENOMEM, "%s: out of memory", path);
	snap->first_cpu = (unsigned int)first;
	return 0;
}

static int read_info(struct cfm_policy_state *p, struct cfm_policy *snap)
{
	int ret;

	ret = read_khz(p->dir, "cpuinfo_min_freq", &snap->min_khz);
	if (!ret)
		ret = read_khz(p->dir, "cpuinfo_max_freq", &snap->max_khz);
	if (!ret)
		ret = read_related(p, snap);
	return ret;
}

/* Parse scaling_cur_freq's text: digits, then blanks. */
static bool parse_khz(const char *s, size_t n, uint32_t *khz)
{
	uint64_t v;
	size_t d = 0;

	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	if (!cfm_strtou64(s, d, UINT32_MAX, &v))
		return false;
	for (; d < n; d++)
		if (s[d] != '\n' && s[d] != ' ')
			return false;
	*khz = (uint32_t)v;
	return true;
}

int cfm_policy_refresh(struct cfm_policy_state *p, struct cfm_policy *snap)
{
	char buf[32];
	uint32_t khz;
	ssize_t n;

	n = pread(p->cur_fd, buf, sizeof(buf), 0);
	if (n < 0) {
		/* An offline policy reads EBUSY: it contributes nothing. */
		khz = 0;
	} else if (!parse_khz(buf, (size_t)n, &khz)) {
		/* Half-written (a plain file being rewritten): keep the last. */
		return 0;
	}
	if (khz && !snap->max_khz && read_info(p, snap))
		khz = 0;
	if (khz == snap->cur_khz)
		return 0;
	snap->cur_khz = khz;
	p->changes++;
	return 1;
}

static int open_policy(const char *cpufreq, unsigned int id,
		       struct cfm_policy_state *p, struct cfm_policy *snap)
{
	char path[PATH_MAX], name[32];
	uint64_t v;
	int ret;

	snprintf(name, sizeof(name), "policy%u", id);
	p->id = id;
	p->cur_fd = -1;
	ret = join(path, sizeof(path), cpufreq, name);
	if (ret)
		return ret;
	p->dir = strdup(path);
	if (!p->dir)
		return cfm_error(-ENOMEM, "%s: out of memory", path);
	ret = join(path, sizeof(path), p->dir, "scaling_cur_freq");
	if (ret)
		return ret;
	p->cur_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->cur_fd < 0)
		return cfm_error(-errno, "%s: %s", path, strerror(errno));
	ret = cfm_read_u64(path, &v);
	if (ret == -EBUSY) {
		/* Offline: known by its number until it comes back. */
		snap->first_cpu = id;
		return 0;
	}
	if (!ret && v > UINT32_MAX)
		ret = cfm_error(-ERANGE, "%s: out of range", path);
	if (!ret)
		ret = read_info(p, snap);
	if (ret)
		return ret;
	snap->cur_khz = (uint32_t)v;
	return 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Numbers N of the policyN entries, sorted. */
static int policy_ids(const char *cpufreq, unsigned int **idsp)
{
	unsigned int *ids = NULL, nr = 0;
	struct dirent *e;
	DIR *d;

	d = opendir(cpufreq);
	if (!d)
		return cfm_error(-errno, "%s: %s", cpufreq, strerror(errno));
	while ((e = readdir(d))) {
		unsigned int *n;
		uint64_t id;

		if (strncmp(e->d_name, "policy", 6) ||
		    !cfm_strtou64(e->d_name + 6, strlen(e->d_name + 6),
				  65535, &id))
			continue;
		n = realloc(ids, (nr + 1) * sizeof(*ids));
		if (!n) {
			free(ids);
			closedir(d);
			return cfm_error(-ENOMEM, "%s: out of memory", cpufreq);
		}
		ids = n;
		ids[nr++] = (unsigned int)id;
	}
	closedir(d);
	if (!nr)
		return cfm_error(-ENOENT, "%s: no cpufreq policy", cpufreq);
	qsort(ids, nr, sizeof(*ids), cmp_uint);
	*idsp = ids;
	return (int)nr;
}

int cfm_policies_scan(const char *root, struct cfm_policy_state **polsp,
		      struct cfm_policy **snapp, unsigned int *nrp)
{
	struct cfm_policy_state *pols = NULL;
	struct cfm_policy *snap = NULL;
	char cpufreq[PATH_MAX];
	unsigned int *ids = NULL;
	int i, nr, ret;

	if (snprintf(cpufreq, sizeof(cpufreq), "%s" CPUFREQ_DIR, root) >=
	    (int)sizeof(cpufreq))
		return cfm_error(-ENAMETOOLONG, "%s: path too long", root);
	nr = policy_ids(cpufreq, &ids);
	if (nr < 0)
		return nr;
	pols = calloc((size_t)nr, sizeof(*pols));
	snap = calloc((size_t)nr, sizeof(*snap));
	if (!pols || !snap) {
		ret = cfm_error(-ENOMEM, "%s: out of memory", cpufreq);
		nr = 0;
		goto fail;
	}
	for (i = 0; i < nr; i++)
		pols[i].cur_fd = -1;
	for (i = 0; i < nr; i++) {
		ret = open_policy(cpufreq, ids[i], &pols[i], &snap[i]);
		if (ret)
			goto fail;
	}
	free(ids);
	*polsp = pols;
	*snapp = snap;
	*nrp = (unsigned int)nr;
	return 0;
fail:
	cfm_policies_free(pols, (unsigned int)nr);
	free(snap);
	free(ids);
	return ret;
}

void cfm_policies_free(struct cfm_policy_state *pols, unsigned int nr)
{
	unsigned int i;

	if (!pols)
		return;
	for (i = 0; i < nr; i++) {
		if (pols[i].cur_fd >= 0)
			close(pols[i].cur_fd);
		free(pols[i].dir);
		free(pols[i].related);
	}
	free(pols);
}

/* -------------------------------------------------------------- devfreq */

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
	return join(buf, size, d->dir, attr);
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
	uint64_t f, lo = UINT64_MAX, hi = 0;
	size_t len;
	char *buf, *s;
	int ret;

	ret = cfm_devfreq_attr_path(d, "available_frequencies", path, size);
	if (ret)
		return ret;
	ret = cfm_slurp(path, &buf, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	for (s = buf; *s;) {
		size_t n = strcspn(s, " \t\n");

		if (!n) {
			s++;
			continue;
		}
		if (!cfm_strtou64(s, n, UINT64_MAX, &f)) {
			ret = cfm_error(-EINVAL, "%s: not a number: '%.*s'", path,
					(int)(n > 40 ? 40 : n), s);
			break;
		}
		if (f < lo)
			lo = f;
		if (f > hi)
			hi = f;
		s += n;
	}
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
