/* Optional accelerator for the engine's keyword prefilter (scanner/fastscan.py builds the tables).
 *
 * search(tables, data) -> offset of the first keyword found in data, ASCII case-insensitively,
 * or -1.  occurrences(tables, data, limit) -> [(entry, offset), ...]: every occurrence of every
 * keyword (overlapping ones too), at most limit of each, in the order of their windows; entry is
 * the keyword's index in the tables' entries (fastscan.py keeps the order).
 *
 * Every keyword is given a window of four bytes (its least common one).  A window at p holds a
 * position that is a multiple of three (p, p + 1 or p + 2), and the pair of bytes there is one
 * of the window's three pairs: the `any` bitmap holds every window's three pairs, in every
 * letter case, and only every third position of the data is tested against it.  Where it is
 * set, each of the three positions where a window could start is tested against the `first`
 * and `second` bitmaps (the window's first pair there, its second two bytes on), and only then
 * are the keywords that own the first pair compared in place.  The positions are independent
 * of each other, so the loop runs at the processor's throughput, not at its memory latency: one
 * pass finds any of the keywords, where the pure-Python prefilter needs one pass per needle.
 *
 * tables (built and checked by fastscan.py; checked again here), numbers little-endian:
 *   "LKF4", count (u16), 0 (u16);
 *   first[8192], second[8192], any[8192]: bit p is set when some keyword's window has the bytes
 *     p >> 8, p & 255 (in some letter case) as its first pair, its second, or any of its three;
 *   index[257] (u16): the entries whose first pair starts with the byte b are index[b] up to
 *     index[b + 1];
 *   count entries, sorted by pair: {first pair u16 (lowercase), offset of the window in the
 *     keyword u16, length u16, 0 u16, offset of the keyword in the tables u32};
 *   the keywords' bytes (lowercase).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#ifndef _WIN32
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#endif
#include <string.h>

#define HEAD 8
#define BITS 8192
#define INDEX (257 * 2)
#define ENTRIES (HEAD + 3 * BITS + INDEX)
#define ENTRY 12

static unsigned char fold[256];

static unsigned int u16(const unsigned char *p) { return (unsigned int)p[0] | ((unsigned int)p[1] << 8); }

static uint32_t u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int valid(const unsigned char *t, Py_ssize_t size)
{
    if (size < ENTRIES || memcmp(t, "LKF4", 4) != 0)
        return 0;
    unsigned int count = u16(t + 4);
    if (size < ENTRIES + (Py_ssize_t)count * ENTRY)
        return 0;
    const unsigned char *index = t + HEAD + 3 * BITS;
    for (int b = 0; b < 256; b++)
        if (u16(index + 2 * b) > u16(index + 2 * b + 2) || u16(index + 2 * b + 2) > count)
            return 0;
    const unsigned char *e = t + ENTRIES;
    for (unsigned int i = 0; i < count; i++, e += ENTRY) {
        unsigned int off = u16(e + 2), len = u16(e + 4);
        uint32_t at = u32(e + 8);
        if (len < 4 || off > len - 4 || (Py_ssize_t)at + len > size)
            return 0;
    }
    return 1;
}

static int has(const unsigned char *bits, const unsigned char *p)
{
    unsigned int pair = ((unsigned int)p[0] << 8) | p[1];
    return bits[pair >> 3] & (1u << (pair & 7));
}

/* the entries (first up to last) that may own a window starting at s[i], and the window's
 * first pair there, folded */
static unsigned int owners(const unsigned char *t, const unsigned char *s, Py_ssize_t i,
                           Py_ssize_t *first, Py_ssize_t *last)
{
    const unsigned char *index = t + HEAD + 3 * BITS + 2 * fold[s[i]];
    *first = (Py_ssize_t)u16(index);
    *last = (Py_ssize_t)u16(index + 2);
    return ((unsigned int)fold[s[i]] << 8) | fold[s[i + 1]];
}

/* where the keyword of entry k starts, if it occurs with its window at s[i]; else -1 */
static Py_ssize_t occurs(const unsigned char *t, Py_ssize_t k, const unsigned char *s,
                         Py_ssize_t n, Py_ssize_t i)
{
    const unsigned char *e = t + ENTRIES + k * ENTRY;
    Py_ssize_t start = i - (Py_ssize_t)u16(e + 2), len = (Py_ssize_t)u16(e + 4);
    if (start < 0 || start + len > n)
        return -1;
    const unsigned char *w = t + u32(e + 8);
    Py_ssize_t j = 0;
    while (j < len && fold[s[start + j]] == w[j])
        j++;
    return j == len ? start : -1;
}

