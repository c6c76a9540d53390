/* Strategy-choice shape (issue 17), like the benchmarks game's binarytrees: F = item_check
 * walks a tree recursively and stores only in its own frames, called for many small trees
 * while a long-lived tree keeps several MB of heap. */
#include <stdio.h>
#include <stdlib.h>

struct node { struct node *left, *right; };

static struct node *make(int depth) {
  struct node *n = malloc(sizeof *n);
  n->left = depth > 0 ? make(depth - 1) : NULL;
  n->right = depth > 0 ? make(depth - 1) : NULL;
  return n;
}

static void release(struct node *n) {
  if (n->left) release(n->left);
  if (n->right) release(n->right);
  free(n);
}

__attribute__((noinline)) int item_check(const struct node *n) {
  return 1 + (n->left ? item_check(n->left) + item_check(n->right) : 0);
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 20000;
  int long_depth = argc > 2 ? atoi(argv[2]) : 18;
  struct node *long_lived = make(long_depth);
  long total = 0;
  for (int i = 0; i < iterations; i++) {
    struct node *t = make(4);
    total += item_check(t);
    release(t);
  }
  printf("%d trees, %ld nodes checked, long-lived tree of %d nodes\n", iterations, total, item_check(long_lived));
  return 0;
}
