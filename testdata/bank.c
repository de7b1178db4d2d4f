/* bank: a balance that two tellers update correctly and an auditor thread
 * corrupts through a pointer that should have pointed at its own log. The
 * demo finds the auditor's write with a hardware watchpoint. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long balance = 100;
long audit_entries[4];
long *audit_log; /* bug: set to &balance instead of audit_entries */

void withdraw(long amount) { balance -= amount; }

void *teller(void *arg) {
	for (int i = 0; i < 2; i++)
		withdraw((long)arg);
	return NULL;
}

void *auditor(void *arg) {
	(void)arg;
	usleep(20000);
	*audit_log = 0x41414141; /* meant for audit_entries[0] */
	return NULL;
}

int main(void) {
	pthread_t t[3];
	audit_log = &balance;
	pthread_create(&t[0], NULL, teller, (void *)10L);
	pthread_join(t[0], NULL);
	pthread_create(&t[1], NULL, teller, (void *)5L);
	pthread_join(t[1], NULL);
	pthread_create(&t[2], NULL, auditor, NULL);
	pthread_join(t[2], NULL);
	printf("balance = %ld\n", balance);
	return 0;
}
