// SPDX-License-Identifier: MIT
/*
 * The devfreq-cpufreq-map binding, independent of how the tree is stored:
 * node names, table properties (big-endian u32 pairs: CPU kHz, device Hz)
 * and the target-dev phandle.
 */
#include <errno.h>
#include <string.h>

#include "dt.h"

bool cfm_dt_is_map_node(const char *name)
{
	size_t n = strlen(CFM_DT_NODE);

	return !strncmp(name, CFM_DT_NODE, n) &&
	       (name[n] == '\0' || name[n] == '@');
}

int cfm_dt_cpu_prop(const char *origin, const char *prop, unsigned int *cpu)
{
	size_t n = strlen(CFM_DT_TABLE);
	uint64_t v;

	if (strncmp(prop, CFM_DT_TABLE "-", n + 1))
		return 0;
	prop += n + 1;
	/* Only the kernel's own spelling ("%d"): no leading zeros. */
	if ((prop[0] == '0' && prop[1]) ||
	    !cfm_strtou64(prop, strlen(prop), 65535, &v))
		return cfm_error(-EINVAL, "%s: " CFM_DT_TABLE "-%s: bad CPU number",
				 origin, prop);
	*cpu = (unsigned int)v;
	return 1;
}

int cfm_dt_parse_table(const char *origin, const char *prop,
		       const void *val, size_t len, struct cfm_table_buf **out)
{
	const unsigned char *p = val;
	struct cfm_table_buf *t;
	unsigned int i;
	int ret;

	if (!len)
		return cfm_error(-EINVAL, "%s: %s: empty table", origin, prop);
	if (len % 4)
		return cfm_error(-EINVAL, "%s: %s: length %zu is not a whole number of cells",
				 origin, prop, len);
	if (len / 4 % 2)
		return cfm_error(-EINVAL, "%s: %s: odd number of cells (%zu)",
				 origin, prop, len / 4);
	t = cfm_table_buf_new();
	if (!t)
		return cfm_error(-ENOMEM, "%s: out of memory", origin);
	for (i = 0; i < len / 8; i++) {
		struct cfm_entry e = {
			.cpu_khz = cfm_be32(p + 8 * i),
			.dev_freq = cfm_be32(p + 8 * i + 4),
		};
		const char *why;

		why = cfm_row_problem(i ? &t->rows[i - 1] : NULL, &e);
		if (why && e.cpu_khz && e.dev_freq) {
			/* Only order can be wrong with no zero in the row. */
			ret = cfm_error(-EINVAL, "%s: %s: row %u: %s (%u after %u)",
					origin, prop, i + 1, why, e.cpu_khz,
					t->rows[i - 1].cpu_khz);
			goto fail;
		}
		if (why) {
			ret = cfm_error(-EINVAL, "%s: %s: row %u: %s", origin,
					prop, i + 1, why);
			goto fail;
		}
		ret = cfm_table_buf_append(t, e.cpu_khz, e.dev_freq);
		if (ret) {
			cfm_error(ret, "%s: %s: out of memory", origin, prop);
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	cfm_table_buf_free(t);
	return ret;
}

int cfm_dt_parse_phandle(const char *origin, const void *val, size_t len,
			 uint32_t *phandle)
{
	if (len != 4)
		return cfm_error(-EINVAL, "%s: " CFM_DT_TARGET ": expected one phandle, got %zu bytes",
				 origin, len);
	*phandle = cfm_be32(val);
	return 0;
}

int cfm_dt_check_tables(const struct cfm_map *m)
{
	if (!m->common && !m->nr_cpu_tables)
		return cfm_error(-EINVAL, "%s: neither " CFM_DT_TABLE " nor " CFM_DT_TABLE "-<cpu>",
				 m->origin);
	return 0;
}
