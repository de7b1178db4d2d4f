/* ticks: four threads call tick() 1000 times each, concurrently, for a
 * breakpoint that must be stepped over while the other threads run
 * without any of them slipping past it unseen. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 4
#define CALLS 1000

long counts[THREADS];

void tick(long i) { counts[i]++; }

void *worker(void *arg) {
	long i = (long)arg;
	for (int k = 0; k < CALLS; k++)
		tick(i);
	return NULL;
}

int main(void) {
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	long total = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		total += counts[i];
	}
	printf("total=%ld\n", total);
	return 0;
}
