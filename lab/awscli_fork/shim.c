/* The ``aws`` shim in C: what shim.py does (send argv, environment, working directory and fds 0-2 to
 * the fork server, wait for the exit code; run the real CLI if the server is gone), without starting
 * a Python interpreter. Written by hand because nothing off the shelf speaks the fork server's
 * protocol, and the interpreter's start (about 20 ms of CPU) was a third of every ``aws`` call the
 * manual architecture's scripts make. Built at run time when a C compiler is there
 * (lab.awscli_fork.server); shim.py is used otherwise. Protocol: lab.forkserver.
 *
 * Strings are sent as JSON in ASCII, as Python's json.dumps writes them: valid UTF-8 as \uXXXX
 * escapes (surrogate pairs above U+FFFF), bytes that are not UTF-8 as \udcXX (Python's
 * surrogateescape, which is how sys.argv and os.environ hold them), so the server reads the same
 * strings from either shim.
 * LAB_AWS_CLI_REAL (the real CLI's path) is defined when compiling. */
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

typedef struct {
  char *data;
  size_t len, cap;
} buffer;

static void put(buffer *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 256;
    b->data = realloc(b->data, b->cap);
    if (!b->data) {
      perror("aws (lab fork server)");
      exit(255);
    }
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

static void put_u(buffer *b, unsigned cp) {
  char out[8];
  snprintf(out, sizeof out, "\\u%04x", cp);
  put(b, out, 6);
}

/* Length of the valid UTF-8 sequence at s (and its code point), 0 if not valid. */
static size_t utf8(const unsigned char *s, size_t left, unsigned *cp) {
  size_t n;
  unsigned c = s[0], min;
  if (c < 0xC2 || c > 0xF4) return 0;
  if (c < 0xE0) n = 2, c &= 0x1F, min = 0x80;
  else if (c < 0xF0) n = 3, c &= 0x0F, min = 0x800;
  else n = 4, c &= 0x07, min = 0x10000;
  if (n > left) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

static void put_string(buffer *b, const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  put(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    unsigned c = s[i], cp;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      put(b, esc, 2);
      i++;
    } else if (c >= 0x20 && c < 0x7F) {
      put(b, (const char *)s + i, 1);
      i++;
    } else if (c < 0x80) {
      put_u(b, c);
      i++;
    } else {
      size_t len = utf8(s + i, n - i, &cp);
      if (!len) {
        put_u(b, 0xDC00 | c);
        i++;
      } else if (cp >= 0x10000) {
        cp -= 0x10000;
        put_u(b, 0xD800 | (cp >> 10));
        put_u(b, 0xDC00 | (cp & 0x3FF));
        i += len;
      } else {
        put_u(b, cp);
        i += len;
      }
    }
  }
  put(b, "\"", 1);
}

/* What the Python shim's interpreter does to the environment at start (PEP 538): with LC_ALL unset and
 * the C locale for LC_CTYPE, it sets LC_CTYPE to the first UTF-8 locale of C.UTF-8, C.utf8, UTF-8. */
static void coerce_c_locale(void) {
  static const char *targets[] = {"C.UTF-8", "C.utf8", "UTF-8"};
  const char *all = getenv("LC_ALL");
  if (all && *all) return;
  setlocale(LC_CTYPE, "");
  const char *ctype = setlocale(LC_CTYPE, NULL);
  if (!ctype || strcmp(ctype, "C") != 0) return;
  for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
    if (setlocale(LC_CTYPE, targets[i])) {
      setenv("LC_CTYPE", targets[i], 1);
      return;
    }
  }
}

static void run_real(char **argv) {
  argv[0] = LAB_AWS_CLI_REAL;
  execv(LAB_AWS_CLI_REAL, argv);
  perror("aws (lab fork server): " LAB_AWS_CLI_REAL);
  exit(255);
}

int main(int argc, char **argv) {
  coerce_c_locale();
  const char *path = getenv("LAB_AWS_CLI_SOCKET");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int conn = socket(AF_UNIX, SOCK_STREAM, 0);
  if (!path || strlen(path) >= sizeof addr.sun_path || conn < 0) run_real(argv);
  strcpy(addr.sun_path, path);
  if (connect(conn, (struct sockaddr *)&addr, sizeof addr) != 0) run_real(argv);

  buffer b = {0};
  put(&b, "\0\0\0\0{\"argv\": [", 14);
  for (int i = 1; i < argc; i++) {
    if (i > 1) put(&b, ", ", 2);
    put_string(&b, argv[i], strlen(argv[i]));
  }
  put(&b, "], \"env\": {", 11);
  /* As dict(os.environ): the last of a repeated name wins, entries without "=" are left out. */
  int first = 1;
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq) continue;
    size_t name = (size_t)(eq - *e);
    int later = 0;
    for (char **f = e + 1; *f && !later; f++)
      later = strncmp(*f, *e, name + 1) == 0;
    if (later) continue;
    if (!first) put(&b, ", ", 2);
    first = 0;
    put_string(&b, *e, name);
    put(&b, ": ", 2);
    put_string(&b, eq + 1, strlen(eq + 1));
  }
  put(&b, "}, \"cwd\": ", 10);
  char *cwd = getcwd(NULL, 0);
  if (!cwd) {
    perror("aws (lab fork server): getcwd");
    return 255;
  }
  put_string(&b, cwd, strlen(cwd));
  put(&b, "}", 1);
  uint32_t body = (uint32_t)(b.len - 4);
  unsigned char header[4] = {body >> 24, body >> 16, body >> 8, body};
  memcpy(b.data, header, 4);

  /* The first bytes carry fds 0, 1, 2 (SCM_RIGHTS); the rest follows as plain data. */
  int fds[3] = {0, 1, 2};
  char control[CMSG_SPACE(sizeof fds)];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = b.data, .iov_len = b.len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof control};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
  ssize_t sent = sendmsg(conn, &msg, 0);
  while (sent >= 0 && (size_t)sent < b.len) {
    ssize_t more = send(conn, b.data + sent, b.len - (size_t)sent, 0);
    sent = more < 0 ? more : sent + more;
  }
  if (sent < 0) {
    perror("aws (lab fork server): send");
    return 255;
  }

  unsigned char answer[8]; /* the child's pid, then its exit code */
  size_t got = 0;
  while (got < sizeof answer) {
    ssize_t n = recv(conn, answer + got, sizeof answer - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fputs("aws (lab fork server): the command's process ended without an exit code\n", stderr);
      return 255;
    }
    got += (size_t)n;
  }
  int32_t code = (int32_t)((uint32_t)answer[4] << 24 | (uint32_t)answer[5] << 16 |
                           (uint32_t)answer[6] << 8 | answer[7]);
  return code & 0xFF;
}
