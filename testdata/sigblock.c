/* sigblock: a thread that blocks SIGTRAP (as threads that leave signals to
 * one signal-handling thread do) writes a watched global: a trap sent as
 * an ordinary signal would wait forever, so hwdbg must arm this thread
 * through the debug registers. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

long target;

void *writer(void *arg) {
	(void)arg;
	target = 42;
	return NULL;
}

int main(void) {
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* the writer inherits it */
	pthread_t t;
	pthread_create(&t, NULL, writer, NULL);
	pthread_join(t, NULL);
	printf("target = %ld\n", target);
	return 0;
}
