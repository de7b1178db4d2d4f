/* loop: a breakpoint inside a loop stops every iteration. */
#include <stdio.h>

long total;

void step(long i) { total += i; }

int main(void) {
	for (long i = 0; i < 5; i++) {
		step(i);
		total += 1;
	}
	printf("total=%ld\n", total);
	return 0;
}
