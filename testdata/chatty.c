/* chatty: writes thousands of lines to its own standard output, some of
 * them looking like JSON events, and one to its standard error, around a
 * counter a watchpoint stops at: where a program's output goes while
 * hwdbg writes JSON. */
#include <stdio.h>

long counter;
const char *label = "a & b <c>";

void bump(long by) { counter += by; }

int main(void) {
	for (int i = 0; i < 3000; i++) {
		printf("{\"event\":\"chatty\",\"line\":%d} & <not JSON> line %d\n", i, i);
		if (i % 1000 == 999)
			bump(i);
	}
	fflush(stdout);
	fprintf(stderr, "chatty: done, counter = %ld\n", counter);
	return 0;
}
