/* api plugin: the session auth flow (Phase 3.2): login, verify, missing and
 * invalid tokens, logout, expiry, cleanup.  The OpenAPI sweep runs in the
 * middle, while the first token is still valid.  Logging in is api_token.c's. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET path with token (NULL: none) must answer unauth_status. */
static void refused(struct api *a, const char *name, const char *token, const char *label)
{
	struct api_resp r = {0};
	char what[512], snip[160];

	if (api_request(a, API_AUTH, "GET", a->protected_path, token, NULL, &r))
		a->h->check(a->c, name, VS_CHECK_FAIL, "%s", api_resp_what(&r, "GET", a->protected_path, what, sizeof(what)));
	else if (r.status == a->unauth_status)
		a->h->check(a->c, name, VS_CHECK_PASS, "GET %s %s: %ld", a->protected_path, label, r.status);
	else
		a->h->check(a->c, name, VS_CHECK_FAIL, "GET %s %s: %ld (expected %lld)%s: %s", a->protected_path, label,
			    r.status, a->unauth_status,
			    api_status_class(r.status) != 2 ? "" : token ? ", the token was accepted" : ", the route is not protected",
			    api_snippet(&r, snip, sizeof(snip)));
	api_resp_free(&r);
}

static void verify(struct api *a)
{
	struct api_resp r = {0};
	char what[512], snip[160];

	if (!*a->verify_path) {
		a->h->check(a->c, "auth.verify", VS_CHECK_SKIP, "verify_path is empty");
		return;
	}
	if (api_request(a, API_AUTH, "GET", a->verify_path, a->tok.value, NULL, &r))
		a->h->check(a->c, "auth.verify", VS_CHECK_FAIL, "%s", api_resp_what(&r, "GET", a->verify_path, what, sizeof(what)));
	else
		a->h->check(a->c, "auth.verify", api_status_class(r.status) == 2 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "GET %s with the token: %ld%s%s", a->verify_path, r.status,
			    api_status_class(r.status) == 2 ? "" : ": ",
			    api_status_class(r.status) == 2 ? "" : api_snippet(&r, snip, sizeof(snip)));
	api_resp_free(&r);
}

static void logout(struct api *a)
{
	struct api_resp r = {0};
	char what[512], snip[160], label[64];
	const char *tok = api_fresh_token(a);

	if (!*a->logout_path) {
		a->h->check(a->c, "auth.logout", VS_CHECK_SKIP, "logout_path is empty");
		return;
	}
	if (!tok) {
		a->h->check(a->c, "auth.logout", VS_CHECK_FAIL, "no token to log out (login failed)");
		return;
	}
	if (api_request(a, API_AUTH, "POST", a->logout_path, tok, NULL, &r)) {
		a->h->check(a->c, "auth.logout", VS_CHECK_FAIL, "%s", api_resp_what(&r, "POST", a->logout_path, what, sizeof(what)));
		goto out;
	}
	if (api_status_class(r.status) != 2) {
		a->h->check(a->c, "auth.logout", VS_CHECK_FAIL, "POST %s: %ld: %s", a->logout_path, r.status,
			    api_snippet(&r, snip, sizeof(snip)));
		goto out;
	}
	a->h->check(a->c, "auth.logout", VS_CHECK_PASS, "POST %s: %ld", a->logout_path, r.status);
	if (*a->protected_path) {
		snprintf(label, sizeof(label), "with the logged-out token");
		refused(a, "auth.revoked_token", tok, label);
	}
out:
	api_resp_free(&r);
	api_token_free(&a->tok); /* revoked (or in doubt): log in again when needed */
}

static void expiry(struct api *a, struct api_token *b)
{
	char label[96];
	uint64_t due;
	int64_t wait_ms;

	if (!b->value)
		return; /* skipped or failed when b was made */
	due = b->born_ns + (uint64_t)(a->ttl_ms + 1000) * 1000000ull;
	wait_ms = (int64_t)(due > a->h->now_ns() ? (due - a->h->now_ns()) / 1000000ull : 0);
	if (wait_ms > a->h->remaining_ms(a->c) - 2000) {
		a->h->check(a->c, "auth.expired_token", VS_CHECK_SKIP,
			    "not enough time left to wait %.1f s for the session to expire", (double)wait_ms / 1000.0);
		return;
	}
	a->h->log(a->c, VS_LOG_INFO, "waiting %.1f s for a session to expire (session_ttl %.1f s)", wait_ms / 1000.0,
		  a->ttl_ms / 1000.0);
	if (api_sleep_ms(a, wait_ms))
		return;
	snprintf(label, sizeof(label), "with a token %.1f s old (session_ttl %.1f s)",
		 (double)(a->h->now_ns() - b->born_ns) / 1e9, a->ttl_ms / 1000.0);
	refused(a, "auth.expired_token", b->value, label);
}

