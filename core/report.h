/* report.html: one self-contained page (inline CSS and SVG, no script, no
 * network) drawn from a results folder's test_summary.json and the JSON
 * artifacts it lists.  See docs/report.md. */
#ifndef VS_REPORT_H
#define VS_REPORT_H

#include <stddef.h>

/* Reads <results_dir>/test_summary.json and writes <results_dir>/report.html
 * atomically.  Returns 0, or -1 with a message naming the file (and the
 * line and column of a JSON error) in err. */
int vs_report_write(const char *results_dir, char *err, size_t errlen);

#endif
