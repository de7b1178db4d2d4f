/* inspecting: values of every kind for the inspection commands (list,
   info locals and args, ptype, set var, display, info frame, backtrace
   arguments, disassemble): structs, a union, an enum, typedefs, a char*
   argument, a pointer into a global array, a variable in a register. */
#include <stdio.h>
#include <string.h>

enum color { RED, GREEN = 5, BLUE };

struct account {
	char name[16];
	long balance;
};

union number {
	int i;
	float f;
	unsigned char bytes[4];
};

typedef struct point {
	int x, y;
} point_t;

typedef struct account account_t;

struct shape {
	point_t corner;
	enum color color;
	union number weight;
	unsigned int flags : 3;
	struct account *owner;
	int (*area)(const struct shape *);
	struct {
		short depth;
	} extra;
};

struct account accounts[4];
long limit = 1000;

static int shape_area(const struct shape *s) { return s->corner.x * s->corner.y; }

void rename_account(account_t *a, const char *src)
{
	strcpy(a->name, src); /* rename line */
}

long work(long n)
{
	register long acc = n * 2;
	acc += 5;
	printf("acc %ld\n", acc); /* acc line */
	return acc;
}

int main(void)
{
	int count = 3;
	double ratio = 2.5;
	float scale = 0.5f;
	char grade = 'B';
	unsigned short port = 8080;
	point_t origin = {1, 2};
	struct shape sq = {{4, 5}, GREEN, {.i = 7}, 5, &accounts[1], shape_area, {9}};
	struct account *cur = &accounts[2];
	long *bal = &accounts[2].balance;
	enum color hue = BLUE;

	for (int i = 0; i < 3; i++)
		count += i; /* loop line */
	rename_account(&accounts[1], "customer-with-long-name"); /* call line */
	printf("count %d ratio %g scale %g grade %c port %u origin %d,%d area %d hue %d limit %ld\n", /* report line */
	       count, ratio, scale, grade, port, origin.x, origin.y, sq.area(&sq), hue, limit);
	printf("cur %s balance %ld\n", cur->name, *bal);
	work(count);
	return 0;
}