static void cleanup(struct api *a)
{
	struct api_resp r = {0};
	char what[512], snip[200];
	const char *tok;

	if (!*a->cleanup_path) {
		a->h->check(a->c, "auth.cleanup", VS_CHECK_SKIP, "cleanup_path is empty");
		return;
	}
	if (!api_cleanup_allowed(a, what, sizeof(what))) {
		a->h->check(a->c, "auth.cleanup", VS_CHECK_SKIP,
			    "POST %s deletes every expired session, also ones vstress did not create: it runs only "
			    "against scratch data or with [api] allow_cleanup = true; %s",
			    a->cleanup_path, what);
		return;
	}
	tok = api_fresh_token(a);
	if (!tok) {
		a->h->check(a->c, "auth.cleanup", VS_CHECK_FAIL, "no valid token for POST %s (login failed)", a->cleanup_path);
		return;
	}
	if (api_request(a, API_AUTH, "POST", a->cleanup_path, tok, NULL, &r))
		a->h->check(a->c, "auth.cleanup", VS_CHECK_FAIL, "%s", api_resp_what(&r, "POST", a->cleanup_path, what, sizeof(what)));
	else
		a->h->check(a->c, "auth.cleanup", api_status_class(r.status) == 2 ? VS_CHECK_PASS : VS_CHECK_FAIL,
			    "POST %s: %ld: %s", a->cleanup_path, r.status, api_snippet(&r, snip, sizeof(snip)));
	api_resp_free(&r);
}

static void skip_token_checks(struct api *a, const char *why)
{
	static const char *const names[] = {"auth.verify", "auth.logout", "auth.revoked_token", "auth.expired_token",
					    "auth.cleanup"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		a->h->check(a->c, names[i], VS_CHECK_SKIP, "%s", why);
}

void api_auth(struct api *a)
{
	struct api_token b = {0};
	char why[512], invalid[64];
	int logged_in = 0;

	if (!*a->login_path) {
		a->h->check(a->c, "auth.login", VS_CHECK_SKIP, "login_path is empty");
		skip_token_checks(a, "login_path is empty");
	} else if (!*a->password) {
		a->h->check(a->c, "auth.login", VS_CHECK_SKIP, "no password ([api] password, default ${AUTH_PASSWORD})");
		skip_token_checks(a, "no password: no session to test");
	} else if (api_login(a, &a->tok, why, sizeof(why))) {
		a->h->check(a->c, "auth.login", VS_CHECK_FAIL, "%s", why);
		skip_token_checks(a, "no token: auth.login failed");
	} else {
		a->h->check(a->c, "auth.login", VS_CHECK_PASS, "%s", why);
		logged_in = 1;
		/* the expiry probe's session, made now so its wait overlaps the rest */
		if (!*a->protected_path)
			a->h->check(a->c, "auth.expired_token", VS_CHECK_SKIP, "protected_path is empty");
		else if (a->ttl_ms + 1000 > a->max_wait_ms)
			a->h->check(a->c, "auth.expired_token", VS_CHECK_SKIP,
				    "session_ttl %.1f s + 1 s is longer than max_wait %.1f s: expiry not waited for",
				    a->ttl_ms / 1000.0, a->max_wait_ms / 1000.0);
		else if (api_login(a, &b, why, sizeof(why)))
			a->h->check(a->c, "auth.expired_token", VS_CHECK_FAIL, "second login for the expiry probe: %s", why);
		verify(a);
	}
	if (*a->protected_path) {
		snprintf(invalid, sizeof(invalid), "vstress-invalid-%016llx", (unsigned long long)a->h->seed(a->c));
		refused(a, "auth.missing_token", NULL, "without a token");
		refused(a, "auth.invalid_token", invalid, "with an invalid token");
	} else {
		a->h->check(a->c, "auth.missing_token", VS_CHECK_SKIP, "protected_path is empty");
		a->h->check(a->c, "auth.invalid_token", VS_CHECK_SKIP, "protected_path is empty");
	}
	if (!a->h->should_stop(a->c))
		api_openapi(a);
	if (logged_in && !a->h->should_stop(a->c)) {
		logout(a);
		expiry(a, &b);
		cleanup(a);
	}
	api_token_free(&b);
}
