/* execer [PROG]: writes `marker`, then execs PROG (or itself with the
 * argument "again"); the image run again writes its own `marker`.
 * Watch/breakpoints are re-set in the new image or dropped. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

long marker = 1;

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "again") == 0) {
		marker = 2;
		printf("new image marker=%ld\n", marker);
		return 0;
	}
	marker = 5;
	fflush(stdout);
	if (argc > 1)
		execl(argv[1], argv[1], (char *)NULL);
	else
		execl("/proc/self/exe", argv[0], "again", (char *)NULL);
	perror("execl");
	return 1;
}
