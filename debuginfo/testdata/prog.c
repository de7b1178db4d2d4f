/* Test program for package debuginfo: globals of many types, a call chain
   a() -> b() -> c() that stops itself in c(), and printed ground truth. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum color { RED, GREEN = 5, BLUE = -2 };

struct flags {
	unsigned int ready : 1;
	unsigned int mode : 3;
	signed int delta : 5;
	unsigned int wide : 20;
	unsigned char tail;
};

struct inner {
	short s;
	double d;
};

struct outer {
	int id;
	struct inner in;
	int arr[4];
	char name[16];
	enum color col;
};

struct node {
	int value;
	struct node *next;
};

long balance = 100;
static int counter = 7;
struct flags flg = {1, 5, -3, 123456, 'z'};
struct outer out = {42, {-3, 2.5}, {1, 2, 3, 4}, "hello", GREEN};
struct node n2 = {2, NULL};
struct node n1 = {1, &n2};
struct node *head = &n1;
int zeros[20];
float ratio = 0.75f;
unsigned char uc = 200;
_Bool flag = 1;
const char *msg = "hi there";
enum color ecol = BLUE;

volatile int sink;

int c(int depth)
{
	int local_c = 42 + depth;
	long buf[3] = {7, 8, 9};
	{
		int inner_only = 5;
		sink = inner_only;
	}
	sink = local_c + (int)buf[1];
	raise(SIGSTOP); /* stop-in-c */
	return local_c;
}

int b(int x)
{
	int local_b = x * 2;
	return c(local_b) + 1; /* call-c */
}

int a(void)
{
	return b(3) + counter; /* call-b */
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "offsets") == 0) {
		printf("outer.id %zu\n", offsetof(struct outer, id));
		printf("outer.in %zu\n", offsetof(struct outer, in));
		printf("outer.arr %zu\n", offsetof(struct outer, arr));
		printf("outer.name %zu\n", offsetof(struct outer, name));
		printf("outer.col %zu\n", offsetof(struct outer, col));
		printf("inner.d %zu\n", offsetof(struct inner, d));
		printf("node.next %zu\n", offsetof(struct node, next));
		printf("flags.tail %zu\n", offsetof(struct flags, tail));
		printf("sizeof.outer %zu\n", sizeof(struct outer));
		printf("sizeof.flags %zu\n", sizeof(struct flags));
		return 0;
	}
	sink = a(); /* call-a */
	return 0;
}
