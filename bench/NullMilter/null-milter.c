/*
 * The floor of a milter's cost on this machine: a single-threaded epoll server in C that speaks just enough
 * of the milter protocol for the load generator — it negotiates what the DomainKeys plugin negotiates
 * (SMFIP_NR_* for connect, MAIL, headers, end of headers and body; no HELO/RCPT/DATA/unknown), answers
 * end of message with one inserted header and accept, and does no work at all. Its CPU per message is
 * what the kernel and the protocol cost before any filtering: compare it with `milters` measured the
 * same way (bench/scripts/floor.sh). Written in C rather than C# so that the runtime's own costs
 * (thread pool, async state machines) are not part of the floor.
 *
 * With a key file it also makes one RSA signature (SHA-1 digest, PKCS#1 v1.5, as DomainKeys does) per end of
 * message, and with a process count it forks that many single-threaded workers sharing the listening socket:
 * the smallest signing milter there can be, a reference for the latency a real one could reach here
 * (bench/scripts/half-load.sh).
 *
 *   cc -O2 -o null-milter null-milter.c -lcrypto && ./null-milter PORT|/unix/path [KEY.pem|- [PROCESSES]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>

static EVP_PKEY *key;

#define BUF (256 * 1024)
#define PROTOCOL 0x1c538aU /* what milters negotiates with the DomainKeys plugin */

struct conn { int fd; size_t used; unsigned char buf[BUF]; };

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* Answers every complete frame in c->buf; returns 0 to keep the connection, -1 to close it. */
static int serve(struct conn *c) {
    unsigned char out[512];
    size_t o = 0, at = 0;
    while (c->used - at >= 4) {
        uint32_t len = get32(c->buf + at);
        if (len == 0 || len > BUF - 4) return -1;
        if (c->used - at - 4 < len) break;
        unsigned char cmd = c->buf[at + 4];
        at += 4 + len;
        if (cmd == 'O') {
            put32(out + o, 13); out[o + 4] = 'O'; put32(out + o + 5, 6); put32(out + o + 9, 0x1ff);
            put32(out + o + 13, PROTOCOL); o += 17;
        } else if (cmd == 'E') {
            if (key) {
                static const unsigned char digest[20] = { 1 };
                unsigned char sig[1024];
                size_t siglen = sizeof sig;
                EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
                if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
                    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) <= 0 || EVP_PKEY_sign(ctx, sig, &siglen, digest, sizeof digest) <= 0)
                    return -1;
                EVP_PKEY_CTX_free(ctx);
            }
            static const char name[] = "X-Null", value[] = " floor";
            uint32_t n = 1 + 4 + sizeof name + sizeof value;
            put32(out + o, n); out[o + 4] = 'i'; put32(out + o + 5, 0);
            memcpy(out + o + 9, name, sizeof name); memcpy(out + o + 9 + sizeof name, value, sizeof value);
            o += 4 + n;
            put32(out + o, 1); out[o + 4] = 'a'; o += 5;
        } else if (cmd == 'Q') {
            return -1;
        } /* everything else: no reply (negotiated away or SMFIP_NR_*) */
    }
    memmove(c->buf, c->buf + at, c->used - at);
    c->used -= at;
    if (o && write(c->fd, out, o) != (ssize_t)o) return -1;
    /* Nothing to send back, so no reply carries the ACK: an MTA that writes each frame on its own with Nagle on
     * (Postfix) would hold the next one for the delayed ACK, ~40 ms. Acknowledge at once, as milters does. */
    static const int on = 1;
    if (!o) setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
    return 0;
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "18919";
    int one = 1, ls;
    if (strchr(where, '/')) { /* a unix socket path */
        struct sockaddr_un u = { .sun_family = AF_UNIX };
        strncpy(u.sun_path, where, sizeof u.sun_path - 1);
        unlink(where);
        ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (bind(ls, (struct sockaddr *)&u, sizeof u) || listen(ls, 1024)) { perror("bind/listen"); return 1; }
    } else {
        ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(where)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024)) { perror("bind/listen"); return 1; }
    }
    if (argc > 2 && strcmp(argv[2], "-") != 0) { /* "-": no key, no signature (several null processes) */
        FILE *f = fopen(argv[2], "r");
        if (!f || !(key = PEM_read_PrivateKey(f, NULL, NULL, NULL))) { fprintf(stderr, "cannot read key %s\n", argv[2]); return 1; }
        fclose(f);
    }
    for (int workers = argc > 3 ? atoi(argv[3]) : 1; workers > 1; workers--)
        if (fork() == 0) { prctl(PR_SET_PDEATHSIG, SIGTERM); break; } /* workers go when the first process goes */
    int ep = epoll_create1(0);
    /* EPOLLEXCLUSIVE: one worker wakes per new connection, not all of them. */
    struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL }, evs[64];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on a unix socket */
                    c = malloc(sizeof *c); c->fd = fd; c->used = 0;
                    struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            ssize_t r = read(c->fd, c->buf + c->used, BUF - c->used);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r > 0) c->used += r;
            if (r <= 0 || serve(c) < 0) { close(c->fd); free(c); }
        }
    }
}
