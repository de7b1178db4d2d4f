/* hot: many writes, for conditions, ignore counts, commands and the
 * benchmark. hot N writes counter = 0..N-1; then halves = i/2 for
 * i = 0..9 (half of those writes keep the value). */
#include <stdio.h>
#include <stdlib.h>

volatile long counter;
volatile long halves;

void count(long n) {
	for (long i = 0; i < n; i++)
		counter = i;
}

void halve(void) {
	for (long i = 0; i < 10; i++)
		halves = i / 2;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 100000;
	count(n);
	halve();
	printf("counter=%ld halves=%ld\n", counter, halves);
	return 0;
}
