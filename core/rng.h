/* Replayable randomness: splitmix64 seeding + xoshiro256**, FNV-1a hashing.
 *
 * Header-only.  A run seed mixed with a plugin name (vs_hash64) gives each
 * plugin its own stream that replays identically with the same --seed.
 * Not for cryptography.
 */
#ifndef VS_RNG_H
#define VS_RNG_H

#include <math.h>
#include <stdint.h>

struct vs_rng {
	uint64_t s[4];
};

static inline uint64_t vs_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Any seed, 0 included, gives a valid (never all-zero) state: splitmix64
 * outputs are a bijection of distinct inputs, so four of them cannot all be 0. */
static inline void vs_rng_seed(struct vs_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = vs_splitmix64(&x);
}

static inline uint64_t vs_rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t vs_rng_next(struct vs_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = vs_rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = vs_rotl64(s[3], 45);
	return result;
}

/* Uniform in [0, 1): the top 53 bits scaled by 2^-53. */
static inline double vs_rng_double(struct vs_rng *r)
{
	return (double)(vs_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Exponentially distributed with the given mean.  1 - u is in (0, 1], so the
 * log is finite. */
static inline double vs_rng_exp(struct vs_rng *r, double mean)
{
	return -mean * log1p(-vs_rng_double(r));
}

/* FNV-1a, 64 bit. */
static inline uint64_t vs_hash64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
