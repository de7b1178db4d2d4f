/* m32: a program the tests build for i386 (gcc -m32) and debug on an
 * amd64 kernel. `counter` is written by bump, called from outer, called
 * from main: the hit names bump's 32-bit store, and the backtrace has
 * three frames of ours. In ILP32 a long and a pointer are 4 bytes each:
 * `wide`, `where` and the fields of `rec` print right only when read at
 * those sizes. With an argument it says "ready PID" and waits in pause(),
 * a system call made through the vDSO, for a debugger to attach. */
#include <stdio.h>
#include <unistd.h>

int counter = 5;
long wide = 0x11223344;
int *where = &counter;
struct rec {
	short tag;
	long val;
	char *name;
	long long big;
} rec = {7, -3, "rec", 0x0102030405060708LL};

void bump(int by)
{
	counter = counter + by;
}

void outer(int n)
{
	bump(n * 2);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		printf("ready %d\n", getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	outer(3);
	wide = 42;
	printf("counter = %d, wide = %ld\n", counter, wide);
	return 0;
}
