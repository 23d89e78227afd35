/* wire.c - user-space L2 link emulator for kernels without sch_netem.
 *
 * Forwards every Ethernet frame IF_A <-> IF_B and applies, per direction, delay, normal jitter
 * (FIFO-preserving unless -o), Bernoulli loss, Gilbert-Elliott burst loss, a rate limit with
 * serialisation delay or a replayed delivery trace, a delay/loss schedule and a tail-drop queue limit.
 *
 * usage: wire -a IF_A -b IF_B [-c CONFFILE] [-S SEED] [-o] [-s]
 *             [-d ms] [-j ms] [-l pct] [-r kbit] [-q pkts]    both directions
 *             [-D ms] [-J ms] [-L pct] [-R kbit] [-Q pkts]    override b->a
 * CONFFILE (lines override the flags; re-read on SIGHUP, a malformed file keeps the old settings):
 *   ab <delay_ms> <jitter_ms> <loss_pct> <rate_kbit> <qlen> [<ge_p> <ge_r>]
 *   ba <delay_ms> <jitter_ms> <loss_pct> <rate_kbit> <qlen> [<ge_p> <ge_r>]
 *   abtrace <path>      batrace <path>       replay a delivery trace instead of rate_kbit
 *   abschedule <path>   baschedule <path>    delay_ms and loss_pct over time instead of the line's
 * "ab" = received on IF_A, sent out IF_B. rate 0 = unlimited; qlen 0 = limited only by the
 * 65536 slots; qlen counts every packet still held by the wire, including the delay line.
 * A trace is mahimahi's format: one line per delivery opportunity, an integer ms offset,
 * non-decreasing, looping with a period of its last offset. At each opportunity the direction
 * delivers queued packets in order, whole, while they fit in 1500 bytes counted above Ethernet
 * (a larger packet takes one opportunity alone); bytes an opportunity does not use are gone.
 * A schedule has lines "<ms> <delay_ms> <loss_pct>", ms from 0 and increasing, each held until the
 * next; the last is held as long as the gap before it, then the schedule starts over (one line:
 * constant). Paths contain no blanks, relative ones start from the working directory. A file that
 * mentions a direction (any of its three line kinds) sets its trace and schedule: one it does not
 * name is turned off. Both start at 0 when loaded, and restart on reload only if changed.
 * Delay, jitter, loss and the queue limit apply with a trace too; loss is drawn on arrival, the
 * delay counted from the opportunity, the schedule read at the packet's arrival.
 * Signals: SIGHUP reload, SIGUSR1 one JSON stats line on stderr, SIGUSR2 the same and then the
 * lateness figures start over (a window of its own), SIGTERM/SIGINT exit. Per direction the line has
 * sent_bytes (bytes above Ethernet, the unit of a trace's opportunities), trace_ms/schedule_ms
 * (ms since the trace/schedule started, null without one) and trace_unused (opportunities that went
 * by with nothing queued, counted when the next packet comes): enough to compare a delivered rate
 * with the trace's over the same window, and to tell whether the queue stayed busy meanwhile.
 * Exit codes: 0 on signal, 1 if an interface disappears, 2 on bad arguments or setup errors (a
 * missing or malformed conf, trace or schedule file at start included).
 * Build: gcc -O2 -Wall -Wextra -o wire wire.c -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSLOTS 65536u
#define SLOT 2048u             /* > 1518: an untagged or tagged 1500-MTU frame always fits */
#define RX_BURST 256           /* bounded so a flood on one side cannot starve transmission */
#define SPIN_NS 250000LL
#define OPP_BYTES 1500u        /* what one trace line may deliver, counted above Ethernet */
#define ETH_HDR 14u

