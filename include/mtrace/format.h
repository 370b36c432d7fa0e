/* ---------------------------------------------------------------------------
 * mtrace snapshot file format: the one definition shared by the writer
 * (preload/writer.c) and the reader (report/snapshot_read.c).
 *
 * A snapshot is little-endian, 8-byte aligned, and laid out as:
 *
 *   +--------------------------+ offset 0
 *   | mt_file_header           |  magic "MTRSNAP\0", version, sizes, counters
 *   +--------------------------+ header.header_size
 *   | mt_section[section_count]|  directory: kind, entry size, offset, count
 *   +--------------------------+
 *   | section payloads ...     |  each 8-byte aligned, inside the file
 *   +--------------------------+ header.file_size - 8
 *   | "MTRSEND\0"              |  trailer: a file cut short has no trailer
 *   +--------------------------+ header.file_size
 *
 * Every record type carries its entry size in the directory, so a newer
 * writer may append fields to a record and an older reader still reads the
 * prefix it knows. Strings are referenced by byte offset into the STRINGS
 * blob; offset 0 is always the empty string. docs/FORMAT.md quotes this.
 * ------------------------------------------------------------------------- */
#ifndef MTRACE_FORMAT_H
#define MTRACE_FORMAT_H

#include <stdint.h>

#define MT_FILE_MAGIC "MTRSNAP"          /* 8 bytes with the NUL */
#define MT_FILE_TRAILER "MTRSEND"        /* 8 bytes with the NUL */
#define MT_FILE_VERSION 1u
#define MT_BUILD_ID_MAX 32u

/* Why the snapshot was written. Values are on disk: never renumber. */
enum mt_reason {
    MT_REASON_EXIT = 1,      /* exit() or return from main */
    MT_REASON_SIGNAL = 2,    /* MTRACE_SIGNAL received */
    MT_REASON_TIMER = 3,     /* MTRACE_INTERVAL elapsed */
    MT_REASON_API = 4,       /* mtrace_snapshot() called */
    MT_REASON_PEAK = 5,      /* a new peak snapshot */
    MT_REASON_EXIT_NOW = 6,  /* _exit, _Exit or quick_exit called by the program */
    MT_REASON_KILLED = 7,    /* a fatal or terminating signal (end_signal) */
    MT_REASON_EXEC = 8,      /* the image is being replaced by exec */
};

/* Section kinds. Values are on disk: never renumber, 0 stays unassigned. */
enum mt_section_kind {
    MT_SEC_STRINGS = 1,      /* char[count]: NUL-terminated strings, entry_size 1 */
    MT_SEC_MODULES = 2,      /* struct mt_module[count] */
    MT_SEC_FRAMES = 3,       /* struct mt_frame[count]: flat frames (before 0.3) */
    MT_SEC_STACKS = 4,       /* struct mt_stack[count] */
    MT_SEC_LEAKS = 5,        /* struct mt_leak[count]: leak classes at exit */
    MT_SEC_TIMELINE = 6,     /* struct mt_tl_point[count]: memory over time, oldest first */
    MT_SEC_LABELS = 7,       /* struct mt_tl_label[count]: labels put on the timeline */
    MT_SEC_NODES = 8,        /* struct mt_node[count]: the stacks' frames as a prefix
                              * tree (0.3 and later; replaces FRAMES) */
};

/* Frame kinds. Values are on disk: never renumber. */
enum mt_frame_kind {
    MT_FRAME_NATIVE = 0,     /* addr = return address (innermost: the call site) */
    MT_FRAME_PYTHON = 1,     /* addr = file string << 32 | function string; line */
};

