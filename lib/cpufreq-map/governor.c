// SPDX-License-Identifier: MIT
/*
 * The governor: binds maps to devfreq devices, switches them to the
 * userspace governor and back, and decides when to write a new target
 * (clamps, hold-down before stepping down, minimum interval between
 * writes). All checks happen in cfm_gov_open(), before anything changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NS_PER_MS 1000000ull

struct cfm_gov {
	char *root;			/* sysfs root without trailing '/' */
	unsigned int flags;
	struct cfm_policy_state *pols;
	struct cfm_policy *snap;	/* contiguous, for cfm_map_target() */
	unsigned int nr_pols;
	struct cfm_devfreq *devs;
	unsigned int nr_devs;
	bool started;
};

static int bind_device(struct cfm_gov *gov, const struct cfm_map *m,
		       const struct cfm_gov_params *params,
		       struct cfm_devfreq *d)
{
	char *found = NULL;
	unsigned int i;
	int ret;

	if (m->device) {
		ret = cfm_devfreq_probe(gov->root, m->device, d);
		if (ret == -ENOENT)
			return cfm_error(ret, "%s: devfreq device '%s' not found under %s/sys/class/devfreq",
					 m->origin, m->device, gov->root);
	} else {
		ret = cfm_devfreq_by_node(gov->root, m->target_node, &found);
		if (ret == -ENOENT)
			return cfm_error(ret, "%s: target-dev %s matches no devfreq device under %s/sys/class/devfreq",
					 m->origin, m->target_node, gov->root);
		if (ret)
			return ret;
		ret = cfm_devfreq_probe(gov->root, found, d);
		free(found);
	}
	if (ret)
		return ret;
	for (i = 0; i < gov->nr_devs; i++)
		if (!strcmp(gov->devs[i].name, d->name))
			return cfm_error(-EEXIST, "%s: device '%s' already mapped at %s",
					 m->origin, d->name,
					 gov->devs[i].map->origin);
	d->map = m;
	d->lim = m->limits;
	if (d->lim.hold_down_ms == CFM_UNSET)
		d->lim.hold_down_ms = params->hold_down_ms;
	if (d->lim.min_interval_ms == CFM_UNSET)
		d->lim.min_interval_ms = params->min_interval_ms;
	return 0;
}

CFM_EXPORT int cfm_gov_open(struct cfm_gov **govp, const struct cfm_config *cfg,
			    const struct cfm_gov_params *params)
{
	static const struct cfm_gov_params defaults;
	struct cfm_gov *gov;
	unsigned int i;
	int ret;

	if (!params)
		params = &defaults;
	if (!cfg->nr_maps)
		return cfm_error(-EINVAL, "no device configured");
	gov = calloc(1, sizeof(*gov));
	if (!gov)
		return cfm_error(-ENOMEM, "out of memory");
	gov->flags = params->flags;
	gov->root = cfm_root_prefix(params->sysfs_root);
	gov->devs = calloc(cfg->nr_maps, sizeof(*gov->devs));
	if (!gov->root || !gov->devs) {
		ret = cfm_error(-ENOMEM, "out of memory");
		goto fail;
	}
	ret = cfm_policies_scan(gov->root, &gov->pols, &gov->snap,
				&gov->nr_pols);
	if (ret)
		goto fail;
	for (i = 0; i < cfg->nr_maps; i++) {
		ret = bind_device(gov, cfg->maps[i], params, &gov->devs[i]);
		if (ret) {
			cfm_devfreq_release(&gov->devs[i]);
			goto fail;
		}
		gov->nr_devs++;
	}
	*govp = gov;
	return 0;
fail:
	cfm_gov_close(gov);
	return ret;
}

CFM_EXPORT void cfm_gov_close(struct cfm_gov *gov)
{
	unsigned int i;

	if (!gov)
		return;
	for (i = 0; i < gov->nr_devs; i++)
		cfm_devfreq_release(&gov->devs[i]);
	free(gov->devs);
	cfm_policies_free(gov->pols, gov->nr_pols);
	free(gov->snap);
	free(gov->root);
	free(gov);
}

CFM_EXPORT int cfm_gov_start(struct cfm_gov *gov)
{
	unsigned int i;
	int ret = 0;

	if (gov->flags & CFM_GOV_DRY_RUN) {
		gov->started = true;
		return 0;
	}
	for (i = 0; i < gov->nr_devs; i++) {
		struct cfm_devfreq *d = &gov->devs[i];

		if (d->control != CFM_CONTROL_USERSPACE ||
		    !strcmp(d->saved_governor, "userspace"))
			continue;
		ret = cfm_devfreq_set_governor(d, "userspace");
		if (ret)
			goto undo;
		d->switched = true;
	}
	gov->started = true;
	return 0;
undo:
	/* Leave every device as it was; the first error is the one reported. */
	while (i--) {
		struct cfm_devfreq *d = &gov->devs[i];
		char keep[1024];

		if (!d->switched)
			continue;
		strncpy(keep, cfm_last_error(), sizeof(keep) - 1);
		keep[sizeof(keep) - 1] = '\0';
		if (!cfm_devfreq_set_governor(d, d->saved_governor))
			d->switched = false;
		cfm_error(ret, "%s", keep);
	}
	return ret;
}

