/* ---------------------------------------------------------------------------
 * python.c: Python frames for allocations made by a CPython interpreter.
 *
 * Detection: the constructor looks the interpreter's symbols up at run time
 * (nothing links libpython). The walker then reads the *calling thread's*
 * frame chain in each hook: PyGILState_GetThisThreadState() gives the
 * thread's own state also while it has released the GIL, and only the owner
 * pushes and pops its frames, so a synchronous read is consistent. Nothing
 * here allocates, takes the GIL or runs Python code; a running frame holds a
 * strong reference to its code object, so reading it during the hook is safe.
 *
 * A Python frame is stored in a stack as one tagged word: code id and line.
 * Code ids outlive the code objects: each record copies the file and
 * function name when first seen. Code addresses are reused after a code
 * object dies, so a cached id is valid only while the object at that
 * address still has the same file, function and first line. Lines come from
 * PyCode_Addr2Line (no allocation, but a walk of the line table), called
 * once per (code id, instruction) and then served from a per-thread cache.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "iddir.h"
#include "internal.h"
#include "mtrace/format.h"
#include "pylayout.h"
#include "scratch.h"
#include "stripes.h"

#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) mt_pool_alloc(sz)
#define uthash_free(p, sz) mt_pool_free((p), (sz))
#define uthash_nonfatal_oom(obj) (py_oom = true)
static bool py_oom;
#include <uthash.h>

/* ---- what detection found ------------------------------------------------ */
MT_HOT static bool py_on;                    /* walk frames in hooks */
static struct mt_pylayout L;
static const char *runtime;             /* &_PyRuntime */
static const void *code_type, *str_type;
static void *(*get_this_tstate)(void);
static int (*addr2line)(void *code, int byte_offset);
static uintptr_t eval_lo, eval_hi;      /* _PyEval_EvalFrameDefault */

#define LOADP(addr) (*(const char *const *)(addr))

/* Finalization handshake. Py_FinalizeEx frees the thread states, frames and
 * code objects of daemon threads that may still run C code without the GIL
 * (and allocate, and walk their frames here). Walkers count themselves in
 * and give up once _finalizing is set; every free made after it is set
 * first waits until no walk that began earlier is still reading. Both sides
 * fence between their store and their load, so one always sees the other. */
static struct mt_stripes walkers;
static atomic_bool drained;

static inline bool finalizing(void)
{
    return __atomic_load_n((const char *const *)(runtime + L.rt_finalizing), __ATOMIC_ACQUIRE);
}

MT_HOT const char *const *volatile mt_python_finalizing;

/* The interpreter is finalizing: the first free waits for the walks. */
void mt_python_drain(void)
{
    if (atomic_load_explicit(&drained, memory_order_relaxed))
        return;
    atomic_thread_fence(memory_order_seq_cst);
    mt_stripes_wait_idle(&walkers);
    atomic_store(&drained, true);
    mt_python_finalizing = NULL;
    mt_fast_refresh();
}

/* ---- interned strings: one copy per distinct file or function name ------- */
struct pystr {
    UT_hash_handle hh;
    uint32_t sid, gen;                  /* string-table offset in the snapshot being written */
    uint32_t len;
    char s[];
};
static struct pystr *strings;

/* ---- code records --------------------------------------------------------- */
struct pycode {
    const struct pystr *file, *func;
};
struct codeent {
    UT_hash_handle hh;
    struct mt_codekey k;
};
static struct codeent *codes;           /* by code address */
static mt_lock py_lock = MT_LOCK_INIT;  /* strings, codes, ids */

static struct mt_iddir directory;                /* id -> record */
static uint32_t next_id = 1;            /* 0: none */
static uint32_t export_gen;