struct mt_file_header {
    char magic[8];               /* MT_FILE_MAGIC */
    uint32_t version;            /* MT_FILE_VERSION */
    uint32_t header_size;        /* sizeof(struct mt_file_header) of the writer */
    uint64_t file_size;          /* total bytes including the trailer */
    uint32_t section_count;
    uint32_t section_entry_size; /* sizeof(struct mt_section) of the writer */
    uint64_t pid;
    uint64_t ppid;               /* parent pid (a forked child names its parent) */
    uint64_t start_time_ns;      /* CLOCK_REALTIME when tracing started */
    uint64_t time_ns;            /* CLOCK_REALTIME when this snapshot was taken */
    uint32_t reason;             /* enum mt_reason */
    uint32_t sequence;           /* %n: 0 for the first snapshot of the process */
    uint32_t program;            /* string: program path (/proc/self/exe) */
    uint32_t cmdline;            /* string: command line, arguments separated by ' ' */
    uint32_t max_depth;          /* MTRACE_DEPTH in force */
    uint32_t flags;              /* MT_HDR_* */
    uint64_t current_bytes;      /* traced heap bytes live now */
    uint64_t current_blocks;
    uint64_t peak_bytes;         /* highest current_bytes seen (since the last reset) */
    uint64_t peak_blocks;        /* blocks live at that peak */
    uint64_t total_allocs;       /* allocations traced in total */
    uint64_t total_bytes;        /* bytes allocated in total */
    uint64_t total_frees;        /* frees of traced blocks */
    uint64_t dropped;            /* events lost to tracer-memory exhaustion */
    uint64_t rss_bytes;          /* VmRSS when written */
    uint64_t peak_rss_bytes;     /* VmHWM when written */
    /* From here: written by mtrace 0.2 and later (header_size >= 184). A
     * reader seeing a smaller header_size takes these as 0. */
    uint32_t leak_scan;          /* enum mt_leak_scan */
    uint32_t leak_threads;       /* threads whose stack and registers were scanned */
    uint32_t leak_threads_missed;/* threads seen but not scanned (see MT_SCAN_PARTIAL) */
    uint32_t leak_scan_ms;       /* how long the scan took */
    /* From here: header_size >= 192. */
    uint32_t end_signal;         /* MT_REASON_KILLED: the signal */
    int32_t end_status;          /* MT_REASON_EXIT, _EXIT_NOW: the exit status */
    /* From here: header_size >= 240. */
    uint64_t malloc_in_use;      /* glibc's mallinfo2: uordblks, bytes in use in arenas */
    uint64_t malloc_free;        /* fordblks: free bytes kept in arenas */
    uint64_t malloc_mmapped;     /* hblkhd: bytes in mmapped chunks */
    uint64_t fork_allocs;        /* a fork child: the parent's total_allocs at the fork */
    uint64_t fork_bytes;         /* the parent's current_bytes at the fork */
    uint32_t replaced;           /* string: the image exec replaced ("" for none) */
    uint32_t reserved;
    /* From here: header_size >= 264. */
    uint64_t peak_allocs;        /* total_allocs when peak_bytes was reached: the peak's
                                  * place on the timeline (the first point whose allocs
                                  * reaches it) */
    uint64_t sample_bytes;       /* MTRACE_SAMPLE_BYTES: mean bytes between samples;
                                  * 0 = every allocation traced. When set, every count
                                  * and byte figure is an unbiased estimate */
    uint32_t timeline_ms;        /* MTRACE_TIMELINE_MS: the series' first interval (0 =
                                  * off); merging doubles it when the buffer fills */
    uint32_t reserved2;
};

/* Whether the live blocks of this snapshot were classified (issue 5's
 * reachability scan at exit). Values are on disk: never renumber. */
enum mt_leak_scan {
    MT_SCAN_NONE = 0,            /* not scanned: no LEAKS section */
    MT_SCAN_DONE = 1,            /* every thread scanned: the classes are exact */
    MT_SCAN_PARTIAL = 2,         /* some thread could not be scanned: what would be
                                  * definitely or indirectly lost is counted as
                                  * possibly lost (never a false "definitely") */
};

/* Leak classes, memcheck's definitions. Values index mt_leak's arrays. */
enum mt_leak_class {
    MT_LEAK_DEFINITE = 0,        /* no pointer to it from roots or reachable blocks */
    MT_LEAK_INDIRECT = 1,        /* pointed to only from lost blocks */
    MT_LEAK_POSSIBLE = 2,        /* reached only through interior pointers */
    MT_LEAK_REACHABLE = 3,       /* a pointer to its start from a root or reachable block */
    MT_LEAK_CLASSES = 4,
};