struct cfg { double delay_ms, jitter_ms, loss_pct, rate_kbit, ge_p, ge_r; unsigned long qlen; };
struct ent { uint64_t t, seq; uint32_t slot, len; };
/* a trace (ms only) or a schedule (ms, delay, loss) as loaded; period in ns, 0 = no loop */
struct series { char *path; uint32_t *ms; double *delay, *loss; size_t n; uint64_t period; };
struct dir {
    const char *name, *ifin;
    int in, out, in_idx;
    struct cfg c;
    struct ent *heap;          /* min-heap on (t, seq); seq keeps equal times in arrival order */
    uint8_t *arena;
    uint32_t *freestk, nfree, hiwater, n;
    uint64_t seq, last_t, link_free, rng;
    double spare; int has_spare, ge_bad;
    struct series tr, sc;      /* n = 0: none */
    uint64_t tr_t0, sc_t0;     /* when they started */
    uint64_t opp;              /* the last packet's trace opportunity (absolute index) ... */
    uint32_t opp_used;         /* ... and the bytes it has used of it */
    int opp_valid;
    uint64_t opp_unused;       /* opportunities that went by with nothing queued */
    uint64_t rx, tx, tx_bytes, lost, dropped, oversize, txerr, late_sum, late_max;
    uint64_t late_from;   /* tx + txerr when the lateness figures last started over */
};

static struct dir D[2];
static int reorder, spin;
static volatile sig_atomic_t g_term, g_hup, g_usr1, g_usr2;
static uint8_t scratch[SLOT];

static void die(const char *fmt, ...) {
    va_list ap; va_start(ap, fmt);
    fputs("wire: ", stderr); vfprintf(stderr, fmt, ap); fputc('\n', stderr);
    va_end(ap); exit(2);
}

static uint64_t mono(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* splitmix64: own generator so runs are reproducible with -S regardless of libc; one stream per
 * direction so traffic in one direction does not shift the other's loss/jitter pattern. */
static uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double uni(struct dir *d) { return (double)(rnd(&d->rng) >> 11) * 0x1.0p-53; }
static double gauss(struct dir *d) {   /* Box-Muller, second value cached */
    if (d->has_spare) { d->has_spare = 0; return d->spare; }
    double u1, u2 = uni(d);
    do u1 = uni(d); while (u1 <= 0.0);
    double m = sqrt(-2.0 * log(u1));
    d->spare = m * sin(2.0 * M_PI * u2); d->has_spare = 1;
    return m * cos(2.0 * M_PI * u2);
}

static int before(const struct ent *x, const struct ent *y) {
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}
static void heap_push(struct dir *d, struct ent e) {
    uint32_t i = d->n++;
    while (i && before(&e, &d->heap[(i - 1) / 2])) { d->heap[i] = d->heap[(i - 1) / 2]; i = (i - 1) / 2; }
    d->heap[i] = e;
}
static struct ent heap_pop(struct dir *d) {
    struct ent top = d->heap[0], last = d->heap[--d->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= d->n) break;
        if (c + 1 < d->n && before(&d->heap[c + 1], &d->heap[c])) c++;
        if (!before(&d->heap[c], &last)) break;
        d->heap[i] = d->heap[c]; i = c;
    }
    if (d->n) d->heap[i] = last;
    return top;
}

/* Strict numeric parse: the whole token must be a number inside [lo, hi] (rejects NaN too). */
static int num(const char *s, double lo, double hi, double *v) {
    char *e; errno = 0;
    double x = strtod(s, &e);
    if (e == s || *e || errno || !(x >= lo && x <= hi)) return -1;
    *v = x; return 0;
}
/* field k of a direction: 0 delay, 1 jitter, 2 loss, 3 rate, 4 qlen, 5 ge_p, 6 ge_r */
static int setfield(struct cfg *c, int k, const char *s) {
    static const double hi[7] = {3.6e6, 3.6e6, 100, 1e9, NSLOTS, 1, 1};
    double v;
    if (num(s, 0, hi[k], &v)) return -1;
    switch (k) {
    case 0: c->delay_ms = v; break;
    case 1: c->jitter_ms = v; break;
    case 2: c->loss_pct = v; break;
    case 3: c->rate_kbit = v; break;
    case 4: if (v != floor(v)) return -1; c->qlen = (unsigned long)v; break;
    case 5: c->ge_p = v; break;
    default: c->ge_r = v; break;
    }
    return 0;
}

static void series_free(struct series *s) {
    free(s->path); free(s->ms); free(s->delay); free(s->loss);
    memset(s, 0, sizeof *s);
}

static int series_same(const struct series *a, const struct series *b) {
    if (a->n != b->n) return 0;
    if (!a->n) return 1;
    return !strcmp(a->path, b->path) && !memcmp(a->ms, b->ms, a->n * sizeof *a->ms) &&
           (!a->delay || (!memcmp(a->delay, b->delay, a->n * sizeof *a->delay) &&
                          !memcmp(a->loss, b->loss, a->n * sizeof *a->loss)));
}

