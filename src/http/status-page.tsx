import type { Child } from 'hono/jsx';

import type { healthStatus, ProvidersDocument } from '../status/status.js';
import { displayState, formatTime, stateLabels } from './status-page-format.js';
import { ProviderCard } from './status-page-provider.js';
import { STATUS_SCRIPT } from './status-page-script.js';
import { STATUS_STYLE } from './status-page-style.js';

/** Data that the status page renders. */
export interface StatusPageData {
  readonly document: ProvidersDocument;
  readonly health: ReturnType<typeof healthStatus>['status'];
}

/**
 * Renders the status page: every route with the provider that would take a message now, and every
 * provider with its state, figures and timeline. The page is complete without JavaScript. Its
 * inline script subscribes to `/status/events` and patches the elements marked `data-field`.
 */
export function StatusPage(props: StatusPageData) {
  const { document, health } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>sms-relay status</title>
        <style dangerouslySetInnerHTML={{ __html: STATUS_STYLE }} />
      </head>
      <body>
        <header class="page-head">
          <h1>sms-relay</h1>
          <span class="health" id="health" data-health={health}>
            {health}
          </span>
          <p class="meta">
            Updated{' '}
            <time id="updated" datetime={document.now}>
              {formatTime(document.now, document.now)}
            </time>
            {' · '}
            <span id="live">not live</span>
            {' · '}
            <a href="/status">Refresh</a>
          </p>
          <noscript>
            <p class="note">
              Without JavaScript this page shows the state at the time above; use Refresh to update
              it. Admin actions need JavaScript or the JSON endpoints.
            </p>
          </noscript>
          <form id="token-form" class="token" hidden>
            <label>
              Admin token
              <input
                type="password"
                name="token"
                autocomplete="off"
                placeholder="needed for actions"
              />
            </label>
            <p id="action-result" role="status" />
          </form>
        </header>
        <main>
          <section aria-labelledby="routes-title">
            <h2 id="routes-title">Routes</h2>
            <div class="grid">{document.routes.map((route) => RouteCard({ route, document }))}</div>
          </section>
          <section aria-labelledby="providers-title">
            <h2 id="providers-title">Providers</h2>
            <div class="grid">
              {document.providers.map((provider) => (
                <ProviderCard provider={provider} now={document.now} />
              ))}
            </div>
          </section>
        </main>
        <script dangerouslySetInnerHTML={{ __html: STATUS_SCRIPT }} />
      </body>
    </html>
  );
}

type RouteEntry = ProvidersDocument['routes'][number];

function RouteCard(props: { route: RouteEntry; document: ProvidersDocument }): Child {
  const { route, document } = props;
  return (
    <article class="card route" data-route={route.name}>
      <header class="card-head">
        <h3>{route.name}</h3>
      </header>
      <p>
        Next message: <strong data-field="next">{describeNext(route, document.now)}</strong>
      </p>
      <ol class="order">
        {route.providers.map((id) => {
          const provider = document.providers.find((entry) => entry.id === id);
          const state = provider ? displayState(provider) : 'closed';
          return (
            <li data-provider={id} data-state={state}>
              <a href={`#provider-${id}`}>{id}</a> <span class="dot">{stateLabels[state]}</span>
            </li>
          );
        })}
      </ol>
    </article>
  );
}

function describeNext(route: RouteEntry, now: string): string {
  if (route.next_provider) {
    return route.next_provider;
  }
  return route.available_at
    ? `none until ${formatTime(route.available_at, now)}`
    : 'none, every provider is drained';
}
