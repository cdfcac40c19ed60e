/* api plugin: session tokens: logging in, and a token fresh enough for the
 * next request (the auth flow, the OpenAPI sweep and the rate-limit probe
 * all ask for one). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_token_free(struct api_token *t)
{
	free(t->value);
	t->value = NULL;
	t->born_ns = 0;
}

int api_login(struct api *a, struct api_token *t, char *why, size_t len)
{
	struct api_resp r = {0};
	char *body = api_fill_template(a->login_body, a->username, a->password), what[512], snip[200];
	json_t *j = NULL, *tok;
	json_error_t jerr;
	int rc = -1;

	api_token_free(t);
	if (!body) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (api_request(a, API_AUTH, "POST", a->login_path, NULL, body, &r)) {
		snprintf(why, len, "%s", api_resp_what(&r, "POST", a->login_path, what, sizeof(what)));
		goto out;
	}
	if (api_status_class(r.status) != 2) {
		snprintf(why, len, "POST %s: %ld: %s", a->login_path, r.status, api_snippet(&r, snip, sizeof(snip)));
		goto out;
	}
	j = json_loadb(r.body, r.len, 0, &jerr);
	if (!j) {
		snprintf(why, len, "POST %s: %ld but the answer is not JSON (%s): %s", a->login_path, r.status, jerr.text,
			 api_snippet(&r, snip, sizeof(snip)));
		goto out;
	}
	tok = api_json_path(j, a->token_field);
	if (!json_is_string(tok) || !json_string_length(tok) || json_string_length(tok) > 2048) {
		snprintf(why, len, "POST %s: %ld but no \"%s\" token string in the answer: %s", a->login_path, r.status,
			 a->token_field, tok ? api_json_short(tok, snip, sizeof(snip)) : "(absent)");
		goto out;
	}
	t->value = strdup(json_string_value(tok));
	t->born_ns = a->h->now_ns();
	if (!t->value) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	snprintf(why, len, "POST %s: %ld, token present (%zu chars)", a->login_path, r.status, strlen(t->value));
	rc = 0;
out:
	json_decref(j);
	api_resp_free(&r);
	free(body);
	return rc;
}

const char *api_fresh_token(struct api *a)
{
	char why[512];

	if (!*a->login_path || !*a->password)
		return NULL;
	if (a->tok.value && (a->h->now_ns() - a->tok.born_ns) / 1000000ull < (uint64_t)a->ttl_ms / 2)
		return a->tok.value;
	if (api_login(a, &a->tok, why, sizeof(why))) {
		a->h->log(a->c, VS_LOG_WARN, "login again: %s", why);
		return NULL;
	}
	return a->tok.value;
}