/* A trace (one ms offset a line, non-decreasing, the last > 0) or, with sched, a schedule
 * ("<ms> <delay_ms> <loss_pct>", ms from 0 and increasing). Blank and '#' lines are skipped. */
static int load_series(const char *path, int sched, struct series *s, char *err, size_t errlen) {
    const char *why = NULL;
    char line[256];
    int lineno = 0;
    size_t cap = 0;
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno)); return -1; }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) { why = "line too long"; goto bad; }
        char *save, *tok[4]; int nt = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save))
            if (nt < 4) tok[nt++] = t; else break;
        if (nt == 0 || tok[0][0] == '#') continue;
        double ms, dl = 0, lp = 0;
        if (nt != (sched ? 3 : 1)) { why = sched ? "expected '<ms> <delay_ms> <loss_pct>'" : "expected one ms offset"; goto bad; }
        if (num(tok[0], 0, 4e9, &ms) || ms != floor(ms)) { why = "ms is not a whole number in [0, 4e9]"; goto bad; }
        if (sched && num(tok[1], 0, 3.6e6, &dl)) { why = "delay_ms is not a number in [0, 3.6e6]"; goto bad; }
        if (sched && num(tok[2], 0, 100, &lp)) { why = "loss_pct is not a number in [0, 100]"; goto bad; }
        if (sched && !s->n && ms != 0) { why = "the first line must be at 0 ms"; goto bad; }
        if (sched && s->n && ms <= s->ms[s->n - 1]) { why = "ms must increase"; goto bad; }
        if (!sched && s->n && ms < s->ms[s->n - 1]) { why = "offsets must not decrease"; goto bad; }
        if (s->n == cap) {
            cap = cap ? 2 * cap : 1024;
            uint32_t *m = realloc(s->ms, cap * sizeof *m);
            if (m) s->ms = m;
            if (m && sched) {
                double *a = realloc(s->delay, cap * sizeof *a);
                if (a) s->delay = a;
                double *b = a ? realloc(s->loss, cap * sizeof *b) : NULL;
                if (b) s->loss = b; else m = NULL;
            }
            if (!m) { why = "out of memory"; goto bad; }
        }
        s->ms[s->n] = (uint32_t)ms;
        if (sched) { s->delay[s->n] = dl; s->loss[s->n] = lp; }
        s->n++;
    }
    fclose(f);
    if (!s->n) { snprintf(err, errlen, "%s: no %s line", path, sched ? "schedule" : "trace"); series_free(s); return -1; }
    if (!sched && !s->ms[s->n - 1]) {
        snprintf(err, errlen, "%s: the last offset is 0 ms (a trace must last at least 1 ms)", path);
        series_free(s); return -1;
    }
    /* a trace loops every last offset (mahimahi); a schedule holds its last line as long as the
     * gap before it, so evenly spaced lines loop evenly */
    if (!sched) s->period = (uint64_t)s->ms[s->n - 1] * 1000000ull;
    else if (s->n > 1) s->period = (2ull * s->ms[s->n - 1] - s->ms[s->n - 2]) * 1000000ull;
    s->path = strdup(path);
    if (!s->path) { snprintf(err, errlen, "%s: out of memory", path); series_free(s); return -1; }
    return 0;
bad:
    fclose(f);
    snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
    series_free(s);
    return -1;
}

/* Replaces *cur by *nw unless they are the same file with the same contents (then the running one
 * keeps its phase); returns 1 if replaced. Takes ownership of *nw either way. */
static int series_install(struct series *cur, struct series *nw, uint64_t *t0, uint64_t now) {
    if (series_same(cur, nw)) { series_free(nw); return 0; }
    series_free(cur);
    *cur = *nw; *t0 = now;
    memset(nw, 0, sizeof *nw);
    return 1;
}

/* Parse into a copy and only then commit, so a half-written or broken file never leaves one
 * direction updated and the other not. */
