/* db plugin: database down, no url, and the password never shown. */
#include "dbtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define PASSWORD "Sup3r-s3cret-Pa55"

/* A loopback port nothing listens on. */
static int unused_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static void database_down(void **st)
{
	char url[256], want[256];
	struct fakehost *fh;
	int port = unused_port();
	(void)st;
	snprintf(url, sizeof(url), "postgresql://vstress:%s@127.0.0.1:%d/agent", PASSWORD, port);
	fh = dbt_host(url);
	fh_set_redact(fh, 0); /* the plugin must redact by itself */
	assert_int_equal(fh_run(fh), VS_OK);
	snprintf(want, sizeof(want), "connection refused at 127.0.0.1:%d (postgresql://vstress:***@127.0.0.1:%d/agent)",
		 port, port);
	assert_message(fh, "connect", want);
	assert_non_null(strstr(fh_reason(fh), "connection refused at 127.0.0.1"));
	assert_false(fh_anywhere_contains(fh, PASSWORD));
	fh_free(fh);
}

static void no_url_skips(void **st)
{
	struct fakehost *fh;
	(void)st;
	fh = dbt_host("");
	assert_int_equal(fh_run(fh), VS_SKIP);
	assert_string_equal(fh_reason(fh), "no database url (set DATABASE_URL or [db] url)");
	assert_int_equal(fh_check_count(fh), 0);
	fh_free(fh);
}

static void password_never_shown(void **st)
{
	char base[512], url[700];
	const char *at;
	struct fakehost *fh;
	(void)st;
	/* the throwaway server trusts everyone: the password is sent, ignored */
	dbt_fresh("vs_secret", NULL, base, sizeof(base));
	at = strstr(base, "://");
	assert_non_null(at);
	{
		const char *user_end = strchr(at + 3, '@');
		assert_non_null(user_end);
		snprintf(url, sizeof(url), "%.*s:%s%s", (int)(user_end - base), base, PASSWORD, user_end);
	}
	fh = dbt_host(url);
	fh_set_redact(fh, 0);
	fh_set_opt(fh, "storm_connections", "5");
	fh_set_opt(fh, "writes_call_logs", "20");
	fh_set_opt(fh, "writes_system_errors", "10");
	fh_set_opt(fh, "mixed_duration", "300ms");
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "connect", VS_CHECK_PASS);
	assert_non_null(strstr(fh_check_message(fh, "connect"), ":***@"));
	assert_false(fh_anywhere_contains(fh, PASSWORD));
	assert_int_equal(dbt_failed(fh, ""), 0);
	fh_free(fh);

	/* key=value form and ?password= too */
	snprintf(url, sizeof(url), "host=127.0.0.1 port=1 user=x password=%s dbname=agent", PASSWORD);
	fh = dbt_host(url);
	fh_set_redact(fh, 0);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_check(fh, "connect", VS_CHECK_FAIL);
	assert_false(fh_anywhere_contains(fh, PASSWORD));
	fh_free(fh);
	snprintf(url, sizeof(url), "postgresql://127.0.0.1:1/agent?user=x&password=%s&sslmode=disable", PASSWORD);
	fh = dbt_host(url);
	fh_set_redact(fh, 0);
	assert_int_equal(fh_run(fh), VS_OK);
	assert_false(fh_anywhere_contains(fh, PASSWORD));
	fh_free(fh);
}

static void deadline_respected(void **st)
{
	char url[512];
	struct fakehost *fh;
	uint64_t t0;
	(void)st;
	dbt_fresh("vs_deadline", NULL, url, sizeof(url));
	fh = dbt_host(url);
	fh_set_opt(fh, "writes_call_logs", "100");
	fh_set_opt(fh, "mixed_duration", "60s");
	fh_set_deadline_ms(fh, 1500);
	t0 = fh_host(fh)->now_ns();
	assert_int_equal(fh_run(fh), VS_OK);
	assert_true(fh_host(fh)->now_ns() - t0 < 5000000000ull);
	/* stopped early, yet the rows it created are gone */
	assert_string_equal(dbt_value(url, "SELECT count(*) FROM call_logs"), "3");
	fh_free(fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(database_down),
		cmocka_unit_test(no_url_skips),
		cmocka_unit_test(password_never_shown),
		cmocka_unit_test(deadline_respected),
	};
	if (!dbt_admin_url())
		return 77;
	return cmocka_run_group_tests_name("db_safety", tests, NULL, NULL);
}
