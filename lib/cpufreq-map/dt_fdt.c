// SPDX-License-Identifier: MIT
/*
 * The flattened tree (.dtb, .dtbo) back end of the device-tree accessor
 * (dt.h), and the loaders that use it. In an overlay, target-dev usually
 * points outside the overlay: the phandle is left unresolved and
 * __fixups__ names the label, which the overlay's own __symbols__ or the
 * live tree's resolves to a path.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt.h"

struct fdt_source {
	struct cfm_dt_source src;	/* first: what the walker sees */
	const void *fdt;
	const char *live_dir;
};

static uint32_t be32(const void *blob, size_t off)
{
	return cfm_be32((const char *)blob + off);
}

/* The tags of the structure block [off, end): NULL if sound, or why not. */
static const char *check_struct(const void *blob, size_t off, size_t end,
				size_t strings, size_t strings_size)
{
	int depth = 0;

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

/*
 * Walk the blob before libfdt does: libfdt 1.6.1's fdt_check_full() loops
 * forever on a negative property length and crashes on some old-version
 * headers. Returns NULL if the blob is sound enough, or why not.
 */
static const char *precheck(const void *blob, size_t len)
{
	size_t off, end, size, strings, strings_size;
	uint32_t version;

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
	return check_struct(blob, off, end, strings, strings_size);
}

/* The label that __fixups__ gives for path:prop:0, or NULL. */
static const char *fixup_label(const struct fdt_source *s, const char *path,
			       const char *prop)
{
	int fix = fdt_path_offset(s->fdt, "/__fixups__"), off;
	size_t plen = strlen(path), prlen = strlen(prop);

	if (fix < 0)
		return NULL;
	fdt_for_each_property_offset(off, s->fdt, fix) {
		const char *label, *v;
		int len;

		v = fdt_getprop_by_offset(s->fdt, off, &label, &len);
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
static int symbol_path(const struct fdt_source *s, const char *label,
		       char *out, size_t size)
{
	int sym = fdt_path_offset(s->fdt, "/__symbols__"), len;
	char file[CFM_DT_PATH_MAX];
	const char *v;
	size_t n;

	if (sym >= 0) {
		v = fdt_getprop(s->fdt, sym, label, &len);
		if (v && len > 1 && v[0] == '/' && memchr(v, '\0', (size_t)len) == v + len - 1 &&
		    (size_t)len <= size) {
			memcpy(out, v, (size_t)len);
			return 0;
		}
	}
	if (!s->live_dir || strchr(label, '/') || !strcmp(label, ".") ||
	    !strcmp(label, ".."))
		return -ENOENT;
	if (snprintf(file, sizeof(file), "%s/__symbols__/%s", s->live_dir,
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

/*
 * target-dev's phandle, ph, to a path: a node of the blob outside any
 * overlay fragment or, in an overlay, the label __fixups__ gives for it.
 */
static int fdt_resolve_target(struct cfm_dt_source *src,
			      const struct cfm_dt_node *node, uint32_t ph,
			      const char *origin, char **path)
{
	const struct fdt_source *s = (const struct fdt_source *)src;
	char target[CFM_DT_PATH_MAX];
	const char *label;
	int off;

	*path = NULL;
	off = (ph && ph != (uint32_t)-1) ? fdt_node_offset_by_phandle(s->fdt, ph)
					 : -FDT_ERR_NOTFOUND;
	if (off >= 0) {
		if (fdt_get_path(s->fdt, off, target, sizeof(target)))
			return cfm_error(-EINVAL, "%s: " CFM_DT_TARGET ": path too long",
					 origin);
		if (strstr(target, "/__overlay__"))
			return cfm_error(-ENOTSUP, "%s: " CFM_DT_TARGET ": %s is inside an overlay fragment (unsupported)",
					 origin, target);
	} else {
		label = fixup_label(s, node->path, CFM_DT_TARGET);
		if (!label)
			return 0;
		if (symbol_path(s, label, target, sizeof(target)))
			return cfm_error(-ENOENT, "%s: " CFM_DT_TARGET ": label '%s' is in no __symbols__",
					 origin, label);
	}
	*path = strdup(target);
	return *path ? 0 : -ENOMEM;
}

static int fdt_find_map_node(struct cfm_dt_source *src,
			     struct cfm_dt_node *node)
{
	const struct fdt_source *s = (const struct fdt_source *)src;
	int off, depth = 0;

	for (off = fdt_next_node(s->fdt, -1, &depth); off >= 0;
	     off = fdt_next_node(s->fdt, off, &depth)) {
		const char *n = fdt_get_name(s->fdt, off, NULL);

		if (n && cfm_dt_is_map_node(n)) {
			node->path = NULL;
			node->off = off;
			return 1;
		}
	}
	return 0;
}

static int fdt_for_each_child(struct cfm_dt_source *src,
			      const struct cfm_dt_node *node,
			      cfm_dt_node_fn fn, void *arg)
{
	const struct fdt_source *s = (const struct fdt_source *)src;
	char path[CFM_DT_PATH_MAX];
	struct cfm_dt_node child = { .path = path };
	int ret;

	fdt_for_each_subnode(child.off, s->fdt, node->off) {
		if (fdt_get_path(s->fdt, child.off, path, sizeof(path)))
			return cfm_error(-EINVAL, "%s: node path too long",
					 src->name);
		ret = fn(arg, &child);
		if (ret)
			return ret;
	}
	return 0;
}

static int fdt_get_prop(struct cfm_dt_source *src,
			const struct cfm_dt_node *node, const char *name,
			struct cfm_dt_value *v)
{
	const struct fdt_source *s = (const struct fdt_source *)src;
	int len;

	v->data = fdt_getprop(s->fdt, node->off, name, &len);
	if (!v->data)
		return -ENOENT;
	v->len = (size_t)len;
	v->owned = NULL;
	return 0;
}

static int fdt_visit_props(struct cfm_dt_source *src,
			   const struct cfm_dt_node *node,
			   const struct cfm_dt_visit *visit)
{
	const struct fdt_source *s = (const struct fdt_source *)src;
	struct cfm_dt_value v = { 0 };
	const char *name;
	int off, len, ret;

	fdt_for_each_property_offset(off, s->fdt, node->off) {
		v.data = fdt_getprop_by_offset(s->fdt, off, &name, &len);
		if (!v.data || !name)
			continue;
		ret = visit->pick(visit->arg, name);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		v.len = (size_t)len;
		ret = visit->take(visit->arg, name, &v);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct cfm_dt_ops fdt_ops = {
	.find_map_node = fdt_find_map_node, .get_prop = fdt_get_prop,
	.for_each_child = fdt_for_each_child, .visit_props = fdt_visit_props,
	.resolve_target = fdt_resolve_target,
};

/* Is the blob one libfdt can walk safely? 0, or -EINVAL with the reason. */
static int check_blob(const char *name, const void *blob, size_t len)
{
	const char *why;
	int err;

	why = precheck(blob, len);
	if (why)
		return cfm_error(-EINVAL, "%s: not a valid flattened device tree (%s)",
				 name, why);
	/* Check the whole structure once, so walking it later is safe. */
	err = fdt_check_full(blob, len);
	if (err)
		return cfm_error(-EINVAL, "%s: not a valid flattened device tree (%s)",
				 name, fdt_strerror(err));
	return 0;
}

CFM_EXPORT int cfm_config_load_fdt(struct cfm_config *cfg, const char *name,
				   const void *blob, size_t len,
				   const char *live_dir)
{
	struct fdt_source s = {
		.src = { .ops = &fdt_ops, .name = name },
		.fdt = blob,
		.live_dir = live_dir,
	};
	void *copy = NULL;
	int ret;

	if (len < sizeof(struct fdt_header))
		return cfm_error(-EINVAL, "%s: not a flattened device tree (too short)",
				 name);
	/* libfdt wants the blob 8-byte aligned. */
	if ((uintptr_t)blob & 7) {
		copy = malloc(len);
		if (!copy)
			return cfm_error(-ENOMEM, "%s: out of memory", name);
		memcpy(copy, blob, len);
		s.fdt = copy;
	}
	ret = check_blob(name, s.fdt, len);
	if (!ret)
		ret = cfm_dt_load(cfg, &s.src);
	free(copy);
	return ret;
}

CFM_EXPORT int cfm_config_load_dtb(struct cfm_config *cfg, const char *path,
				   const char *live_dir)
{
	return cfm_load_path(cfg, path, cfm_config_load_fdt, live_dir);
}
