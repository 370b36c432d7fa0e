/* mtrace flame graph (report/html/flame.js), embedded by mtrace-report
 * --format html. Reads the JSON of #mtrace-data (frames: [function,
 * location, kind]; nodes: [frame, parent, value, blocks(, old, old blocks)],
 * parents first) and draws an icicle graph of absolutely placed divs. Every
 * name from the snapshot goes through textContent only, never markup.
 * With "#selftest" in the URL it checks itself after drawing (and the
 * timeline's plots, timeline.js) and writes PASS or FAIL into the element
 * #selftest (tests/report/browser_test.sh). A page of plots only
 * ("plot_only") hides the graph and its controls. */
'use strict';
(function () {
  const errors = [];
  window.addEventListener('error', (e) => errors.push(String(e.message)));

  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($('mtrace-data').textContent);
  const selftesting = /(^#|&)selftest\b/.test(location.hash);
  const params = () => new URLSearchParams(location.hash.slice(1).replace(/^selftest&?/, ''));
  // The timeline's checks (timeline.js), then the verdict in #selftest.
  function verdict(out) {
    if (window.mtraceTimeline) out.push(...window.mtraceTimeline.selftest(params()));
    else out.push('FAIL timeline.js did not run');
    for (const e of errors) out.push('FAIL error ' + e);
    const pre = document.createElement('pre');
    pre.id = 'selftest';
    pre.textContent = (out.some((l) => l.startsWith('FAIL')) ? 'FAIL' : 'PASS') + '\n' + out.join('\n');
    document.body.appendChild(pre);
  }

  // timeline --format html (and --rss-only files): the plots alone.
  if (D.plot_only) {
    $('title').textContent = 'mtrace timeline: memory over time';
    document.title = 'mtrace timeline \u2014 ' + (D.program || '');
    $('sub').textContent = D.snapshots.join(', ');
    $('controls').style.display = 'none';
    $('chart').style.display = 'none';
    $('foot').textContent = 'Per process: the traced heap at each point, the most it held ' +
      'between points (dashed), RSS, labels, snapshots (triangles) and the peak. ' +
      'RSS is sampled; with mtrace-run --rss-only a process shorter than the interval may be missed.';
    if (selftesting) verdict([]);
    return;
  }
  const KIND = { r: 'root', n: 'native', p: 'Python', c: 'class', o: 'folded', e: 'empty' };
  const ROW = 18;

  // The tree: nodes[0] is the root.
  const nodes = D.nodes.map((a, i) => ({
    i: i, fn: D.frames[a[0]][0], loc: D.frames[a[0]][1], kind: D.frames[a[0]][2],
    parent: null, pi: a[1], v: a[2], n: a[3], ov: D.diff ? a[4] : 0, on: D.diff ? a[5] : 0,
    kids: [], depth: 0, el: null,
  }));
  const root = nodes[0];
  if (root) root.fn = D.program ? 'all: ' + D.program : 'all';
  for (const n of nodes) {
    if (n.i === 0) continue;
    n.parent = nodes[n.pi];
    n.depth = n.parent.depth + 1;
    n.parent.kids.push(n);
  }

  let sizeBy = 'new';
  let focus = root;
  let query = '';
  const size = (n) => (sizeBy === 'old' ? n.ov : n.v);

  // Heaviest first, "[other]" last.
  function sortKids() {
    for (const n of nodes)
      n.kids.sort((a, b) => (a.kind === 'o') - (b.kind === 'o') || size(b) - size(a) ||
                            (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0));
  }

  // Text helpers.
  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  function human(b) {
    let u = 0, x = b;
    while (x >= 1024 && u < UNITS.length - 1) { x /= 1024; u++; }
    return (u ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : String(x)) + ' ' + UNITS[u];
  }
  const exact = (b) => b.toLocaleString('en-US');
  const pct = (a, b) => (b ? (100 * a / b).toFixed(2) : '0.00') + '%';
  function signed(d) { return (d > 0 ? '+' : d < 0 ? '-' : '±') + human(Math.abs(d)); }

  // Colours: native warm, Python green-blue, classes fixed, [other] grey;
  // diff: growth red, shrinkage blue, by the size of the change.
  const CLASS_COLOURS = {
    '[definitely lost]': '#e0524a', '[indirectly lost]': '#f08a5d',
    '[possibly lost]': '#f2c14e', '[still reachable]': '#8fbf7a', '[unclassified]': '#b0b0b0',
  };
  function hash(s) {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return Math.abs(h);
  }
  let maxDelta = 1;
  function colour(n) {
    if (n.kind === 'r') return '#c8c8d0';
    if (n.kind === 'o' || n.kind === 'e') return '#d0d0d0';
    if (n.kind === 'c') return CLASS_COLOURS[n.fn] || '#c0c0c0';
    if (D.diff) {
      const d = n.v - n.ov;
      if (!d) return '#e4e4e4';
      const t = Math.min(1, Math.abs(d) / maxDelta);
      const light = Math.round(90 - 40 * Math.sqrt(t));
      return d > 0 ? 'hsl(0,75%,' + light + '%)' : 'hsl(215,75%,' + light + '%)';
    }
    const h = hash(n.fn);
    if (n.kind === 'p') return 'hsl(' + (150 + h % 50) + ',55%,' + (62 + h % 14) + '%)';
    return 'hsl(' + (10 + h % 35) + ',85%,' + (58 + h % 14) + '%)';
  }

  // Header, legend, footer: text nodes only.
  function header() {
    const what = D.diff ? 'diff' : D.command;
    $('title').textContent = 'mtrace ' + what + ': ' + D.what;
    document.title = 'mtrace ' + what + ' — ' + (D.program || '');
    const lines = [];
    if (D.diff) lines.push('OLD ' + D.snapshots[0], 'NEW ' + D.snapshots[1]);
    else lines.push((D.merged ? 'merged: ' : '') + D.snapshots.join(', '));
    lines.push('program ' + D.program + (D.merged ? '' : '  pid ' + D.pid));
    if (D.note) lines.push(D.note);
    $('sub').textContent = lines.join('\n');
    const legend = $('legend');
    const items = D.diff ? [['growth', 'hsl(0,75%,60%)'], ['shrinkage', 'hsl(215,75%,60%)']]
                         : [['native', 'hsl(25,85%,62%)'], ['Python', 'hsl(170,55%,66%)']];
    if (D.classes)
      for (const k in CLASS_COLOURS) items.push([k.slice(1, -1), CLASS_COLOURS[k]]);
    items.push(['[other]: folded', '#d0d0d0']);
    for (const [label, bg] of items) {
      const s = document.createElement('span');
      s.textContent = label;
      s.style.background = bg;
      legend.appendChild(s);
    }
    $('foot').textContent = 'Width: ' + D.what + (D.diff ? ' in NEW (or OLD: see width); ' +
      'colour: growth red, shrinkage blue' : '') +
      '. Frames under 1/' + D.fold + ' of the total are folded into "[other]". ' +
      'Click a frame to zoom, click a dimmed frame above or press Escape to zoom out.' +
      (D.classes ? ' The first level splits live bytes by leak class.' : '');
    if (D.diff) $('sizeby-label').hidden = false;
  }

  // Drawing: the focus spans the width, its ancestors sit dimmed above it.
  const chart = $('chart');
  function draw() {
    chart.textContent = '';
    for (const n of nodes) n.el = null;
    const width = chart.clientWidth || 1000;
    const base = size(focus);
    let maxDepth = focus.depth;
    const place = (n, x, w, cls) => {
      const el = document.createElement('div');
      el.className = 'node' + cls;
      el.style.left = x + 'px';
      el.style.top = n.depth * ROW + 'px';
      el.style.width = w + 'px';
      el.style.background = colour(n);
      el.textContent = n.fn;
      el.dataset.i = n.i;
      n.el = el;
      chart.appendChild(el);
      if (n.depth > maxDepth) maxDepth = n.depth;
    };
    for (let a = focus.parent; a; a = a.parent) place(a, 0, width, ' anc');
    // Iterative: stacks can be deep.
    const todo = [[focus, 0, width]];
    while (todo.length) {
      const [n, x, w] = todo.pop();
      place(n, x, w, '');
      let cx = x;
      for (const k of n.kids) {
        const kw = base ? w * size(k) / size(n) : 0;
        if (kw >= 1) todo.push([k, cx, kw]);
        cx += kw;
      }
    }
    chart.style.height = (maxDepth + 1) * ROW + 'px';
    $('reset').disabled = focus === root;
    highlight();
  }

  function zoom(n) {
    focus = n && size(n) ? n : root;
    draw();
  }

  // Search: a case-insensitive substring of function or location.
  function matches(n) {
    if (!query || n.kind === 'r') return false;
    return (n.fn + ' ' + n.loc).toLowerCase().includes(query);
  }
  function highlight() {
    let sum = 0;
    for (const n of nodes) {
      const m = matches(n);
      if (n.el) n.el.classList.toggle('match', m);
      // count a match once: not when an ancestor matched already
      if (m) {
        let up = n.parent;
        while (up && !matches(up)) up = up.parent;
        if (!up) sum += size(n);
      }
    }
    $('matched').textContent = query ? 'matched ' + human(sum) + ' (' + pct(sum, size(root)) + ')' : '';
  }

  // Tooltip: function, file:line, bytes, blocks, share.
  const tip = $('tip');
  function tipText(n) {
    const lines = [n.fn];
    if (n.loc) lines.push(n.loc);
    lines.push(KIND[n.kind] + ' frame');
    const what = D.diff ? 'NEW ' : '';
    lines.push(what + 'bytes   ' + human(n.v) + ' (' + exact(n.v) + ' bytes)');
    lines.push(what + 'blocks  ' + exact(n.n));
    if (D.diff) {
      lines.push('OLD bytes   ' + human(n.ov) + ' (' + exact(n.ov) + ' bytes)');
      lines.push('OLD blocks  ' + exact(n.on));
      lines.push('change  ' + signed(n.v - n.ov) + ', ' + (n.n - n.on >= 0 ? '+' : '') +
                 exact(n.n - n.on) + ' blocks');
    }
    lines.push('share   ' + pct(size(n), size(root)) + ' of all' +
               (focus !== root ? ', ' + pct(size(n), size(focus)) + ' of the zoomed frame' : ''));
    return lines.join('\n');
  }
  function nodeOf(ev) {
    const el = ev.target.closest && ev.target.closest('.node');
    return el ? nodes[+el.dataset.i] : null;
  }
  chart.addEventListener('mousemove', (ev) => {
    const n = nodeOf(ev);
    if (!n) { tip.hidden = true; return; }
    tip.textContent = tipText(n);
    tip.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 4);
    const y = ev.clientY + 16 + tip.offsetHeight > window.innerHeight
      ? ev.clientY - tip.offsetHeight - 8 : ev.clientY + 16;
    tip.style.left = Math.max(0, x) + 'px';
    tip.style.top = Math.max(0, y) + 'px';
  });
  chart.addEventListener('mouseleave', () => { tip.hidden = true; });
  chart.addEventListener('click', (ev) => {
    const n = nodeOf(ev);
    if (n) zoom(n === focus ? focus.parent || root : n);
  });
  $('reset').addEventListener('click', () => zoom(root));
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') zoom(root);
  });
  $('search').addEventListener('input', (ev) => {
    query = ev.target.value.trim().toLowerCase();
    highlight();
  });
  $('sizeby').addEventListener('change', (ev) => {
    sizeBy = ev.target.value;
    sortKids();
    zoom(root);
  });
  window.addEventListener('resize', draw);

  for (const n of nodes) maxDelta = Math.max(maxDelta, Math.abs(n.v - n.ov));
  header();
  sortKids();
  if (!root || !size(root)) {
    const p = document.createElement('p');
    p.textContent = 'Nothing to draw: no ' + D.what + ' in ' + D.snapshots.join(', ') + '.';
    chart.replaceWith(p);
  } else {
    draw();
  }

  if (selftesting) selftest();

  /* The self-test. Parameters after #selftest: frame=NAME (a function drawn
   * with) bytes=N, search=TEXT, hostile=1 (a name with an img tag must show
   * as text). Zooms into NAME's node and back. No markup in this file: the
   * tests look for it in the page. */
  function selftest() {
    const P = params();
    const out = [];
    const fail = (m) => out.push('FAIL ' + m);
    const ok = (m) => out.push('ok ' + m);
    try {
      if (!size(root)) throw new Error('nothing drawn');
      const drawn = () => chart.querySelectorAll('.node').length;
      ok('drawn ' + drawn() + ' frames of ' + nodes.length);
      const name = P.get('frame');
      const target = name && nodes.find((n) => n.fn === name && n.el);
      if (name && !target) fail('frame ' + name + ' not drawn');
      if (target) {
        const want = Number(P.get('bytes'));
        target.el.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: 5, clientY: 5 }));
        const t = tip.textContent;
        if (target.v === want && t.includes('(' + exact(want) + ' bytes)') && target.el.textContent === name)
          ok('frame ' + name + ' drawn with ' + exact(want) + ' bytes');
        else
          fail('frame ' + name + ': ' + target.v + ' bytes, tooltip ' + JSON.stringify(t));
        // zoom in: the node spans the chart, fewer frames drawn; then back
        const before = drawn();
        target.el.click();
        const w = parseFloat(target.el.style.width);
        if (focus === target && Math.abs(w - (chart.clientWidth || 1000)) < 1 && drawn() !== before)
          ok('zoom into ' + name + ': ' + drawn() + ' frames');
        else
          fail('zoom into ' + name + ': width ' + w + ', frames ' + before + ' -> ' + drawn());
        $('reset').click();
        if (focus === root && drawn() === before) ok('zoom back'); else fail('zoom back');
      }
      const q = P.get('search');
      if (q) {
        const box = $('search');
        box.value = q;
        box.dispatchEvent(new Event('input'));
        const hits = chart.querySelectorAll('.node.match');
        const good = Array.from(hits).every((el) => matches(nodes[+el.dataset.i]));
        if (hits.length && good && $('matched').textContent.startsWith('matched '))
          ok('search ' + q + ': ' + hits.length + ' highlighted');
        else
          fail('search ' + q + ': ' + hits.length + ' highlighted');
        box.value = '';
        box.dispatchEvent(new Event('input'));
        if (chart.querySelectorAll('.node.match').length) fail('search cleared');
      }
      if (P.get('hostile')) {
        const shown = Array.from(chart.querySelectorAll('.node'))
          .some((el) => el.textContent.includes('\x3cimg'));
        const imgs = document.getElementsByTagName('img').length;
        const scripts = document.getElementsByTagName('script').length;
        if (shown && !imgs && scripts === 2) ok('hostile name shown as text');
        else fail('hostile name: shown ' + shown + ', ' + imgs + ' img, ' + scripts + ' script');
      }
    } catch (e) {
      fail('exception ' + e);
    }
    verdict(out);
  }
})();
