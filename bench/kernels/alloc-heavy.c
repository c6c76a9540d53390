/* Allocation-heavy F: churn_tree builds a binary search tree of `nodes` malloc'd nodes with
 * pseudo-random keys and payload sizes, frees every other subtree while building (so the
 * allocator's free lists churn), sums the survivors and frees them all. F is called `rounds`
 * times; its effects are the allocator's state and the returned checksum.
 * Usage: alloc-heavy [NODES] [ROUNDS]. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
  struct node *left, *right;
  unsigned key;
  unsigned len;
  unsigned char payload[];
};

static unsigned rng_state = 2463534242u;

static unsigned next_rand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void free_tree(struct node *t) {
  while (t) {
    free_tree(t->left);
    struct node *r = t->right;
    free(t);
    t = r;
  }
}

static unsigned long long sum_tree(const struct node *t) {
  unsigned long long s = 0;
  while (t) {
    s += sum_tree(t->left) * 3 + t->key + t->payload[t->len - 1];
    t = t->right;
  }
  return s;
}

__attribute__((noinline)) unsigned long long churn_tree(int nodes) {
  struct node *root = NULL;
  for (int i = 0; i < nodes; i++) {
    unsigned key = next_rand();
    unsigned len = 8 + next_rand() % 120;
    struct node *n = malloc(sizeof *n + len);
    if (!n) abort();
    n->left = n->right = NULL;
    n->key = key;
    n->len = len;
    memset(n->payload, (int)(key & 0xff), len);
    struct node **slot = &root;
    while (*slot) slot = key < (*slot)->key ? &(*slot)->left : &(*slot)->right;
    *slot = n;
    if (i % 64 == 63 && root) {
      struct node **victim = (key & 1) ? &root->left : &root->right;
      free_tree(*victim);
      *victim = NULL;
    }
  }
  unsigned long long s = sum_tree(root);
  free_tree(root);
  return s;
}

int main(int argc, char **argv) {
  int nodes = argc > 1 ? atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? atoi(argv[2]) : 30;
  unsigned long long checksum = 0;
  for (int r = 0; r < rounds; r++) checksum = checksum * 1000003u + churn_tree(nodes);
  printf("alloc-heavy nodes=%d rounds=%d checksum %llu\n", nodes, rounds, checksum);
  return 0;
}