/* ---- str objects to UTF-8, reading the object in place ---------------------- */
static size_t put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) { out[0] = (char)c; return 1; }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c >= 0xD800 && c < 0xE000)
        c = 0xFFFD;                     /* lone surrogate (surrogateescape'd bytes) */
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Copies a str object's text into buf (cap > 4), truncated at cap - 1. */
static size_t str_text(const char *o, char *buf, size_t cap)
{
    if (!o || LOADP(o + sizeof(void *)) != (const char *)str_type)
        return 0;
    uint32_t state = *(const uint32_t *)(o + L.str_state);
    size_t len = (size_t)*(const intptr_t *)(o + L.str_length);
    unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
    if (!compact)
        return 0;                       /* legacy string: never a code object's name */
    if (ascii) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, o + L.str_ascii_data, n);
        return n;
    }
    const unsigned char *d = (const unsigned char *)o + L.str_compact_data;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < cap; i++) {
        uint32_t c = kind == 1 ? d[i]
                   : kind == 2 ? ((const uint16_t *)(const void *)d)[i]
                               : ((const uint32_t *)(const void *)d)[i];
        n += put_utf8(buf + n, c);
    }
    return n;
}

/* Called with py_lock held. */
static const struct pystr *intern_str(const char *obj)
{
    char buf[1024];
    size_t n = str_text(obj, buf, sizeof buf);
    if (n == 0) {
        buf[0] = '?';
        n = 1;
    }
    struct pystr *s;
    HASH_FIND(hh, strings, buf, n, s);
    if (s)
        return s;
    if (!(s = mt_pool_alloc(sizeof *s + n + 1)))
        return NULL;
    memset(s, 0, sizeof *s);
    s->len = (uint32_t)n;
    memcpy(s->s, buf, n);
    s->s[n] = '\0';
    py_oom = false;
    HASH_ADD_KEYPTR(hh, strings, s->s, n, s);
    if (py_oom) {
        mt_pool_free(s, sizeof *s + n + 1);
        return NULL;
    }
    return s;
}

static inline struct pycode *by_id(uint32_t id)
{
    return mt_iddir_get(&directory, id);
}

/* Called with py_lock held: a new id for what the key describes. */
static uint32_t new_code(const struct mt_codekey *k)
{
    uint32_t id = next_id;
    if (!mt_iddir_reserve(&directory, id))
        return 0;
    struct pycode *c = mt_pool_alloc(sizeof *c);
    if (!c)
        return 0;
    c->file = intern_str(k->file_obj);
    c->func = intern_str(k->qual_obj);
    if (!c->file || !c->func) {
        mt_pool_free(c, sizeof *c);
        return 0;
    }
    mt_iddir_publish(&directory, id, c);
    next_id++;
    return id;
}

static uint32_t code_id_slow(struct mt_codekey *k)
{
    mt_lock_acquire(&py_lock);
    struct codeent *e;
    HASH_FIND_PTR(codes, &k->code, e);
    if (e && e->k.file_obj == k->file_obj && e->k.qual_obj == k->qual_obj &&
        e->k.first == k->first) {
        k->id = e->k.id;
    } else if ((k->id = new_code(k)) != 0) {
        if (e) {
            e->k = *k;                  /* the address now holds another code object */
        } else if ((e = mt_pool_alloc(sizeof *e))) {
            memset(e, 0, sizeof *e);
            e->k = *k;
            py_oom = false;
            HASH_ADD_PTR(codes, k.code, e);
            if (py_oom)
                mt_pool_free(e, sizeof *e);
        }
    }
    mt_lock_release(&py_lock);
    return k->id;
}

static inline uint32_t code_id(const char *code, struct mt_scratch *s)
{
    struct mt_codekey k = {
        .code = code,
        .file_obj = LOADP(code + L.co_filename),
        .qual_obj = LOADP(code + L.co_qualname),
        .first = *(const int32_t *)(code + L.co_firstlineno),
    };
    struct mt_codekey *c = &s->code[((uintptr_t)code >> 4) & (MT_CODE_CACHE - 1)];
    if (MT_LIKELY(c->code == k.code && c->file_obj == k.file_obj &&
                  c->qual_obj == k.qual_obj && c->first == k.first && c->id))
        return c->id;
    if (code_id_slow(&k))
        *c = k;
    return k.id;
}

/* ---- the walk ----------------------------------------------------------------- */
/* The line the frame is at: lasti is in code units from the first one. */
static inline uint32_t line_of(const char *code, uint32_t id, uint32_t lasti,
                               struct mt_scratch *s)
{
    struct mt_line_slot *c = &s->line[(id * 0x9E3779B1u ^ lasti) & (MT_LINE_CACHE - 1)];
    if (MT_LIKELY(c->id == id && c->lasti == lasti))
        return c->line;
    int line = addr2line((void *)code, (int)lasti * 2);
    *c = (struct mt_line_slot){ id, lasti, line > 0 ? (uint32_t)line : 0 };
    return c->line;
}

