// SPDX-License-Identifier: MIT
/*
 * The devfreq-cpufreq-map binding from a flattened tree (.dtb, .dtbo).
 * In an overlay, target-dev usually points outside the overlay: the
 * phandle is left unresolved and __fixups__ names the label, which the
 * overlay's own __symbols__ or the live tree's resolves to a path.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PATH_LEN 4096

struct fdt_ctx {
	const char *name;		/* for messages */
	const void *fdt;
	const char *live_dir;
};

static uint32_t be32(const void *blob, size_t off)
{
	const unsigned char *p = (const unsigned char *)blob + off;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Walk the blob before libfdt does: libfdt 1.6.1's fdt_check_full() loops
 * forever on a negative property length and crashes on some old-version
 * headers. Returns NULL if the blob is sound enough, or why not.
 */
static const char *precheck(const void *blob, size_t len)
{
	size_t off, end, size, strings, strings_size;
	uint32_t version;
	int depth = 0;

	if (be32(blob, 0) != FDT_MAGIC)
		return NULL;		/* fdt_check_full() names it */
	size = be32(blob, 4);		/* totalsize */
	version = be32(blob, 20);
	if (size > len || size < 40)
		return NULL;
	/* 16 was current in 2006; dtc has written 17 since. */
	if (version < 16)
		return "version older than 16";
	off = be32(blob, 8);		/* off_dt_struct */
	/* size_dt_struct came with version 17; before, the blob bounds it. */
	end = version >= 17 ? off + (size_t)be32(blob, 36) : size;
	strings = be32(blob, 12);	/* off_dt_strings */
	strings_size = be32(blob, 32);	/* size_dt_strings */
	if (off > size || end > size || end < off || off % 4)
		return "bad structure block";
	if (strings > size || strings_size > size - strings)
		return "bad strings block";
	while (off + 4 <= end) {
		uint32_t tag = be32(blob, off);
		const char *nul;
		size_t name;

		off += 4;
		switch (tag) {
		case FDT_BEGIN_NODE:
			nul = memchr((const char *)blob + off, '\0', end - off);
			if (!nul)
				return "unterminated node name";
			off = ((size_t)(nul - (const char *)blob) + 1 + 3) & ~(size_t)3;
			depth++;
			break;
		case FDT_END_NODE:
			if (--depth < 0)
				return "unbalanced nodes";
			break;
		case FDT_PROP:
			if (end - off < 8 || be32(blob, off) > end - off - 8)
				return "property longer than the structure block";
			name = be32(blob, off + 4);
			if (name >= strings_size ||
			    !memchr((const char *)blob + strings + name, '\0',
				    strings_size - name))
				return "property name outside the strings block";
			off += (8 + (size_t)be32(blob, off) + 3) & ~(size_t)3;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return depth ? "unbalanced nodes" : NULL;
		default:
			return "unknown tag";
		}
	}
	return "no end tag";
}

/* The label that __fixups__ gives for path:prop:0, or NULL. */
static const char *fixup_label(const struct fdt_ctx *c, const char *path,
			       const char *prop)
{
	int fix = fdt_path_offset(c->fdt, "/__fixups__"), off;
	size_t plen = strlen(path), prlen = strlen(prop);

	if (fix < 0)
		return NULL;
	fdt_for_each_property_offset(off, c->fdt, fix) {
		const char *label, *v;
		int len;

		v = fdt_getprop_by_offset(c->fdt, off, &label, &len);
		if (!v || len <= 0)
			continue;
		/* A list of NUL-terminated "path:property:offset" strings. */
		while (len > 0) {
			const char *end = memchr(v, '\0', (size_t)len);
			size_t n;

			if (!end)
				break;
			n = (size_t)(end - v);
			if (n == plen + 1 + prlen + 2 && !memcmp(v, path, plen) &&
			    v[plen] == ':' && !memcmp(v + plen + 1, prop, prlen) &&
			    !memcmp(v + plen + 1 + prlen, ":0", 2))
				return label;
			len -= (int)n + 1;
			v = end + 1;
		}
	}
	return NULL;
}

/* Resolve a label through __symbols__ of the blob, then of the live tree. */
static int symbol_path(const struct fdt_ctx *c, const char *label,
		       char *out, size_t size)
{
	int sym = fdt_path_offset(c->fdt, "/__symbols__"), len;
	char file[PATH_LEN];
	const char *v;
	size_t n;

	if (sym >= 0) {
		v = fdt_getprop(c->fdt, sym, label, &len);
		if (v && len > 1 && v[0] == '/' && memchr(v, '\0', (size_t)len) == v + len - 1 &&
		    (size_t)len <= size) {
			memcpy(out, v, (size_t)len);
			return 0;
		}
	}
	if (!c->live_dir || strchr(label, '/') || !strcmp(label, ".") ||
	    !strcmp(label, ".."))
		return -ENOENT;
	if (snprintf(file, sizeof(file), "%s/__symbols__/%s", c->live_dir,
		     label) >= (int)sizeof(file))
		return -ENOENT;
	/* A string property: the path and its terminating NUL. */
	if (cfm_read_file(file, out, size - 1, &n) || !n)
		return -ENOENT;
	out[n] = '\0';
	if (strlen(out) + 1 < n || out[0] != '/')
		return -ENOENT;
	return 0;
}

static int resolve_target(const struct fdt_ctx *c, int node, const char *path,
			  struct cfm_map *m)
{
	char target[PATH_LEN];
	const char *label;
	uint32_t ph;
	const void *v;
	int len, off, ret;

	v = fdt_getprop(c->fdt, node, CFM_DT_TARGET, &len);
	if (!v)
		return cfm_error(-EINVAL, "%s: missing " CFM_DT_TARGET, m->origin);
	ret = cfm_dt_parse_phandle(m->origin, v, (size_t)len, &ph);
	if (ret)
		return ret;
	off = (ph && ph != (uint32_t)-1) ? fdt_node_offset_by_phandle(c->fdt, ph)
					 : -FDT_ERR_NOTFOUND;
	if (off >= 0) {
		if (fdt_get_path(c->fdt, off, target, sizeof(target)))
			return cfm_error(-EINVAL, "%s: " CFM_DT_TARGET ": path too long",
					 m->origin);
		if (strstr(target, "/__overlay__"))
			return cfm_error(-ENOTSUP, "%s: " CFM_DT_TARGET ": %s is inside an overlay fragment (unsupported)",
					 m->origin, target);
	} else {
		label = fixup_label(c, path, CFM_DT_TARGET);
		if (!label)
			return cfm_error(-ENOENT, "%s: " CFM_DT_TARGET ": phandle 0x%x matches no node",
					 m->origin, ph);
		if (symbol_path(c, label, target, sizeof(target)))
			return cfm_error(-ENOENT, "%s: " CFM_DT_TARGET ": label '%s' is in no __symbols__",
					 m->origin, label);
	}
	m->target_node = strdup(target);
	return m->target_node ? 0 : -ENOMEM;
}

static int read_tables(const struct fdt_ctx *c, int node, struct cfm_map *m)
{
	struct cfm_table_buf *t;
	const char *name;
	unsigned int cpu;
	const void *v;
	int len, off, ret;

	v = fdt_getprop(c->fdt, node, CFM_DT_TABLE, &len);
	if (v) {
		/* As in the kernel governor, a common table wins. */
		return cfm_dt_parse_table(m->origin, CFM_DT_TABLE, v,
					  (size_t)len, &m->common);
	}
	fdt_for_each_property_offset(off, c->fdt, node) {
		v = fdt_getprop_by_offset(c->fdt, off, &name, &len);
		if (!v || !name)
			continue;
		ret = cfm_dt_cpu_prop(m->origin, name, &cpu);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		ret = cfm_dt_parse_table(m->origin, name, v, (size_t)len, &t);
		if (ret)
			return ret;
		ret = cfm_map_add_cpu_table(m, cpu, t);
		if (ret)
			return cfm_error(ret, "%s: %s: %s", m->origin, name,
					 strerror(-ret));
	}
	return cfm_dt_check_tables(m);
}

static int load_child(const struct fdt_ctx *c, int node, struct cfm_config *out)
{
	char path[PATH_LEN], origin[PATH_LEN + 256];
	struct cfm_map *m;
	int ret;

	if (fdt_get_path(c->fdt, node, path, sizeof(path)))
		return cfm_error(-EINVAL, "%s: node path too long", c->name);
	snprintf(origin, sizeof(origin), "%s: %s", c->name, path);
	m = cfm_map_new(origin);
	if (!m)
		return cfm_error(-ENOMEM, "%s: out of memory", origin);
	ret = resolve_target(c, node, path, m);
	if (!ret)
		ret = read_tables(c, node, m);
	if (ret) {
		if (ret == -ENOMEM)
			cfm_error(ret, "%s: out of memory", origin);
		cfm_map_free(m);
		return ret;
	}
	return cfm_config_add(out, m);
}

CFM_EXPORT int cfm_config_load_fdt(struct cfm_config *cfg, const char *name,
				   const void *blob, size_t len,
				   const char *live_dir)
{
	struct fdt_ctx c = { .name = name, .fdt = blob, .live_dir = live_dir };
	struct cfm_config out = { 0 };
	int node, child, depth = 0, err, ret = 0;
	const char *why;
	void *copy = NULL;

	if (len < sizeof(struct fdt_header))
		return cfm_error(-EINVAL, "%s: not a flattened device tree (too short)",
				 name);
	/* libfdt wants the blob 8-byte aligned. */
	if ((uintptr_t)blob & 7) {
		copy = malloc(len);
		if (!copy)
			return cfm_error(-ENOMEM, "%s: out of memory", name);
		memcpy(copy, blob, len);
		c.fdt = blob = copy;
	}
	why = precheck(blob, len);
	if (why) {
		ret = cfm_error(-EINVAL, "%s: not a valid flattened device tree (%s)",
				name, why);
		goto out;
	}
	/* Check the whole structure once, so walking it later is safe. */
	err = fdt_check_full(blob, len);
	if (err) {
		ret = cfm_error(-EINVAL, "%s: not a valid flattened device tree (%s)",
				name, fdt_strerror(err));
		goto out;
	}
	for (node = fdt_next_node(blob, -1, &depth); node >= 0;
	     node = fdt_next_node(blob, node, &depth)) {
		const char *n = fdt_get_name(blob, node, NULL);

		if (n && cfm_dt_is_map_node(n))
			break;
	}
	if (node < 0) {
		ret = cfm_error(-ENOENT, "%s: no " CFM_DT_NODE " node", name);
		goto out;
	}
	fdt_for_each_subnode(child, blob, node) {
		ret = load_child(&c, child, &out);
		if (ret)
			goto out;
	}
	if (!out.nr_maps) {
		ret = cfm_error(-EINVAL, "%s: " CFM_DT_NODE " has no device nodes",
				name);
		goto out;
	}
	ret = cfm_config_merge(cfg, &out);
out:
	cfm_config_clear(&out);
	free(copy);
	return ret;
}

CFM_EXPORT int cfm_config_load_dtb(struct cfm_config *cfg, const char *path,
				   const char *live_dir)
{
	size_t len;
	char *buf;
	int ret;

	ret = cfm_slurp(path, &buf, &len);
	if (ret)
		return ret;
	ret = cfm_config_load_fdt(cfg, path, buf, len, live_dir);
	free(buf);
	return ret;
}