static int load_conf(const char *path, char *err, size_t errlen) {
    static const char *const kinds[2] = {"trace", "schedule"};
    struct cfg tmp[2] = {D[0].c, D[1].c};
    struct series ser[2][2];   /* [direction][0 trace, 1 schedule] */
    int seen[2] = {0, 0}, named[2] = {0, 0}, got[2][2] = {{0, 0}, {0, 0}}, lineno = 0, any = 0;
    char line[512], sub[480];
    memset(ser, 0, sizeof ser);
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno)); return -1; }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *save, *tok[9]; int nt = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save))
            if (nt < 9) tok[nt++] = t; else { nt = 10; break; }
        if (nt == 0 || tok[0][0] == '#') continue;
        int di = -1, kind = -1;    /* kind -1: the fields line, 0 trace, 1 schedule */
        for (int i = 0; i < 2 && di < 0; i++) {
            const char *nm = i ? "ba" : "ab";
            if (strncmp(tok[0], nm, 2)) continue;
            if (!tok[0][2]) di = i;
            for (int k = 0; k < 2; k++) if (!strcmp(tok[0] + 2, kinds[k])) di = i, kind = k;
        }
        if (di < 0) goto bad;
        if (kind >= 0) {
            if (got[di][kind] || nt != 2) goto bad;
            if (load_series(tok[1], kind, &ser[di][kind], sub, sizeof sub)) {
                snprintf(err, errlen, "%s:%d: %s %s", path, lineno, kinds[kind], sub);
                goto fail;
            }
            got[di][kind] = named[di] = any = 1;
            continue;
        }
        if (seen[di] || (nt != 6 && nt != 8)) goto bad;
        struct cfg c = tmp[di];
        c.ge_p = c.ge_r = 0;       /* a line without GE parameters turns GE off */
        for (int k = 0; k < nt - 1; k++) if (setfield(&c, k, tok[k + 1])) goto bad;
        tmp[di] = c; seen[di] = named[di] = any = 1;
    }
    fclose(f);
    /* an empty file is far more likely a writer caught mid-write than a wish for no change */
    if (!any) { snprintf(err, errlen, "%s: no 'ab'/'ba' line", path); return -1; }
    uint64_t now = mono();
    for (int i = 0; i < 2; i++) {
        D[i].c = tmp[i];
        if (tmp[i].ge_p <= 0) D[i].ge_bad = 0;
        if (!named[i]) continue;
        if (series_install(&D[i].tr, &ser[i][0], &D[i].tr_t0, now)) D[i].opp_valid = 0;
        series_install(&D[i].sc, &ser[i][1], &D[i].sc_t0, now);
    }
    return 0;
bad:
    snprintf(err, errlen, "%s:%d: malformed line", path, lineno);
fail:
    fclose(f);
    for (int i = 0; i < 2; i++) { series_free(&ser[i][0]); series_free(&ser[i][1]); }
    return -1;
}

static int open_if(const char *ifn, int *idx) {
    unsigned ix = if_nametoindex(ifn);
    if (!ix) die("interface '%s' not found", ifn);
    /* protocol 0 until bind: an ETH_P_ALL socket would queue frames of every interface in the
     * namespace in the window between socket() and bind(). */
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket(AF_PACKET) for %s: %s", ifn, strerror(errno));
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)ix};
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) die("bind %s: %s", ifn, strerror(errno));
    /* foreign unicast must reach us on NICs that filter by MAC (veth would deliver it anyway) */
    struct packet_mreq mr = {.mr_ifindex = (int)ix, .mr_type = PACKET_MR_PROMISC};
    int one = 1, sz = 8 << 20;
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr))
        die("promisc %s: %s", ifn, strerror(errno));
    /* without this our own transmissions on IF_B come back as input and loop forever */
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one))
        die("PACKET_IGNORE_OUTGOING %s: %s", ifn, strerror(errno));
    /* our heap is the queue; a second one in the qdisc layer would only add latency */
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    /* large buffers absorb bursts that arrive while we sleep; FORCE ignores rmem_max */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz))
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    *idx = (int)ix;
    return fd;
}

/* MAP_NORESERVE + lazy touching: 128 MB of address space per direction costs nothing until
 * used, and the LIFO free list keeps reusing the same few hot slots at low rates. */
static void *arena(size_t len) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) die("mmap %zu bytes: %s", len, strerror(errno));
    return p;
}

static int lose(struct dir *d, double loss_pct) {
    if (d->c.ge_p > 0) {   /* Gilbert-Elliott: advance the state per packet; bad = always lost */
        if (d->ge_bad) { if (uni(d) < d->c.ge_r) d->ge_bad = 0; }
        else if (uni(d) < d->c.ge_p) d->ge_bad = 1;
        if (d->ge_bad) return 1;
    }
    return loss_pct > 0 && uni(d) * 100.0 < loss_pct;
}

