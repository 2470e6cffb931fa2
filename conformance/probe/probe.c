/*
 * The conformance probe: run as a container's process, it prints one JSON object describing what
 * the process sees (identity, limits, capabilities, mounts, namespaces, devices) and exits 0.
 * Arguments `--path P` (repeatable) ask for extra facts about P: its type, whether it can be read
 * and whether it can be opened for writing (opened only, never written); `--read P` (repeatable)
 * asks for the contents of the small file P.
 * Built static so that it runs in a rootfs holding nothing but busybox.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

/* keyctl(2) commands and special ids (linux/keyctl.h, without the kernel header's types). */
#define KEYCTL_DESCRIBE_ID 6
#define KEYCTL_SEARCH_ID 10
#define KEYCTL_READ_ID 11
#define KEY_SPEC_SESSION_ID (-3)

extern char **environ;

static int first_field = 1;

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p == '\n') fputs("\\n", stdout);
    else if (*p < 0x20 || *p >= 0x7f) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static void key(const char *name) {
  if (!first_field) putchar(',');
  first_field = 0;
  json_string(name);
  putchar(':');
}

static const char *errno_name(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

/* The whole of a small file, or NULL; trailing newline removed. */
static char *read_small(const char *path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  ssize_t n, total = 0;
  while ((n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0) total += n;
  close(fd);
  if (n < 0) return NULL;
  buf[total] = 0;
  if (total > 0 && buf[total - 1] == '\n') buf[total - 1] = 0;
  return buf;
}

static void string_or_null(const char *s) {
  if (s) json_string(s);
  else fputs("null", stdout);
}

static void status_fields(void) {
  static const char *wanted[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"};
  for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
    key(wanted[i]);
    /* Re-read per field: read_small's buffer is shared and the match is cut in place. */
    char *line = read_small("/proc/self/status");
    const char *value = NULL;
    size_t len = strlen(wanted[i]);
    while (line && *line) {
      char *end = strchr(line, '\n');
      if (end) *end = 0;
      if (strncmp(line, wanted[i], len) == 0 && line[len] == ':') {
        value = line + len + 1;
        while (*value == '\t' || *value == ' ') value++;
        break;
      }
      line = end ? end + 1 : NULL;
    }
    string_or_null(value);
  }
}

static void rlimits(void) {
  static const struct { const char *name; int resource; } all[] = {
      {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  key("rlimits");
  putchar('{');
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    struct rlimit r;
    if (getrlimit(all[i].resource, &r) != 0) continue;
    if (i) putchar(',');
    json_string(all[i].name);
    /* Infinity as -1: JSON numbers cannot carry 2^64-1 exactly. */
    printf(":{\"soft\":%lld,\"hard\":%lld}", r.rlim_cur == RLIM_INFINITY ? -1LL : (long long)r.rlim_cur,
           r.rlim_max == RLIM_INFINITY ? -1LL : (long long)r.rlim_max);
  }
  putchar('}');
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
  char *out = s;
  for (char *p = s; *p; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
      *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
      p += 3;
    } else {
      *out++ = *p;
    }
  }
  *out = 0;
}

static void mounts(void) {
  key("mounts");
  putchar('[');
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[8192];
  int n = 0;
  while (f && fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = 0;
    char *fields[16];
    int count = 0;
    for (char *tok = strtok(line, " "); tok && count < 16; tok = strtok(NULL, " ")) fields[count++] = tok;
    int dash = -1;
    for (int i = 6; i < count; i++)
      if (strcmp(fields[i], "-") == 0) { dash = i; break; }
    if (count < 6 || dash < 0 || dash + 3 >= count + 1) continue;
    unescape(fields[4]);
    if (n++) putchar(',');
    fputs("{\"mountPoint\":", stdout);
    json_string(fields[4]);
    fputs(",\"root\":", stdout);
    json_string(fields[3]);
    fputs(",\"options\":", stdout);
    json_string(fields[5]);
    fputs(",\"fsType\":", stdout);
    json_string(dash + 1 < count ? fields[dash + 1] : "");
    fputs(",\"source\":", stdout);
    json_string(dash + 2 < count ? fields[dash + 2] : "");
    fputs(",\"superOptions\":", stdout);
    json_string(dash + 3 < count ? fields[dash + 3] : "");
    /* The optional fields between the options and "-": propagation tags such as shared:N, master:N. */
    fputs(",\"optional\":\"", stdout);
    for (int i = 6; i < dash; i++) printf(i > 6 ? " %s" : "%s", fields[i]);
    putchar('"');
    putchar('}');
  }
  if (f) fclose(f);
  putchar(']');
}

static void namespaces(void) {
  static const char *types[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
  key("namespaces");
  putchar('{');
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    char path[64], target[256];
    snprintf(path, sizeof(path), "/proc/self/ns/%s", types[i]);
    ssize_t len = readlink(path, target, sizeof(target) - 1);
    if (i) putchar(',');
    json_string(types[i]);
    putchar(':');
    if (len < 0) {
      fputs("null", stdout);
    } else {
      target[len] = 0;
      json_string(target);
    }
  }
  putchar('}');
}

static char file_type(mode_t mode) {
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  return 'f';
}

static void devices(void) {
  key("devices");
  putchar('{');
  DIR *d = opendir("/dev");
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "/dev/%s", e->d_name);
    if (lstat(path, &st) != 0) continue;
    if (n++) putchar(',');
    json_string(path);
    printf(":{\"type\":\"%c\",\"major\":%u,\"minor\":%u,\"mode\":%u,\"uid\":%u,\"gid\":%u", file_type(st.st_mode),
           major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777, st.st_uid, st.st_gid);
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t len = readlink(path, target, sizeof(target) - 1);
      if (len >= 0) {
        target[len] = 0;
        fputs(",\"target\":", stdout);
        json_string(target);
      }
    }
    putchar('}');
  }
  if (d) closedir(d);
  putchar('}');
}

