/* The TeXML parser (lib/telnyx/texml.c) that reads what an agent answers a
 * call with: any bytes, with small limits half of the time so the size and
 * depth refusals are reached; checks the parser's promises on every result. */
#include "fuzz.h"

#include <string.h>

#include "vstress/telnyx/texml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_texml_limits lim = {0, 0};
	struct vs_texml_doc d;
	char err[256], desc[512];
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		lim.max_bytes = 4096;
		lim.max_depth = 8;
	}
	rc = vs_texml_parse((const char *)data + 1, size - 1, &lim, &d, err, sizeof(err));
	if (rc == 0) {
		for (size_t i = 0; i < d.n; i++) {
			const struct vs_texml_verb *v = &d.verbs[i];
			if (v->kind < VS_TEXML_CONNECT_STREAM || v->kind > VS_TEXML_OTHER || v->line < 0 ||
			    memchr(v->name, '\0', sizeof(v->name)) == NULL)
				abort();
		}
		vs_texml_describe(&d, desc, sizeof(desc));
		if (memchr(desc, '\0', sizeof(desc)) == NULL)
			abort();
	} else if (rc != -1 || d.n != 0 || memchr(err, '\0', sizeof(err)) == NULL || !err[0]) {
		abort(); /* a refusal says why, and leaves nothing behind */
	}
	vs_texml_free(&d);
	return 0;
}
