import type { AttemptOutcome } from '../events.js';
import type { StateChange } from '../status/state-history.js';
import type { ProviderStatus } from '../status/status.js';
import {
  describeState,
  displayState,
  formatLatency,
  formatRate,
  formatTime,
  stateLabels,
} from './status-page-format.js';

/** Outcome columns of the counts table, in the order the page shows them. */
export const outcomeColumns: readonly AttemptOutcome[] = [
  'sent',
  'transient',
  'throttled',
  'provider',
  'rejected',
  'ambiguous',
];

/** Timeline entries the page shows per provider, newest first; the JSON has up to 100. */
export const TIMELINE_ROWS = 20;

/** Operator actions with their button labels, in the order the page shows them. */
const actionButtons = [
  ['drain', 'Drain'],
  ['restore', 'Restore'],
  ['open', 'Force open'],
  ['close', 'Close'],
  ['reset', 'Reset counters'],
] as const;

/** Renders one provider's card. The page script updates the elements marked `data-field`. */
export function ProviderCard(props: { provider: ProviderStatus; now: string }) {
  const { provider, now } = props;
  const state = displayState(provider);
  const { window } = provider;
  return (
    <article
      class="card provider"
      id={`provider-${provider.id}`}
      data-provider={provider.id}
      data-state={state}
    >
      <header class="card-head">
        <h3>{provider.id}</h3>
        <span class="type">{provider.type}</span>
        <span class="badge" data-field="state">
          {stateLabels[state]}
        </span>
      </header>
      <p class="state-detail" data-field="state_detail">
        {describeState(provider, now)}
      </p>
      <dl class="figures">
        <Figure
          label="Consecutive failures"
          field="consecutive_failures"
          value={String(provider.consecutive_failures)}
        />
        <Figure
          label="Success rate, 5 min"
          field="success_rate"
          value={formatRate(window.success_rate)}
        />
        <Figure label="Latency p50" field="p50" value={formatLatency(window.latency_ms.p50)} />
        <Figure label="Latency p95" field="p95" value={formatLatency(window.latency_ms.p95)} />
        <Figure label="Attempts, 5 min" field="window_attempts" value={String(window.attempts)} />
      </dl>
      <CountsTable provider={provider} now={now} />
      <p class="last-error" data-field="last_error">
        {describeLastError(provider, now)}
      </p>
      <details class="timeline" open>
        <summary>
          State changes (<span data-field="history_count">{provider.history.length}</span>)
        </summary>
        <ol data-field="history">
          {provider.history
            .slice(-TIMELINE_ROWS)
            .reverse()
            .map((change) => (
              <TimelineRow change={change} now={now} />
            ))}
        </ol>
      </details>
      <form class="actions" data-provider={provider.id} hidden>
        <fieldset>
          <legend>Operator actions</legend>
          <label>
            Reason
            <input
              name="reason"
              required
              maxlength={200}
              placeholder="shown in the timeline and the audit log"
              autocomplete="off"
            />
          </label>
          <div class="buttons">
            {actionButtons.map(([action, label]) => (
              <button type="submit" name="action" value={action}>
                {label}
              </button>
            ))}
          </div>
        </fieldset>
      </form>
    </article>
  );
}

function Figure(props: { label: string; field: string; value: string }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd data-field={props.field}>{props.value}</dd>
    </div>
  );
}

function CountsTable(props: { provider: ProviderStatus; now: string }) {
  const { provider, now } = props;
  return (
    <section class="counts" aria-label="Attempts by outcome">
      <p class="caption">
        Attempts by outcome since{' '}
        <span data-field="counters_since">{formatTime(provider.counters_since, now)}</span>
      </p>
      <dl>
        {outcomeColumns.map((outcome) => (
          <div>
            <dt>{outcome}</dt>
            <dd data-count={outcome}>{provider.counts[outcome]}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Renders one timeline row, such as `16:25:48 UTC Closed → Open: 3 consecutive failures`. */
export function TimelineRow(props: { change: StateChange; now: string }) {
  const { change, now } = props;
  return (
    <li>
      <time datetime={change.at}>{formatTime(change.at, now)}</time>{' '}
      <span class="transition">
        {stateLabels[change.from]} → {stateLabels[change.to]}
      </span>
      {change.reason ? `: ${change.reason}` : ''}
      {change.principal ? ` (by ${change.principal})` : ''}
    </li>
  );
}

function describeLastError(provider: ProviderStatus, now: string): string {
  const error = provider.last_error;
  if (!error) {
    return 'Last error: none';
  }
  const parts: string[] = [error.outcome];
  if (error.http_status !== null) {
    parts.push(`HTTP ${error.http_status}`);
  }
  if (error.provider_code !== null) {
    parts.push(`code ${error.provider_code}`);
  }
  return `Last error at ${formatTime(error.at, now)}: ${parts.join(', ')}. ${error.message}`;
}
