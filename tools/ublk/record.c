// SPDX-License-Identifier: MIT
/*
 * The run directory: one JSON file per device, written atomically by its
 * daemon, naming what the kernel does not know: the target and its options,
 * which `list` shows and `recover` needs to serve the device again.
 * UBLK_RUN_DIR overrides the default /run/ublk.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ublk_tool.h"

const char *record_dir(void)
{
	const char *dir = getenv("UBLK_RUN_DIR");

	return dir && *dir ? dir : "/run/ublk";
}

static void record_path(uint32_t id, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.json%s", record_dir(), id, suffix);
}

/* mkdir -p */
static int mkdir_parents(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

int record_write(uint32_t id, const struct dev_record *s)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct json j = { 0 };
	FILE *f;
	int ret = 0;

	ret = mkdir_parents(record_dir());
	if (ret < 0)
		return ret;
	record_path(id, "", path, sizeof(path));
	record_path(id, ".tmp", tmp, sizeof(tmp));
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	j.f = f;
	json_begin_object(&j);
	json_key_int(&j, "id", id);
	json_key_string(&j, "target", s->target);
	json_key_string(&j, "backing_file", s->file[0] ? s->file : NULL);
	json_key_string(&j, "uri", s->uri[0] ? s->uri : NULL);
	json_key_int(&j, "size", (long long)s->size);
	json_key_bool(&j, "buffered", s->buffered);
	json_key_int(&j, "daemon_pid", s->pid);
	json_end_object(&j);
	fputc('\n', f);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void record_remove(uint32_t id)
{
	char path[PATH_MAX];

	record_path(id, "", path, sizeof(path));
	unlink(path);
}

/* Read a JSON string at *p into @out; advance *p past it. */
static int parse_string(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	if (*s++ != '"')
		return -EINVAL;
	while (*s != '"') {
		char c = *s++;

		if (!c)
			return -EINVAL;
		if (c == '\\') {
			c = *s++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'u': {
				char hex[5] = { 0 };
				unsigned long v;

				if (strlen(s) < 4)
					return -EINVAL;
				memcpy(hex, s, 4);
				v = strtoul(hex, NULL, 16);
				if (v == 0 || v > 0x7f)
					return -EINVAL;
				c = (char)v;
				s += 4;
				break;
			}
			default:
				return -EINVAL;
			}
		}
		if (n + 1 >= len)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	out[n] = '\0';
	*p = s + 1;
	return 0;
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
		(*p)++;
}

/* The string field of @s that @key names, or NULL. */
static char *string_field(struct dev_record *s, const char *key, size_t *len)
{
	if (!strcmp(key, "target")) {
		*len = sizeof(s->target);
		return s->target;
	}
	if (!strcmp(key, "backing_file")) {
		*len = sizeof(s->file);
		return s->file;
	}
	if (!strcmp(key, "uri")) {
		*len = sizeof(s->uri);
		return s->uri;
	}
	return NULL;
}

/* Read the value at *p of @key into @s, if @key is one of its fields. */
static int parse_value(const char **p, const char *key, struct dev_record *s)
{
	if (**p == '"') {
		char skipped[sizeof(s->file)];
		size_t len = sizeof(skipped);
		char *dst = string_field(s, key, &len);

		return parse_string(p, dst ? dst : skipped, len);
	}
	if (!strncmp(*p, "null", 4)) {
		*p += 4;
	} else if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
		bool v = **p == 't';

		*p += v ? 4 : 5;
		if (!strcmp(key, "buffered"))
			s->buffered = v;
	} else {
		char *end;
		long long v = strtoll(*p, &end, 10);

		if (end == *p)
			return -EINVAL;
		*p = end;
		if (!strcmp(key, "daemon_pid"))
			s->pid = v;
		else if (!strcmp(key, "size"))
			s->size = v < 0 ? 0 : (uint64_t)v;
	}
	return 0;
}

/* Parse the flat object record_write() writes; unknown keys are skipped. */
int record_parse(const char *text, struct dev_record *s)
{
	const char *p = text;
	char key[32];

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	skip_ws(&p);
	if (*p++ != '{')
		return -EINVAL;
	for (;;) {
		skip_ws(&p);
		if (*p == '}')
			return 0;
		if (parse_string(&p, key, sizeof(key)))
			return -EINVAL;
		skip_ws(&p);
		if (*p++ != ':')
			return -EINVAL;
		skip_ws(&p);
		if (parse_value(&p, key, s))
			return -EINVAL;
		skip_ws(&p);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return -EINVAL;
	}
}

int record_read(uint32_t id, struct dev_record *s)
{
	char path[PATH_MAX], buf[16384];
	ssize_t n;
	int fd, ret;

	record_path(id, "", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = '\0';
	return record_parse(buf, s);
}
