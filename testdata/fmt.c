/* fmt: libc writes, then reads, a watched buffer: snprintf fills it from
 * inside libc's own (unexported, so unnamed) functions, puts reads it. */
#include <stdio.h>

char buf[8] __attribute__((aligned(8)));

int main(void) {
	snprintf(buf, sizeof buf, "%d", 1234567);
	puts(buf);
	return 0;
}
