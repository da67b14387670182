// SPDX-License-Identifier: MIT
/*
 * Reading and writing small files: sysfs attributes, live device tree
 * properties, configuration files. Every failure message names the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int read_fd(int fd, char *buf, size_t size, size_t *len)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	*len = got;
	return 0;
}

int cfm_read_file(const char *path, char *buf, size_t size, size_t *len)
{
	int fd, ret;
	char extra;
	size_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cfm_error(-errno, "%s: %s", path, strerror(errno));
	ret = read_fd(fd, buf, size, len);
	/* One more byte tells a full buffer from a file too long for it. */
	if (!ret && *len == size && !read_fd(fd, &extra, 1, &n) && n)
		ret = -EFBIG;
	close(fd);
	if (ret)
		return cfm_error(ret, "%s: %s", path, strerror(-ret));
	return 0;
}

/* sysfs values end in a newline; drop trailing blanks of any kind. */
static size_t trim_end(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r'))
		n--;
	return n;
}

int cfm_read_str(const char *path, char *buf, size_t size)
{
	size_t len;
	int ret;

	ret = cfm_read_file(path, buf, size - 1, &len);
	if (ret)
		return ret;
	if (memchr(buf, '\0', len))
		return cfm_error(-EINVAL, "%s: not text", path);
	buf[trim_end(buf, len)] = '\0';
	return 0;
}

bool cfm_strtou64(const char *s, size_t n, uint64_t max, uint64_t *val)
{
	uint64_t v = 0;
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned int)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*val = v;
	return true;
}

const char *cfm_number_range(const char *s, uint64_t max, uint64_t *lo,
			     uint64_t *hi, size_t *bad_len)
{
	static const char blanks[] = " \t\n";
	uint64_t v;

	*lo = UINT64_MAX;
	*hi = 0;
	for (s += strspn(s, blanks); *s; s += strspn(s, blanks)) {
		size_t n = strcspn(s, blanks);

		if (!cfm_strtou64(s, n, max, &v)) {
			*bad_len = n;
			return s;
		}
		if (v < *lo)
			*lo = v;
		if (v > *hi)
			*hi = v;
		s += n;
	}
	return NULL;
}

int cfm_parse_u64(const char *path, const char *s, uint64_t *val)
{
	if (!cfm_strtou64(s, strlen(s), UINT64_MAX, val))
		return cfm_error(-EINVAL, "%s: not a number: '%.40s'", path, s);
	return 0;
}

int cfm_read_u64(const char *path, uint64_t *val)
{
	char buf[64];
	int ret;

	ret = cfm_read_str(path, buf, sizeof(buf));
	if (ret == -EFBIG)
		return cfm_error(-EINVAL, "%s: not a number", path);
	if (ret)
		return ret;
	return cfm_parse_u64(path, buf, val);
}

int cfm_write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd;

	/* O_TRUNC: a plain file (a test tree) must not keep stale bytes. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return cfm_error(-errno, "%s: %s", path, strerror(errno));
	do {
		n = write(fd, s, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;

		close(fd);
		return cfm_error(-err, "%s: %s", path, strerror(err));
	}
	if (close(fd) < 0)
		return cfm_error(-errno, "%s: %s", path, strerror(errno));
	if ((size_t)n != len)
		return cfm_error(-EIO, "%s: short write", path);
	return 0;
}

int cfm_write_u64(const char *path, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", val);
	return cfm_write_str(path, buf);
}

int cfm_slurp(const char *path, char **bufp, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cfm_error(-errno, "%s: %s", path, strerror(errno));
	for (;;) {
		char *nb = realloc(buf, cap + 1);
		ssize_t n;

		if (!nb) {
			ret = cfm_error(-ENOMEM, "%s: out of memory", path);
			goto fail;
		}
		buf = nb;
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = cfm_error(-errno, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
		if (len == cap) {
			if (cap >= CFM_MAX_FILE) {
				ret = cfm_error(-EFBIG, "%s: larger than %u bytes",
						path, CFM_MAX_FILE);
				goto fail;
			}
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return ret;
}

int cfm_load_path(struct cfm_config *cfg, const char *path, cfm_load_fn load,
		  const char *arg)
{
	size_t len;
	char *buf;
	int ret;

	ret = cfm_slurp(path, &buf, &len);
	if (ret)
		return ret;
	ret = load(cfg, path, buf, len, arg);
	free(buf);
	return ret;
}

int cfm_path_join(char *buf, size_t size, const char *a, const char *b)
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