/* where a keyword whose window starts at s[i] occurs, if one does; else -1 */
static Py_ssize_t verify(const unsigned char *t, const unsigned char *s, Py_ssize_t n, Py_ssize_t i)
{
    Py_ssize_t first, last;
    const unsigned int pair = owners(t, s, i, &first, &last);
    for (Py_ssize_t k = first; k < last; k++) {
        Py_ssize_t start = u16(t + ENTRIES + k * ENTRY) == pair ? occurs(t, k, s, n, i) : -1;
        if (start >= 0)
            return start;
    }
    return -1;
}

/* calls visit(ctx, q) for each position q where the bitmaps say a window may start, in order,
 * until it returns nonzero (and returns that) */
typedef int (*Visit)(void *ctx, const unsigned char *t, const unsigned char *s, Py_ssize_t n,
                     Py_ssize_t q);

static int windows(const unsigned char *t, const unsigned char *s, Py_ssize_t n, Visit visit,
                   void *ctx)
{
    const unsigned char *first = t + HEAD, *second = first + BITS, *any = second + BITS;
    for (Py_ssize_t i = 0; i + 1 < n; i += 3) {
        if (!has(any, s + i))
            continue;
        for (Py_ssize_t q = i - 2; q <= i; q++) {
            if (q < 0 || q + 3 >= n || !has(first, s + q) || !has(second, s + q + 2))
                continue;
            int stop = visit(ctx, t, s, n, q);
            if (stop)
                return stop;
        }
    }
    return 0;
}

static int first_found(void *ctx, const unsigned char *t, const unsigned char *s, Py_ssize_t n,
                       Py_ssize_t q)
{
    Py_ssize_t at = verify(t, s, n, q);
    if (at < 0)
        return 0;
    *(Py_ssize_t *)ctx = at;
    return 1;
}

static Py_ssize_t scan(const unsigned char *t, const unsigned char *s, Py_ssize_t n)
{
    Py_ssize_t at = -1;
    windows(t, s, n, first_found, &at);
    return at;
}

/* occurrences found so far, as (entry, start) pairs */
typedef struct {
    Py_ssize_t *items; /* entry, start, entry, start, ... */
    Py_ssize_t len, cap;
} Hits;

static int push(Hits *h, Py_ssize_t entry, Py_ssize_t start)
{
    if (h->len + 2 > h->cap) {
        Py_ssize_t cap = h->cap ? 2 * h->cap : 256;
        Py_ssize_t *items = PyMem_RawRealloc(h->items, (size_t)cap * sizeof(Py_ssize_t));
        if (items == NULL)
            return -1;
        h->items = items;
        h->cap = cap;
    }
    h->items[h->len++] = entry;
    h->items[h->len++] = start;
    return 0;
}

typedef struct {
    Py_ssize_t limit;
    Py_ssize_t *counts; /* occurrences of each entry so far */
    Hits hits;
} Collect;

/* every keyword whose window starts at s[i] and that occurs there, up to the limit of each
 * entry, appended to the hits; -1 when out of memory */
static int collect(void *ctx, const unsigned char *t, const unsigned char *s, Py_ssize_t n,
                   Py_ssize_t i)
{
    Collect *c = ctx;
    Py_ssize_t first, last;
    const unsigned int pair = owners(t, s, i, &first, &last);
    for (Py_ssize_t k = first; k < last; k++) {
        if (u16(t + ENTRIES + k * ENTRY) != pair || c->counts[k] >= c->limit)
            continue;
        Py_ssize_t start = occurs(t, k, s, n, i);
        if (start >= 0) {
            c->counts[k]++;
            if (push(&c->hits, k, start) < 0)
                return -1;
        }
    }
    return 0;
}

static PyObject *fastscan_occurrences(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer tables, data;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "y*y*n:occurrences", &tables, &data, &limit))
        return NULL;
    PyObject *out = NULL;
    Collect c = {limit, NULL, {NULL, 0, 0}};
    int failed = 0;
    if (!valid(tables.buf, tables.len)) {
        PyErr_SetString(PyExc_ValueError, "malformed prefilter tables");
        goto done;
    }
    c.counts = PyMem_RawCalloc((size_t)u16((const unsigned char *)tables.buf + 4) + 1,
                               sizeof(Py_ssize_t));
    if (c.counts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    failed = windows(tables.buf, data.buf, data.len, collect, &c);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyList_New(c.hits.len / 2);
    if (out == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < c.hits.len / 2; k++) {
        PyObject *item = Py_BuildValue("(nn)", c.hits.items[2 * k], c.hits.items[2 * k + 1]);
        if (item == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, k, item);
    }
done:
    PyMem_RawFree(c.counts);
    PyMem_RawFree(c.hits.items);
    PyBuffer_Release(&tables);
    PyBuffer_Release(&data);
    return out;
}

