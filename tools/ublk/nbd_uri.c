// SPDX-License-Identifier: MIT
/*
 * A strict check of an NBD URI, so that a malformed one gets one clear
 * line before libnbd sees it. It accepts the forms the nbd target serves:
 *
 *   nbd://[USER@]HOST[:PORT][/EXPORT][?QUERY]     TCP (nbds://: with TLS)
 *   nbd+unix://[USER@]/[EXPORT]?socket=PATH[&...] Unix socket (nbds+unix://)
 *
 * HOST is a name, an IPv4 address or [an IPv6 address]; QUERY holds
 * socket=, tls-psk-file= and tls-certificates=, each at most once. What
 * the URI names (the host, the export, the socket) is left to libnbd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ublk_tool.h"

static const char usage_hint[] =
	"expected nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH";

static int why_fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Every '%' in @s (@n bytes) starts a %XX escape. */
static bool escapes_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
			return false;
	return true;
}

/* A character of a host name or IPv4 address. */
static bool is_host_char(char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_';
}

static bool is_ipv6_char(char c)
{
	return is_hex(c) || c == ':' || c == '.';
}

/* @s (@n bytes) is not empty and made of @ok characters only. */
static bool made_of(const char *s, size_t n, bool (*ok)(char))
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ok(s[i]))
			return false;
	return true;
}

/* HOST[:PORT] of a TCP URI (@n bytes at @s, after any USER@). */
static int check_host_port(const char *s, size_t n, char *why, size_t len)
{
	const char *port = NULL;
	size_t host_len;

	if (!n)
		return why_fail(why, len, "no server host (%s)", usage_hint);
	if (s[0] == '[') {
		const char *end = memchr(s, ']', n);

		if (!end || !made_of(s + 1, (size_t)(end - s - 1), is_ipv6_char))
			return why_fail(why, len, "bad IPv6 address: write it as [ADDRESS]");
		host_len = (size_t)(end - s + 1);
		if (host_len < n) {
			if (end[1] != ':')
				return why_fail(why, len, "unexpected '%c' after ']'", end[1]);
			port = end + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		host_len = colon ? (size_t)(colon - s) : n;
		if (!host_len)
			return why_fail(why, len, "no server host (%s)", usage_hint);
		if (!made_of(s, host_len, is_host_char))
			return why_fail(why, len, "bad host name '%.*s'", (int)host_len, s);
		if (colon)
			port = colon + 1;
	}
	if (port) {
		size_t plen = n - (size_t)(port - s);
		unsigned long v = 0;

		if (!plen || plen > 5)
			return why_fail(why, len, "bad port '%.*s': must be 1..65535", (int)plen, port);
		for (size_t i = 0; i < plen; i++) {
			if (port[i] < '0' || port[i] > '9')
				return why_fail(why, len, "bad port '%.*s': must be 1..65535", (int)plen,
						port);
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (v < 1 || v > 65535)
			return why_fail(why, len, "bad port '%.*s': must be 1..65535", (int)plen, port);
	}
	return 0;
}

/* The query: KEY=VALUE pairs joined by '&'. Sets *@socket if socket= is there. */
static int check_query(const char *q, bool *socket, char *why, size_t len)
{
	static const char *const keys[] = { "socket", "tls-psk-file", "tls-certificates" };
	bool seen[3] = { false, false, false };

	*socket = false;
	while (*q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t klen = eq ? (size_t)(eq - q) : n;
		size_t k;

		if (!n)
			return why_fail(why, len, "empty query parameter");
		for (k = 0; k < 3; k++)
			if (strlen(keys[k]) == klen && !strncmp(q, keys[k], klen))
				break;
		if (k == 3)
			return why_fail(why, len,
					"unknown query parameter '%.*s' (known: socket, tls-psk-file, tls-certificates)",
					(int)klen, q);
		if (!eq || eq + 1 == q + n)
			return why_fail(why, len, "query parameter '%s' needs a value", keys[k]);
		if (seen[k])
			return why_fail(why, len, "query parameter '%s' given twice", keys[k]);
		seen[k] = true;
		q += n;
		if (*q == '&') {
			q++;
			if (!*q)
				return why_fail(why, len, "empty query parameter");
		}
	}
	*socket = seen[0];
	return 0;
}

/*
 * The characters of @uri and its scheme: sets *@slen to the scheme's length
 * and *@unix_socket to whether it names a Unix socket.
 */
static int check_scheme(const char *uri, size_t *slen, bool *unix_socket, char *why,
			size_t len)
{
	static const struct {
		const char *name;
		bool unix_socket;
	} schemes[] = {
		{ "nbd", false }, { "nbds", false }, { "nbd+unix", true }, { "nbds+unix", true },
	};
	const char *sep;

	if (!uri || !*uri)
		return why_fail(why, len, "empty URI (%s)", usage_hint);
	for (const char *p = uri; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f)
			return why_fail(why, len, "a space, control or non-ASCII character at offset %zu"
					" (percent-encode it)", (size_t)(p - uri));
	}
	sep = strstr(uri, "://");
	if (!sep)
		return why_fail(why, len, "not a URI (%s)", usage_hint);
	*slen = (size_t)(sep - uri);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == *slen && !strncmp(uri, schemes[i].name, *slen)) {
			*unix_socket = schemes[i].unix_socket;
			return 0;
		}
	}
	return why_fail(why, len,
			"unsupported scheme '%.*s' (use nbd://, nbds://, nbd+unix:// or nbds+unix://)",
			(int)*slen, uri);
}

int nbd_uri_check(const char *uri, char *why, size_t len)
{
	const char *auth, *path, *query, *at;
	size_t slen = 0, alen;
	bool unix_socket = false, socket;
	int ret;

	ret = check_scheme(uri, &slen, &unix_socket, why, len);
	if (ret)
		return ret;
	if (strchr(uri, '#'))
		return why_fail(why, len, "a fragment ('#') is not allowed");

	auth = uri + slen + 3;
	alen = strcspn(auth, "/?");
	path = auth + alen;
	query = strchr(path, '?');
	if (!escapes_ok(uri, strlen(uri)))
		return why_fail(why, len, "bad percent escape: '%%' must start %%XX");

	/* [USER@] is for TLS; the rest of the authority is the server. */
	at = memchr(auth, '@', alen);
	if (at) {
		if (at == auth || memchr(at + 1, '@', alen - (size_t)(at + 1 - auth)))
			return why_fail(why, len, "bad user name before '@'");
		alen -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	if (unix_socket) {
		if (alen)
			return why_fail(why, len,
					"%.*s:// takes no host '%.*s': give the socket as ?socket=PATH",
					(int)slen, uri, (int)alen, auth);
	} else {
		ret = check_host_port(auth, alen, why, len);
		if (ret)
			return ret;
	}
	ret = check_query(query ? query + 1 : "", &socket, why, len);
	if (ret)
		return ret;
	if (query && !query[1])
		return why_fail(why, len, "empty query after '?'");
	if (unix_socket && !socket)
		return why_fail(why, len, "%.*s:// needs the socket: add ?socket=PATH", (int)slen, uri);
	if (!unix_socket && socket)
		return why_fail(why, len, "socket= is only for nbd+unix:// and nbds+unix://");
	return 0;
}
