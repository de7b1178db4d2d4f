/* writers: known numbers of accesses to one global from known functions
 * and threads, for non-stop tracing. It prints its pid (and the tids of
 * its threads), then waits for a line on stdin before each phase, so that
 * a tracer can set up first:
 *
 *   writers two      "PID"; then write_a writes target 60000 times and
 *                    write_b 40000 times
 *   writers rw       "PID"; then read_target reads it 30000 times and
 *                    write_a writes it 20000 times
 *   writers halves   "PID"; then write_lo writes target's low 4 bytes
 *                    60000 times and write_hi its high 4 bytes 40000 times
 *   writers threads  "PID T1 T2"; then T1 writes 10000 times and T2
 *                    20000 times at once, and main 5000 times; then
 *                    main starts T3 and prints "T3"; on the next line
 *                    T3 writes 30000 times
 *
 * Then it prints "done", and exits with status 0 at a last line. With a
 * second argument "nowait" it waits for no line (a debugger that started
 * it holds its stdin).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

volatile long target;
volatile long sink;

void write_a(long n) {
	for (long i = 0; i < n; i++)
		target = i;
}

void write_b(long n) {
	for (long i = 0; i < n; i++)
		target = i;
}

void write_lo(long n) {
	for (long i = 0; i < n; i++)
		((volatile int *)&target)[0] = (int)i;
}

void write_hi(long n) {
	for (long i = 0; i < n; i++)
		((volatile int *)&target)[1] = (int)i;
}

void read_target(long n) {
	for (long i = 0; i < n; i++)
		sink += target;
}

static int nowait;

static void wait_line(void) {
	char line[64];
	if (nowait)
		return;
	if (!fgets(line, sizeof line, stdin)) {
		fprintf(stderr, "writers: stdin closed\n");
		exit(2);
	}
}

static pthread_barrier_t go;

struct job {
	long n;
	pid_t tid;
};

void *writer(void *arg) {
	struct job *j = arg;
	j->tid = syscall(SYS_gettid);
	pthread_barrier_wait(&go); /* tid known */
	pthread_barrier_wait(&go); /* traced: go */
	write_a(j->n);
	return NULL;
}

void *late_writer(void *arg) {
	struct job *j = arg;
	printf("%d\n", (int)syscall(SYS_gettid));
	fflush(stdout);
	wait_line();
	write_b(j->n);
	return NULL;
}

static void threads(void) {
	struct job j1 = {10000, 0}, j2 = {20000, 0}, j3 = {30000, 0};
	pthread_t t1, t2, t3;
	pthread_barrier_init(&go, NULL, 3);
	pthread_create(&t1, NULL, writer, &j1);
	pthread_create(&t2, NULL, writer, &j2);
	pthread_barrier_wait(&go);
	printf("%d %d %d\n", getpid(), j1.tid, j2.tid);
	fflush(stdout);
	wait_line();
	pthread_barrier_wait(&go);
	write_b(5000);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_create(&t3, NULL, late_writer, &j3);
	pthread_join(t3, NULL);
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "two";
	nowait = argc > 2 && strcmp(argv[2], "nowait") == 0;
	if (strcmp(mode, "threads") == 0) {
		threads();
	} else {
		printf("%d\n", getpid());
		fflush(stdout);
		wait_line();
		if (strcmp(mode, "rw") == 0) {
			read_target(30000);
			write_a(20000);
		} else if (strcmp(mode, "halves") == 0) {
			write_lo(60000);
			write_hi(40000);
		} else {
			write_a(60000);
			write_b(40000);
		}
	}
	printf("done\n");
	fflush(stdout);
	wait_line();
	return 0;
}
