/* ring: the least a non-stop tracer does per recorded hit, for `make
 * bench` to measure hwdbg's `trace` against. It starts PROG with one perf
 * hardware breakpoint on its thread, an 8-byte write watch on ADDR (an
 * address of a non-PIE PROG), that samples every hit as `trace` does:
 * sample_period 1, the ip, tid, time and user callchain, into a ring
 * buffer mapped here. It drains the ring whenever a quarter of it is
 * written (poll) until PROG exits, walking the records and counting the
 * samples and the lost ones.
 *
 * It prints "N hits" when PROG exited with status 0 and no sample was
 * lost (the bench checks N against the writes PROG made; a machine that
 * does not deliver debug-register traps counts 0). A sample lost, or a
 * sample count that differs from the event's own count, is an error.
 *
 * The event is on PROG's first thread only (a per-thread ring cannot be
 * inherited by new threads): the workload writes from that thread.
 * Usage: ring [-p PAGES] ADDR PROG [ARG...]   (PAGES: the ring's data
 * pages, a power of two, 1024 by default as hwdbg's) */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
	fprintf(stderr, "ring: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct perf_event_mmap_page *meta;
static unsigned char *data;
static uint64_t size;
static long samples, lost;

/* drain walks every record written since the last drain and gives the
 * space back. A record's header never wraps (records are 8-byte aligned
 * in a ring of whole pages); its body may, but only the header is read. */
static void drain(void) {
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	while (tail < head) {
		struct perf_event_header *h = (void *)(data + tail % size);
		if (h->size < sizeof *h) {
			fprintf(stderr, "ring: a record of %u bytes\n", h->size);
			exit(1);
		}
		if (h->type == PERF_RECORD_SAMPLE)
			samples++;
		else if (h->type == PERF_RECORD_LOST) {
			/* u64 id, u64 lost: the body may wrap. */
			uint64_t n, at = (tail + sizeof *h + 8) % size;
			if (at + 8 <= size)
				memcpy(&n, data + at, 8);
			else {
				memcpy(&n, data + at, size - at);
				memcpy((char *)&n + (size - at), data, 8 - (size - at));
			}
			lost += n;
		}
		tail += h->size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

int main(int argc, char **argv) {
	long pages = 1024;
	int a = 1;
	if (argc > 2 && strcmp(argv[1], "-p") == 0) {
		pages = atol(argv[2]);
		a = 3;
	}
	if (argc - a < 2 || pages < 1 || (pages & (pages - 1))) {
		fprintf(stderr, "usage: ring [-p PAGES] ADDR PROG [ARG...]\n");
		return 2;
	}
	unsigned long addr = strtoul(argv[a], NULL, 0);
	int go[2];
	if (pipe(go))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Exec once the event is there: it counts from the exec on. */
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(127);
		execv(argv[a + 1], argv + a + 1);
		_exit(127);
	}
	close(go[0]);
	struct perf_event_attr at = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof at,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN,
		.disabled = 1,
		.enable_on_exec = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.exclude_callchain_kernel = 1,
		.watermark = 1,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = addr,
		.bp_len = 8,
	};
	long ps = sysconf(_SC_PAGESIZE);
	size = pages * ps;
	at.wakeup_watermark = size / 4;
	int fd = syscall(SYS_perf_event_open, &at, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		die("perf_event_open");
	void *m = mmap(NULL, (pages + 1) * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap the ring");
	meta = m;
	data = (unsigned char *)m + ps;
	close(go[1]);

	int status;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll");
		drain();
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w < 0)
			die("waitpid");
		if (w == pid)
			break;
	}
	drain();
	uint64_t count;
	if (read(fd, &count, sizeof count) != sizeof count)
		die("read the event's count");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ring: %s ended with status %#x\n", argv[a + 1], status);
		return 1;
	}
	if (lost || (uint64_t)samples != count) {
		fprintf(stderr, "ring: %ld samples, %ld lost, %llu counted: a %ld-page ring is too small here\n",
			samples, lost, (unsigned long long)count, pages);
		return 1;
	}
	printf("%ld hits\n", samples);
	return 0;
}
