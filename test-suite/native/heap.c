/* v2 test list: malloc + heap writes, malloc/free. make_list allocates and fills a list that main
 * uses afterwards; churn mallocs and frees inside F and returns a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F __attribute__((noipa))

struct node { struct node *next; int value; char tag[24]; };

F struct node *make_list(int n) {
  struct node *head = NULL;
  for (int i = 0; i < n; i++) {
    struct node *e = malloc(sizeof *e);
    e->value = i * i + n;
    snprintf(e->tag, sizeof e->tag, "n%d-%d", n, i);
    e->next = head;
    head = e;
  }
  return head;
}

F long churn(int n) {
  long sum = 0;
  for (int i = 0; i < n; i++) {
    int *a = malloc(sizeof(int) * (size_t)(i + 1) * 16);
    for (int j = 0; j < (i + 1) * 16; j++) a[j] = j ^ i;
    for (int j = 0; j < (i + 1) * 16; j += 7) sum += a[j];
    free(a);
  }
  return sum;
}

int main(void) {
  for (int round = 1; round <= 3; round++) {
    struct node *l = make_list(round + 2);
    for (struct node *e = l; e; e = e->next) printf("%s=%d ", e->tag, e->value);
    printf("| churn=%ld\n", churn(round * 5));
    while (l) { struct node *n = l->next; free(l); l = n; }
  }
  char *later = malloc(100);
  strcpy(later, "heap still consistent");
  puts(later);
  free(later);
  return 0;
}
