/* The world's WebSocket frame parser (world/ws.c, w_ws_input over a
 * connection in the WS state, as the poll loop calls it): the input is the
 * client's byte stream after the 101, fed in chunks split at points seeded
 * by its first byte.  Messages reach a handler that reads every byte; the
 * replies the parser queues (pongs, close) are dropped after each chunk. */
#include "fuzz.h"

#include "world/conn.h"

/* world/ws.c (declared where the poll loop uses them) */
int w_ws_input(struct world *W, struct wconn *c);
void w_ws_closed_cb(struct wconn *c, int code);

static char route_pattern[] = "/fuzz";

static size_t msgs, closes;

static int on_message(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int binary, const void *d, size_t n,
		      void *arg)
{
	const unsigned char *p = d;
	unsigned sum = 0;
	(void)w, (void)wc, (void)ws, (void)arg;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	if (!binary && p[n] != '\0')
		abort(); /* text messages are NUL-terminated for the handlers */
	msgs += 1 + (sum & 0);
	return 0;
}

static void on_close(const struct vs_world *w, vs_wctx *wc, vs_ws *ws, int code, void *arg)
{
	(void)w, (void)wc, (void)ws, (void)code, (void)arg;
	closes++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wroute route = {.pattern = route_pattern, .is_ws = 1};
	struct fz_split sp;
	struct wconn c;
	size_t off = 1;

	if (size < 1)
		return 0;
	route.wsh.on_message = on_message;
	route.wsh.on_close = on_close;
	memset(&c, 0, sizeof c);
	c.fd = -1;
	c.state = C_WS;
	c.is_ws = 1;
	c.keepalive = 1;
	c.ws.c = &c;
	c.ws.route = &route;
	fz_split_init(&sp, data[0]);
	while (off < size && c.state == C_WS && !c.dead) {
		size_t n = fz_split_next(&sp, size - off);
		if (wbuf_add(&c.in, data + off, n) < 0)
			abort();
		off += n;
		w_ws_input(NULL, &c);
		if (c.in.len > size)
			abort();
		cq_clear(&c);
	}
	w_ws_closed_cb(&c, 1006);
	cq_clear(&c);
	free(c.qh); /* cq_clear keeps a partly written item; none here */
	wbuf_free(&c.in);
	wbuf_free(&c.ws.frag);
	return 0;
}
