/* calls: a function called N times, for the software-breakpoint stop
 * loop of `make bench`: a breakpoint on tick stops N times. calls N calls
 * tick(0..N-1) and prints how many calls it made. */
#include <stdio.h>
#include <stdlib.h>

volatile long sink;

__attribute__((noinline)) void tick(long i) {
	sink = i;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 100000;
	for (long i = 0; i < n; i++)
		tick(i);
	printf("%ld calls\n", n);
	return 0;
}
