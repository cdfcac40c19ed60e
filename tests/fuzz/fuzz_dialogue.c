/* Dialogue rules (world/dialogue.c, conf.d/dialogue/NAME.ini): load the
 * input as a dialogue file, then ask it for replies to a few turns (one of
 * them the input's last line, so rules can be made to match). */
#include "fuzz.h"

#include "world/internal.h"

static void check_reply(const struct vs_reply *r)
{
	if (!r->text || !r->rule || !r->tool_args)
		abort(); /* documented: text, rule and tool_args are always set */
	(void)strlen(r->text);
	(void)strlen(r->rule);
	(void)strlen(r->tool_args);
	if (r->tool)
		(void)strlen(r->tool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *turns[] = {"", "hello", "I would like to book a table for two", "BOOK", "cancel it, please"};
	char path[64], err[256];
	struct vs_reply r;
	struct wdialogue *d;
	int fd;

	if (size > 64 * 1024)
		return 0;
	fd = fz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	err[0] = '\0';
	d = wdialogue_load(path, err, sizeof err);
	if (d) {
		char *text = fz_strndup(data, size), *last = strrchr(text, '\n');
		for (size_t i = 0; i < sizeof turns / sizeof *turns; i++) {
			memset(&r, 0, sizeof r);
			wdialogue_reply(d, turns[i], &r);
			check_reply(&r);
		}
		memset(&r, 0, sizeof r);
		wdialogue_reply(d, last ? last + 1 : text, &r);
		check_reply(&r);
		free(text);
		wdialogue_free(d);
	} else if (!err[0]) {
		abort();
	}
	close(fd);
	return 0;
}
