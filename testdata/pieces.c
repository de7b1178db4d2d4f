/* pieces: a 16-byte global that a trace covers with two 8-byte slots.
 * pieces N M writes `pair` whole N times, each time with one 16-byte
 * store (a vector store: movaps on amd64, str q on arm64), then M times
 * by halves (two 8-byte stores each), then prints "done". */
#include <stdio.h>
#include <stdlib.h>

typedef long v2 __attribute__((vector_size(16)));

struct pair {
	long lo, hi;
} __attribute__((aligned(16)));

volatile struct pair pair;

void whole(long n) {
	for (long i = 0; i < n; i++) {
		v2 v = {i, i};
		*(volatile v2 *)&pair = v;
	}
}

void halves(long n) {
	for (long i = 0; i < n; i++) {
		pair.lo = i;
		pair.hi = i;
	}
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long m = argc > 2 ? atol(argv[2]) : 1000;
	whole(n);
	halves(m);
	printf("done\n");
	return 0;
}
