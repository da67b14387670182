// SPDX-License-Identifier: MIT
/* Description: the NBD URI check accepts what libnbd takes and names what is wrong. */
#include <errno.h>
#include <string.h>

#include "t_assert.h"
#include "ublk_tool.h"

static char why[512];

static int check(const char *uri)
{
	why[0] = '\0';
	return nbd_uri_check(uri, why, sizeof(why));
}

/* @uri is refused, and the reason contains @part. */
#define T_BAD(uri, part)                                                       \
	do {                                                                   \
		T_CHECK(check(uri) == -EINVAL);                                \
		if (!strstr(why, part)) {                                      \
			fprintf(stderr, "%s:%d: '%s': reason '%s' lacks '%s'\n", \
				__FILE__, __LINE__, uri, why, part);           \
			t_failures++;                                          \
		}                                                              \
		T_CHECK(!strchr(why, '\n'));                                   \
	} while (0)

static void test_good(void)
{
	T_CHECK(check("nbd://localhost") == 0);
	T_CHECK(check("nbd://127.0.0.1/") == 0);
	T_CHECK(check("nbd://127.0.0.1:10809/export") == 0);
	T_CHECK(check("nbd://server.example.com:1/a/b") == 0);
	T_CHECK(check("nbd://[::1]:10809/disk") == 0);
	T_CHECK(check("nbd://[::1]") == 0);
	T_CHECK(check("nbd://host/with%20space") == 0);
	T_CHECK(check("nbds://alice@127.0.0.1/?tls-psk-file=/tmp/keys.psk") == 0);
	T_CHECK(check("nbd+unix:///?socket=/tmp/nbd.sock") == 0);
	T_CHECK(check("nbd+unix:///export?socket=/run/a%20b.sock") == 0);
	T_CHECK(check("nbd+unix://?socket=/tmp/s") == 0);
	T_CHECK(check("nbds+unix://alice@/?socket=/tmp/s&tls-psk-file=/k") == 0);
	T_CHECK(check("nbds+unix:///x?tls-certificates=/etc/pki&socket=/s") == 0);
}

static void test_bad(void)
{
	T_BAD("", "empty URI");
	T_BAD("localhost:10809", "not a URI");
	T_BAD("/tmp/nbd.sock", "not a URI");
	T_BAD("http://host/x", "unsupported scheme 'http'");
	T_BAD("NBD://host/x", "unsupported scheme 'NBD'");
	T_BAD("nbd+vsock:///", "unsupported scheme");
	T_BAD("nbd:///export", "no server host");
	T_BAD("nbd://:10809/", "no server host");
	T_BAD("nbd://host:0/", "bad port '0'");
	T_BAD("nbd://host:65536/", "bad port '65536'");
	T_BAD("nbd://host:123456/", "bad port");
	T_BAD("nbd://host:/", "bad port ''");
	T_BAD("nbd://host:http/", "bad port 'http'");
	T_BAD("nbd://ho$t/", "bad host name 'ho$t'");
	T_BAD("nbd://[::1/", "IPv6");
	T_BAD("nbd://[zz]/", "IPv6");
	T_BAD("nbd://[::1]x/", "after ']'");
	T_BAD("nbd://@host/", "user name");
	T_BAD("nbd://a@b@host/", "user name");
	T_BAD("nbd://host/ex port", "space");
	T_BAD("nbd://host/ex\tport", "control");
	T_BAD("nbd://host/x#frag", "fragment");
	T_BAD("nbd://host/x%2", "percent escape");
	T_BAD("nbd://host/x%zz", "percent escape");
	T_BAD("nbd://host/?socket=/tmp/s", "only for nbd+unix");
	T_BAD("nbd://host/?", "empty query");
	T_BAD("nbd://host/?foo=bar", "unknown query parameter 'foo'");
	T_BAD("nbd://host/?tls-psk-file", "needs a value");
	T_BAD("nbd://host/?tls-psk-file=", "needs a value");
	T_BAD("nbd://host/?tls-psk-file=a&", "empty query parameter");
	T_BAD("nbd://host/?&tls-psk-file=a", "empty query parameter");
	T_BAD("nbd+unix:///export", "needs the socket");
	T_BAD("nbd+unix:///export?socket=", "needs a value");
	T_BAD("nbd+unix://host/?socket=/s", "takes no host 'host'");
	T_BAD("nbd+unix:///?socket=/a&socket=/b", "given twice");
}

int main(void)
{
	test_good();
	test_bad();
	return T_EXIT();
}
