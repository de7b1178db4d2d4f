/* stepping: a loop, a call chain with arguments, functions returning an
 * int, a double and a small struct, and a second thread that hits a
 * breakpoint while the main one waits for it in a call: the line steps (next, step,
 * until, finish), stepi N, continue N and run again. The markers in the
 * comments name lines for the tests. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

long total;   /* written by add_to_total */
int counter;  /* bumped by the loop */
int pinged;   /* written by the second thread */
volatile int go_ahead; /* lets the second thread go on */

struct pair {
	long a, b;
};

static int square(int x)
{
	int y = x * x; /* L:square-body */
	return y;      /* L:square-return */
}

int add_to_total(int a, int b)
{
	int s = square(a) + b; /* L:add-body */
	total += s;            /* L:add-total */
	return s;              /* L:add-return */
}

double half(double v)
{
	return v / 2; /* L:half-body */
}

struct pair make_pair(long a, long b)
{
	struct pair p = {a, b}; /* L:pair-body */
	return p;
}

void ping(void)
{
	pinged = 1; /* L:ping-body */
}

void *worker(void *arg)
{
	(void)arg;
	while (!go_ahead)
		usleep(100);
	ping(); /* L:worker-call */
	return NULL;
}

/* The second thread pings only once the main one is in here. */
void let_worker_finish(pthread_t t)
{
	go_ahead = 1;
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5; /* L:main-first */
	int sum = 0;                          /* L:main-sum */
	for (int i = 0; i < n; i++) {         /* L:loop-head */
		sum += i;                     /* L:loop-body */
		counter++;                    /* L:loop-last */
	}
	int r = add_to_total(6, 7); /* L:call */
	double h = half(5.0);       /* L:half-call */
	struct pair p = make_pair(3, 4);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	let_worker_finish(t); /* L:join */
	printf("r=%d sum=%d h=%g p=%ld,%ld pinged=%d n=%d\n", r, sum, h, p.a, p.b, pinged, n); /* L:print */
	return 0;
}
