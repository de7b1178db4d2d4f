/* threads: a watch set before eight threads start is hit by the one that
 * writes. Every thread reads `target`; only thread WRITER writes it. The
 * writer's tid goes to stderr so the test can compare. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#define NTHREADS 8
#define WRITER 5

long target = 1;
long sums[NTHREADS];
pthread_barrier_t start;

void write_target(long v) { target = v; }

void *worker(void *arg) {
	long i = (long)arg;
	pthread_barrier_wait(&start);
	for (int k = 0; k < 1000; k++)
		sums[i] += target; /* reads: never reported by watch -w */
	if (i == WRITER) {
		fprintf(stderr, "writer tid %ld\n", (long)syscall(SYS_gettid));
		write_target(42);
	}
	return NULL;
}

int main(void) {
	pthread_t t[NTHREADS];
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	printf("target = %ld\n", target);
	return 0;
}
