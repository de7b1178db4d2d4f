/* access: reads and writes at known places, for -r, -rw, wide and
 * misaligned ranges, and running out of slots. */
#include <stdio.h>
#include <string.h>

volatile long val = 5;
long sink;
long a1, a2, a3, a4, a5;
char buf[32] __attribute__((aligned(8)));

void do_write(void) { val = 7; }
void same_write(void) { val = 7; }
void do_read(void) { sink = val; }
void write_byte(int i, char c) { buf[i] = c; }
void touch_all(void) { a1 = 1; a2 = 2; a3 = 3; a4 = 4; a5 = 5; }

int main(void) {
	do_write();
	same_write();
	do_read();
	do_write();
	do_read();
	write_byte(3, 'a');  /* outside buf[4..15] */
	write_byte(4, 'b');  /* inside */
	write_byte(10, 'c'); /* inside */
	write_byte(15, 'd'); /* inside */
	write_byte(16, 'e'); /* outside */
	touch_all();
	printf("val=%ld sink=%ld buf=%s\n", val, sink, buf + 4);
	return 0;
}
