/* Unit tests for core/pgurl.c: the TCP address of a Postgres URL and the URL
 * re-pointed at the world's fault proxy (unix-socket URLs are refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pgurl.h"

static void tcp_urls(void **st)
{
	char h[64];
	int port = 0;
	(void)st;
	assert_int_equal(vs_pgurl_addr("postgresql://postgres@127.0.0.1:41234/postgres", h, sizeof(h), &port), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(port, 41234);
	assert_int_equal(vs_pgurl_addr("postgres://u:p%40ss@db.example:6543", h, sizeof(h), &port), 0);
	assert_string_equal(h, "db.example");
	assert_int_equal(port, 6543);
	assert_int_equal(vs_pgurl_addr("postgresql://localhost/app?sslmode=disable", h, sizeof(h), &port), 0);
	assert_string_equal(h, "localhost");
	assert_int_equal(port, 5432);
	assert_int_equal(vs_pgurl_addr("postgresql://[::1]:5433/x", h, sizeof(h), &port), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(port, 5433);
}

static void not_one_tcp_address(void **st)
{
	char h[64];
	int port;
	(void)st;
	assert_int_equal(vs_pgurl_addr("postgresql:///postgres?host=/tmp/pg", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("postgresql://postgres@/postgres", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("postgresql://u@x/db?sslmode=require&host=/run/pg", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("postgresql://u@x/db?port=7", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("postgresql://a:1,b:2/db", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("postgresql://a:99999/db", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("postgresql://a:12x/db", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("mysql://a:1/db", h, sizeof(h), &port), -1);
	assert_int_equal(vs_pgurl_addr("", h, sizeof(h), &port), -1);
	assert_null(vs_pgurl_with_addr("postgresql:///postgres?host=/tmp/pg", "127.0.0.1", 1));
}

static void repointed(void **st)
{
	char *u;
	(void)st;
	u = vs_pgurl_with_addr("postgresql://postgres:secret@127.0.0.1:41234/postgres?sslmode=disable", "127.0.0.1",
			       40001);
	assert_string_equal(u, "postgresql://postgres:secret@127.0.0.1:40001/postgres?sslmode=disable");
	free(u);
	u = vs_pgurl_with_addr("postgres://db.example", "127.0.0.1", 40002);
	assert_string_equal(u, "postgres://127.0.0.1:40002");
	free(u);
	u = vs_pgurl_with_addr("postgresql://u@[::1]:5433/x", "::1", 40003);
	assert_string_equal(u, "postgresql://u@[::1]:40003/x");
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_urls),
		cmocka_unit_test(not_one_tcp_address),
		cmocka_unit_test(repointed),
	};
	return cmocka_run_group_tests_name("pgurl", tests, NULL, NULL);
}