enum mt_header_flags {
    MT_HDR_FORKED = 1u << 0,     /* this process is a fork child of ppid */
    MT_HDR_RSS_ONLY = 1u << 1,   /* written by mtrace-run --rss-only: a TIMELINE of RSS
                                  * only; no stacks, traced figures all 0 */
    MT_HDR_NODES = 1u << 2,      /* frames are in NODES, not FRAMES (informational: a
                                  * reader goes by which section is present) */
};

struct mt_section {
    uint32_t kind;               /* enum mt_section_kind */
    uint32_t entry_size;         /* bytes per entry as written */
    uint64_t offset;             /* from the start of the file, 8-byte aligned */
    uint64_t count;              /* number of entries */
};

struct mt_module {
    uint64_t start;              /* lowest mapped address of the object */
    uint64_t end;                /* one past the highest */
    uint64_t bias;               /* load bias: runtime address - ELF vaddr */
    uint32_t path;               /* string: path as the loader knows it */
    uint32_t build_id_size;      /* 0 when the object has no NT_GNU_BUILD_ID */
    uint8_t build_id[MT_BUILD_ID_MAX];
};

struct mt_frame {
    uint64_t addr;               /* see enum mt_frame_kind */
    uint32_t kind;               /* enum mt_frame_kind */
    uint32_t line;               /* Python line; 0 for native frames */
};

/* A frame in the prefix tree of all stacks (NODES). Stacks share their
 * outer frames (main, the interpreter loop, a test runner...), so a tree
 * of them has an order of magnitude fewer entries than the flat frames. */
struct mt_node {
    uint64_t addr;               /* as mt_frame's */
    uint32_t kind;               /* as mt_frame's */
    uint32_t line;               /* as mt_frame's */
    uint32_t parent;             /* the caller's node (the next frame outward), always a
                                  * smaller index; UINT32_MAX: an outermost frame */
    uint32_t reserved;
};

struct mt_stack {
    uint64_t first_frame;        /* FRAMES: index of the innermost frame, the stack's
                                  * frames following it, outward. NODES: index of the
                                  * innermost node, whose chain through parent has
                                  * exactly frame_count nodes (UINT32_MAX when 0) */
    uint32_t frame_count;
    uint32_t flags;              /* MT_STACK_* */
    uint64_t alloc_count;        /* allocations made from this stack, in total */
    uint64_t alloc_bytes;
    uint64_t live_count;         /* still allocated when the snapshot was taken */
    uint64_t live_bytes;
    uint64_t peak_count;         /* live when the process's traced heap peaked */
    uint64_t peak_bytes;
};

/* One per stack that had live blocks when the scan ran (at exit). */
struct mt_leak {
    uint64_t stack;              /* index into STACKS */
    uint64_t count[MT_LEAK_CLASSES];  /* blocks of this stack in each class */
    uint64_t bytes[MT_LEAK_CLASSES];
};

/* One point of the memory timeline. The shim adds one about every
 * timeline_ms and one at each snapshot's moment; when its buffer fills,
 * all points but the first are merged pairwise (the later point's state,
 * the larger maximum with its time), so the series always covers the whole
 * run. */
struct mt_tl_point {
    uint64_t time_ns;            /* CLOCK_REALTIME of the point */
    uint64_t traced_bytes;       /* traced heap bytes live at the point */
    uint64_t max_bytes;          /* the most live since the previous point (>= traced_bytes) */
    uint64_t max_time_ns;        /* about when max_bytes was live (the point's time when
                                  * not known better) */
    uint64_t rss_bytes;          /* resident set size at the point; 0 unknown */
    uint64_t allocs;             /* allocations traced so far (total_allocs then) */
};

/* A label put on the timeline (mtrace_label(), Python's mtrace.mark("...")). */
struct mt_tl_label {
    uint64_t time_ns;            /* CLOCK_REALTIME when it was put */
    uint64_t allocs;             /* total_allocs then */
    uint64_t traced_bytes;       /* traced heap bytes live then */
    uint32_t text;               /* string */
    uint32_t reserved;
};

enum mt_stack_flags {
    MT_STACK_TRUNCATED = 1u << 0, /* the stack was deeper than max_depth */
};

#endif /* MTRACE_FORMAT_H */
