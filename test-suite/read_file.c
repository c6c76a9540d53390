/* Reading a file inside F (through a --dir preopen): F = count_words opens, reads and closes
 * the file named by the caller and returns its word count, the line count via an out-param. */
#include <ctype.h>
#include <stdio.h>

__attribute__((noinline)) long count_words(const char *path, int *lines) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long words = 0;
  int in_word = 0, c;
  *lines = 0;
  while ((c = fgetc(f)) != EOF) {
    if (c == '\n') ++*lines;
    if (isspace(c)) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      words++;
    }
  }
  fclose(f);
  return words;
}

int main(int argc, char **argv) {
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int lines = -1;
    long words = count_words(argv[i], &lines);
    if (words < 0) {
      fprintf(stderr, "cannot open %s\n", argv[i]);
      status = 2;
      continue;
    }
    printf("%s: %ld words, %d lines\n", argv[i], words, lines);
  }
  return status;
}