/* Facts about one path: type, first bytes readable (or the errno), whether O_WRONLY opens. */
static void path_facts(const char *path) {
  struct stat st;
  json_string(path);
  putchar(':');
  if (lstat(path, &st) != 0) {
    printf("{\"error\":\"%s\"}", errno_name(errno));
    return;
  }
  printf("{\"type\":\"%c\",\"uid\":%u,\"gid\":%u", file_type(st.st_mode), st.st_uid, st.st_gid);
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    int entries = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) entries++;
    if (d) {
      printf(",\"entries\":%d", entries);
      closedir(d);
    } else {
      printf(",\"readError\":\"%s\"", errno_name(errno));
    }
  } else {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      printf(",\"readError\":\"%s\"", errno_name(errno));
    } else {
      char buf[4096];
      ssize_t got = read(fd, buf, sizeof(buf));
      if (got < 0) printf(",\"readError\":\"%s\"", errno_name(errno));
      else printf(",\"bytesRead\":%zd", got);
      close(fd);
    }
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      printf(",\"writeOpenError\":\"%s\"", errno_name(errno));
    } else {
      fputs(",\"writeOpenError\":null", stdout);
      close(fd);
    }
  }
  putchar('}');
}

/* The process attributes that survive execve: execution domain, scheduling, I/O priority, NUMA policy. */
static void process_attributes(void) {
  struct utsname u;
  key("machine");
  string_or_null(uname(&u) == 0 ? u.machine : NULL);
  key("personality");
  printf("%d", personality(0xffffffff));
  /* struct sched_attr, SCHED_ATTR_SIZE_VER0 */
  struct { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t priority; uint64_t runtime, deadline, period; } attr;
  memset(&attr, 0, sizeof attr);
  key("scheduler");
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) == 0)
    printf("{\"policy\":%u,\"nice\":%d,\"priority\":%u,\"flags\":%llu}", attr.policy, attr.nice, attr.priority,
           (unsigned long long)attr.flags);
  else
    fputs("null", stdout);
  key("ioPriority");
  printf("%ld", syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
  int mode = -1;
  unsigned long nodes[16] = {0};
  key("memoryPolicy");
  if (syscall(SYS_get_mempolicy, &mode, nodes, 1024ul, NULL, 0ul) == 0) {
    printf("{\"mode\":%d,\"nodes\":[", mode);
    for (unsigned n = 0, k = 0; n < 1024; n++)
      if (nodes[n / 64] & (1ul << (n % 64))) printf(k++ ? ",%u" : "%u", n);
    fputs("]}", stdout);
  } else {
    fputs("null", stdout);
  }
}

/* The open file descriptors, CPU affinity and terminal of the process. */
static void process_resources(void) {
  key("fds");
  putchar('[');
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    printf(n++ ? ",%s" : "%s", e->d_name);
  }
  if (d) closedir(d);
  putchar(']');
  cpu_set_t set;
  key("cpuAffinity");
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    putchar('[');
    for (int cpu = 0, k = 0; cpu < CPU_SETSIZE; cpu++)
      if (CPU_ISSET(cpu, &set)) printf(k++ ? ",%d" : "%d", cpu);
    putchar(']');
  } else {
    fputs("null", stdout);
  }
  key("stdioTty");
  printf("[%s,%s,%s]", isatty(0) ? "true" : "false", isatty(1) ? "true" : "false", isatty(2) ? "true" : "false");
  key("stdinTtyName");
  string_or_null(ttyname(0));
}

/* The session keyring as KEYCTL_DESCRIBE has it ("keyring;uid;gid;perm;name"), or null. */
static void session_keyring(void) {
  static char desc[4096];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE_ID, KEY_SPEC_SESSION_ID, desc, sizeof desc - 1, 0);
  if (n > 0 && n < (long)sizeof desc) {
    desc[n] = 0;
    json_string(desc);
  } else {
    fputs("null", stdout);
  }
}

