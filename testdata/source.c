/* source: what users type from their C source: fields, elements, pointer
 * chains, bitfields, enums, locals that go out of scope, lines, and a
 * backtrace through libc (qsort calls cmp). */
#include <stdio.h>
#include <stdlib.h>

struct node {
	int id;
	struct node *next;
};

struct flags {
	unsigned ready : 1;
	unsigned mode : 3;
	unsigned count : 4;
};

struct account {
	char owner[16];
	long balance;
	struct flags f;
	int history[4];
};

enum color { RED, GREEN, BLUE };

struct account acct = {"alice", 100, {0, 0, 0}, {0}};
struct node n2 = {2, 0};
struct node n1 = {1, &n2};
struct node *head = &n1;
enum color paint = RED;
static int hidden = 3;
int values[5] = {5, 3, 9, 1, 7};

void set_history(int i, int v) {
	acct.history[i] = v; /* history line */
}

void relink(void) {
	head->next->id = 22; /* relink line */
}

void set_flags(void) {
	acct.f.count = 2;
	acct.f.mode = 5; /* mode line */
	acct.f.ready = 1;
}

int sum_local(int n) {
	int local = 0;
	for (int i = 0; i < n; i++)
		local += i; /* loop line */
	return local;
}

int outer(void) { return sum_local(4) + 1; }

int cmp(const void *a, const void *b) {
	return *(const int *)a - *(const int *)b; /* cmp line */
}

int main(void) {
	set_history(2, 7);
	relink();
	set_flags();
	paint = BLUE;
	int r = outer();
	hidden = 4;
	qsort(values, 5, sizeof values[0], cmp);
	printf("r=%d hidden=%d first=%d\n", r, hidden, values[0]);
	return 0;
}
