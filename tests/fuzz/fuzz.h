/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c): each defines
 * LLVMFuzzerTestOneInput; under clang it links with libFuzzer (make fuzz),
 * under gcc with replay_main.c, which runs it over its corpus (make check). */
#ifndef VS_FUZZ_H
#define VS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a file the parsers under test can open by name: a memfd
 * (no disk), named /proc/self/fd/N in path.  Returns the fd (close it) or -1,
 * also for inputs over FZ_FILE_MAX (no manifest or price file is that big). */
#define FZ_FILE_MAX (256 * 1024)
static inline int fz_memfile(const uint8_t *data, size_t size, char *path, size_t cap)
{
	if (size > FZ_FILE_MAX)
		return -1;
	int fd = memfd_create("vstress-fuzz", 0);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

/* A NUL-terminated copy (free it). */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Split points for stream targets: the first input byte seeds them, so the
 * fuzzer explores splits as it explores bytes; chunk sizes 1..max. */
struct fz_split {
	uint32_t s;
	size_t max;
};

static inline void fz_split_init(struct fz_split *sp, uint8_t seed)
{
	sp->s = 0x9e3779b9u ^ ((uint32_t)seed * 0x01000193u);
	/* seed 0: the whole stream at once; otherwise chunks up to 1..64 bytes,
	 * or up to 4096 */
	sp->max = seed == 0 ? (size_t)-1 : (seed & 0x80) ? 4096 : (size_t)(seed & 0x3f) + 1;
}

static inline size_t fz_split_next(struct fz_split *sp, size_t left)
{
	if (sp->max == (size_t)-1)
		return left;
	sp->s ^= sp->s << 13;
	sp->s ^= sp->s >> 17;
	sp->s ^= sp->s << 5;
	size_t n = 1 + sp->s % sp->max;
	return n < left ? n : left;
}

#endif
