/* rw: reads and writes one global in turn, for a read watch and a write
 * watch on the same variable: rw N makes N reads and N writes. */
#include <stdio.h>
#include <stdlib.h>

volatile int global;

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 3;
	int foo;
	for (int i = 0; i < n; i++) {
		foo = global;
		global = foo + 1;
	}
	printf("%d reads and writes\n", n);
	return 0;
}
