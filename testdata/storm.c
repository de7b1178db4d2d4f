/* storm: calls tick(i) N times, which writes watched = i, while a second
 * thread sends SIGUSR1 to the main thread as fast as it can. Breakpoints
 * and watchpoints stepped over during the storm must still be seen once
 * per call and write. storm N */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

volatile long watched;
volatile long handled;
volatile int done;
pid_t main_tid;

void handler(int sig) {
	(void)sig;
	handled++;
}

__attribute__((noinline)) void tick(long i) { watched = i; }

void *rain(void *arg) {
	(void)arg;
	long sent = 0;
	while (!done) {
		syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
		sent++;
	}
	return (void *)sent;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 1000;
	struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_RESTART};
	sigaction(SIGUSR1, &sa, NULL);
	main_tid = (pid_t)syscall(SYS_gettid);
	pthread_t t;
	pthread_create(&t, NULL, rain, NULL);
	for (long i = 1; i <= n; i++)
		tick(i);
	done = 1;
	void *sent;
	pthread_join(t, &sent);
	printf("ticks=%ld watched=%ld sent=%ld handled=%ld\n", n, watched, (long)sent, handled);
	return 0;
}
