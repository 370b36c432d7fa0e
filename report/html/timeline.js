/* mtrace memory timeline (report/html/timeline.js), embedded by
 * mtrace-report --format html before flame.js. Reads "timeline" of
 * #mtrace-data (one object per process: points [t, traced, max, max_t,
 * rss, allocs] with t in ns from the process's start, labels and snapshots
 * [t, text], peak [t, bytes, kind]) and draws one SVG plot per process into
 * #timeline: the traced heap, the most live between points (dashed), RSS,
 * labels, snapshots and the peak. Hover shows the nearest point. Every name
 * goes through textContent only, never markup. flame.js's self-test calls
 * window.mtraceTimeline.selftest (tests/report/browser_test.sh). */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($('mtrace-data').textContent);
  // The SVG namespace, from the page's empty <svg> (the HTML parser puts it
  // there): no URL needs to appear in the page.
  const SVG = $('svg-ns').namespaceURI;
  const host = $('timeline');
  const plots = [];

  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  function human(b) {
    let u = 0, x = b;
    while (x >= 1024 && u < UNITS.length - 1) { x /= 1024; u++; }
    return (u ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : String(Math.round(x))) + ' ' + UNITS[u];
  }
  const secs = (ns) => (ns / 1e9).toFixed(ns < 1e10 ? 3 : 1) + ' s';
  function el(name, attrs, parent, text) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function cut(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }

  function plot(P) {
    const box = document.createElement('div');
    box.className = 'tl-proc';
    const title = document.createElement('div');
    title.className = 'tl-title';
    title.textContent = 'pid ' + P.pid + ' (parent ' + P.ppid + ')  ' + P.program +
      (P.rss_only ? '  RSS only (mtrace-run --rss-only)' : '') +
      (P.points.length < P.npoints ? '  (' + P.npoints + ' points in ' + P.points.length + ' runs, maxima kept)' : '');
    box.appendChild(title);
    const legend = document.createElement('div');
    legend.className = 'tl-legend';
    const items = P.rss_only ? [['RSS', '#3a9a4a']]
      : [['traced heap', '#1f5fbf'], ['most live between points', '#7fa8e8'], ['RSS', '#3a9a4a']];
    items.push(['peak', '#d02020'], ['label', '#c08000'], ['snapshot', '#666']);
    for (const [name, colour] of items) {
      const s = document.createElement('span');
      const i = document.createElement('i');
      i.style.background = colour;
      s.appendChild(i);
      s.appendChild(document.createTextNode(name));
      legend.appendChild(s);
    }
    box.appendChild(legend);
    const svg = el('svg', { class: 'tl-plot', role: 'img', 'aria-label': 'memory over time' }, box);
    host.appendChild(box);

    const W = svg.clientWidth || 1000, H = 230, L = 72, R = 16, T = 20, B = 26;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    let tmax = 1, ymax = 1;
    for (const p of P.points) {
      tmax = Math.max(tmax, p[0], p[3]);
      ymax = Math.max(ymax, P.rss_only ? 0 : p[2], p[4]);
    }
    for (const l of P.labels) tmax = Math.max(tmax, l[0]);
    for (const s of P.snapshots) tmax = Math.max(tmax, s[0]);
    if (P.peak) { tmax = Math.max(tmax, P.peak[0]); ymax = Math.max(ymax, P.peak[1]); }
    ymax *= 1.08;
    const x = (t) => L + (W - L - R) * t / tmax;
    const y = (b) => H - B - (H - T - B) * b / ymax;

    for (let i = 0; i <= 4; i++) {
      const v = ymax * i / 4;
      el('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }, svg);
      el('text', { class: 'tick', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, svg, human(v));
      const t = tmax * i / 4;
      el('text', { class: 'tick', x: x(t), y: H - 8, 'text-anchor': i ? (i < 4 ? 'middle' : 'end') : 'start' }, svg, secs(t));
    }
    el('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }, svg);
    el('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }, svg);
    const line = (cls, pts) => {
      if (!pts.length) return null;
      const d = pts.map((p, i) => (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1)).join(' ');
      return el('path', { class: cls, d: d }, svg);
    };
    const paths = {};
    if (!P.rss_only) {
      paths.max = line('max', P.points.map((p) => [p[3], p[2]]));
      paths.traced = line('traced', P.points.map((p) => [p[0], p[1]]));
    }
    paths.rss = line('rss', P.points.map((p) => [p[0], p[4]]));
    const labels = [];
    P.labels.forEach((l, i) => {
      el('line', { class: 'label', x1: x(l[0]), x2: x(l[0]), y1: T, y2: H - B }, svg);
      labels.push(el('text', { class: 'label-text', x: x(l[0]) + 3, y: T - 6 + (i % 2) * 11 }, svg, cut(l[1], 40)));
    });
    for (const s of P.snapshots) {
      const sx = x(s[0]);
      const m = el('path', { class: 'snap', d: 'M' + (sx - 5) + ' ' + (H - B + 8) + ' L' + (sx + 5) + ' ' + (H - B + 8) + ' L' + sx + ' ' + (H - B) + ' Z' }, svg);
      el('title', {}, m, 'snapshot ' + s[1] + '\n' + s[2]);
    }
    let peak = null;
    if (P.peak) {
      const px = x(P.peak[0]), py = y(P.peak[1]);
      peak = el('circle', { class: 'peak', cx: px, cy: py, r: 4 }, svg);
      el('text', { class: 'peak-text', x: px + 6, y: py - 4, 'text-anchor': px > W - 160 ? 'end' : 'start' }, svg,
         (P.peak[2] === 'rss' ? 'RSS peak ' : 'peak ') + human(P.peak[1]) + ' at ' + secs(P.peak[0]));
    }
    const cursor = el('line', { class: 'cursor', y1: T, y2: H - B, visibility: 'hidden' }, svg);

    // Hover: the point nearest in time.
    const tip = $('tip');
    function near(clientX) {
      const r = svg.getBoundingClientRect();
      const t = ((clientX - r.left) * W / (r.width || W) - L) / (W - L - R) * tmax;
      let best = 0;
      for (let i = 1; i < P.points.length; i++)
        if (Math.abs(P.points[i][0] - t) < Math.abs(P.points[best][0] - t)) best = i;
      return P.points[best];
    }
    function tipText(p) {
      const lines = ['at ' + secs(p[0])];
      if (!P.rss_only) {
        lines.push('traced  ' + human(p[1]));
        lines.push('max     ' + human(p[2]) + ' at ' + secs(p[3]));
        lines.push('allocs  ' + p[5].toLocaleString('en-US'));
      }
      lines.push('RSS     ' + human(p[4]));
      return lines.join('\n');
    }
    svg.addEventListener('mousemove', (ev) => {
      if (!P.points.length) return;
      const p = near(ev.clientX);
      cursor.setAttribute('x1', x(p[0]));
      cursor.setAttribute('x2', x(p[0]));
      cursor.setAttribute('visibility', 'visible');
      tip.textContent = tipText(p);
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 4) + 'px';
      tip.style.top = (ev.clientY + 16) + 'px';
    });
    svg.addEventListener('mouseleave', () => { cursor.setAttribute('visibility', 'hidden'); tip.hidden = true; });
    plots.push({ P: P, svg: svg, paths: paths, peak: peak, labels: labels, x: x, y: y });
  }

  if (D.timeline) for (const P of D.timeline) plot(P);

  /* Checks for flame.js's self-test: plots=N plots (one per process), each
   * line with one vertex per point, the peak where the data puts it, the
   * label named by label=TEXT drawn as text, hover shows a point; with
   * hostile=1, no element made from the data. */
  function selftest(Q) {
    const out = [];
    const ok = (m) => out.push('ok ' + m), fail = (m) => out.push('FAIL ' + m);
    const want = Q.get('plots');
    const drawn = document.querySelectorAll('svg.tl-plot').length;
    if (want !== null && Number(want) !== drawn) fail('plots: ' + drawn + ', want ' + want);
    else if (want !== null) ok('plots: ' + drawn);
    for (const p of plots) {
      const n = p.P.points.length;
      const vertices = (path) => (path ? (path.getAttribute('d').match(/[ML]/g) || []).length : 0);
      const lines = p.P.rss_only ? ['rss'] : ['traced', 'max', 'rss'];
      const bad = lines.filter((k) => vertices(p.paths[k]) !== n);
      if (bad.length || (p.P.rss_only && p.paths.traced)) fail('pid ' + p.P.pid + ': lines ' + bad.join(',') + ' of ' + n + ' points');
      else ok('pid ' + p.P.pid + ': ' + lines.join(', ') + ' drawn with ' + n + ' points');
      if (p.P.peak) {
        const cx = parseFloat(p.peak.getAttribute('cx')), cy = parseFloat(p.peak.getAttribute('cy'));
        if (Math.abs(cx - p.x(p.P.peak[0])) < 0.5 && Math.abs(cy - p.y(p.P.peak[1])) < 0.5) ok('pid ' + p.P.pid + ': peak ' + human(p.P.peak[1]) + ' at ' + secs(p.P.peak[0]));
        else fail('pid ' + p.P.pid + ': peak misplaced');
      } else if (p.peak) fail('pid ' + p.P.pid + ': a peak without data');
      if (n) {
        const r = p.svg.getBoundingClientRect();
        p.svg.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: r.left + r.width - 20, clientY: r.top + 50 }));
        const t = $('tip').textContent;
        if (!$('tip').hidden && t.includes('RSS ')) ok('pid ' + p.P.pid + ': hover'); else fail('pid ' + p.P.pid + ': hover shows ' + JSON.stringify(t));
        p.svg.dispatchEvent(new MouseEvent('mouseleave'));
      }
    }
    const label = Q.get('label');
    if (label !== null) {
      const texts = plots.flatMap((p) => p.labels.map((e) => e.textContent));
      if (texts.includes(label)) ok('label ' + label + ' drawn as text'); else fail('label ' + label + ' not in ' + JSON.stringify(texts));
    }
    if (Q.get('hostile')) {
      const imgs = document.getElementsByTagName('img').length;
      const scripts = document.getElementsByTagName('script').length;
      if (!imgs && scripts === 2) ok('timeline: no markup from the data');
      else fail('timeline: ' + imgs + ' img, ' + scripts + ' script');
    }
    return out;
  }
  window.mtraceTimeline = { selftest: selftest, plots: plots.length };
})();