/* the schedule line in force at now: each holds until the next, the whole starts over every period */
static size_t sched_line(const struct dir *d, uint64_t now) {
    const struct series *s = &d->sc;
    if (s->n == 1) return 0;
    uint64_t off = (now > d->sc_t0 ? now - d->sc_t0 : 0) % s->period;
    size_t lo = 1, hi = s->n;      /* first line after off; ms[0] = 0 is never after it */
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if ((uint64_t)s->ms[m] * 1000000ull <= off) lo = m + 1; else hi = m;
    }
    return lo - 1;
}

/* when trace opportunity k comes: loop k / n, line k % n */
static uint64_t opp_time(const struct dir *d, uint64_t k) {
    return d->tr_t0 + k / d->tr.n * d->tr.period + (uint64_t)d->tr.ms[k % d->tr.n] * 1000000ull;
}

/* The opportunity a packet of len bytes arriving now leaves at. Packets stay in order and whole:
 * it shares the previous packet's opportunity if that has not passed and has room, else takes
 * the first later one that is not in the past. An opportunity that passes unused is gone. */
static uint64_t trace_slot(struct dir *d, uint64_t now, uint32_t len) {
    uint32_t bytes = len > ETH_HDR ? len - ETH_HDR : 0;
    if (d->opp_valid && opp_time(d, d->opp) >= now && d->opp_used + bytes <= OPP_BYTES) {
        d->opp_used += bytes;
        return opp_time(d, d->opp);
    }
    uint64_t el = now > d->tr_t0 ? now - d->tr_t0 : 0, loop = el / d->tr.period, off = el % d->tr.period;
    size_t lo = 0, hi = d->tr.n;   /* first line at or after off; n = line 0 of the next loop */
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if ((uint64_t)d->tr.ms[m] * 1000000ull < off) lo = m + 1; else hi = m;
    }
    uint64_t k = loop * d->tr.n + lo;
    if (d->opp_valid && k <= d->opp) k = d->opp + 1;
    else if (d->opp_valid) d->opp_unused += k - d->opp - 1;
    d->opp = k; d->opp_used = bytes; d->opp_valid = 1;
    return opp_time(d, k);
}

static void rx_burst(struct dir *d) {
    unsigned long limit = d->c.qlen && d->c.qlen < NSLOTS ? d->c.qlen : NSLOTS;
    for (int i = 0; i < RX_BURST; i++) {
        int full = d->n >= limit;
        uint32_t slot = 0;
        uint8_t *buf = scratch;
        if (!full) {   /* n < NSLOTS guarantees a slot: every used slot is in the heap */
            slot = d->nfree ? d->freestk[--d->nfree] : d->hiwater++;
            buf = d->arena + (size_t)slot * SLOT;
        }
        ssize_t len = recv(d->in, buf, SLOT, MSG_TRUNC);   /* TRUNC: learn the real length */
        uint64_t now = mono();
        int keep = 0;
        if (len < 0) {
            if (!full) d->freestk[d->nfree++] = slot;
            break;   /* EAGAIN, or ENETDOWN which POLLERR handling deals with */
        }
        d->rx++;
        double delay_ms = d->c.delay_ms, loss_pct = d->c.loss_pct;
        if (d->sc.n) { size_t k = sched_line(d, now); delay_ms = d->sc.delay[k]; loss_pct = d->sc.loss[k]; }
        if (len > (ssize_t)SLOT) d->oversize++;
        else if (lose(d, loss_pct)) d->lost++;
        else if (full) d->dropped++;
        else keep = 1;
        if (!keep) { if (!full) d->freestk[d->nfree++] = slot; continue; }

        double dl = delay_ms * 1e6;
        if (d->c.jitter_ms > 0) dl += d->c.jitter_ms * 1e6 * gauss(d);
        uint64_t base = now;
        if (d->tr.n) base = trace_slot(d, now, (uint32_t)len);   /* the trace replaces rate_kbit */
        else if (d->c.rate_kbit > 0) {   /* serialisation: the link is busy until link_free */
            if (d->link_free < now) d->link_free = now;
            d->link_free += (uint64_t)((double)len * 8e6 / d->c.rate_kbit);
            base = d->link_free;
        }
        /* negative jitter may pull a packet earlier, but never before it arrived */
        int64_t ts = (int64_t)base + (int64_t)dl;
        uint64_t t = ts < (int64_t)now ? now : (uint64_t)ts;
        if (!reorder) { if (t < d->last_t) t = d->last_t; d->last_t = t; }
        heap_push(d, (struct ent){.t = t, .seq = d->seq++, .slot = slot, .len = (uint32_t)len});
    }
}

