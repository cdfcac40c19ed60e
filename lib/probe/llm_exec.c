/* LLM probe: a batch of streaming requests on one curl multi handle, at
 * most `conc` in flight, started at paced intended times (a pacer thread
 * feeds them, so waiting never delays reading the open streams).  Every
 * job ends classified; nothing a provider sends can crash it: responses
 * are capped at max_response, SSE lines and events too, and every JSON
 * parse is checked by the wire. */
#include "vstress/probe/llm_probe.h"
#include "vstress/net/sse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRBODY_MAX (64u * 1024u)

struct xfer {
	struct llm_probe *p;
	struct llm_job *job;
	CURL *e;
	struct curl_slist *hdrs;
	char *url, *body;
	struct vs_sse sse;
	char *eb; /* a non-2xx body, capped */
	size_t elen, bytes;
	int decided, stream;
	char cerr[CURL_ERROR_SIZE];
};

struct pace {
	struct llm_probe *p;
	CURLM *m;
	pthread_mutex_t mu;
	uint64_t *due; /* intended starts produced so far */
	size_t n, produced;
	int finished;
};

static void *pace_main(void *arg)
{
	struct pace *pc = arg;
	vs_pacer *pacer = pc->p->h->pacer_new(pc->p->c, pc->p->rate, 0);
	for (size_t i = 0; pacer && i < pc->n; i++) {
		uint64_t t = pc->p->h->pacer_wait(pacer);
		if (!t)
			break;
		pthread_mutex_lock(&pc->mu);
		pc->due[pc->produced++] = t;
		pthread_mutex_unlock(&pc->mu);
		curl_multi_wakeup(pc->m);
	}
	if (pacer)
		pc->p->h->pacer_free(pacer);
	pthread_mutex_lock(&pc->mu);
	pc->finished = 1;
	pthread_mutex_unlock(&pc->mu);
	curl_multi_wakeup(pc->m);
	return NULL;
}

static int on_event(void *arg, const char *event, const char *data, size_t len)
{
	struct xfer *x = arg;
	x->p->w->event(&x->job->r, event, data, len);
	return x->job->r.cls >= 0; /* classified (an in-stream error, junk): stop reading */
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct llm_result *r = &x->job->r;
	size_t n = size * nmemb;

	x->bytes += n;
	if (x->bytes > (size_t)x->p->max_response) {
		llm_result_fail(r, LLM_MALFORMED, "response larger than %lld bytes", x->p->max_response);
		return 0;
	}
	if (!x->decided) {
		long st = 0;
		curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &st);
		r->status = st;
		x->stream = st >= 200 && st < 300;
		x->decided = 1;
	}
	if (x->stream) {
		int rc = vs_sse_feed(&x->sse, ptr, n, on_event, x);
		if (rc < 0) {
			llm_result_fail(r, LLM_MALFORMED, "SSE line or event longer than %zu bytes", x->sse.max_event);
			return 0;
		}
		return rc ? 0 : n;
	}
	if (x->elen < ERRBODY_MAX) {
		size_t k = n < ERRBODY_MAX - x->elen ? n : ERRBODY_MAX - x->elen;
		char *b = realloc(x->eb, x->elen + k + 1);
		if (!b)
			return 0;
		x->eb = b;
		memcpy(x->eb + x->elen, ptr, k);
		x->elen += k;
		x->eb[x->elen] = '\0';
	}
	return n;
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->e)
		curl_easy_cleanup(x->e);
	curl_slist_free_all(x->hdrs);
	free(x->url);
	free(x->body);
	free(x->eb);
	vs_sse_free(&x->sse);
	free(x);
}

static long long budget_ms(struct llm_probe *p)
{
	long long t = p->timeout_ms;
	long long left = (long long)p->h->remaining_ms(p->c) - 300;
	return left < t ? left : t;
}

