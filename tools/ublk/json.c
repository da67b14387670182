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

/* Open a container (@c '{' or '['), as the value of key @k if not NULL. */
static void open_container(struct json *j, const char *k, char c)
{
	key(j, k);
	fputc(c, j->f);
	j->depth++;
}

static void close_container(struct json *j, char c)
{
	fputc(c, j->f);
	j->depth--;
	j->need_comma = true;
}

void json_begin_object(struct json *j)
{
	open_container(j, NULL, '{');
}

void json_end_object(struct json *j)
{
	close_container(j, '}');
}

void json_begin_array(struct json *j, const char *k)
{
	open_container(j, k, '[');
}

void json_end_array(struct json *j)
{
	close_container(j, ']');
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
