/* Semian's primitive, as a reference: a SysV semaphore acquire+release pair (semop -1, semop +1,
 * both SEM_UNDO) in a loop. Usage: sysv-sem <processes> <pairs per process> <tickets>.
 * Prints the mean ns per pair over the processes. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int procs = argc > 1 ? atoi(argv[1]) : 1;
  long pairs = argc > 2 ? atol(argv[2]) : 1000000;
  int tickets = argc > 3 ? atoi(argv[3]) : 4;
  int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (sem < 0) { perror("semget"); return 1; }
  union semun arg = { .val = tickets };
  semctl(sem, 0, SETVAL, arg);
  double *results = mmap(NULL, sizeof(double) * procs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (int p = 0; p < procs; p++) {
    if (fork() == 0) {
      struct sembuf acquire = { 0, -1, SEM_UNDO }, release = { 0, 1, SEM_UNDO };
      double start = now_ns();
      for (long i = 0; i < pairs; i++) {
        if (semop(sem, &acquire, 1) < 0 || semop(sem, &release, 1) < 0) { perror("semop"); _exit(1); }
      }
      results[p] = (now_ns() - start) / pairs;
      _exit(0);
    }
  }
  int failed = 0, status;
  while (wait(&status) > 0) failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  semctl(sem, 0, IPC_RMID);
  if (failed) return 1;
  double sum = 0;
  for (int p = 0; p < procs; p++) sum += results[p];
  printf("%.2f\n", sum / procs);
  return 0;
}
