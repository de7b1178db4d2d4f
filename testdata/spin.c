/* spin: two threads that run until killed, for attach and detach. Each
 * bumps its own counter; `shared` is written now and then. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

volatile long counters[2];
volatile long shared;

void *spin(void *arg) {
	long i = (long)arg;
	for (;;) {
		counters[i]++;
		if ((counters[i] & 0xfffff) == 0)
			shared = counters[i];
		if ((counters[i] & 0xffff) == 0)
			usleep(1000);
	}
	return NULL;
}

int main(void) {
	pthread_t t;
	pthread_create(&t, NULL, spin, (void *)1L);
	printf("ready %d\n", getpid());
	fflush(stdout);
	spin((void *)0L);
	return 0;
}
