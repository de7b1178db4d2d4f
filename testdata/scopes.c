/* scopes: where names in watch expressions and conditions are bound.
 * main's local q grows while a callee (bump) writes the global; bump has a
 * local that shadows the global level; phase's local r dies while global is
 * still written; count_calls keeps a static local across calls; ptr moves
 * from a to b; marker1 is code, not data. */
#include <stdio.h>

long global;
long level = 1;
struct obj {
	long field;
};
struct obj a = {1}, b = {2};
struct obj *ptr = &a;

void bump(long v) {
	long level = -v; /* shadows the global level */
	global = v;      /* bump line */
	(void)level;
}

void phase(void) {
	long r = 7;
	bump(1);
	r++;
}

int count_calls(void) {
	static int calls;
	calls++; /* calls line */
	return calls;
}

void marker1(void) {}

int main(void) {
	long q = 0;
	for (int i = 0; i < 5; i++) {
		q = i * 5;
		bump(100 + i);
	}
	phase();
	global = 2; /* main's write */
	for (int i = 0; i < 3; i++)
		count_calls();
	ptr->field = 10;
	ptr = &b;
	ptr->field = 20; /* b's write */
	marker1();
	printf("global=%ld q=%ld calls=%d a=%ld b=%ld\n", global, q, count_calls(), a.field, b.field);
	return 0;
}
