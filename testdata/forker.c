/* forker: the child of a fork writes the watched variable and must exit
 * normally: debug registers are not inherited, and we never trace it. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

long watched = 1;

void bump(void) { watched++; }

int main(void) {
	pid_t pid = fork();
	if (pid == 0) {
		bump();
		bump();
		_exit(watched == 3 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status))
		printf("child exited %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("child killed by signal %d\n", WTERMSIG(status));
	bump();
	return 0;
}
