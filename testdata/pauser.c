/* pauser: blocks in pause() until a signal, for interrupting a step over a
 * blocking system call. */
#include <unistd.h>

int main(void) {
	pause();
	return 0;
}
