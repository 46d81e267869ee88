import type { ProviderStatus } from '../status/status.js';

/** The state a provider card shows: `drained` wins over the breaker's state. */
export type DisplayState = 'closed' | 'open' | 'half_open' | 'drained';

export const stateLabels: Record<DisplayState, string> = {
  closed: 'Closed',
  open: 'Open',
  half_open: 'Half-open',
  drained: 'Drained',
};

export function displayState(provider: ProviderStatus): DisplayState {
  return provider.drained ? 'drained' : provider.state;
}

/** Formats a duration as `45s`, `4m 05s`, `2h 03m` or `3d 4h`; negative durations count as 0. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const [minutes, hours, days] = [
    Math.floor(seconds / 60),
    Math.floor(seconds / 3600),
    Math.floor(seconds / 86400),
  ];
  if (days > 0) {
    return `${days}d ${hours % 24}h`;
  }
  if (hours > 0) {
    return `${hours}h ${pad(minutes % 60)}m`;
  }
  return minutes > 0 ? `${minutes}m ${pad(seconds % 60)}s` : `${seconds}s`;
}

/** Formats an ISO time as `16:25:48 UTC`, or `2026-12-04 16:25 UTC` when it is not today. */
export function formatTime(iso: string, nowIso: string): string {
  const sameDay = iso.slice(0, 10) === nowIso.slice(0, 10);
  return sameDay ? `${iso.slice(11, 19)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function formatRate(rate: number | null): string {
  if (rate === null) {
    return '–';
  }
  const percent = rate * 100;
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}

export function formatLatency(ms: number | null): string {
  return ms === null ? '–' : `${ms} ms`;
}

/**
 * Describes how long the provider has been in its state and what comes next, such as
 * `Open for 1m 05s · may half-open in 4m 55s`.
 */
export function describeState(provider: ProviderStatus, nowIso: string): string {
  const now = Date.parse(nowIso);
  const forText = `for ${formatDuration(now - Date.parse(provider.since))}`;
  const parts: string[] = [];
  switch (displayState(provider)) {
    case 'drained':
      parts.push(
        'Drained: skipped until restored',
        `breaker ${stateLabels[provider.state].toLowerCase()}`,
      );
      break;
    case 'open': {
      const until = provider.open_until ? Date.parse(provider.open_until) : now;
      parts.push(`Open ${forText}`, `may half-open in ${formatDuration(until - now)}`);
      break;
    }
    case 'half_open':
      parts.push(`Half-open ${forText}: trial calls decide`);
      break;
    case 'closed':
      parts.push(`Closed ${forText}`);
      break;
  }
  if (provider.cooldown_until) {
    parts.push(`cooling down for ${formatDuration(Date.parse(provider.cooldown_until) - now)}`);
  }
  return parts.join(' · ');
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
