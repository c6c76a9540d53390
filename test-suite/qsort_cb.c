/* F calling through function pointers: F = sort_people calls libc's qsort, which calls the
 * comparator through the table, then ranks the sorted records. The comparator counts its
 * calls, which makes it a second target: called through a pointer many times from libc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct person {
  char name[16];
  int age;
  int rank;
};

int comparisons;

__attribute__((noinline)) int cmp_person(const void *a, const void *b) {
  const struct person *p = a, *q = b;
  comparisons++;
  if (p->age != q->age) return p->age < q->age ? -1 : 1;
  return strcmp(p->name, q->name);
}

__attribute__((noinline)) void sort_people(struct person *people, size_t n) {
  qsort(people, n, sizeof *people, cmp_person);
  for (size_t i = 0; i < n; i++) people[i].rank = (int)i + 1;
}

int main(int argc, char **argv) {
  int n = argc - 1;
  struct person *people = calloc((size_t)n + 1, sizeof *people);
  for (int i = 0; i < n; i++) {
    const char *arg = argv[i + 1];
    size_t len = strcspn(arg, ":");
    if (len > 15) len = 15;
    memcpy(people[i].name, arg, len);
    people[i].age = arg[len] ? atoi(arg + len + 1) : 0;
  }
  sort_people(people, (size_t)n);
  for (int i = 0; i < n; i++) printf("%d. %s (%d)\n", people[i].rank, people[i].name, people[i].age);
  /* Sort again by a key that changes the order, reusing the same comparator through qsort. */
  for (int i = 0; i < n; i++) people[i].age = (people[i].age * 7) % 31;
  sort_people(people, (size_t)n);
  for (int i = 0; i < n; i++) printf("%d. %s (%d)\n", people[i].rank, people[i].name, people[i].age);
  printf("%d comparisons\n", comparisons);
  free(people);
  return 0;
}
