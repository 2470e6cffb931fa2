#include "text.h"

size_t txt_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

char *txt_append(char *pos, char *end, const char *src) {
  if (pos >= end) return pos;
  while (*src && pos < end - 1) *pos++ = *src++;
  *pos = '\0';
  return pos;
}

char *txt_u64(char *buf, uint64_t v) {
  char tmp[21];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return buf;
}

char *txt_fd_path(char *buf, int fd) {
  char num[21];
  char *end = txt_append(buf, buf + 32, "/proc/self/fd/");
  txt_append(end, buf + 32, txt_u64(num, (uint64_t)fd));
  return buf;
}
