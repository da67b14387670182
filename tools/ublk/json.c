// SPDX-License-Identifier: MIT
/* A small streaming JSON writer: enough for `ublk list --json`. */
#include "ublk_tool.h"

static void sep(struct json *j)
{
	if (j->need_comma)
		fputc(',', j->f);
	j->need_comma = false;
}

static void put_string(struct json *j, const char *s)
{
	fputc('"', j->f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", j->f);
		else if (c == '\t')
			fputs("\\t", j->f);
		else if (c < 0x20)
			fprintf(j->f, "\\u%04x", c);
		else
			fputc(c, j->f);
	}
	fputc('"', j->f);
}

static void key(struct json *j, const char *k)
{
	sep(j);
	if (k) {
		put_string(j, k);
		fputc(':', j->f);
	}
}

void json_string(struct json *j, const char *s)
{
	sep(j);
	put_string(j, s);
	j->need_comma = true;
}

void json_begin_object(struct json *j)
{
	sep(j);
	fputc('{', j->f);
	j->depth++;
}

void json_end_object(struct json *j)
{
	fputc('}', j->f);
	j->depth--;
	j->need_comma = true;
}

void json_begin_array(struct json *j, const char *k)
{
	key(j, k);
	fputc('[', j->f);
	j->depth++;
}

void json_end_array(struct json *j)
{
	fputc(']', j->f);
	j->depth--;
	j->need_comma = true;
}

void json_key_string(struct json *j, const char *k, const char *val)
{
	key(j, k);
	if (val)
		put_string(j, val);
	else
		fputs("null", j->f);
	j->need_comma = true;
}

void json_key_int(struct json *j, const char *k, long long val)
{
	key(j, k);
	fprintf(j->f, "%lld", val);
	j->need_comma = true;
}

void json_key_bool(struct json *j, const char *k, bool val)
{
	key(j, k);
	fputs(val ? "true" : "false", j->f);
	j->need_comma = true;
}