static PyObject *fastscan_search(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer tables, data;
    if (!PyArg_ParseTuple(args, "y*y*:search", &tables, &data))
        return NULL;
    Py_ssize_t found = -1;
    int ok = valid(tables.buf, tables.len);
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        found = scan(tables.buf, data.buf, data.len);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&tables);
    PyBuffer_Release(&data);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "malformed prefilter tables");
        return NULL;
    }
    return PyLong_FromSsize_t(found);
}

/* records(tables, buf, start, end, sniff) -> ([(header, offset, size, flags), ...], consumed)
 *
 * The complete `git cat-file --batch` records in buf[start:end]: a header line "<name> <type>
 * <size>[ <rest>]" then the size bytes of content and a newline, or "<name> missing" /
 * "<name> ambiguous" alone.  header: the line without its newline; offset: where the content
 * starts in buf; size: its length (0 for a missing object).  For a blob, flags has KEYWORD when
 * the content holds a keyword (as search()), and PLAIN when that byte search is the whole
 * prefilter's answer: no UTF-16 or UTF-32 byte-order mark and no NUL in the first `sniff`
 * bytes (else the content must be decoded first).  Stops before the first record that is not
 * wholly in the buffer; consumed: where that record starts.  ValueError for output that is no
 * record. */
#define KEYWORD 1
#define PLAIN 2

typedef struct {
    Py_ssize_t line, line_len, offset, size;
    int flags;
} Record;

static int bom(const unsigned char *s, Py_ssize_t n)
{
    if (n >= 4 && ((s[0] == 0xFF && s[1] == 0xFE && s[2] == 0 && s[3] == 0) ||
                   (s[0] == 0 && s[1] == 0 && s[2] == 0xFE && s[3] == 0xFF)))
        return 1;
    return n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF));
}

/* 1: a record parsed into r and *next; 0: not wholly in the buffer; -1: malformed */
static int parse(const unsigned char *t, const unsigned char *s, Py_ssize_t pos, Py_ssize_t end,
                 Py_ssize_t sniff, Record *r, Py_ssize_t *next)
{
    const unsigned char *nl = memchr(s + pos, '\n', (size_t)(end - pos));
    if (nl == NULL)
        return 0;
    Py_ssize_t eol = nl - s;
    r->line = pos;
    r->line_len = eol - pos;
    const unsigned char *sp1 = memchr(s + pos, ' ', (size_t)(eol - pos));
    if (sp1 == NULL)
        return -1;
    const unsigned char *type = sp1 + 1;
    Py_ssize_t left = (s + eol) - type;
    const unsigned char *sp2 = memchr(type, ' ', (size_t)left);
    Py_ssize_t type_len = sp2 ? sp2 - type : left;
    if ((type_len == 7 && memcmp(type, "missing", 7) == 0) ||
        (type_len == 9 && memcmp(type, "ambiguous", 9) == 0)) {
        r->offset = eol + 1;
        r->size = 0;
        r->flags = 0;
        *next = eol + 1;
        return 1;
    }
    if (sp2 == NULL)
        return -1;
    Py_ssize_t size = 0;
    const unsigned char *d = sp2 + 1;
    if (d >= s + eol || *d < '0' || *d > '9')
        return -1;
    for (; d < s + eol && *d >= '0' && *d <= '9'; d++) {
        if (size > (PY_SSIZE_T_MAX - 9) / 10)
            return -1;
        size = size * 10 + (*d - '0');
    }
    if (d < s + eol && *d != ' ')
        return -1;
    Py_ssize_t offset = eol + 1;
    if (size > end - offset - 1)
        return 0; /* (the content and its newline are not all here yet) */
    if (s[offset + size] != '\n')
        return -1;
    r->offset = offset;
    r->size = size;
    r->flags = 0;
    if (type_len == 4 && memcmp(type, "blob", 4) == 0) {
        const unsigned char *c = s + offset;
        Py_ssize_t head = size < sniff ? size : sniff;
        if (!bom(c, size) && memchr(c, 0, (size_t)head) == NULL)
            r->flags |= PLAIN;
        if (scan(t, c, size) >= 0)
            r->flags |= KEYWORD;
    }
    *next = offset + size + 1;
    return 1;
}

