/* undumpable: makes itself not dumpable (as a setuid program is), says
 * "ready", then waits: a process only a tracer with CAP_SYS_PTRACE may
 * attach to. */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
	prctl(PR_SET_DUMPABLE, 0);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
