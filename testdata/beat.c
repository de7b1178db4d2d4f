/* beat: four threads that run until killed; thread 0 writes `beat` every
 * 200 ms (a watched write that comes long after the debugger is gone),
 * each thread bumps its own counter every millisecond. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4

volatile long beat;
volatile long counters[THREADS];

void *run(void *arg) {
	long i = (long)arg;
	struct timespec ms = {0, 1000000};
	for (;;) {
		counters[i]++;
		if (i == 0 && counters[i] % 200 == 0)
			beat++;
		nanosleep(&ms, NULL);
	}
	return NULL;
}

int main(void) {
	pthread_t t[THREADS];
	for (long i = 1; i < THREADS; i++)
		pthread_create(&t[i], NULL, run, (void *)i);
	printf("ready %d\n", getpid());
	fflush(stdout);
	run((void *)0L);
	return 0;
}
