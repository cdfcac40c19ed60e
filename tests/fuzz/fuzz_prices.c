/* The price table reader (lib/probe/llm_prices.c, conf.d/prices*.ini): the
 * input is a price file, looked up for a few providers and models, one of
 * them named by the input's first line ("; lookup PROVIDER MODEL"). */
#include "fuzz.h"

#include "vstress/probe/llm_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *q[][2] = {
		{"openai", "gpt-4o-mini"}, {"openai", "gpt-4o-2024-08-06"}, {"anthropic", "claude-3-5-haiku-latest"},
		{"gemini", ""}, {"", "x"},
	};
	char path[64], err[512], prov[64] = "", model[96] = "";
	struct llm_price pr;
	int fd;

	fd = fz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	if (size > 9 && !memcmp(data, "; lookup ", 9)) {
		char *line = fz_strndup(data + 9, size - 9), *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (sscanf(line, "%63s %95s", prov, model) < 1)
			prov[0] = '\0';
		free(line);
	}
	for (size_t i = 0; i <= sizeof q / sizeof *q; i++) {
		const char *pv = i < sizeof q / sizeof *q ? q[i][0] : prov, *md = i < sizeof q / sizeof *q ? q[i][1] : model;
		err[0] = '\0';
		int rc = llm_prices_load(path, pv, md, &pr, err, sizeof err);
		if (rc == 0) {
			if (!memchr(pr.model, '\0', sizeof pr.model) || !memchr(pr.read, '\0', sizeof pr.read))
				abort();
		} else if (rc < 0 && !err[0]) {
			abort();
		}
	}
	close(fd);
	return 0;
}