static int walk(uintptr_t *words, int max, bool *more, uintptr_t *anchor,
                struct mt_scratch *s);

int mt_python_walk(uintptr_t *words, int max, bool *more, uintptr_t *anchor,
                   struct mt_scratch *s)
{
    *more = false;
    *anchor = 0;
    if (!py_on)
        return 0;
    atomic_int *c = mt_stripes_enter(&walkers);   /* pairs with mt_python_before_free */
    int n = finalizing() ? 0 : walk(words, max, more, anchor, s);
    mt_stripes_leave(c);
    return n;
}

static int walk(uintptr_t *words, int max, bool *more, uintptr_t *anchor,
                struct mt_scratch *s)
{
    const char *ts = get_this_tstate();
    if (L.rt_gil_holder != SIZE_MAX) {
        /* 3.11: the GIL-state thread state is the thread's first one; while
         * the thread runs a sub-interpreter, the GIL holder is its other
         * state (3.12+ keep the current one in the GIL-state slot). */
        const char *holder = __atomic_load_n((const char *const *)(runtime + L.rt_gil_holder),
                                             __ATOMIC_RELAXED);
        if (holder && holder != ts &&
            *(const unsigned long *)(holder + L.ts_thread_id) == (unsigned long)pthread_self())
            ts = holder;
    }
    if (!ts)
        return 0;
    const char *fr;
    if (L.ts_cframe != SIZE_MAX) {
        const char *cf = LOADP(ts + L.ts_cframe);
        fr = cf ? LOADP(cf + L.cframe_frame) : NULL;
        *anchor = (uintptr_t)cf;
    } else {
        fr = LOADP(ts + L.cframe_frame);
    }
    int n = 0;
    /* The bound guards against a chain we misread; real ones are far shorter. */
    for (int hops = 0; fr && hops < 100000; hops++, fr = LOADP(fr + L.fr_previous)) {
        int owner = *(const signed char *)(fr + L.fr_owner);
        if (owner == L.owner_cstack) {
            /* Marks a C-level entry into the interpreter, and lives in that
             * eval loop's C frame (3.12+): the anchor where 3.13 has no
             * _PyCFrame. */
            if (!*anchor)
                *anchor = (uintptr_t)fr;
            continue;
        }
        const char *code = LOADP(fr + L.fr_code);
        if (!code || LOADP(code + sizeof(void *)) != (const char *)code_type)
            continue;
        const char *instr = LOADP(fr + L.fr_instr);
        const char *base = code + L.co_code;
        if (owner != L.owner_generator &&
            instr < base + 2 * (ptrdiff_t)*(const int *)(code + L.co_firsttraceable))
            continue;                   /* not started yet: no line to show */
        if (n == max) {
            *more = true;
            break;
        }
        uint32_t id = code_id(code, s);
        if (!id)
            continue;
        ptrdiff_t lasti = (instr - base) / 2;
        uint32_t line = line_of(code, id, (uint32_t)(lasti < 0 ? 0 : lasti), s);
        words[n++] = MT_PYFRAME_TAG | (uintptr_t)id << 32 | line;
    }
    return n;
}

bool mt_python_eval_range(uintptr_t *lo, uintptr_t *hi)
{
    if (!py_on || !eval_lo)
        return false;
    *lo = eval_lo;
    *hi = eval_hi;
    return true;
}

/* ---- export ------------------------------------------------------------------- */
void mt_python_export_begin(void)
{
    export_gen++;
}

static uint32_t export_str(const struct pystr *s, struct mt_strtab *st)
{
    struct pystr *w = (struct pystr *)s;
    if (w->gen != export_gen) {
        w->sid = mt_strtab_add(st, s->s, s->len);
        w->gen = export_gen;
    }
    return w->sid;
}

