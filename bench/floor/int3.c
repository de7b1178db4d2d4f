/* int3: the cheapest possible software-breakpoint stop loop, for `make
 * bench` to measure hwdbg's breakpoints against. It starts PROG under
 * ptrace, following its threads (a Go program has several), writes an
 * int3 (0xCC) at ADDR (an instruction of a non-PIE PROG), and at every
 * stop there does what any int3 debugger must to let the program go on:
 * put the original byte back, set the pc back over the int3, single-step
 * the original instruction, write the int3 again and continue.
 *
 * The other threads run on meanwhile. A real debugger cannot let them:
 * one could run through ADDR unseen while the original byte is back, so
 * it stops them first (or never takes the byte out). The bench's
 * workloads call the function from one thread only, so the floor skips
 * that: it is a lower bound for any int3 debugger, multi-threaded
 * programs included. A signal that arrives during the step is delivered
 * after it; the thread's own signals are passed on.
 *
 * It counts the stops and prints "N hits" when PROG exited with status 0;
 * the bench checks N against the calls PROG made.
 * Usage: int3 ADDR PROG [ARG...] */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
	fprintf(stderr, "int3: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* step single-steps thread tid over the instruction at its pc and
 * returns a signal that arrived meanwhile (0 if none), for its resume. */
static int step(pid_t tid) {
	int held = 0;
	for (;;) {
		int status;
		if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0))
			die("PTRACE_SINGLESTEP");
		if (waitpid(tid, &status, __WALL) < 0)
			die("waitpid");
		if (!WIFSTOPPED(status)) {
			fprintf(stderr, "int3: thread %d ended during the step (status %#x)\n", tid, status);
			exit(1);
		}
		int sig = WSTOPSIG(status);
		if (sig == SIGTRAP && status >> 16 == 0)
			return held;
		if (sig != SIGTRAP && sig != SIGSTOP)
			held = sig;
	}
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: int3 ADDR PROG [ARG...]\n");
		return 2;
	}
	unsigned long addr = strtoul(argv[1], NULL, 0);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[2], argv + 2);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0) /* the exec stop */
		die("waitpid");
	if (!WIFSTOPPED(status)) {
		fprintf(stderr, "int3: %s did not start (status %#x)\n", argv[2], status);
		return 1;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL))
		die("PTRACE_SETOPTIONS");
	errno = 0;
	long orig = ptrace(PTRACE_PEEKTEXT, pid, addr, 0);
	if (errno)
		die("PEEKTEXT");
	long patched = (orig & ~0xffL) | 0xcc;
	if (ptrace(PTRACE_POKETEXT, pid, addr, patched))
		die("POKETEXT");
	size_t rip = offsetof(struct user, regs) + offsetof(struct user_regs_struct, rip);
	long hits = 0;
	if (ptrace(PTRACE_CONT, pid, 0, 0))
		die("PTRACE_CONT");
	for (;;) {
		pid_t tid = waitpid(-1, &status, __WALL);
		if (tid < 0)
			die("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == pid)
				break;
			continue; /* a thread ended */
		}
		int sig = WSTOPSIG(status);
		if (status >> 16 != 0 || sig == SIGSTOP) {
			/* A clone event, or a new thread's first stop. */
			sig = 0;
		} else if (sig == SIGTRAP) {
			/* The pc is one past the int3: is it ours? */
			errno = 0;
			unsigned long pc = ptrace(PTRACE_PEEKUSER, tid, rip, 0);
			if (errno)
				die("PEEKUSER rip");
			if (pc - 1 != addr) {
				fprintf(stderr, "int3: SIGTRAP at %#lx, not at the breakpoint %#lx\n", pc, addr);
				return 1;
			}
			hits++;
			/* Step the original instruction with the int3 taken out. */
			if (ptrace(PTRACE_POKEUSER, tid, rip, addr) || ptrace(PTRACE_POKETEXT, tid, addr, orig))
				die("POKEUSER/POKETEXT");
			sig = step(tid);
			if (ptrace(PTRACE_POKETEXT, tid, addr, patched))
				die("POKETEXT");
		}
		if (ptrace(PTRACE_CONT, tid, 0, sig))
			die("PTRACE_CONT");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "int3: %s ended with status %#x\n", argv[2], status);
		return 1;
	}
	printf("%ld hits\n", hits);
	return 0;
}
