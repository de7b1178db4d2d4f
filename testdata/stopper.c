/* stopper: stops itself with SIGSTOP until someone sends SIGCONT. The
 * job-control stop must behave as without a debugger: the whole program
 * stays stopped, and SIGCONT wakes it. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

long state;

int main(void) {
	printf("pid %d\n", getpid());
	fflush(stdout);
	raise(SIGSTOP);
	state = 1;
	printf("resumed\n");
	return 0;
}
