// SPDX-License-Identifier: MIT
/*
 * ublk_ctrl_list(): the ids of the devices that exist, read from the names
 * of their char devices. No control command is involved.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Device ids from the names of a directory's "ublkcN" entries: the @max lowest. */
static int list_dir(const char *path, uint32_t *ids, unsigned int max)
{
	uint32_t *all = NULL;
	size_t n = 0, room = 0;
	struct dirent *de;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		unsigned long id;

		if (strncmp(de->d_name, "ublkc", 5) || !de->d_name[5])
			continue;
		id = strtoul(de->d_name + 5, &end, 10);
		if (*end || id > UINT32_MAX)
			continue;
		if (n == room) {
			uint32_t *more = realloc(all, (room = room ? 2 * room : 64) * sizeof(*all));

			if (!more) {
				free(all);
				closedir(dir);
				return -ENOMEM;
			}
			all = more;
		}
		all[n++] = (uint32_t)id;
	}
	closedir(dir);
	if (n && max) {
		qsort(all, n, sizeof(*all), cmp_u32);
		memcpy(ids, all, (n < max ? n : max) * sizeof(*ids));
	}
	free(all);
	return n > INT32_MAX ? -EOVERFLOW : (int)n;
}

UBLK_EXPORT int ublk_ctrl_list(uint32_t *ids, unsigned int max)
{
	int ret;

	/* Every device has a char device; sysfs lists it even without devtmpfs. */
	ret = list_dir("/sys/class/ublk-char", ids, max);
	if (ret == -ENOENT)
		ret = list_dir("/dev", ids, max);
	return ret;
}
