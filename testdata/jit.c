/* jit: machine code copied into an anonymous mapping, with no symbol and
 * no call frame information, writes a global: the instruction that wrote
 * it can only be guessed back from the pc. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

long target;

#if defined(__x86_64__)
/* mov qword ptr [rdi], rsi; ret */
static const unsigned char code[] = {0x48, 0x89, 0x37, 0xc3};
#elif defined(__aarch64__)
/* str x1, [x0]; ret */
static const unsigned int code[] = {0xf9000001, 0xd65f03c0};
#elif defined(__i386__)
/* mov eax, [esp+4]; mov edx, [esp+8]; mov [eax], edx; ret */
static const unsigned char code[] = {0x8b, 0x44, 0x24, 0x04, 0x8b, 0x54, 0x24, 0x08, 0x89, 0x10, 0xc3};
#else
#error "jit.c: no code for this machine"
#endif

int main(void) {
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memcpy(p, code, sizeof code);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		return 1;
	}
	__builtin___clear_cache((char *)p, (char *)p + sizeof code);
	((void (*)(long *, long))p)(&target, 42);
	printf("target = %ld\n", target);
	return 0;
}
