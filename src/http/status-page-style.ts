/**
 * The status page's stylesheet, inline so the page loads no external assets. Each state has a
 * colour and its name in text, so no state depends on colour alone.
 */
export const STATUS_STYLE = `
:root {
  color-scheme: light;
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #fff;
  --closed: #1a7f37; --closed-bg: #dafbe1; --open: #b42318; --open-bg: #ffebe9;
  --half: #8a5a00; --half-bg: #fff8c5; --drained: #4b5563; --drained-bg: #e5e7eb;
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 16px; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
h1 { font-size: 1.4rem; margin: 0; display: inline; }
h2 { font-size: 1.1rem; margin: 24px 0 8px; }
h3 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
a { color: #0b5cad; }
.page-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; }
.meta { flex-basis: 100%; margin: 0; color: var(--muted); font-size: 0.9rem; }
.note { margin: 4px 0 0; font-size: 0.9rem; }
.health, .badge, .dot {
  display: inline-block; border-radius: 999px; padding: 1px 10px; font-weight: 600;
  font-size: 0.85rem; border: 1px solid currentColor;
}
.health[data-health="ok"] { color: var(--closed); background: var(--closed-bg); }
.health[data-health="degraded"] { color: var(--half); background: var(--half-bg); }
.health[data-health="down"] { color: var(--open); background: var(--open-bg); }
.grid {
  display: grid; gap: 12px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr));
}
.card {
  background: var(--card); border: 1px solid var(--line); border-left-width: 6px;
  border-radius: 8px; padding: 12px 14px; min-width: 0;
}
.card-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.type { color: var(--muted); font-size: 0.85rem; }
.card-head .badge { margin-left: auto; }
[data-state="closed"] { --state: var(--closed); --state-bg: var(--closed-bg); }
[data-state="open"] { --state: var(--open); --state-bg: var(--open-bg); }
[data-state="half_open"] { --state: var(--half); --state-bg: var(--half-bg); }
[data-state="drained"] { --state: var(--drained); --state-bg: var(--drained-bg); }
.provider { border-left-color: var(--state); }
.route { border-left-color: #0b5cad; }
.badge, .dot { color: var(--state); background: var(--state-bg); }
.dot { font-size: 0.75rem; padding: 0 8px; }
.state-detail { margin: 6px 0 10px; font-weight: 500; }
.figures {
  display: grid; gap: 8px; margin: 0 0 10px;
  grid-template-columns: repeat(auto-fit, minmax(96px, 1fr));
}
.figures div { background: var(--bg); border-radius: 6px; padding: 6px 8px; }
.figures dt { color: var(--muted); font-size: 0.78rem; }
.figures dd { margin: 0; font-size: 1.05rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.counts .caption { margin: 0 0 4px; color: var(--muted); font-size: 0.78rem; }
.counts dl { display: grid; grid-template-columns: repeat(6, 1fr); margin: 0; }
.counts dl div {
  border: 1px solid var(--line); margin: 0 -1px -1px 0; padding: 3px 4px; text-align: center;
}
.counts dt { color: var(--muted); font-size: 0.72rem; }
.counts dd { margin: 0; font-variant-numeric: tabular-nums; }
.last-error { font-size: 0.88rem; margin: 10px 0; overflow-wrap: anywhere; }
.timeline summary { cursor: pointer; color: var(--muted); font-size: 0.9rem; }
.timeline ol { margin: 6px 0 0; padding: 0; list-style: none; font-size: 0.85rem; }
.timeline li { margin: 3px 0; overflow-wrap: anywhere; }
.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
.transition { font-weight: 600; }
.order { margin: 8px 0 0; padding-left: 22px; }
.order li { margin: 3px 0; }
.token { margin-top: 4px; display: grid; gap: 6px; }
.actions { margin-top: 10px; }
fieldset {
  border: 0; border-top: 1px solid var(--line); margin: 0; padding: 8px 0 0;
  display: grid; gap: 6px;
}
legend { color: var(--muted); font-size: 0.78rem; padding: 0 6px 0 0; }
.token { flex-basis: 100%; max-width: 420px; }
label { display: grid; gap: 2px; font-size: 0.85rem; color: var(--muted); }
input {
  font: inherit; padding: 6px 8px; width: 100%;
  border: 1px solid var(--line); border-radius: 6px;
}
.buttons { display: flex; flex-wrap: wrap; gap: 6px; }
button {
  font: inherit; font-size: 0.85rem; padding: 5px 10px; border-radius: 6px;
  border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer;
}
button:hover { border-color: var(--muted); }
#action-result { margin: 0; font-size: 0.85rem; min-height: 1.2em; }
[hidden] { display: none !important; }
@media (max-width: 480px) {
  body { padding: 10px; }
  .card { padding: 10px; }
  .counts dl { grid-template-columns: repeat(3, 1fr); }
}
`;
