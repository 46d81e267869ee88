/**
 * The status page's inline script. It subscribes to `/status/events`, patches the elements
 * marked `data-field` with each pushed document, ticks the since and countdown texts every
 * second, and sends the admin forms with the token typed into the page. The token stays in the
 * page's memory; nothing is stored. Its formatting mirrors status-page-format.ts.
 */
export const STATUS_SCRIPT = `
(() => {
  'use strict';
  const labels = { closed: 'Closed', open: 'Open', half_open: 'Half-open', drained: 'Drained' };
  const outcomes = ['sent', 'transient', 'throttled', 'provider', 'rejected', 'ambiguous'];
  const timelineRows = 20;
  let current = null;
  let offsetMs = 0;

  const pad = (n) => String(n).padStart(2, '0');
  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const m = Math.floor(s / 60), h = Math.floor(s / 3600), d = Math.floor(s / 86400);
    if (d > 0) return d + 'd ' + (h % 24) + 'h';
    if (h > 0) return h + 'h ' + pad(m % 60) + 'm';
    return m > 0 ? m + 'm ' + pad(s % 60) + 's' : s + 's';
  }
  function time(iso, nowIso) {
    return iso.slice(0, 10) === nowIso.slice(0, 10)
      ? iso.slice(11, 19) + ' UTC'
      : iso.slice(0, 10) + ' ' + iso.slice(11, 16) + ' UTC';
  }
  function rate(value) {
    if (value === null) return '–';
    const percent = value * 100;
    return (Number.isInteger(percent) ? percent : percent.toFixed(1)) + '%';
  }
  const latency = (ms) => (ms === null ? '–' : ms + ' ms');
  const displayState = (provider) => (provider.drained ? 'drained' : provider.state);
  const serverNow = () => Date.now() + offsetMs;

  function describe(provider, now) {
    const forText = 'for ' + duration(now - Date.parse(provider.since));
    const parts = [];
    const state = displayState(provider);
    if (state === 'drained') {
      const breaker = 'breaker ' + labels[provider.state].toLowerCase();
      parts.push('Drained: skipped until restored', breaker);
    } else if (state === 'open') {
      const until = provider.open_until ? Date.parse(provider.open_until) : now;
      parts.push('Open ' + forText, 'may half-open in ' + duration(until - now));
    } else if (state === 'half_open') {
      parts.push('Half-open ' + forText + ': trial calls decide');
    } else {
      parts.push('Closed ' + forText);
    }
    if (provider.cooldown_until) {
      parts.push('cooling down for ' + duration(Date.parse(provider.cooldown_until) - now));
    }
    return parts.join(' · ');
  }
  function lastError(provider, nowIso) {
    const error = provider.last_error;
    if (!error) return 'Last error: none';
    const parts = [error.outcome];
    if (error.http_status !== null) parts.push('HTTP ' + error.http_status);
    if (error.provider_code !== null) parts.push('code ' + error.provider_code);
    const at = time(error.at, nowIso);
    return 'Last error at ' + at + ': ' + parts.join(', ') + '. ' + error.message;
  }
  function setText(root, field, text) {
    const element = root.querySelector('[data-field="' + field + '"]');
    if (element && element.textContent !== text) element.textContent = text;
  }
  function timelineRow(change, nowIso) {
    const li = document.createElement('li');
    const stamp = document.createElement('time');
    stamp.dateTime = change.at;
    stamp.textContent = time(change.at, nowIso);
    const span = document.createElement('span');
    span.className = 'transition';
    span.textContent = labels[change.from] + ' → ' + labels[change.to];
    li.append(stamp, ' ', span);
    if (change.reason) li.append(': ' + change.reason);
    if (change.principal) li.append(' (by ' + change.principal + ')');
    return li;
  }

  function renderProvider(provider, nowIso) {
    const card = document.getElementById('provider-' + provider.id);
    if (!card) return;
    const state = displayState(provider);
    card.dataset.state = state;
    setText(card, 'state', labels[state]);
    setText(card, 'consecutive_failures', String(provider.consecutive_failures));
    setText(card, 'success_rate', rate(provider.window.success_rate));
    setText(card, 'p50', latency(provider.window.latency_ms.p50));
    setText(card, 'p95', latency(provider.window.latency_ms.p95));
    setText(card, 'window_attempts', String(provider.window.attempts));
    setText(card, 'counters_since', time(provider.counters_since, nowIso));
    setText(card, 'last_error', lastError(provider, nowIso));
    setText(card, 'history_count', String(provider.history.length));
    for (const outcome of outcomes) {
      const cell = card.querySelector('[data-count="' + outcome + '"]');
      if (cell) cell.textContent = String(provider.counts[outcome]);
    }
    const list = card.querySelector('[data-field="history"]');
    if (list) {
      const changes = provider.history.slice(-timelineRows).reverse();
      list.replaceChildren(...changes.map((change) => timelineRow(change, nowIso)));
    }
  }
  function renderRoute(route, doc) {
    const card = document.querySelector('[data-route="' + CSS.escape(route.name) + '"]');
    if (!card) return;
    let next = route.next_provider;
    if (!next) {
      next = route.available_at
        ? 'none until ' + time(route.available_at, doc.now)
        : 'none, every provider is drained';
    }
    setText(card, 'next', next);
    for (const item of card.querySelectorAll('li[data-provider]')) {
      const provider = doc.providers.find((entry) => entry.id === item.dataset.provider);
      if (!provider) continue;
      item.dataset.state = displayState(provider);
      const dot = item.querySelector('.dot');
      if (dot) dot.textContent = labels[displayState(provider)];
    }
  }
  function tick() {
    if (!current) return;
    const now = serverNow();
    const nowIso = new Date(now).toISOString();
    for (const provider of current.providers) {
      const card = document.getElementById('provider-' + provider.id);
      if (card) setText(card, 'state_detail', describe(provider, now));
    }
    const updated = document.getElementById('updated');
    updated.dateTime = current.now;
    updated.textContent = time(current.now, nowIso);
  }
  function render(doc) {
    current = doc;
    offsetMs = Date.parse(doc.now) - Date.now();
    doc.providers.forEach((provider) => renderProvider(provider, doc.now));
    doc.routes.forEach((route) => renderRoute(route, doc));
    tick();
  }

  const live = document.getElementById('live');
  const source = new EventSource('/status/events');
  source.addEventListener('open', () => { live.textContent = 'live'; });
  source.addEventListener('error', () => { live.textContent = 'reconnecting…'; });
  source.addEventListener('providers', (event) => render(JSON.parse(event.data)));
  source.addEventListener('health', (event) => {
    const health = document.getElementById('health');
    const status = JSON.parse(event.data).status;
    health.dataset.health = status;
    health.textContent = status;
  });
  setInterval(tick, 1000);

  const tokenForm = document.getElementById('token-form');
  const result = document.getElementById('action-result');
  tokenForm.hidden = false;
  tokenForm.addEventListener('submit', (event) => event.preventDefault());
  for (const form of document.querySelectorAll('form.actions')) {
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const action = event.submitter ? event.submitter.value : '';
      const id = form.dataset.provider;
      const token = tokenForm.elements.token.value.trim();
      if (!token) {
        result.textContent = 'Enter the admin token first.';
        tokenForm.elements.token.focus();
        return;
      }
      result.textContent = 'Sending ' + action + ' for ' + id + '…';
      try {
        const response = await fetch('/admin/providers/' + encodeURIComponent(id) + '/' + action, {
          method: 'POST',
          headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
          body: JSON.stringify({ reason: form.elements.reason.value }),
        });
        const body = await response.json();
        if (response.ok) {
          result.textContent = id + ': ' + action + (body.changed ? ' done.' : ' changed nothing.');
          form.elements.reason.value = '';
        } else {
          result.textContent = id + ': ' + action + ' failed: ' + body.detail;
        }
      } catch (error) {
        result.textContent = id + ': ' + action + ' failed: ' + error.message;
      }
    });
  }
})();
`;