void mt_python_export(uintptr_t word, struct mt_strtab *st, struct mt_frame *out)
{
    const struct pycode *c = by_id((uint32_t)((word & ~MT_PYFRAME_TAG) >> 32));
    out->kind = MT_FRAME_PYTHON;
    out->line = (uint32_t)word;
    out->addr = c ? (uint64_t)export_str(c->file, st) << 32 | export_str(c->func, st) : 0;
}

void mt_python_names(uintptr_t word, const char **file, const char **func)
{
    const struct pycode *c = by_id((uint32_t)((word & ~MT_PYFRAME_TAG) >> 32));
    *file = c && c->file ? c->file->s : NULL;
    *func = c && c->func ? c->func->s : NULL;
}

/* ---- fork ---------------------------------------------------------------------- */
void mt_python_lock(void) { mt_lock_acquire(&py_lock); }

void mt_python_unlock(bool child)
{
    mt_lock_after_fork(&py_lock, child);
}

/* ---- detection ------------------------------------------------------------------ */
static void say_unsupported(unsigned long hex)
{
    if (hex)
        mt_log("mtrace: Python %lu.%lu.%lu is not supported (3.11-3.13 are); "
               "recording native stacks only", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff);
    else {
        const char *(*get_version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT,
                                                                        "Py_GetVersion");
        const char *v = get_version ? get_version() : "?";
        mt_log("mtrace: Python %.*s is not supported (3.11-3.13 are); recording native "
               "stacks only", (int)strcspn(v, " "), v);
    }
}

/* Whether the interpreter's options (before the script, -c or -m) include
 * -E or -I, which make it ignore PYTHON* variables. */
static bool ignores_environment(void)
{
    char buf[4096];
    size_t n = mt_proc_read("/proc/self/cmdline", buf, sizeof buf - 1);
    buf[n] = '\0';
    size_t i = strlen(buf) + 1;         /* skip argv[0] */
    while (i < n) {
        const char *a = buf + i;
        i += strlen(a) + 1;
        if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
            return false;               /* the script, stdin or the end of options */
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'E' || *c == 'I')
                return true;
            if (*c == 'c' || *c == 'm')
                return false;           /* the rest is the command or module */
            if (*c == 'X' || *c == 'W') {
                if (!c[1])
                    i += strlen(buf + i) + 1;   /* its value is the next argument */
                break;
            }
        }
    }
    return false;
}

/* Called from the constructor, guard held, before main. */
void mt_python_init(void)
{
    /* Asked first without dlsym, whose "not found" mallocs (dynsym.c). */
    if (!mt_dynsym_defined("_PyRuntime") || !(runtime = dlsym(RTLD_DEFAULT, "_PyRuntime")))
        return;                         /* not a Python process (or not yet) */
    const unsigned long *version = dlsym(RTLD_DEFAULT, "Py_Version");
    /* pymalloc serves small objects from arenas that malloc never sees. */
    if (!mt_opt.keep_pymalloc && !getenv("PYTHONMALLOC")) {
        setenv("PYTHONMALLOC", "malloc", 0);
        if (ignores_environment())
            mt_log("mtrace: python -E/-I ignores PYTHONMALLOC: pymalloc stays on and most "
                   "small objects are not traced");
    }
    if (!mt_opt.python)
        return;
    if (!version || !mt_pylayout_for(*version, runtime, &L)) {
        say_unsupported(version ? *version : 0);
        return;
    }
    *(void **)&get_this_tstate = dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
    *(void **)&addr2line = dlsym(RTLD_DEFAULT, "PyCode_Addr2Line");
    code_type = dlsym(RTLD_DEFAULT, "PyCode_Type");
    str_type = dlsym(RTLD_DEFAULT, "PyUnicode_Type");
    void *eval = dlsym(RTLD_DEFAULT, "_PyEval_EvalFrameDefault");
    if (!get_this_tstate || !addr2line || !code_type || !str_type) {
        mt_log("mtrace: Python %s found without the symbols it needs; recording native "
               "stacks only", L.name);
        return;
    }
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (eval && dladdr1(eval, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size) {
        eval_lo = (uintptr_t)eval;
        eval_hi = eval_lo + sym->st_size;
    }
    py_on = true;
    mt_python_finalizing = (const char *const *)(runtime + L.rt_finalizing);
    mt_fast_refresh();
}
