/* A UDP echo server for the published-port tests (busybox's nc has no UDP): every datagram to
 * port argv[1] goes back to its sender as "echo: <datagram>". Built static, bind-mounted into a
 * busybox container. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("udp-echo");
    return 1;
  }
  for (;;) {
    char in[1024], out[1100];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, in, sizeof in - 1, 0, (struct sockaddr *)&from, &len);
    if (n < 0) continue;
    in[n] = 0;
    int m = snprintf(out, sizeof out, "echo: %s", in);
    sendto(fd, out, (size_t)m, 0, (struct sockaddr *)&from, len);
  }
}