static void tx_due(struct dir *d, uint64_t now) {
    while (d->n && d->heap[0].t <= now) {
        struct ent e = heap_pop(d);
        /* no retry: a full device/socket is congestion, and dropping is what a link does */
        if (send(d->out, d->arena + (size_t)e.slot * SLOT, e.len, 0) < 0) d->txerr++;
        else { d->tx++; d->tx_bytes += e.len > ETH_HDR ? e.len - ETH_HDR : 0; }
        uint64_t late = now - e.t;
        d->late_sum += late;
        if (late > d->late_max) d->late_max = late;
        d->freestk[d->nfree++] = e.slot;
    }
}

static void print_phase(const char *key, const struct series *s, uint64_t t0, uint64_t now) {
    if (s->n) fprintf(stderr, ",\"%s\":%.3f", key, (double)(now - t0) / 1e6);
    else fprintf(stderr, ",\"%s\":null", key);
}

static void print_stats(void) {
    uint64_t now = mono();
    fputc('{', stderr);
    for (int i = 0; i < 2; i++) {
        struct dir *d = &D[i];
        uint64_t done = d->tx + d->txerr - d->late_from;
        fprintf(stderr, "%s\"%s\":{\"received\":%llu,\"sent\":%llu,\"sent_bytes\":%llu,\"lost\":%llu,"
                "\"dropped\":%llu,\"oversize\":%llu,\"tx_errors\":%llu,\"queued\":%u,"
                "\"late_mean_us\":%.1f,\"late_max_us\":%.1f,\"trace_unused\":%llu",
                i ? "," : "", d->name, (unsigned long long)d->rx, (unsigned long long)d->tx,
                (unsigned long long)d->tx_bytes, (unsigned long long)d->lost, (unsigned long long)d->dropped,
                (unsigned long long)d->oversize, (unsigned long long)d->txerr, d->n,
                done ? (double)d->late_sum / (double)done / 1e3 : 0.0, (double)d->late_max / 1e3,
                (unsigned long long)d->opp_unused);
        print_phase("trace_ms", &d->tr, d->tr_t0, now);
        print_phase("schedule_ms", &d->sc, d->sc_t0, now);
        fputc('}', stderr);
    }
    fputs("}\n", stderr);
}

static void on_sig(int s) {
    if (s == SIGHUP) g_hup = 1;
    else if (s == SIGUSR1) g_usr1 = 1;
    else if (s == SIGUSR2) g_usr2 = 1;
    else g_term = 1;
}