CFM_EXPORT int cfm_gov_refresh(struct cfm_gov *gov)
{
	unsigned int i;
	int changed = 0;

	for (i = 0; i < gov->nr_pols; i++)
		changed += cfm_policy_refresh(&gov->pols[i], &gov->snap[i]);
	return changed;
}

static uint64_t clamp_target(const struct cfm_devfreq *d, uint64_t t)
{
	if (d->lim.min_freq && t < d->lim.min_freq)
		t = d->lim.min_freq;
	if (d->lim.max_freq && t > d->lim.max_freq)
		t = d->lim.max_freq;
	return t;
}

static void set_deadline(uint64_t *next, uint64_t when)
{
	if (when < *next)
		*next = when;
}

/* Should d be written now with target t? Sets *next when it must wait. */
static bool due(struct cfm_devfreq *d, uint64_t t, uint64_t now,
		uint64_t *next)
{
	uint64_t hold = d->lim.hold_down_ms * NS_PER_MS;
	uint64_t gap = d->lim.min_interval_ms * NS_PER_MS;

	if (!d->have_written)
		return true;
	if (t == d->written) {
		d->down_pending = false;
		return false;
	}
	if (t < d->written && hold) {
		if (!d->down_pending) {
			d->down_pending = true;
			d->down_since_ns = now;
		}
		if (now - d->down_since_ns < hold) {
			set_deadline(next, d->down_since_ns + hold);
			return false;
		}
	} else {
		d->down_pending = false;
	}
	if (gap && now - d->last_write_ns < gap) {
		set_deadline(next, d->last_write_ns + gap);
		return false;
	}
	return true;
}

CFM_EXPORT int cfm_gov_evaluate(struct cfm_gov *gov, uint64_t now_ns,
				uint64_t *next_ns)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;
	int ret, written = 0;

	for (i = 0; i < gov->nr_devs; i++) {
		struct cfm_devfreq *d = &gov->devs[i];
		uint64_t t;

		t = cfm_map_target(d->map, gov->snap, gov->nr_pols,
				   d->range_min, d->range_max);
		t = clamp_target(d, t);
		d->target = t;
		if (!due(d, t, now_ns, &next))
			continue;
		if (!(gov->flags & CFM_GOV_DRY_RUN)) {
			ret = cfm_devfreq_write_target(d, t);
			if (ret)
				return ret;
		}
		d->have_written = true;
		d->down_pending = false;
		d->written = t;
		d->last_write_ns = now_ns;
		d->transitions++;
		written++;
	}
	if (next_ns)
		*next_ns = next;
	return written;
}

CFM_EXPORT int cfm_gov_restore(struct cfm_gov *gov)
{
	unsigned int i;
	int ret, first = 0;

	if (!gov->started || (gov->flags & CFM_GOV_DRY_RUN))
		return 0;
	for (i = 0; i < gov->nr_devs; i++) {
		struct cfm_devfreq *d = &gov->devs[i];

		if (d->switched) {
			ret = cfm_devfreq_set_governor(d, d->saved_governor);
			if (!ret)
				d->switched = false;
			else if (!first)
				first = ret;
		}
		ret = cfm_devfreq_restore_limits(d);
		if (ret && !first)
			first = ret;
	}
	gov->started = false;
	return first;
}

CFM_EXPORT unsigned int cfm_gov_nr_policies(const struct cfm_gov *gov)
{
	return gov->nr_pols;
}

CFM_EXPORT int cfm_gov_policy_info(const struct cfm_gov *gov, unsigned int i,
				   struct cfm_policy_info *info)
{
	if (i >= gov->nr_pols)
		return -ERANGE;
	info->id = gov->pols[i].id;
	info->related_cpus = gov->pols[i].related ? gov->pols[i].related : "";
	info->policy = gov->snap[i];
	info->changes = gov->pols[i].changes;
	return 0;
}

CFM_EXPORT unsigned int cfm_gov_nr_devices(const struct cfm_gov *gov)
{
	return gov->nr_devs;
}

CFM_EXPORT int cfm_gov_device_info(const struct cfm_gov *gov, unsigned int i,
				   struct cfm_device_info *info)
{
	const struct cfm_devfreq *d;

	if (i >= gov->nr_devs)
		return -ERANGE;
	d = &gov->devs[i];
	info->name = d->name;
	info->path = d->dir;
	info->origin = d->map->origin;
	info->map = d->map;
	info->control = d->control;
	info->saved_governor = d->saved_governor;
	info->saved_min_freq = d->saved_min;
	info->saved_max_freq = d->saved_max;
	info->range_min = d->range_min;
	info->range_max = d->range_max;
	info->target = d->target;
	info->written = d->written;
	info->transitions = d->transitions;
	return 0;
}

CFM_EXPORT int cfm_gov_device_cur_freq(const struct cfm_gov *gov,
				       unsigned int i, uint64_t *freq)
{
	char path[4096];
	int ret;

	if (i >= gov->nr_devs)
		return -ERANGE;
	ret = cfm_devfreq_attr_path(&gov->devs[i], "cur_freq", path,
				    sizeof(path));
	return ret ? ret : cfm_read_u64(path, freq);
}