static PyObject *fastscan_records(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer tables, buf;
    Py_ssize_t start, end, sniff;
    if (!PyArg_ParseTuple(args, "y*y*nnn:records", &tables, &buf, &start, &end, &sniff))
        return NULL;
    PyObject *out = NULL, *list = NULL;
    Record *recs = NULL;
    Py_ssize_t count = 0, cap = 0, pos = start;
    int bad = 0, nomem = 0;
    if (!valid(tables.buf, tables.len)) {
        PyErr_SetString(PyExc_ValueError, "malformed prefilter tables");
        goto done;
    }
    if (start < 0 || end > buf.len || start > end || sniff < 0) {
        PyErr_SetString(PyExc_ValueError, "records: bad bounds");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        Record r;
        Py_ssize_t next;
        int got = parse(tables.buf, buf.buf, pos, end, sniff, &r, &next);
        if (got <= 0) {
            bad = got < 0;
            break;
        }
        if (count == cap) {
            Py_ssize_t ncap = cap ? 2 * cap : 64;
            Record *grown = PyMem_RawRealloc(recs, (size_t)ncap * sizeof(Record));
            if (grown == NULL) {
                nomem = 1;
                break;
            }
            recs = grown;
            cap = ncap;
        }
        recs[count++] = r;
        pos = next;
    }
    Py_END_ALLOW_THREADS
    if (nomem) {
        PyErr_NoMemory();
        goto done;
    }
    if (bad && count == 0) {
        const char *s = (const char *)buf.buf + pos;
        Py_ssize_t n = end - pos < 80 ? end - pos : 80;
        PyObject *shown = PyBytes_FromStringAndSize(s, n);
        if (shown != NULL) {
            PyErr_Format(PyExc_ValueError, "unexpected output from git cat-file: %R", shown);
            Py_DECREF(shown);
        }
        goto done;
    }
    /* (a malformed record after good ones: those are returned, and the next call fails) */
    list = PyList_New(count);
    if (list == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < count; k++) {
        Record *r = &recs[k];
        PyObject *item = Py_BuildValue("(y#nni)", (const char *)buf.buf + r->line, r->line_len,
                                       r->offset, r->size, r->flags);
        if (item == NULL)
            goto done;
        PyList_SET_ITEM(list, k, item);
    }
    out = Py_BuildValue("(On)", list, pos);
done:
    Py_XDECREF(list);
    PyMem_RawFree(recs);
    PyBuffer_Release(&tables);
    PyBuffer_Release(&buf);
    return out;
}

#ifndef _WIN32
/* fill(fd, buf, end) -> the new end: read from fd into buf[end:] without the GIL, waiting for
 * the first bytes as read(2) does, then on as long as more are there at once and buf has room.
 * The end unchanged: end of file.  (A thread that needs the GIL back after every read waits
 * up to the interpreter's switch interval each time, while the writer fills the pipe and
 * stops; this drains the pipe for as long as it keeps up.) */
static PyObject *fastscan_fill(PyObject *Py_UNUSED(self), PyObject *args)
{
    int fd;
    Py_buffer buf;
    Py_ssize_t end;
    if (!PyArg_ParseTuple(args, "iw*n:fill", &fd, &buf, &end))
        return NULL;
    if (end < 0 || end >= buf.len) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "fill: no room in the buffer");
        return NULL;
    }
    Py_ssize_t pos = end;
    int err = 0;
    Py_BEGIN_ALLOW_THREADS
    while (pos < buf.len) {
        ssize_t n = read(fd, (char *)buf.buf + pos, (size_t)(buf.len - pos));
        if (n < 0) {
            if (errno == EINTR && pos == end)
                continue;
            if (errno != EINTR)
                err = errno;
            break;
        }
        if (n == 0)
            break;
        pos += n;
        struct pollfd more = {fd, POLLIN, 0};
        if (poll(&more, 1, 0) != 1 || !(more.revents & POLLIN))
            break;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    if (err) {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return PyLong_FromSsize_t(pos);
}
#endif

static PyMethodDef methods[] = {
    {"search", fastscan_search, METH_VARARGS,
     "search(tables, data) -> offset of the first keyword in data (ASCII case-insensitive), or -1"},
    {"occurrences", fastscan_occurrences, METH_VARARGS,
     "occurrences(tables, data, limit) -> [(entry, offset), ...]: every keyword's occurrences, "
     "at most limit of each"},
    {"records", fastscan_records, METH_VARARGS,
     "records(tables, buf, start, end, sniff) -> ([(header, offset, size, flags), ...], "
     "consumed): the complete `git cat-file --batch` records in buf[start:end], each blob's "
     "content searched"},
#ifndef _WIN32
    {"fill", fastscan_fill, METH_VARARGS,
     "fill(fd, buf, end) -> the new end: reads fd into buf[end:] without the GIL, on while the "
     "pipe has more and buf has room (end unchanged: end of file)"},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastscan(void)
{
    for (int c = 0; c < 256; c++)
        fold[c] = (unsigned char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return PyModule_Create(&module);
}
