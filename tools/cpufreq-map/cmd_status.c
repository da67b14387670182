// SPDX-License-Identifier: MIT
/*
 * status: the policies' frequencies, each device's target and current
 * frequency, and, from a running daemon, the transitions since it started.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm-tool.h"

static void append_range(char *out, size_t size, unsigned long first,
			 unsigned long last)
{
	size_t len = strlen(out);

	if (len + 1 >= size)
		return;
	snprintf(out + len, size - len, first == last ? "%s%lu" : "%s%lu-%lu",
		 len ? "," : "", first, last);
}

/* "0 1 2 3 6" -> "0-3,6"; anything else is shown as read. */
static void cpu_ranges(const char *list, char *out, size_t size)
{
	unsigned long first = 0, last = 0, cpu;
	const char *s = list;
	bool open = false;
	char *end;

	out[0] = '\0';
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			break;
		cpu = strtoul(s, &end, 10);
		s = end;
		if (open && cpu == last + 1) {
			last = cpu;
			continue;
		}
		if (open)
			append_range(out, size, first, last);
		first = last = cpu;
		open = true;
	}
	if (*s) {
		snprintf(out, size, "%s", list);
		return;
	}
	if (open)
		append_range(out, size, first, last);
}

static const char *num(char *buf, size_t size, bool known, uint64_t v)
{
	if (!known)
		return "-";
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

static void print_policies(const struct cfm_gov *gov,
			   const struct tool_state *st)
{
	unsigned int i;

	printf("%-7s %-12s %10s %10s %10s %8s\n", "policy", "cpus", "cur_kHz",
	       "min_kHz", "max_kHz", "changes");
	for (i = 0; i < cfm_gov_nr_policies(gov); i++) {
		char cpus[64], cur[24], chg[24];
		struct cfm_policy_info p;
		uint64_t changes = 0;
		bool known;

		if (cfm_gov_policy_info(gov, i, &p))
			continue;
		known = tool_state_policy(st, p.id, &changes);
		cpu_ranges(p.related_cpus, cpus, sizeof(cpus));
		printf("%-7u %-12s %10s %10" PRIu32 " %10" PRIu32 " %8s\n", p.id,
		       cpus, num(cur, sizeof(cur), p.policy.cur_khz, p.policy.cur_khz),
		       p.policy.min_khz, p.policy.max_khz,
		       num(chg, sizeof(chg), known, changes));
	}
}

static void print_devices(const struct cfm_gov *gov,
			  const struct tool_state *st)
{
	unsigned int i;

	printf("%-16s %-10s %-16s %12s %12s %11s\n", "device", "control",
	       "governor", "target_Hz", "cur_Hz", "transitions");
	for (i = 0; i < cfm_gov_nr_devices(gov); i++) {
		char tgt[24], cur[24], trn[24];
		struct cfm_device_info d;
		uint64_t target, transitions = 0, freq = 0;
		bool known, have_cur;

		if (cfm_gov_device_info(gov, i, &d))
			continue;
		/* The daemon's own target accounts for hold-down and rate. */
		known = tool_state_device(st, d.name, &target, &transitions);
		if (!known)
			target = d.target;
		have_cur = !cfm_gov_device_cur_freq(gov, i, &freq);
		printf("%-16s %-10s %-16s %12s %12s %11s\n", d.name,
		       d.control == CFM_CONTROL_USERSPACE ? "userspace" : "min_freq",
		       d.saved_governor, num(tgt, sizeof(tgt), true, target),
		       num(cur, sizeof(cur), have_cur, freq),
		       num(trn, sizeof(trn), known, transitions));
	}
}

int cmd_status(const struct tool_opts *o)
{
	struct cfm_config *cfg = NULL;
	struct cfm_gov *gov = NULL;
	struct tool_state *st = NULL;
	char *path = NULL;
	int ret = 1;

	/* Reading only: decide as a dry run would. */
	if (tool_load(o, &cfg) || tool_open_gov(o, cfg, true, &gov))
		goto out;
	if (cfm_gov_evaluate(gov, tool_now_ns(), NULL) < 0) {
		tool_lib_err();
		goto out;
	}
	path = tool_state_path(o);
	st = path ? tool_state_read(path) : NULL;
	print_policies(gov, st);
	print_devices(gov, st);
	ret = 0;
	if (fflush(stdout)) {
		tool_err("standard output: write error");
		ret = 1;
	}
out:
	tool_state_free(st);
	free(path);
	cfm_gov_close(gov);
	cfm_config_free(cfg);
	return ret;
}
