/* traceexec: traceexec N [PROG] writes `target` N times, then execs PROG
 * (by default itself with the argument "again", whose image writes its
 * own `target` N more times and prints "again"). A trace of `target`
 * ends at the exec: the new image has none of its breakpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile long target;

void write_target(long n) {
	for (long i = 0; i < n; i++)
		target = i;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 1000;
	write_target(n);
	if (argc > 2 && strcmp(argv[2], "again") == 0) {
		printf("again\n");
		return 0;
	}
	fflush(stdout);
	if (argc > 2)
		execl(argv[2], argv[2], (char *)NULL);
	else
		execl("/proc/self/exe", argv[0], argv[1], "again", (char *)NULL);
	perror("execl");
	return 1;
}
