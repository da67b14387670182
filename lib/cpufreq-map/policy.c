// SPDX-License-Identifier: MIT
/*
 * cpufreq policies (kHz) under <root>/sys/devices/system/cpu/cpufreq/policyN.
 * The root lets tests and chroots use a tree of plain files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define CPUFREQ_DIR "/sys/devices/system/cpu/cpufreq"

static int read_khz(const char *dir, const char *attr, uint32_t *khz)
{
	char path[PATH_MAX];
	uint64_t v;
	int ret;

	ret = cfm_path_join(path, sizeof(path), dir, attr);
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
	char path[PATH_MAX], buf[4096];
	uint64_t first, last;
	size_t n;
	int ret;

	ret = cfm_path_join(path, sizeof(path), p->dir, "related_cpus");
	if (!ret)
		ret = cfm_read_str(path, buf, sizeof(buf));
	if (ret)
		return ret;
	if (cfm_number_range(buf, 65535, &first, &last, &n))
		return cfm_error(-EINVAL, "%s: not a CPU list: '%.40s'",
				 path, buf);
	if (first > last)
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
	ret = cfm_path_join(path, sizeof(path), cpufreq, name);
	if (ret)
		return ret;
	p->dir = strdup(path);
	if (!p->dir)
		return cfm_error(-ENOMEM, "%s: out of memory", path);
	ret = cfm_path_join(path, sizeof(path), p->dir, "scaling_cur_freq");
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
