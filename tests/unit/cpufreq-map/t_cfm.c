// SPDX-License-Identifier: MIT
/* Fake sysfs trees for the cpufreq-map host tests. */
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t_cfm.h"

int t_failures;

char *t_tree_new(void)
{
	const char *tmp = getenv("TMPDIR");
	char *root;

	if (asprintf(&root, "%s/cfm-test.XXXXXX", tmp ? tmp : "/tmp") < 0 ||
	    !mkdtemp(root)) {
		perror("mkdtemp");
		exit(T_EXIT_FAIL);
	}
	return root;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void t_tree_free(char *root)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

static void mkdirs(char *path)
{
	char *s;

	for (s = path + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
}

void t_write_bytes(const char *root, const char *rel, const void *val,
		   size_t len)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/%s", root, rel) < 0)
		exit(T_EXIT_FAIL);
	mkdirs(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, val, len) != (ssize_t)len || close(fd)) {
		perror(path);
		exit(T_EXIT_FAIL);
	}
	free(path);
}

void t_write(const char *root, const char *rel, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		exit(T_EXIT_FAIL);
	t_write_bytes(root, rel, text, (size_t)n);
	free(text);
}

const char *t_read(const char *root, const char *rel)
{
	static char buf[4096];
	char *path;
	ssize_t n;
	int fd;

	if (asprintf(&path, "%s/%s", root, rel) < 0)
		exit(T_EXIT_FAIL);
	fd = open(path, O_RDONLY);
	free(path);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return buf;
}

void t_chmod(const char *root, const char *rel, unsigned int mode)
{
	char *path;

	if (asprintf(&path, "%s/%s", root, rel) < 0 || chmod(path, mode)) {
		perror("chmod");
		exit(T_EXIT_FAIL);
	}
	free(path);
}

#define POLICY "sys/devices/system/cpu/cpufreq/policy"

void t_policy(const char *root, unsigned int id, const char *cpus,
	      uint32_t min, uint32_t max, uint32_t cur)
{
	char rel[256];

	snprintf(rel, sizeof(rel), POLICY "%u/related_cpus", id);
	t_write(root, rel, "%s\n", cpus);
	snprintf(rel, sizeof(rel), POLICY "%u/cpuinfo_min_freq", id);
	t_write(root, rel, "%u\n", min);
	snprintf(rel, sizeof(rel), POLICY "%u/cpuinfo_max_freq", id);
	t_write(root, rel, "%u\n", max);
	t_set_cur(root, id, cur);
}

void t_set_cur(const char *root, unsigned int id, uint32_t cur)
{
	char rel[256];

	snprintf(rel, sizeof(rel), POLICY "%u/scaling_cur_freq", id);
	t_write(root, rel, "%u\n", cur);
}

void t_devfreq(const char *root, const char *name, const char *governors,
	       const char *freqs, uint64_t min, uint64_t max)
{
	char rel[256];

#define DEV(attr) (snprintf(rel, sizeof(rel), "sys/class/devfreq/%s/%s", name, attr), rel)
	t_write(root, DEV("governor"), "simple_ondemand\n");
	t_write(root, DEV("available_governors"), "%s\n", governors);
	if (freqs)
		t_write(root, DEV("available_frequencies"), "%s\n", freqs);
	t_write(root, DEV("min_freq"), "%" PRIu64 "\n", min);
	t_write(root, DEV("max_freq"), "%" PRIu64 "\n", max);
	t_write(root, DEV("cur_freq"), "%" PRIu64 "\n", min);
	if (strstr(governors, "userspace"))
		t_write(root, DEV("userspace/set_freq"), "undefined\n");
#undef DEV
}
