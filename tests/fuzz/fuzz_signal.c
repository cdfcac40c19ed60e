/* The agent's signals (lib/observe/signal.c): the input's first line is a
 * selector as [target] signal.<name> declares it, the rest a /metrics page
 * read through it (sums, histogram parts, per-label values), and the whole
 * input is also a page read through fixed selectors. */
#include "fuzz.h"

#include "vstress/observe/signal.h"

static void each(const char *value, double sum, void *arg)
{
	(void)sum;
	if (!value)
		abort();
	++*(int *)arg;
}

static void read_page(const struct vs_signal *s, const char *page)
{
	struct vs_signal extra;
	double v;
	int n = 0, groups;

	vs_signal_sum(s, page, NULL, NULL, &v);
	vs_signal_sum(s, page, "_count", NULL, &v);
	if (vs_signal_parse_labels("outcome=\"error\"", &extra, NULL, 0) != 0)
		abort();
	vs_signal_sum(s, page, NULL, &extra, &v);
	groups = vs_signal_by_label(s, page, "outcome", each, &n);
	if (groups != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_strndup(data, size), *nl, err[300], buf[512];
	struct vs_signal s;

	if (!text)
		return 0;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	err[0] = '\0';
	if (vs_signal_parse("calls", text, &s, err, sizeof err) == 0) {
		vs_signal_str(&s, buf, sizeof buf);
		vs_signal_why(&s, buf, sizeof buf);
		if (nl)
			read_page(&s, nl + 1);
	} else if (!strstr(err, "[target] signal.calls") || vs_signal_declared(&s)) {
		abort(); /* an error names the key and leaves nothing declared */
	}
	if (nl)
		*nl = '\n';
	vs_signal_parse("calls", "agent_calls_total", &s, NULL, 0);
	read_page(&s, text);
	vs_signal_parse("calls", "agent_calls_total{outcome=\"error\",x=\"\\\"\"}", &s, NULL, 0);
	read_page(&s, text);
	free(text);
	return 0;
}
