/* Replays a fuzz target over its corpus without libFuzzer (gcc build, make
 * check): every file of tests/fuzz/corpus/<name>/ (or of the folders and
 * files given as arguments) is fed once to LLVMFuzzerTestOneInput, one TAP
 * line each.  A crash or sanitizer report ends the run (the suite fails). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path, int num)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		printf("not ok %d - %s: %s\n", num, path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	/* as libFuzzer does: a buffer of exactly n bytes */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact)
		abort();
	memcpy(exact, buf, n);
	free(buf);
	fflush(stdout);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	printf("ok %d - %s (%zu bytes)\n", num, path, n);
	fflush(stdout);
	return 0;
}

static void add_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = malloc(strlen(dir) + strlen(de->d_name) + 2);
		if (!p)
			abort();
		sprintf(p, "%s/%s", dir, de->d_name);
		*names = realloc(*names, (*n + 1) * sizeof(**names));
		if (!*names)
			abort();
		(*names)[(*n)++] = p;
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	char **names = NULL, def[512];
	size_t n = 0;
	int fails = 0;
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (!strncmp(base, "fuzz_", 5))
		base += 5;
	LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		snprintf(def, sizeof def, "tests/fuzz/corpus/%s", base);
		add_dir(def, &names, &n);
		if (!n) {
			printf("1..1\nnot ok 1 - no corpus in %s (run from the repository root)\n", def);
			return 1;
		}
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			add_dir(argv[i], &names, &n);
		} else {
			names = realloc(names, (n + 1) * sizeof(*names));
			if (!names)
				abort();
			names[n++] = strdup(argv[i]);
		}
	}
	qsort(names, n, sizeof(*names), cmp);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		if (run_file(names[i], (int)i + 1) < 0)
			fails++;
		free(names[i]);
	}
	free(names);
	return fails ? 1 : 0;
}
