/* tracespin: writes `target` until killed, for a trace that runs until
 * Ctrl-C. It prints "ready PID", then "alive" at every 100000th write
 * (so that one can see it runs on after a trace and a detach); it rests
 * 1 ms every 1000 writes. */
#include <stdio.h>
#include <unistd.h>

volatile long target;

void write_target(long i) { target = i; }

int main(void) {
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (long i = 1;; i++) {
		write_target(i);
		if (i % 1000 == 0)
			usleep(1000);
		if (i % 100000 == 0) {
			printf("alive\n");
			fflush(stdout);
		}
	}
	return 0;
}
