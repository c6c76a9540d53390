/* Freeing inside F memory allocated outside F: main builds a linked list, F = prune frees the
 * nodes below a threshold and relinks the rest; main then allocates again (reusing what F
 * freed) and prints the list with heap offsets. */
#include <stdio.h>
#include <stdlib.h>

struct node {
  int value;
  struct node *next;
};

__attribute__((noinline)) int prune(struct node **head, int threshold) {
  int removed = 0;
  struct node **link = head;
  while (*link) {
    struct node *n = *link;
    if (n->value < threshold) {
      *link = n->next;
      free(n);
      removed++;
    } else {
      link = &n->next;
    }
  }
  return removed;
}

static void print_list(const char *label, struct node *head, const char *base) {
  printf("%s:", label);
  for (struct node *n = head; n; n = n->next) printf(" %d@%ld", n->value, (long)((const char *)n - base));
  printf("\n");
}

int main(int argc, char **argv) {
  char *base = malloc(1);
  struct node *head = NULL;
  for (int i = argc - 1; i >= 2; i--) {
    struct node *n = malloc(sizeof *n);
    n->value = atoi(argv[i]);
    n->next = head;
    head = n;
  }
  int threshold = argc > 1 ? atoi(argv[1]) : 0;
  print_list("before", head, base);
  int removed = prune(&head, threshold);
  printf("removed %d\n", removed);
  print_list("after", head, base);
  /* New nodes land in the blocks prune freed. */
  for (int i = 0; i < removed; i++) {
    struct node *n = malloc(sizeof *n);
    n->value = 1000 + i;
    n->next = head;
    head = n;
  }
  print_list("refilled", head, base);
  removed = prune(&head, threshold + 1000);
  printf("removed %d\n", removed);
  print_list("final", head, base);
  return 0;
}