static void usage(void) {
    fputs("usage: wire -a IF_A -b IF_B [-c CONFFILE] [-S SEED] [-o] [-s]\n"
          "            [-d ms] [-j ms] [-l pct] [-r kbit] [-q pkts] [-D ms] [-J ms] [-L pct] [-R kbit] [-Q pkts]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv) {
    /* die with the orchestrator; the check closes the race where it died before the prctl.
     * Note: PDEATHSIG fires when the parent *thread* exits, so spawn wire from a long-lived one. */
    pid_t ppid = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != ppid || getppid() == 1) return 0;
    prctl(PR_SET_TIMERSLACK, 1000UL);   /* 1 us instead of the default 50 us wake-up slack */

    const char *ifa = NULL, *ifb = NULL, *conf = NULL;
    struct timespec rt; clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t seed = (uint64_t)rt.tv_nsec ^ ((uint64_t)rt.tv_sec << 32) ^ (uint64_t)getpid();
    struct cfg c[2] = {{0}};
    char *rev[5] = {0};
    const char *lower = "djlrq", *upper = "DJLRQ", *p;
    int o;
    while ((o = getopt(argc, argv, "a:b:c:S:osd:j:l:r:q:D:J:L:R:Q:")) != -1) {
        if (o == 'a') ifa = optarg;
        else if (o == 'b') ifb = optarg;
        else if (o == 'c') conf = optarg;
        else if (o == 'o') reorder = 1;
        else if (o == 's') spin = 1;
        else if (o == 'S') {
            char *e; errno = 0;
            seed = strtoull(optarg, &e, 0);
            if (e == optarg || *e || errno) die("bad seed '%s'", optarg);
        } else if ((p = strchr(lower, o))) {
            if (setfield(&c[0], (int)(p - lower), optarg)) die("bad value for -%c: '%s'", o, optarg);
        } else if ((p = strchr(upper, o))) rev[p - upper] = optarg;
        else usage();
    }
    if (optind != argc) die("unexpected argument '%s'", argv[optind]);
    if (!ifa || !ifb) die("both -a IF_A and -b IF_B are required");
    if (!strcmp(ifa, ifb)) die("IF_A and IF_B must differ");
    c[1] = c[0];
    for (int k = 0; k < 5; k++)
        if (rev[k] && setfield(&c[1], k, rev[k])) die("bad value for -%c: '%s'", upper[k], rev[k]);

    for (int i = 0; i < 2; i++) {
        struct dir *d = &D[i];
        d->name = i ? "ba" : "ab";
        d->c = c[i];
        d->rng = seed ^ (i ? 0x5851f42d4c957f2dull : 0);
        rnd(&d->rng);
        d->arena = arena((size_t)NSLOTS * SLOT);
        d->heap = arena((size_t)NSLOTS * sizeof(struct ent));
        d->freestk = arena((size_t)NSLOTS * sizeof(uint32_t));
    }
    if (conf) {
        char err[600];
        if (load_conf(conf, err, sizeof err)) die("%s", err);
    }
    D[0].ifin = ifa; D[1].ifin = ifb;
    D[0].in = D[1].out = open_if(ifa, &D[0].in_idx);
    D[1].in = D[0].out = open_if(ifb, &D[1].in_idx);

    /* Signals stay blocked except inside ppoll, so handlers only ever interrupt the wait and
     * a reload never lands between two packets of a burst. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    int sigs[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
    struct sigaction sa = {.sa_handler = on_sig};
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 5; i++) { sigaddset(&block, sigs[i]); sigaction(sigs[i], &sa, NULL); }
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    for (int i = 0; i < 5; i++) sigdelset(&waitmask, sigs[i]);   /* even if inherited blocked */

    struct pollfd pfd[2] = {{.fd = D[0].in, .events = POLLIN}, {.fd = D[1].in, .events = POLLIN}};
    while (!g_term) {
        if (g_hup) {
            char err[600];
            g_hup = 0;
            if (conf && load_conf(conf, err, sizeof err))
                fprintf(stderr, "wire: warning: %s; keeping previous settings\n", err);
        }
        if (g_usr1) { g_usr1 = 0; print_stats(); }
        if (g_usr2) {
            g_usr2 = 0;
            print_stats();
            for (int i = 0; i < 2; i++) { D[i].late_sum = D[i].late_max = 0; D[i].late_from = D[i].tx + D[i].txerr; }
        }
        uint64_t now = mono();
        tx_due(&D[0], now); tx_due(&D[1], now);

        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++) if (D[i].n && D[i].heap[0].t < next) next = D[i].heap[0].t;
        struct timespec ts, *tsp = NULL;
        if (next != UINT64_MAX) {
            /* with -s, wake SPIN_NS early and poll with timeout 0 until due: still serves rx */
            int64_t w = (int64_t)(next - now) - (spin ? SPIN_NS : 0);
            if (w < 0) w = 0;
            ts.tv_sec = w / 1000000000; ts.tv_nsec = w % 1000000000; tsp = &ts;
        }
        if (ppoll(pfd, 2, tsp, &waitmask) < 0) {
            if (errno == EINTR) continue;
            die("ppoll: %s", strerror(errno));
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].revents & POLLIN) rx_burst(&D[i]);
            if (pfd[i].revents & POLLERR) {
                /* link down/up raises ENETDOWN; reading SO_ERROR clears it. Only a vanished
                 * interface (peer namespace deleted) ends the wire. */
                int e; socklen_t l = sizeof e; char nm[IF_NAMESIZE];
                getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &e, &l);
                if (!if_indextoname((unsigned)D[i].in_idx, nm)) {
                    fprintf(stderr, "wire: interface %s disappeared, exiting\n", D[i].ifin);
                    return 1;
                }
            }
        }
    }
    return 0;
}