/* `--key NAME`: the payload of the "user" key NAME found from the session keyring, or the errno
 * name of the search or the read. */
static void user_key(const char *name) {
  static char payload[4096];
  json_string(name);
  long id = syscall(SYS_keyctl, KEYCTL_SEARCH_ID, KEY_SPEC_SESSION_ID, "user", name, 0);
  long n = id < 0 ? -1 : syscall(SYS_keyctl, KEYCTL_READ_ID, id, payload, sizeof payload - 1, 0);
  if (n < 0) {
    printf(":{\"errno\":\"%s\"}", errno_name(errno));
    return;
  }
  payload[n < (long)sizeof payload ? n : (long)sizeof payload - 1] = 0;
  fputs(":{\"payload\":", stdout);
  json_string(payload);
  putchar('}');
}

/* One system call chosen by `--call NAME`, for seccomp cases: its result or errno name. */
static void call(const char *name) {
  long ret;
  errno = 0;
  if (strcmp(name, "getppid") == 0) ret = syscall(SYS_getppid);
  else if (strcmp(name, "getpgid0") == 0) ret = syscall(SYS_getpgid, 0);
  else if (strcmp(name, "getpgid1") == 0) ret = syscall(SYS_getpgid, 1);
  else if (strcmp(name, "getsid") == 0) ret = syscall(SYS_getsid, 0);
  else {
    json_string(name);
    fputs(":{\"error\":\"unknown call\"}", stdout);
    return;
  }
  int err = errno;
  json_string(name);
  printf(":{\"ret\":%ld,\"errno\":", ret);
  string_or_null(ret < 0 ? errno_name(err) : NULL);
  putchar('}');
}

int main(int argc, char **argv) {
  putchar('{');
  key("args");
  putchar('[');
  for (int i = 0; i < argc; i++) {
    if (i) putchar(',');
    json_string(argv[i]);
  }
  putchar(']');
  key("pid");
  printf("%d", getpid());
  key("uid");
  printf("%u", getuid());
  key("gid");
  printf("%u", getgid());
  key("euid");
  printf("%u", geteuid());
  key("egid");
  printf("%u", getegid());
  gid_t groups[256];
  int ngroups = getgroups(256, groups);
  key("groups");
  putchar('[');
  for (int i = 0; i < ngroups; i++) printf(i ? ",%u" : "%u", groups[i]);
  putchar(']');
  mode_t mask = umask(0);
  umask(mask);
  key("umask");
  printf("%u", mask);
  char buf[PATH_MAX];
  key("cwd");
  string_or_null(getcwd(buf, sizeof(buf)));
  key("hostname");
  string_or_null(gethostname(buf, sizeof(buf)) == 0 ? buf : NULL);
  key("domainname");
  string_or_null(getdomainname(buf, sizeof(buf)) == 0 ? buf : NULL);
  key("env");
  putchar('[');
  for (char **e = environ; *e; e++) {
    if (e != environ) putchar(',');
    json_string(*e);
  }
  putchar(']');
  status_fields();
  rlimits();
  key("oomScoreAdj");
  string_or_null(read_small("/proc/self/oom_score_adj"));
  key("uidMap");
  string_or_null(read_small("/proc/self/uid_map"));
  key("gidMap");
  string_or_null(read_small("/proc/self/gid_map"));
  key("cgroup");
  string_or_null(read_small("/proc/self/cgroup"));
  key("rootWriteError");
  int fd = open("/.probe-write-test", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    unlink("/.probe-write-test");
    fputs("null", stdout);
  } else {
    printf("\"%s\"", errno_name(errno));
  }
  process_attributes();
  process_resources();
  namespaces();
  mounts();
  devices();
  key("paths");
  putchar('{');
  int paths = 0;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--path") != 0) continue;
    if (paths++) putchar(',');
    path_facts(argv[++i]);
  }
  putchar('}');
  /* `--read P` (repeatable): the contents of P, or null when it cannot be read. */
  key("files");
  putchar('{');
  int files = 0;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--read") != 0) continue;
    if (files++) putchar(',');
    json_string(argv[++i]);
    putchar(':');
    string_or_null(read_small(argv[i]));
  }
  putchar('}');
  /* `--call NAME` (repeatable): a system call made for seccomp cases, see call(). */
  key("calls");
  putchar('{');
  int calls = 0;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--call") != 0) continue;
    if (calls++) putchar(',');
    /* Flush first: a call the filter kills the process on must not take the report with it. */
    fflush(stdout);
    call(argv[++i]);
  }
  putchar('}');
  key("sessionKeyring");
  session_keyring();
  /* `--key NAME` (repeatable): see user_key(). */
  key("keys");
  putchar('{');
  int keys = 0;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--key") != 0) continue;
    if (keys++) putchar(',');
    user_key(argv[++i]);
  }
  putchar('}');
  puts("}");
  return 0;
}
