/* crash: a NULL write, reported as SIGSEGV. */
#include <stdio.h>
int *volatile p;
int main(void) {
	*p = 1;
	return 0;
}
