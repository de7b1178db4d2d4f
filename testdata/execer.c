/* execer: writes `marker`, then execs itself; the new image writes its own
 * `marker` too. Watchpoints must be re-set in the new image. */
#include <stdio.h>
#include <unistd.h>

long marker = 1;

int main(int argc, char **argv) {
	if (argc > 1) {
		marker = 2;
		printf("new image marker=%ld\n", marker);
		return 0;
	}
	marker = 5;
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "again", (char *)NULL);
	perror("execl");
	return 1;
}
