// SPDX-License-Identifier: MIT
/*
 * Description: the .dtb loader on blobs built by hand: a valid one at an
 * unaligned address, and malformed ones refused without hanging (libfdt
 * 1.6.1 loops forever on a negative property length).
 */
#include <stdlib.h>
#include <string.h>

#include "cpufreq-map/cpufreq-map.h"
#include "t_cfm.h"

struct blob {
	unsigned char buf[1024];
	size_t len;
	size_t strings;		/* offset of the strings block */
	char names[256];
	size_t names_len;
};

static void put32(struct blob *b, uint32_t v)
{
	b->buf[b->len++] = (unsigned char)(v >> 24);
	b->buf[b->len++] = (unsigned char)(v >> 16);
	b->buf[b->len++] = (unsigned char)(v >> 8);
	b->buf[b->len++] = (unsigned char)v;
}

static void set32(struct blob *b, size_t off, uint32_t v)
{
	size_t keep = b->len;

	b->len = off;
	put32(b, v);
	b->len = keep;
}

static void begin(struct blob *b, const char *name)
{
	size_t n = strlen(name) + 1;

	put32(b, 1);			/* FDT_BEGIN_NODE */
	memcpy(b->buf + b->len, name, n);
	b->len += (n + 3) & ~(size_t)3;
}

static void prop(struct blob *b, const char *name, uint32_t len,
		 const uint32_t *cells, size_t nr)
{
	size_t i;

	put32(b, 3);			/* FDT_PROP */
	put32(b, len);
	put32(b, (uint32_t)b->names_len);
	strcpy(b->names + b->names_len, name);
	b->names_len += strlen(name) + 1;
	for (i = 0; i < nr; i++)
		put32(b, cells[i]);
}

static void end(struct blob *b)
{
	put32(b, 2);			/* FDT_END_NODE */
}

static void start(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->len = 40 + 16;		/* header, empty reservation map */
}

static void finish(struct blob *b)
{
	size_t off_struct = 56, size_struct;

	put32(b, 9);			/* FDT_END */
	size_struct = b->len - off_struct;
	memcpy(b->buf + b->len, b->names, b->names_len);
	set32(b, 0, 0xd00dfeed);
	set32(b, 4, (uint32_t)(b->len + b->names_len));
	set32(b, 8, (uint32_t)off_struct);
	set32(b, 12, (uint32_t)b->len);	/* off_dt_strings */
	set32(b, 16, 40);		/* off_mem_rsvmap */
	set32(b, 20, 17);		/* version */
	set32(b, 24, 16);		/* last_comp_version */
	set32(b, 32, (uint32_t)b->names_len);
	set32(b, 36, (uint32_t)size_struct);
	b->len += b->names_len;
}

static void build_valid(struct blob *b)
{
	static const uint32_t one = 1, table[] = { 300000, 7, 600000, 9 };

	start(b);
	begin(b, "");
	begin(b, "dev@1");
	prop(b, "phandle", 4, &one, 1);
	end(b);
	begin(b, "devfreq-cpufreq-map");
	begin(b, "m");
	prop(b, "target-dev", 4, &one, 1);
	prop(b, "cpu-to-dev-map", 16, table, 4);
	end(b);
	end(b);
	end(b);
	finish(b);
}

static void test_valid_unaligned(void)
{
	struct blob b;
	struct cfm_config *cfg;
	unsigned char *odd = malloc(sizeof(b.buf) + 1);
	char text[256];

	build_valid(&b);
	memcpy(odd + 1, b.buf, b.len);
	cfm_config_new(&cfg);
	T_EQ_INT(cfm_config_load_fdt(cfg, "odd", odd + 1, b.len, NULL), 0);
	T_EQ_INT(cfm_config_nr_maps(cfg), 1);
	if (cfm_config_nr_maps(cfg)) {
		T_EQ_STR(cfm_map_target_node(cfm_config_get_map(cfg, 0)), "/dev@1");
		T_EQ_STR(cfm_map_origin(cfm_config_get_map(cfg, 0)),
			 "odd: /devfreq-cpufreq-map/m");
		cfm_map_format(cfm_config_get_map(cfg, 0), text, sizeof(text));
		T_EQ_STR(text, "Common table for all CPUs:\nCPU freq\tDevice freq\n"
			       "  300000\t          7\n  600000\t          9\n\n");
	}
	cfm_config_free(cfg);
	free(odd);
}

static void expect_bad(const struct blob *b, const char *why)
{
	struct cfm_config *cfg;

	cfm_config_new(&cfg);
	T_EQ_INT(cfm_config_load_fdt(cfg, "bad", b->buf, b->len, NULL) < 0, 1);
	T_EQ_STR(cfm_last_error(), why);
	T_EQ_INT(cfm_config_nr_maps(cfg), 0);
	cfm_config_free(cfg);
}

static void test_malformed(void)
{
	static const uint32_t one = 1;
	struct blob b;

	/* A property length of -12 would walk the parser backwards. */
	start(&b);
	begin(&b, "");
	prop(&b, "x", 0xfffffff4, &one, 1);
	end(&b);
	finish(&b);
	expect_bad(&b, "bad: not a valid flattened device tree (property longer than the structure block)");

	start(&b);
	begin(&b, "");
	end(&b);
	end(&b);
	finish(&b);
	expect_bad(&b, "bad: not a valid flattened device tree (unbalanced nodes)");

	start(&b);
	begin(&b, "");
	put32(&b, 0x77);
	end(&b);
	finish(&b);
	expect_bad(&b, "bad: not a valid flattened device tree (unknown tag)");

	start(&b);
	begin(&b, "");
	prop(&b, "x", 4, &one, 1);
	end(&b);
	finish(&b);
	set32(&b, 72, 200);		/* the property's name offset */
	expect_bad(&b, "bad: not a valid flattened device tree (property name outside the strings block)");

	build_valid(&b);
	set32(&b, 20, 14);		/* a version libfdt mishandles */
	expect_bad(&b, "bad: not a valid flattened device tree (version older than 16)");

	build_valid(&b);
	set32(&b, 4, (uint32_t)b.len + 4);	/* totalsize beyond the buffer */
	expect_bad(&b, "bad: not a valid flattened device tree (FDT_ERR_TRUNCATED)");
}

int main(void)
{
	test_valid_unaligned();
	test_malformed();
	return T_EXIT();
}
