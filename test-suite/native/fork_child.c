/* The program forks and spawns: the child calls F natively (children are not analyzed, and
 * must not inherit Alpaca's breakpoint), posix_spawn (a vfork-style clone) runs a command. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define F __attribute__((noipa))

extern char **environ;
int calls;

F int square(int x) {
  calls++;
  printf("square(%d)\n", x);
  return x * x;
}

int main(void) {
  printf("parent %d\n", square(2));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("child %d calls=%d\n", square(3), calls);
    fflush(stdout);
    _exit(7);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("child exited %d\n", WEXITSTATUS(st));
  char *argv[] = { "echo", "spawned", NULL };
  pid_t sp;
  if (posix_spawnp(&sp, "echo", NULL, NULL, argv, environ) == 0) waitpid(sp, &st, 0);
  printf("parent again %d calls=%d\n", square(4), calls);
  return 0;
}