static struct xfer *xfer_new(struct llm_probe *p, struct llm_job *job, uint64_t intended)
{
	struct xfer *x = calloc(1, sizeof(*x));
	struct llm_req q = {p->base_url, p->api_key, p->model, job->system, job->messages, (long)p->max_tokens};
	long long t = budget_ms(p);

	job->r.intended_ns = intended;
	job->r.start_ns = p->h->now_ns();
	if (!x)
		return NULL;
	x->p = p;
	x->job = job;
	vs_sse_init(&x->sse, (size_t)(p->max_response < (1 << 20) ? p->max_response : (1 << 20)));
	if (t < 1) {
		llm_result_fail(&job->r, LLM_TIMEOUT, "no time left before the plugin's deadline");
		goto fail;
	}
	if (p->w->request(&q, &x->url, &x->hdrs, &x->body) < 0 || !(x->e = curl_easy_init())) {
		llm_result_fail(&job->r, LLM_CLIENT_ERROR, "could not build the request");
		goto fail;
	}
	x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
	x->hdrs = curl_slist_append(x->hdrs, "Accept: text/event-stream");
	curl_easy_setopt(x->e, CURLOPT_URL, x->url);
	curl_easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->e, CURLOPT_TIMEOUT_MS, (long)t);
	curl_easy_setopt(x->e, CURLOPT_CONNECTTIMEOUT_MS, (long)(t < 10000 ? t : 10000));
	curl_easy_setopt(x->e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->e, CURLOPT_LOW_SPEED_TIME, (long)((p->idle_ms + 999) / 1000));
	curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->e, CURLOPT_ERRORBUFFER, x->cerr);
	curl_easy_setopt(x->e, CURLOPT_USERAGENT, "vstress-llm/1.0");
	curl_easy_setopt(x->e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
	return x;
fail:
	job->r.end_ns = p->h->now_ns();
	xfer_free(x);
	return NULL;
}

/* The transfer ended (res): classify what is not classified yet. */
static void finish(struct xfer *x, CURLcode res)
{
	struct llm_probe *p = x->p;
	struct llm_result *r = &x->job->r;
	const char *why = x->cerr[0] ? x->cerr : curl_easy_strerror(res);

	r->end_ns = p->h->now_ns();
	if (!x->decided) {
		long st = 0;
		curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &st);
		r->status = st;
	}
	if (r->cls >= 0)
		return;
	if (res == CURLE_OPERATION_TIMEDOUT) {
		if (!x->bytes)
			llm_result_fail(r, LLM_TIMEOUT, "no response within %.0f ms (%s)",
					(double)(r->end_ns - r->start_ns) / 1e6, why);
		else
			llm_result_fail(r, LLM_TIMEOUT, "stream stalled after %zu bytes%s (%s)", x->bytes,
					r->first_ns ? " and the first token" : ", before the first token", why);
		return;
	}
	if (res != CURLE_OK && (!x->decided || r->status == 0)) {
		llm_result_fail(r, LLM_NETWORK, "%s", why);
		return;
	}
	if (r->status < 200 || r->status >= 300) {
		p->w->error_body(r, r->status, x->eb ? x->eb : "", x->elen);
		if (res != CURLE_OK && r->cls < 0)
			llm_result_fail(r, llm_class_of_status(r->status), "HTTP %ld, body cut: %s", r->status, why);
		llm_result_fail(r, llm_class_of_status(r->status), "HTTP %ld", r->status);
		return;
	}
	if (res != CURLE_OK) {
		llm_result_fail(r, LLM_MALFORMED, "stream cut after %zu bytes without %s: %s", x->bytes,
				p->w->end_marker, why);
		return;
	}
	if (!r->done) {
		llm_result_fail(r, LLM_MALFORMED, "stream ended without %s after %zu events%s", p->w->end_marker,
				x->sse.events, vs_sse_pending(&x->sse) ? " (last event incomplete)" : "");
		return;
	}
	r->cls = LLM_OK;
}

