/* `mtrace-report dump`: prints header fields, the section directory, modules
 * with build-id hex, and every stack with its raw frames and counters, like
 * `memray parse`, the timeline's points and labels, then the leak classes
 * per stack when the heap was scanned.
 * No symbolization: this shows what the file holds. Strings
 * are printed quoted with C escapes so hostile bytes stay visible and inert. */
#include "dump.h"

#include <inttypes.h>

static void qstr(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* The timeline as read (times made non-decreasing, see snapshot_read.h). */
static void dump_timeline(FILE *out, const struct snap *s)
{
    fprintf(out, "timeline %zu\n", s->ntimeline);
    for (size_t i = 0; i < s->ntimeline; i++) {
        const struct mt_tl_point *p = &s->timeline[i];
        fprintf(out, "  [%zu] time_ns %" PRIu64 "  traced %" PRIu64 "  max %" PRIu64
                " at %" PRIu64 "  rss %" PRIu64 "  allocs %" PRIu64 "\n", i, p->time_ns,
                p->traced_bytes, p->max_bytes, p->max_time_ns, p->rss_bytes, p->allocs);
    }
    fprintf(out, "labels %zu\n", s->nlabels);
    for (size_t i = 0; i < s->nlabels; i++) {
        const struct mt_tl_label *l = &s->labels[i];
        fprintf(out, "  [%zu] time_ns %" PRIu64 "  allocs %" PRIu64 "  traced %" PRIu64
                "  text ", i, l->time_ns, l->allocs, l->traced_bytes);
        qstr(out, snap_str(s, l->text));
        fputc('\n', out);
    }
}

void dump_snapshot(FILE *out, const struct snap *s)
{
    const struct mt_file_header *h = &s->hdr;
    fputs("file ", out);
    qstr(out, s->path ? s->path : "-");
    fprintf(out, "\nheader\n");
    fprintf(out, "  version %" PRIu32 "  header_size %" PRIu32 "  file_size %" PRIu64 "\n",
            h->version, h->header_size, h->file_size);
    fprintf(out, "  section_count %" PRIu32 "  section_entry_size %" PRIu32 "\n",
            h->section_count, h->section_entry_size);
    fprintf(out, "  pid %" PRIu64 "  ppid %" PRIu64 "  flags 0x%" PRIx32 "%s%s%s\n", h->pid,
            h->ppid, h->flags, (h->flags & MT_HDR_FORKED) ? " (forked)" : "",
            (h->flags & MT_HDR_RSS_ONLY) ? " (rss-only)" : "",
            (h->flags & MT_HDR_NODES) ? " (nodes)" : "");
    fprintf(out, "  start_time_ns %" PRIu64 "  time_ns %" PRIu64 "\n", h->start_time_ns,
            h->time_ns);
    fprintf(out, "  reason %" PRIu32 " (%s)  sequence %" PRIu32 "  max_depth %" PRIu32 "\n",
            h->reason, snap_reason_name(h->reason), h->sequence, h->max_depth);
    fputs("  program ", out);
    qstr(out, snap_str(s, h->program));
    fputs("\n  cmdline ", out);
    qstr(out, snap_str(s, h->cmdline));
    fprintf(out, "\n  current_bytes %" PRIu64 "  current_blocks %" PRIu64 "\n",
            h->current_bytes, h->current_blocks);
    fprintf(out, "  peak_bytes %" PRIu64 "  peak_blocks %" PRIu64 "\n", h->peak_bytes,
            h->peak_blocks);
    fprintf(out, "  total_allocs %" PRIu64 "  total_bytes %" PRIu64 "  total_frees %" PRIu64
            "\n", h->total_allocs, h->total_bytes, h->total_frees);
    fprintf(out, "  dropped %" PRIu64 "  rss_bytes %" PRIu64 "  peak_rss_bytes %" PRIu64 "\n",
            h->dropped, h->rss_bytes, h->peak_rss_bytes);
    fprintf(out, "  leak_scan %" PRIu32 " (%s)  leak_threads %" PRIu32
            "  leak_threads_missed %" PRIu32 "  leak_scan_ms %" PRIu32 "\n", h->leak_scan,
            snap_leak_scan_name(h->leak_scan), h->leak_threads, h->leak_threads_missed,
            h->leak_scan_ms);
    fprintf(out, "  end_signal %" PRIu32 "  end_status %" PRId32 "\n", h->end_signal,
            h->end_status);
    fprintf(out, "  malloc_in_use %" PRIu64 "  malloc_free %" PRIu64 "  malloc_mmapped %" PRIu64
            "\n", h->malloc_in_use, h->malloc_free, h->malloc_mmapped);
    fprintf(out, "  fork_allocs %" PRIu64 "  fork_bytes %" PRIu64 "  replaced ", h->fork_allocs,
            h->fork_bytes);
    qstr(out, snap_str(s, h->replaced));
    fprintf(out, "\n  peak_allocs %" PRIu64 "  sample_bytes %" PRIu64 "  timeline_ms %" PRIu32
            "\n", h->peak_allocs, h->sample_bytes, h->timeline_ms);

    fprintf(out, "sections %zu\n", s->nsections);
    for (size_t i = 0; i < s->nsections; i++) {
        const struct mt_section *sec = &s->sections[i];
        fprintf(out, "  [%zu] kind %" PRIu32 " (%s)  entry_size %" PRIu32 "  offset %" PRIu64
                "  count %" PRIu64 "\n", i, sec->kind, snap_section_name(sec->kind), sec->entry_size,
                sec->offset, sec->count);
    }
    fprintf(out, "strings %zu bytes\n", s->strings_size);

    fprintf(out, "modules %zu\n", s->nmodules);
    for (size_t i = 0; i < s->nmodules; i++) {
        const struct mt_module *m = &s->modules[i];
        fprintf(out, "  [%zu] 0x%" PRIx64 "-0x%" PRIx64 "  bias 0x%" PRIx64 "  build-id ", i,
                m->start, m->end, m->bias);
        if (m->build_id_size == 0)
            fputs("-", out);
        for (uint32_t k = 0; k < m->build_id_size && k < MT_BUILD_ID_MAX; k++)
            fprintf(out, "%02x", m->build_id[k]);
        fputs("  path ", out);
        qstr(out, snap_str(s, m->path));
        fputc('\n', out);
    }

    fprintf(out, "stacks %zu  frames %zu\n", s->nstacks, s->nframes);
    for (size_t i = 0; i < s->nstacks; i++) {
        const struct mt_stack *st = &s->stacks[i];
        fprintf(out, "  stack %zu  first_frame %" PRIu64 "  frames %" PRIu32 "  flags 0x%"
                PRIx32 "%s\n", i, st->first_frame, st->frame_count, st->flags,
                (st->flags & MT_STACK_TRUNCATED) ? " (truncated)" : "");
        fprintf(out, "    alloc %" PRIu64 " bytes / %" PRIu64 "  live %" PRIu64 " bytes / %"
                PRIu64 "  peak %" PRIu64 " bytes / %" PRIu64 "\n", st->alloc_bytes,
                st->alloc_count, st->live_bytes, st->live_count, st->peak_bytes,
                st->peak_count);
        for (uint32_t k = 0; k < st->frame_count; k++) {
            const struct mt_frame *f = &s->frames[st->first_frame + k];
            if (f->kind == MT_FRAME_PYTHON) {
                fprintf(out, "    #%-3" PRIu32 " python ", k);
                qstr(out, snap_str(s, f->addr & 0xffffffffu));
                fputc(' ', out);
                qstr(out, snap_str(s, f->addr >> 32));
                fprintf(out, " line %" PRIu32 "\n", f->line);
            } else {
                fprintf(out, "    #%-3" PRIu32 " native 0x%016" PRIx64 "\n", k, f->addr);
            }
        }
    }

    dump_timeline(out, s);
    if (s->hdr.leak_scan == MT_SCAN_NONE)
        return;
    fprintf(out, "leaks %zu\n", s->nleaks);
    for (size_t i = 0; i < s->nleaks; i++) {
        const struct mt_leak *l = &s->leaks[i];
        fprintf(out, "  [%zu] stack %" PRIu64, i, l->stack);
        for (unsigned c = 0; c < MT_LEAK_CLASSES; c++)
            fprintf(out, "  %s %" PRIu64 " bytes / %" PRIu64, snap_leak_class_name(c),
                    l->bytes[c], l->count[c]);
        fputc('\n', out);
    }
}
