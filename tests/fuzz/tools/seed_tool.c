/* Seed material for the fuzz corpora (docs/fuzzing.md, "Seeds"): not part
 * of any build.
 *   seed_tool ws URL TEXT...   a real libwebsockets client session (the
 *                              world's WS stand-ins): each TEXT is sent as a
 *                              text frame, "@bin:N" as N bytes of binary
 *                              audio; the world's side is captured by strace
 *   seed_tool media DIR        the media-stream messages our builders send */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vstress/telnyx/media_msg.h"
#include "vstress/net/wsclient.h"

static void put(const char *dir, const char *name, char *s)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	if (!f || !s)
		exit(1);
	fputs(s, f);
	fclose(f);
	free(s);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "ws")) {
		struct vs_wsc *w;
		struct vs_wsc_err e;
		const char *hdr[] = {"Authorization: Token dg_test", "X-API-Key: ca_test", "xi-api-key: el_test", NULL};
		struct vs_wsc_cfg cfg = {.url = argv[2], .headers = hdr, .timeout_ms = 5000};
		struct vs_wsc_msg m;
		if (vs_wsc_connect(&w, &cfg, &e)) {
			fprintf(stderr, "connect: %d %s\n", e.http_status, e.msg);
			return 1;
		}
		for (int i = 3; i < argc; i++) {
			if (!strncmp(argv[i], "@bin:", 5)) {
				size_t n = strtoul(argv[i] + 5, NULL, 10);
				unsigned char *b = malloc(n);
				for (size_t k = 0; k < n; k++)
					b[k] = (unsigned char)(0xff - (k % 7) * 3);
				vs_wsc_send(w, 1, b, n, 2000);
				free(b);
			} else {
				vs_wsc_send(w, 0, argv[i], strlen(argv[i]), 2000);
			}
			while (vs_wsc_recv(w, 300, &m) == 1)
				;
		}
		vs_wsc_close(w, 1000, 2000);
		vs_wsc_free(w);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "media")) {
		const char *d = argv[2];
		uint8_t pcmu[160];
		memset(pcmu, 0xff, sizeof pcmu);
		struct vs_stream_info s = {.stream_id = "32de0dea-53cb-4a21-9c4e-2e4f4e1f8a01", .user_id = "u-1",
					   .call_control_id = "v3:abcDEF123_-xyz", .call_session_id = "sess-1",
					   .from = "+15550100001", .to = "+15550100002", .client_state = "aGVsbG8="};
		put(d, "out-media", vs_media_out_media(pcmu, sizeof pcmu));
		put(d, "out-mark", vs_media_out_mark("reply-1"));
		put(d, "out-clear", vs_media_out_clear());
		put(d, "connected", vs_media_connected());
		put(d, "start", vs_media_start(&s, 1));
		put(d, "media", vs_media_media(s.stream_id, 2, "inbound", 1, 20, pcmu, 20));
		put(d, "dtmf", vs_media_dtmf(s.stream_id, 3, "5", "2026-12-04T21:00:00.000000Z"));
		put(d, "mark", vs_media_mark(s.stream_id, 4, "reply-1"));
		put(d, "stop", vs_media_stop(&s, 5));
		put(d, "error", vs_media_error(s.stream_id, 100003, "malformed_frame", "The frame is not JSON"));
		return 0;
	}
	fprintf(stderr, "usage: seed_tool ws URL TEXT... | media DIR\n");
	return 2;
}