int llm_exec(struct llm_probe *p, struct llm_job *jobs, size_t n, size_t conc, int paced)
{
	struct pace pc = {0};
	pthread_t th;
	int have_thread = 0, rc = -1;
	size_t next = 0, active = 0, taken = 0;
	CURLM *m = curl_multi_init();
	struct xfer **live = NULL; /* the transfers in flight */

	for (size_t i = 0; i < n; i++) {
		memset(&jobs[i].r, 0, sizeof(jobs[i].r));
		jobs[i].r.cls = -1;
	}
	if (!m)
		return -1;
	if (conc < 1)
		conc = 1;
	if (conc > n && n)
		conc = n;
	live = calloc(conc, sizeof(*live));
	if (!live)
		goto out;
	paced = paced && p->rate > 0;
	if (paced) {
		pc.p = p;
		pc.m = m;
		pc.n = n;
		pc.due = calloc(n ? n : 1, sizeof(*pc.due));
		if (!pc.due || pthread_mutex_init(&pc.mu, NULL))
			goto out;
		if (pthread_create(&th, NULL, pace_main, &pc)) {
			pthread_mutex_destroy(&pc.mu);
			goto out;
		}
		have_thread = 1;
	}
	while (next < n || active) {
		int stopping = p->h->should_stop(p->c);
		/* start what is due */
		while (!stopping && next < n && active < conc) {
			uint64_t intended = 0;
			if (paced) {
				pthread_mutex_lock(&pc.mu);
				if (taken < pc.produced)
					intended = pc.due[taken++];
				int fin = pc.finished && taken >= pc.produced;
				pthread_mutex_unlock(&pc.mu);
				if (!intended) {
					if (fin)
						stopping = 1;
					break;
				}
			} else {
				intended = p->h->now_ns();
			}
			struct xfer *x = xfer_new(p, &jobs[next], intended);
			next++;
			if (x) {
				if (curl_multi_add_handle(m, x->e) != CURLM_OK) {
					llm_result_fail(&x->job->r, LLM_CLIENT_ERROR, "curl_multi_add_handle failed");
					x->job->r.end_ns = p->h->now_ns();
					xfer_free(x);
					continue;
				}
				for (size_t k = 0; k < conc; k++)
					if (!live[k]) {
						live[k] = x;
						break;
					}
				active++;
			}
		}
		if (stopping && next < n) {
			for (; next < n; next++) {
				jobs[next].r.intended_ns = jobs[next].r.start_ns = jobs[next].r.end_ns = p->h->now_ns();
				llm_result_fail(&jobs[next].r, LLM_TIMEOUT, "not started: the plugin's deadline came");
			}
		}
		int running = 0;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			CURLcode res = msg->data.result;
			curl_multi_remove_handle(m, msg->easy_handle);
			finish(x, res);
			for (size_t k = 0; k < conc; k++)
				if (live[k] == x)
					live[k] = NULL;
			xfer_free(x);
			active--;
		}
		if (stopping && active) {
			/* the deadline: abandon what is in flight, classified */
			for (size_t k = 0; k < conc; k++) {
				struct xfer *x = live[k];
				if (!x)
					continue;
				curl_multi_remove_handle(m, x->e);
				llm_result_fail(&x->job->r, LLM_TIMEOUT, "stopped at the plugin's deadline");
				x->job->r.end_ns = p->h->now_ns();
				xfer_free(x);
				live[k] = NULL;
				active--;
			}
		}
		if (next < n || active)
			curl_multi_poll(m, NULL, 0, 50, NULL);
	}
	rc = 0;
out:
	if (have_thread) {
		/* the pacer stops once it produced n starts or should_stop() */
		pthread_join(th, NULL);
		pthread_mutex_destroy(&pc.mu);
	}
	free(pc.due);
	free(live);
	curl_multi_cleanup(m);
	return rc;
}
