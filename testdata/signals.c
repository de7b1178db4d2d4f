/* signals: the program's own handlers must keep working under hwdbg. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

volatile sig_atomic_t got_usr1, got_chld;
long counter;

void on_usr1(int s) { (void)s; got_usr1 = 1; }
void on_chld(int s) { (void)s; got_chld = 1; }

int main(void) {
	signal(SIGUSR1, on_usr1);
	signal(SIGCHLD, on_chld);
	kill(getpid(), SIGUSR1);
	if (fork() == 0)
		_exit(0);
	wait(NULL);
	counter = 1;
	printf("usr1 handler %s, chld handler %s\n", got_usr1 ? "ran" : "did not run",
	       got_chld ? "ran" : "did not run");
	return 0;
}
