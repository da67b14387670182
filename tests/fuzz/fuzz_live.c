// SPDX-License-Identifier: MIT
/*
 * Fuzz the live tree loader. The input describes a directory tree as
 * records: a relative path ending in NUL, a length byte, then that many
 * bytes of file content. Records are written below a scratch directory,
 * which is loaded and removed again.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpufreq-map/cpufreq-map.h"

#define MAX_RECORDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Only plain relative names: no "", ".", ".." components. */
static int safe(const char *rel)
{
	const char *s = rel;

	if (!*rel || *rel == '/')
		return 0;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (!n || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s)
			s++;
	}
	return s[-1] != '/';
}

static void put(const char *root, const char *rel, const uint8_t *v, size_t n)
{
	char path[PATH_MAX], *s;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return;
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	if (write(fd, v, n) < 0) {
		/* Nothing to do: the loader sees what is there. */
	}
	close(fd);
}

static void remove_scratch(void)
{
	nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char root[PATH_MAX + 8];
	struct cfm_config *cfg;
	size_t pos = 0;
	int records = 0;

	if (!scratch[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(scratch, sizeof(scratch), "%s/cfm-fuzz-live.XXXXXX",
			 tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch))
			abort();
		atexit(remove_scratch);
	}
	snprintf(root, sizeof(root), "%s/t", scratch);
	mkdir(root, 0755);
	while (pos < size && records++ < MAX_RECORDS) {
		const char *rel = (const char *)data + pos;
		const uint8_t *nul = memchr(data + pos, '\0', size - pos);
		size_t n;

		if (!nul || (size_t)(nul - data) + 1 >= size)
			break;
		pos = (size_t)(nul - data) + 1;
		n = data[pos++];
		if (n > size - pos)
			n = size - pos;
		if (safe(rel))
			put(root, rel, data + pos, n);
		pos += n;
	}
	if (!cfm_config_new(&cfg)) {
		cfm_config_load_live(cfg, root);
		cfm_config_free(cfg);
	}
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
