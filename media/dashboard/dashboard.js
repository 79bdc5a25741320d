// Latency dashboard webview. Renders the TelemetrySummary (lsp-server/protocol.ts) that the extension
// posts in; charts are inline SVG built with DOM calls, so the strict CSP (no inline script or style) holds.
// Messages in:  { type: 'summary', summary } | { type: 'error', message }
// Messages out: { type: 'ready' | 'refresh' | 'clear', rangeMs } | { type: 'export', format, rangeMs }
// (rangeMs: the chosen range's length, null for all records; the extension takes its start at each refresh, by the
// server's clock: a start fixed here stopped moving while the panel refreshed itself, and this machine's clock may not
// be the server's.)
(function () {
  'use strict';

  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const state = vscode.getState() || { range: 'all' };
  let summary = null;
  /** Dates show their year where the records span two calendar years or are of another year than the server's now. */
  let withYear = false;

  const $ = (id) => document.getElementById(id);

  // ---- Formatting -------------------------------------------------------------------------------------------

  function ms(value) {
    if (value === null || value === undefined) return '—';
    // Bounds on the value as rounded: 9.97 reads "10 ms" (not "10.0 ms"), 999.6 "1.00 s" (not "1000 ms").
    if (value < 9.95) return `${value.toFixed(1)} ms`;
    if (value < 999.5) return `${Math.round(value)} ms`;
    return `${(value / 1000).toFixed(2)} s`;
  }

  /** Axis labels: round tick values, so no decimals below 10 ms. */
  function axisMs(value) {
    return value >= 1000 ? `${value / 1000} s` : `${value} ms`;
  }

  /** A duration split into number and unit, for the big KPI figures. */
  function msParts(value) {
    const text = ms(value);
    const space = text.lastIndexOf(' ');
    return space < 0 ? [text, ''] : [text.slice(0, space), text.slice(space + 1)];
  }

  /** A rate that rounds to 0% or 100% without being it reads "<1%" or ">99%": 999 of 1000 is not all. */
  function percent(rate) {
    if (rate === null || rate === undefined) return '—';
    if (rate > 0 && rate < 0.005) return '<1%';
    if (rate < 1 && rate >= 0.995) return '>99%';
    return `${Math.round(rate * 100)}%`;
  }

  function share(part, whole) {
    return whole === 0 ? '—' : percent(part / whole);
  }

  function rateOfTokens(value) {
    if (value === null || value === undefined) return '—';
    return value < 100 ? value.toFixed(1) : String(Math.round(value));
  }

  function count(value) {
    return value.toLocaleString('en-US');
  }

  /** A count with its noun: "1 request", "2 requests". */
  function counted(value, noun) {
    return `${count(value)} ${noun}${value === 1 ? '' : 's'}`;
  }

  function bytes(value) {
    if (value < 1024) return `${value} B`;
    if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
    return `${(value / 1024 / 1024).toFixed(1)} MB`;
  }

  function dateOptions() {
    return withYear ? { year: 'numeric', month: 'short', day: 'numeric' } : { month: 'short', day: 'numeric' };
  }

  function dateTime(epochMs) {
    return new Date(epochMs).toLocaleString(undefined, { ...dateOptions(), hour: '2-digit', minute: '2-digit' });
  }

  function axisTime(epochMs, bucketMs) {
    const date = new Date(epochMs);
    if (bucketMs >= 86_400_000) return date.toLocaleDateString(undefined, dateOptions());
    return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  }

  function yearOf(epochMs) {
    return new Date(epochMs).getFullYear();
  }

  // ---- DOM helpers ------------------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function tooltip(node, text) {
    node.append(svg('title', {}, text));
    return node;
  }

  function swatch(className) {
    return el('span', { class: `swatch ${className}` });
  }

  /** Round axis ticks (1, 2, 2.5, 5 × 10^k) from 0 to at least max. */
  /** Axis values from 0 past `max`; `whole`: counts, whose steps are whole numbers (never "0.25 requests"). */
  function ticks(max, target, whole = false) {
    const raw = Math.max(max, 1) / target;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const step = Math.max(whole ? 1 : 0, (whole ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]).map((s) => s * magnitude).find((s) => s >= raw));
    const top = Math.ceil(max / step) * step || step;
    // A value no axis can reach (a damaged record) gets one tick instead of an endless loop.
    if (!Number.isFinite(top) || !Number.isFinite(step)) return [0];
    const values = [];
    for (let v = 0; v <= top + step / 2; v += step) values.push(v);
    return values;
  }

  function chartWidth(container) {
    return Math.max(280, container.clientWidth || 600);
  }

  // ---- Sections ---------------------------------------------------------------------------------------------

  function renderHeader() {
    const parts = [];
    if (summary.from !== null) {
      parts.push(counted(summary.outcomes.requests, 'request'));
      parts.push(`${dateTime(summary.from)} – ${dateTime(summary.to)}`);
    }
    parts.push('kept on this machine only');
    $('subtitle').textContent = parts.join(' · ');

    const notice = $('notice');
    const messages = [];
    if (!summary.enabled) messages.push('Recording is off (setting locus.telemetry.enabled). Requests recorded earlier are still shown.');
    const stopped = summary.store.disabledReason;
    if (stopped) {
      messages.push(
        stopped === 'ENOTDIR'
          ? 'Recording stopped for this session: the telemetry folder is a file, not a folder (ENOTDIR). The Output channel names it.'
          : `Recording stopped for this session: the telemetry folder could not be written (${stopped}).`,
      );
    }
    if (summary.outcomes.requests === 0) {
      messages.push(
        state.range === 'all'
          ? 'No completion requests recorded yet. Type in an editor with Locus enabled and each request’s timing appears here.'
          : 'No completion requests in this time range.',
      );
    }
    notice.textContent = messages.join(' ');
    notice.hidden = messages.length === 0;
    $('content').hidden = summary.outcomes.requests === 0;
    renderActions();
  }

  /** Export and Clear are off while there is nothing to export (in this range) or to delete (at all), and say why. */
  function renderActions() {
    const nothingToExport = summary.outcomes.requests === 0;
    for (const id of ['export-json', 'export-csv']) {
      $(id).disabled = nothingToExport;
      $(id).title = nothingToExport ? (state.range === 'all' ? 'Nothing recorded yet to export.' : 'Nothing recorded in this time range to export.') : '';
    }
    const nothingToClear = summary.store.files === 0;
    $('clear').disabled = nothingToClear;
    $('clear').title = nothingToClear ? 'Nothing recorded to delete.' : '';
  }

  function kpi(key, label, value, unit, detail) {
    const valueNode = el('div', { class: 'value', text: value });
    if (unit) valueNode.append(el('span', { class: 'unit', text: unit }));
    return el('div', { class: 'kpi', 'data-kpi': key }, el('div', { class: 'label', text: label }), valueNode, el('div', { class: 'detail', text: detail }));
  }

  function latencyDetail(s) {
    // Answers from the completion cache run no model, so they are counted apart from the latency figures.
    const runs = s.latency ? counted(s.latency.count, 'run') : 'no finished runs';
    return s.servedFromCache > 0 ? `${runs} · ${count(s.servedFromCache)} cached` : runs;
  }

  /**
   * Suggestions accepted of those shown, how many of them the user cycled to (Alt+]) rather than the first, and how
   * many others the user typed out in full instead of accepting.
   */
  function acceptanceDetail(o, shown) {
    const parts = [`${count(o.accepted + o.partiallyAccepted)} of ${count(shown)} suggestion${shown === 1 ? '' : 's'} shown`];
    if (o.acceptedRunnerUp > 0) parts.push(`${count(o.acceptedRunnerUp)} from a further one (Alt+])`);
    if (o.typedOut > 0) parts.push(`${count(o.typedOut)} typed out instead`);
    return parts.join(' · ');
  }

  function renderKpis() {
    const s = summary;
    const [p50, p50Unit] = msParts(s.latency ? s.latency.p50 : null);
    const [p95, p95Unit] = msParts(s.latency ? s.latency.p95 : null);
    const [first, firstUnit] = msParts(s.firstToken ? s.firstToken.p50 : null);
    const o = s.outcomes;
    const shown = o.accepted + o.partiallyAccepted + o.typedOut + o.notAccepted;
    $('kpis').replaceChildren(
      kpi('p50', 'Latency p50', p50, p50Unit, latencyDetail(s)),
      kpi('p95', 'Latency p95', p95, p95Unit, s.latency ? `max ${ms(s.latency.max)}` : ''),
      kpi('first-token', 'First token p50', first, firstUnit, s.firstToken ? `p95 ${ms(s.firstToken.p95)}` : ''),
      kpi('tokens-per-second', 'Decode speed', rateOfTokens(s.tokensPerSecondP50), 'tok/s', 'median'),
      kpi('acceptance', 'Accepted', percent(s.acceptanceRate), '', acceptanceDetail(o, shown)),
      kpi('prefix-cache', 'Prefix cache hits', percent(s.prefixCacheHitRate), '', 'prompt prefix reused'),
      kpi('speculative', 'Draft tokens accepted', percent(s.speculativeAcceptanceRate), '', 'speculative decoding'),
    );
  }

  function renderOverTime() {
    const container = $('over-time');
    const { points, bucketMs } = summary.overTime;
    $('over-time-legend').replaceChildren(
      el('span', {}, swatch('p50'), 'p50'),
      el('span', {}, swatch('p95'), 'p95'),
    );
    if (points.length === 0) {
      container.replaceChildren(el('div', { class: 'empty-chart', text: 'No finished requests.' }));
      return;
    }
    const width = chartWidth(container);
    const height = 220;
    const pad = { left: 56, right: 12, top: 10, bottom: 26 };
    const yTicks = ticks(Math.max(...points.map((p) => p.p95)), 4);
    const yMax = yTicks[yTicks.length - 1];
    const first = points[0].start;
    const last = points[points.length - 1].start;
    const span = Math.max(last - first, bucketMs);
    const x = (t) => pad.left + ((t - first) / span) * (width - pad.left - pad.right);
    const y = (v) => pad.top + (1 - v / yMax) * (height - pad.top - pad.bottom);
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'p50 and p95 latency over time' });
    for (const v of yTicks) {
      root.append(svg('line', { class: 'gridline', x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
      root.append(svg('text', { x: pad.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, axisMs(v)));
    }
    const labelWidth = withYear && bucketMs >= 86_400_000 ? 96 : 70;
    const labelEvery = Math.max(1, Math.ceil(points.length / Math.floor((width - pad.left) / labelWidth)));
    points.forEach((p, i) => {
      if (i % labelEvery === 0) root.append(svg('text', { x: x(p.start), y: height - 6, 'text-anchor': 'middle' }, axisTime(p.start, bucketMs)));
    });
    for (const key of ['p95', 'p50']) {
      root.append(svg('polyline', { class: `line ${key}`, fill: 'none', points: points.map((p) => `${x(p.start)},${y(p[key])}`).join(' ') }));
      for (const p of points) {
        const dot = svg('circle', { class: `${key} point`, cx: x(p.start), cy: y(p[key]), r: points.length > 30 ? 2 : 3 });
        // A day's point is named by its date; a shorter bucket's by its date and time, which its axis label lacks.
        const when = bucketMs >= 86_400_000 ? axisTime(p.start, bucketMs) : dateTime(p.start);
        root.append(tooltip(dot, `${when} · ${key} ${ms(p[key])} · ${counted(p.count, 'request')}`));
      }
    }
    container.replaceChildren(root);
  }

  function renderHistogram() {
    const container = $('histogram');
    const bins = summary.histogram;
    if (bins.length === 0) {
      container.replaceChildren(el('div', { class: 'empty-chart', text: 'No finished requests.' }));
      return;
    }
    const width = chartWidth(container);
    const height = 200;
    const pad = { left: 40, right: 8, top: 10, bottom: 26 };
    const yTicks = ticks(Math.max(...bins.map((b) => b.count)), 4, true);
    const yMax = yTicks[yTicks.length - 1];
    const slot = (width - pad.left - pad.right) / bins.length;
    const y = (v) => pad.top + (1 - v / yMax) * (height - pad.top - pad.bottom);
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Latency histogram' });
    for (const v of yTicks) {
      root.append(svg('line', { class: 'gridline', x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
      root.append(svg('text', { x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
    }
    const labelEvery = Math.max(1, Math.ceil(bins.length / Math.floor((width - pad.left) / 56)));
    bins.forEach((bin, i) => {
      const x = pad.left + i * slot;
      const range = bin.toMs === null ? `≥ ${ms(bin.fromMs)}` : `${ms(bin.fromMs)} – ${ms(bin.toMs)}`;
      const bar = svg('rect', {
        class: bin.toMs === null ? 'bar tail' : 'bar',
        x: x + 1,
        y: y(bin.count),
        width: Math.max(1, slot - 2),
        height: Math.max(0, y(0) - y(bin.count)),
        rx: 1.5,
        'data-count': bin.count,
      });
      root.append(tooltip(bar, `${range}: ${counted(bin.count, 'request')}`));
      if (i % labelEvery === 0) {
        root.append(svg('text', { x, y: height - 6, 'text-anchor': 'start' }, bin.toMs === null ? `≥ ${axisMs(bin.fromMs)}` : axisMs(bin.fromMs)));
      }
    });
    root.append(svg('line', { class: 'axis', x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0) }));
    if (summary.latency) {
      const binWidth = bins[0].toMs - bins[0].fromMs;
      let lastLabel = null;
      for (const key of ['p50', 'p95']) {
        const value = summary.latency[key];
        const at = pad.left + Math.min(value / binWidth, bins.length) * slot;
        root.append(tooltip(svg('line', { class: 'marker', x1: at, x2: at, y1: pad.top + 4, y2: y(0) }), `${key} ${ms(value)}`));
        // Markers close together (both in the last bin, say): the second label goes below the first, not over it.
        const below = lastLabel !== null && Math.abs(at - lastLabel) < 32;
        root.append(svg('text', { class: 'marker-label', x: at + 4, y: pad.top + (below ? 23 : 8) }, key));
        lastLabel = at;
      }
    }
    container.replaceChildren(root);
  }

  function renderPhases() {
    const { prompt, retrieval, compression, prefill, decode } = summary.phases;
    const rows = [
      { key: 'prompt', name: 'Prompt build', note: 'context, compression, tokenizing', stats: prompt },
      { key: 'retrieval', name: 'Retrieval', stats: retrieval, sub: true },
      { key: 'compression', name: 'Compression', stats: compression, sub: true },
      { key: 'prefill', name: 'Prefill', note: 'to the first token', stats: prefill },
      { key: 'decode', name: 'Decode', note: 'the remaining tokens', stats: decode },
    ];
    const top = rows.filter((r) => !r.sub && r.stats);
    // Only cancelled, failed or cached requests: no model run to split, and no prompt worth a word on compression.
    if (top.length === 0) {
      $('phases').replaceChildren(el('div', { class: 'empty-chart', text: 'No finished requests.' }));
      return;
    }
    const total = top.reduce((sum, r) => sum + r.stats.mean, 0);
    const stack = el('div', { class: 'stack', role: 'img', 'aria-label': 'Share of mean latency by phase' });
    for (const r of top) {
      const part = el('span', { class: `phase-${r.key}`, title: `${r.name}: ${ms(r.stats.mean)}` });
      part.style.width = `${total > 0 ? (r.stats.mean / total) * 100 : 0}%`;
      stack.append(part);
    }
    const table = el('table', { class: 'phases' });
    table.append(el('tr', {}, el('th', { text: 'Phase' }), el('th', { text: 'Mean' }), el('th', { text: 'p50' }), el('th', { text: 'Share' })));
    for (const r of rows) {
      if (!r.stats) continue;
      const name = r.sub ? el('td', { class: 'sub', text: r.name }) : el('td', {}, swatch(`phase-${r.key}`), r.name, r.note ? el('span', { class: 'muted', text: ` · ${r.note}` }) : null);
      table.append(
        el(
          'tr',
          { 'data-phase': r.key },
          name,
          el('td', { text: ms(r.stats.mean) }),
          el('td', { text: ms(r.stats.p50) }),
          el('td', { class: 'muted', text: total > 0 ? percent(r.stats.mean / total) : '—' }),
        ),
      );
    }
    const note = el('p', { class: 'note' });
    if (summary.compressionRatio !== null) {
      note.textContent =
        summary.compressionRatio >= 0.995
          ? 'Prompts fitted their token budget: nothing was compressed before prefill.'
          : `Prompts were compressed to ${percent(summary.compressionRatio)} of their tokens on average before prefill.`;
    }
    $('phases').replaceChildren(stack, el('div', { class: 'table-scroll' }, table), summary.compressionRatio === null ? '' : note);
  }

  /**
   * What each request ended in, as counts of requests: a suggestion counts once (as the request that showed it first),
   * so these are no second acceptance rate, and the first four add up to the suggestions the Accepted figure is of.
   */
  function renderOutcomes() {
    const o = summary.outcomes;
    const kinds = [
      ['accepted', 'Suggestion accepted'],
      ['partiallyAccepted', 'Suggestion partly accepted'],
      ['typedOut', 'Suggestion typed out in full'],
      ['notAccepted', 'Suggestion not accepted'],
      ['shownAgain', 'Shown again as you typed'],
      ['empty', 'Nothing to suggest'],
      ['cancelled', 'Cancelled'],
      ['error', 'Failed'],
    ];
    $('outcomes-title').textContent = `Outcomes of ${counted(o.requests, 'request')}`;
    const stack = el('div', { class: 'stack', role: 'img', 'aria-label': 'Requests by outcome' });
    const legend = el('div', { class: 'outcome-legend' });
    for (const [key, label] of kinds) {
      if (o[key] > 0) {
        const part = el('span', { class: `outcome-${key}`, title: `${label}: ${count(o[key])} of ${counted(o.requests, 'request')} (${share(o[key], o.requests)})` });
        part.style.width = `${(o[key] / o.requests) * 100}%`;
        stack.append(part);
      }
      legend.append(el('div', { 'data-outcome': key }, el('span', {}, swatch(`outcome-${key}`), label), el('span', { class: 'count', text: count(o[key]) })));
    }
    $('outcomes').replaceChildren(stack, legend);
  }

  function renderGroups(id, heading, groups) {
    const table = $(id);
    table.replaceChildren(
      el('tr', {}, ...[heading, 'Requests', 'p50', 'p95', 'tok/s', 'Accepted'].map((text) => el('th', { text }))),
    );
    for (const g of groups) {
      const meter = el('span', { class: 'meter' }, el('span'));
      meter.firstChild.style.width = `${(g.acceptanceRate || 0) * 100}%`;
      table.append(
        el(
          'tr',
          { 'data-key': g.key },
          el('td', { text: g.key }),
          el('td', { text: count(g.outcomes.requests) }),
          el('td', { text: ms(g.latency ? g.latency.p50 : null) }),
          el('td', { text: ms(g.latency ? g.latency.p95 : null) }),
          el('td', { text: rateOfTokens(g.tokensPerSecondP50) }),
          el('td', {}, el('span', { class: 'rate' }, g.acceptanceRate === null ? null : meter, percent(g.acceptanceRate))),
        ),
      );
    }
  }

  function renderFooter() {
    const st = summary.store;
    const parts = [`${st.files} file${st.files === 1 ? '' : 's'}, ${bytes(st.bytes)} of a ${bytes(st.maxBytes)} cap`];
    if (st.skippedLines > 0) parts.push(`${st.skippedLines} unreadable line${st.skippedLines === 1 ? '' : 's'} skipped`);
    parts.push('no code, prompts or paths are stored');
    $('footer').textContent = `Local store: ${parts.join(' · ')}.`;
  }

  function render() {
    if (!summary) return;
    withYear = summary.from !== null && (yearOf(summary.from) !== yearOf(summary.to) || yearOf(summary.to) !== yearOf(summary.generatedAt));
    renderHeader();
    if (summary.outcomes.requests === 0) return;
    renderKpis();
    renderOverTime();
    renderPhases();
    renderHistogram();
    renderOutcomes();
    renderGroups('by-language', 'Language', summary.byLanguage);
    renderGroups('by-model', 'Model', summary.byModel);
    renderFooter();
    document.body.dataset.rendered = String(summary.generatedAt);
  }

  // ---- Wiring -----------------------------------------------------------------------------------------------

  function rangeMs() {
    return state.range === 'all' ? null : Number(state.range);
  }

  function post(type, extra) {
    vscode.postMessage(Object.assign({ type, rangeMs: rangeMs() }, extra));
  }

  $('range').value = state.range;
  $('range').addEventListener('change', (event) => {
    state.range = event.target.value;
    vscode.setState(state);
    post('refresh');
  });
  $('refresh').addEventListener('click', () => post('refresh'));
  $('clear').addEventListener('click', () => post('clear'));
  $('export-json').addEventListener('click', () => post('export', { format: 'json' }));
  $('export-csv').addEventListener('click', () => post('export', { format: 'csv' }));

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message && message.type === 'summary') {
      summary = message.summary;
      render();
    } else if (message && message.type === 'error') {
      $('notice').textContent = message.message;
      $('notice').hidden = false;
      // Nothing is loading any more: the notice says why there are no figures.
      if (!summary) $('subtitle').textContent = 'No figures.';
    }
  });

  let resizeTimer;
  new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (summary && summary.outcomes.requests > 0) {
        renderOverTime();
        renderHistogram();
      }
    }, 100);
  }).observe(document.body);

  post('ready');
})();
