// SPDX-License-Identifier: MIT
/*
 * The daemon's counters in a small text file, so that status can show
 * transitions since the daemon started:
 *   pid PID
 *   policy ID CHANGES
 *   device NAME TARGET TRANSITIONS
 * Written to a temporary file and renamed, so readers never see half.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfm-tool.h"

struct state_dev {
	char name[256];
	uint64_t target, transitions;
};

struct tool_state {
	unsigned int nr_pols, nr_devs;
	unsigned int *pol_ids;
	uint64_t *pol_changes;
	struct state_dev *devs;
};

char *tool_state_path(const struct tool_opts *o)
{
	return o->state_file ? strdup(o->state_file)
			     : tool_root_path(o, "/run/cpufreq-map/state");
}

/* mkdir -p of the file's directory. */
static int make_parent(const char *path)
{
	char *dir = strdup(path), *s;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	for (s = dir + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*s = '/';
	}
	free(dir);
	return ret;
}

int tool_state_write(const char *path, const struct cfm_gov *gov)
{
	unsigned int i;
	char *tmp;
	FILE *f;
	int ret;

	ret = make_parent(path);
	if (ret)
		return ret;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	f = fopen(tmp, "we");
	if (!f) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	fprintf(f, "pid %ld\n", (long)getpid());
	for (i = 0; i < cfm_gov_nr_policies(gov); i++) {
		struct cfm_policy_info p;

		if (!cfm_gov_policy_info(gov, i, &p))
			fprintf(f, "policy %u %" PRIu64 "\n", p.id, p.changes);
	}
	for (i = 0; i < cfm_gov_nr_devices(gov); i++) {
		struct cfm_device_info d;

		if (!cfm_gov_device_info(gov, i, &d))
			fprintf(f, "device %s %" PRIu64 " %" PRIu64 "\n", d.name,
				d.written, d.transitions);
	}
	ret = ferror(f) ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

void tool_state_remove(const char *path)
{
	unlink(path);
}

static bool parse_line(struct tool_state *s, const char *line, long *pid)
{
	struct state_dev d;
	unsigned int id;
	uint64_t a, b;
	void *n;

	if (sscanf(line, "pid %ld", pid) == 1)
		return true;
	if (sscanf(line, "policy %u %" SCNu64, &id, &a) == 2) {
		n = realloc(s->pol_ids, (s->nr_pols + 1) * sizeof(*s->pol_ids));
		if (!n)
			return false;
		s->pol_ids = n;
		n = realloc(s->pol_changes,
			    (s->nr_pols + 1) * sizeof(*s->pol_changes));
		if (!n)
			return false;
		s->pol_changes = n;
		s->pol_ids[s->nr_pols] = id;
		s->pol_changes[s->nr_pols++] = a;
		return true;
	}
	if (sscanf(line, "device %255s %" SCNu64 " %" SCNu64, d.name, &a, &b) == 3) {
		n = realloc(s->devs, (s->nr_devs + 1) * sizeof(*s->devs));
		if (!n)
			return false;
		s->devs = n;
		d.target = a;
		d.transitions = b;
		s->devs[s->nr_devs++] = d;
		return true;
	}
	return false;
}

struct tool_state *tool_state_read(const char *path)
{
	struct tool_state *s;
	char line[512];
	long pid = 0;
	FILE *f;
	bool ok = true;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	s = calloc(1, sizeof(*s));
	while (s && ok && fgets(line, sizeof(line), f))
		ok = parse_line(s, line, &pid);
	fclose(f);
	/* A state file left by a daemon that died says nothing current. */
	if (!s || !ok || pid <= 0 || (kill((pid_t)pid, 0) && errno != EPERM)) {
		tool_state_free(s);
		return NULL;
	}
	return s;
}

void tool_state_free(struct tool_state *s)
{
	if (!s)
		return;
	free(s->pol_ids);
	free(s->pol_changes);
	free(s->devs);
	free(s);
}

bool tool_state_policy(const struct tool_state *s, unsigned int id,
		       uint64_t *changes)
{
	unsigned int i;

	for (i = 0; s && i < s->nr_pols; i++) {
		if (s->pol_ids[i] == id) {
			*changes = s->pol_changes[i];
			return true;
		}
	}
	return false;
}

bool tool_state_device(const struct tool_state *s, const char *name,
		       uint64_t *target, uint64_t *transitions)
{
	unsigned int i;

	for (i = 0; s && i < s->nr_devs; i++) {
		if (!strcmp(s->devs[i].name, name)) {
			*target = s->devs[i].target;
			*transitions = s->devs[i].transitions;
			return true;
		}
	}
	return false;
}
