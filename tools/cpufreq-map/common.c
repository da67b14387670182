// SPDX-License-Identifier: MIT
/* Messages, loading the configured sources and binding to sysfs. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfm-tool.h"

static void vmsg(const char *fmt, va_list ap)
{
	fputs(TOOL_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tool_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void tool_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void tool_lib_err(void)
{
	tool_err("%s", cfm_last_error());
}

char *tool_root_path(const struct tool_opts *o, const char *rel)
{
	size_t n = strlen(o->sysfs_root);
	char *p;

	while (n && o->sysfs_root[n - 1] == '/')
		n--;
	if (asprintf(&p, "%.*s%s", (int)n, o->sysfs_root, rel) < 0)
		return NULL;
	return p;
}

int tool_load(const struct tool_opts *o, struct cfm_config **cfgp)
{
	struct cfm_config *cfg;
	char *live = NULL;
	const char *dt;
	int ret;

	if (cfm_config_new(&cfg)) {
		tool_lib_err();
		return -1;
	}
	dt = o->device_tree;
	if (!dt) {
		live = tool_root_path(o, "/proc/device-tree");
		dt = live;
	}
	ret = dt ? 0 : -1;
	if (!ret && o->config)
		ret = cfm_config_load_file(cfg, o->config);
	/* With --dtb, the live tree only resolves an overlay's labels. */
	if (!ret && o->dtb)
		ret = cfm_config_load_dtb(cfg, o->dtb, dt);
	else if (!ret && (o->device_tree || !o->config))
		ret = cfm_config_load_live(cfg, dt);
	free(live);
	if (ret) {
		tool_lib_err();
		cfm_config_free(cfg);
		return -1;
	}
	*cfgp = cfg;
	return 0;
}

int tool_open_gov(const struct tool_opts *o, const struct cfm_config *cfg,
		  bool dry_run, struct cfm_gov **govp)
{
	struct cfm_gov_params p = {
		.sysfs_root = o->sysfs_root,
		.hold_down_ms = o->hold_down_ms,
		.min_interval_ms = o->min_interval_ms,
		.flags = dry_run ? CFM_GOV_DRY_RUN : 0,
	};

	if (cfm_gov_open(govp, cfg, &p)) {
		tool_lib_err();
		return -1;
	}
	return 0;
}

uint64_t tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tool_print_decisions(const struct cfm_gov *gov, uint64_t *seen,
			  bool to_stderr)
{
	unsigned int i, n = cfm_gov_nr_devices(gov);

	for (i = 0; i < n; i++) {
		struct cfm_device_info d;

		if (cfm_gov_device_info(gov, i, &d) || d.transitions == seen[i])
			continue;
		seen[i] = d.transitions;
		if (to_stderr)
			tool_log("%s: %" PRIu64 " Hz", d.name, d.written);
		else
			printf("%s: %" PRIu64 " Hz\n", d.name, d.written);
	}
	fflush(stdout);
}
