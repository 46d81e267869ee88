import { formatTables, type BenchResults } from './report.js';

/**
 * Renders docs/benchmarks.md from the figures of a full run. The text around the tables is
 * fixed here, so a new run replaces the figures and keeps the explanations.
 */
export function renderBenchmarksPage(results: BenchResults): string {
  const { machine, loadAverage, load, drillSettings: drill } = results;
  const overheadRatio =
    results.scenarios.overhead.gateway.requestsPerSecond /
    results.scenarios.overhead.baseline.requestsPerSecond;

  return `# Benchmarks

Two questions, measured side by side in one run: how much the gateway costs when the providers
are healthy, and what it saves when one of them hangs. The figures below come from
\`${results.command}\` on ${results.date.slice(0, 10)} (${results.date}).

| | |
| --- | --- |
| commit | \`${machine.commit}\` |
| machine | ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os} |
| Node.js | ${machine.node} |
| load generator | autocannon 9.0.0, in the runner process |
| load average (1 min) | ${loadAverage.min.toFixed(1)} to ${loadAverage.max.toFixed(1)} during the run, read every ${loadAverage.intervalMs / 1000} s |

The machine is shared with other work and has ${machine.cores} cores for the load generator, the
fake providers (both in the runner process), the baseline and the gateway (each its own
process). A lone absolute figure means little here. Read the ratios, which compare the two
servers in alternating slices of one run, and expect even those to move between runs: repeated
overhead runs of one commit gave requests-per-second ratios from 0.67 to 1.03. The CPU time per
request of each server process varies less, because it does not count time spent waiting for a
core.

## How to run

\`\`\`sh
npm run bench                 # about 4 minutes; prints the tables and rewrites this page
npm run bench -- --quick      # every scenario briefly, under a minute; prints only
npm run bench -- --json FILE  # also writes the figures as JSON
npm run bench -- --quick --cpu-prof DIR   # profiles the gateway of the overhead scenario
npx tsx bench/profile-summary.ts DIR/CPU.*.cpuprofile   # the hottest functions of a profile
\`\`\`

Everything listens on 127.0.0.1: fake Twilio and Vonage APIs (\`bench/fake-providers.ts\`, the
wire formats of the test fakes) and the servers under test, started as child processes on free
ports. Each run stops by itself; the child processes exit when the runner does.

## Results

${formatTables(results)}
## Async mode, measured by hand

\`npm run bench\` does not cover async mode yet. These figures come from one gateway on
\`config/default.toml\` (two simulators answering after 20 ms, queue concurrency 8, SQLite store
with \`synchronous = FULL\`) on the same machine, Node.js v20.20.2, on 2026-12-04, with 32
connections for 15 s each:

\`\`\`sh
npm run build
PORT=18100 SMS_RELAY_DATA_DIR=/tmp/asyncbench node dist/src/main.js --config config/default.toml &
npx autocannon -c 32 -d 15 -m POST -H 'Authorization=Bearer dev-key' \\
  -H 'Content-Type=application/json' -H 'Prefer=respond-async' \\
  -b '{"to":"+447700900123","body":"db-1: disk 95% full"}' http://127.0.0.1:18100/v1/messages
# the same command without the Prefer header for sync mode
\`\`\`

| mode                | accepted per second (mean) |   p50 |   p99 |
| ------------------- | -------------------------: | ----: | ----: |
| async (202, queued) |                      1,434 | 20 ms | 40 ms |
| sync (200, sent)    |                        627 | 50 ms | 86 ms |

Accepting is faster than sending. While the async run's backlog drained, the background sender
sent about 260 messages per second, read from the \`sms_relay_messages_total{outcome="sent"}\`
counter 10 s apart. That is what 8 concurrent sends with 20 ms of provider latency and the
store's synced writes allow, so a queue fed faster than that grows until the load stops.

## What each scenario does

**overhead**: ${load.connections} connections post the same short message for ${load.durationS} s
to each server after a ${load.warmupS} s warm-up. The fake provider answers after
${load.providerLatencyMs} ms. The baseline is a bare Hono app (\`bench/baseline-server.ts\`) that
forwards each request to the fake Twilio API with one \`fetch\` and nothing else. The gateway
runs \`src/main.ts\` on a config with one Twilio provider and the shipped defaults (log level
\`info\` to a file, the SQLite store when the commit has one). The two servers are loaded in
alternating slices (baseline, gateway, gateway, baseline), so that background load on the
machine hits both alike. Requests per second cover all slices. p50 and p99 are the means of the
two slices' values, because autocannon reports percentiles and not its histogram. Resident
memory is read from \`/proc\` before the warm-up and after the last slice. On this run the
gateway served ${overheadRatio.toFixed(2)} times the baseline's requests per second.

**drill**: ${drill.rate} messages per second start at fixed intervals, so a slow response does
not slow the stream. Both providers are healthy for ${drill.healthyS} s. Then for ${drill.hangS} s
the primary (fake Twilio) reads each request and never responds, and the run goes on for
${drill.recoveredS} s after it recovered. The secondary is a fake Vonage API. Both answer
after ${drill.providerLatencyMs} ms. The naive client tries the primary with a
${drill.attemptTimeoutMs} ms timeout and on any error the secondary with the same timeout, with no
retry and no memory between messages. The gateway uses the same per-attempt timeout, a
${drill.deadlineMs} ms deadline, \`failure_threshold\` 3 and an \`open_duration_ms\` of
${drill.openDurationMs} ms (the shipped default is 300 s, which would keep the primary out of
this run's recovery phase entirely).

- *outage window* counts the messages started while the primary hung, and *whole run* all
  messages.
- *failed*: the sender got no accepted answer (naive: both providers failed; gateway: any status
  other than 200).
- *sent twice*: the message's send request reached the fake providers two or more times, counted
  by a \`ref=\` marker in the message text. A request that the hanging primary read but never
  answered counts as a delivery, because a real provider that stops answering may still send the
  message.
- *flagged as possible duplicate*: the gateway's \`possible_duplicate: true\`; the naive client
  has no such signal.
- *primary accepted again after the outage*: time from the end of the outage to the first
  message that the primary accepted. *primary share after the outage*: the share of messages
  started after the outage that the primary accepted.

The naive client returns to the primary at once but makes every message in the window wait for
the full timeout and sends each of them twice. The gateway sends twice only the messages that were
already on their way to the primary: those started within one attempt timeout of the outage,
until three of them had failed and the breaker opened. It flags each of them and sends the rest
straight to the secondary. It returns to the primary only after \`open_duration_ms\` and two
successful half-open trials.

**scaling**: the overhead measurement again with 4 and 16 Twilio providers in the route (all
healthy, so the first one takes every message) and with a 1,000-character Cyrillic body, which
needs UCS-2 and 15 segments. Each gateway case is measured beside its own baseline run with the
same body.

## What profiling found

The gateway was profiled with \`node --cpu-prof\` under the overhead load (the \`--cpu-prof\`
option above) and the profiles were summarized with \`bench/profile-summary.ts\`. These findings
come from runs made while this page was written, at commit \`195e3a6\` (the first with the SQLite
store) and at \`ff79295\` (the one before it). Each figure is from a single run.

- The store's write path (\`SqliteStore.#run\`, which wraps better-sqlite3's
  \`sqliteTransaction\`) took about a third of all CPU samples of the gateway process, with 1 and
  with 16 providers alike. The dispatcher commits each message four times (the message, the
  attempt's start, its end, the result) with \`synchronous = FULL\`, and better-sqlite3 runs each
  commit and its fsync on the event loop. A one-off measurement of 500 single-row commits on this
  machine's disk took 0.66 ms per commit with \`FULL\` and 0.02 ms with \`NORMAL\`, so four
  commits block the event loop for about 2.6 ms per message. In one quick run with
  \`synchronous = NORMAL\` set by hand (not committed) the requests-per-second ratio rose from
  0.25 to 0.45, so the fsync is a large part of the cost but not all of it.
- At \`ff79295\`, before the store, the gateway served 0.67 times the baseline's requests per
  second in a full-length overhead run, at 1.39 times its CPU per request (770 against 555 µs).
  Shorter runs gave ratios between 0.98 and 1.03. No single function stood out. The largest parts
  were a new TCP connection for every provider attempt (about 8 % of the samples) and phone number
  parsing with libphonenumber-js (about 5 %). Next came pino logging with redaction (about 4 %)
  and the twilio SDK, whose client is built per attempt (about 40 µs each).
- Nothing was changed for speed. The store's cost buys the durability the design asks for (an
  acknowledged message survives a power loss). It can be lowered without giving up \`FULL\`, by
  fewer commits per message or by one commit for the writes of several messages. The transport
  opens a connection per attempt on purpose (\`agent: false\`), so that a keep-alive socket that
  the provider closed cannot make an attempt look ambiguous. The twilio client is built per
  attempt because that is how the attempt's AbortSignal reaches the request. The baseline does
  none of this work: it validates nothing, keeps no record and logs nothing.

## Limits

- One gateway process, one load generator and the fakes share ${machine.cores} cores, so the
  load generator's own CPU use lowers both servers' figures.
- The fakes answer every message after a fixed latency; real provider latency varies and has a
  long tail.
- The drill uses a hang, the failure that hurts a naive client most. A provider that refuses
  connections or answers 503 at once costs the naive client little time.
- The drill counts deliveries at the fakes, so it cannot tell whether a real provider would have
  delivered a message whose request it read but never answered.
`;
}
