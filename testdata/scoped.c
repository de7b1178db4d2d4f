/* scoped: five threads, each with a known tid in tids[], stopped together
 * in ready(); then, one at a time in order, each writes shared, its own
 * slot mine[i], and its neighbour's slot mine[(i+1)%5]. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#define N 5

long tids[N];
long shared;
long mine[N];
pthread_barrier_t all_started, go;
pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
int turn;

void ready(void) {}

void *worker(void *arg) {
	long i = (long)arg;
	tids[i] = syscall(SYS_gettid);
	pthread_barrier_wait(&all_started);
	pthread_barrier_wait(&go);
	pthread_mutex_lock(&mu);
	while (turn != i)
		pthread_cond_wait(&turn_cv, &mu);
	shared = 100 + i;
	mine[i] = i + 1;
	mine[(i + 1) % N] = -1;
	turn++;
	pthread_cond_broadcast(&turn_cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void) {
	pthread_t t[N];
	pthread_barrier_init(&all_started, NULL, N + 1);
	pthread_barrier_init(&go, NULL, N + 1);
	for (long i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&all_started);
	ready();
	pthread_barrier_wait(&go);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	printf("shared=%ld\n", shared);
	return 0;
}
