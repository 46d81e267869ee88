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
overhead runs of one commit before the store gave requests-per-second ratios from 0.67 to 1.03,
and four full runs with the store's group commit gave 0.35 to 0.59 while the load average ranged
from 1.4 to about 8. The CPU time per request of each server process varies less, because it
does not count time spent waiting for a core.

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
connections for 15 s, a new gateway and data directory for each mode:

\`\`\`sh
npm run build
PORT=18100 SMS_RELAY_DATA_DIR=/tmp/asyncbench node dist/src/main.js --config config/default.toml &
npx autocannon -c 32 -d 15 -m POST -H 'Authorization=Bearer dev-key' \\
  -H 'Content-Type=application/json' -H 'Prefer=respond-async' \\
  -b '{"to":"+447700900123","body":"db-1: disk 95% full"}' http://127.0.0.1:18100/v1/messages
# the same command without the Prefer header for sync mode
\`\`\`

| mode                | accepted per second (mean) |   p50 |    p99 | load average (1 min) |
| ------------------- | -------------------------: | ----: | -----: | -------------------: |
| async (202, queued) |                        677 | 39 ms | 263 ms |                  4.3 |
| sync (200, sent)    |                        499 | 57 ms | 146 ms |                  4.1 |

A second round a minute later, at a load average of 8 to 10, gave 488 (async) and 383 (sync) per
second. In one session at load averages of 3.5 to 6, the same commands alternated between the
code before the group commit (\`bebd8bb\`) and after it. Before, they gave 167 to 198 (async) and
134 to 207 (sync) per second; after, 606 to 909 and 482 to 538. An earlier version of
this page gave 1,434 and 627 per second for the code before the group commit, at a load that was
not recorded, so those figures do not compare with these.

Accepting is faster than sending. While the async run's backlog drained, the background sender
sent about 205 to 233 messages per second, read from the
\`sms_relay_messages_total{outcome="sent"}\` counter 10 s apart. A pass commits five times (the
message, the claim, the attempt start, the attempt end and the end state, as docs/store.md
describes), and 8 concurrent sends with 20 ms of provider latency allow at most 400 per second.
So a queue fed faster than that grows until the load stops.

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

The gateway was profiled with \`node --cpu-prof\` under the full-length overhead load, and each
profile was summarized with \`bench/profile-summary.ts\`, whose shares are of the gateway's busy
time (every sample but \`(idle)\`, because the gateway idles while the baseline's slices run):

\`\`\`sh
npm run bench -- --no-write --cpu-prof /tmp/prof
npx tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile 40
\`\`\`

Each figure below is from a single run on this machine, on 2026-12-04, while other work kept the
load average between about 3 and 6. Profiling slows the gateway, so the ratios of these runs are lower
than those of unprofiled runs.

**Before the group commit** (\`bebd8bb\`, ratio 0.15 in the profiled run, at 4.3 times the
baseline's CPU per request):

- The store took 47 % of the busy time, 44 % as the self time of better-sqlite3's transaction
  wrapper, which contains the native COMMIT and its fsync. Each message made four commits (the
  message, the attempt's start, its end, the end state), each synced with \`synchronous = FULL\`,
  and better-sqlite3 runs the fsync on the event loop. A one-off measurement of 500 single-row
  commits on this machine's disk took 0.66 ms per commit with \`FULL\` and 0.02 ms with
  \`NORMAL\`.
- At \`ff79295\`, before the store existed, the gateway served 0.67 times the baseline's requests
  per second in a full-length run, at 1.39 times its CPU per request (770 against 555 µs). The
  largest parts were a new TCP connection for every provider attempt (about 8 % of the samples)
  and phone number parsing with libphonenumber-js (about 5 %). Next came pino logging with
  redaction (about 4 %) and the twilio SDK, whose client is built per attempt (about 40 µs each).

**What was changed**:

- The store commits once per turn of the event loop: every store call of the turn runs in one
  transaction, each in its own savepoint, and they share one fsync (docs/store.md, "Group
  commit"). \`synchronous = FULL\` stays.
- A sync message's insert shares a commit with its first attempt start, and the last attempt's
  end shares one with the end state: two commits per sent message in place of four.
- The opt-out lookup that runs before every message runs at once when nothing is queued, and
  keeps its prepared statement, where it prepared its SQL on every call.
- The SHA-256 fingerprint of a request is computed only when it has an \`Idempotency-Key\`.

**After** (\`5b3b6eb\`, ratio 0.47 in the profiled run, at 1.88 times the baseline's CPU per
request): the store took 15 % of the busy time, 12 % as the self time of the group commit's batch
runner, which contains the native COMMIT and its fsync.
A turn holds the store calls of many messages, and a slow fsync lets more of them gather for the
next one. In one instrumented run on a disk slowed by other work, a commit held 21 store calls on
average and took 6.2 ms (the instrumentation was not committed).

**What is left** (shares of the busy time in the run after the change):

- The provider attempt, 14 %: the twilio SDK with the transport 9 %, of which the HTTP request
  on a new TCP connection 5 %. The transport opens a connection per attempt on purpose
  (\`agent: false\`), so that a keep-alive socket that the provider closed cannot make an
  attempt look ambiguous. The twilio client is built per attempt because that is how the
  attempt's AbortSignal reaches the request.
- The store's fsync on the event loop, 12 %. A worker thread that owns the database would take
  it off the event loop and keep \`FULL\`, but every store call would then cross threads, and
  the tests that reach the database directly would need another way in. That was not done.
- Reading the request body, 7 %: Hono's body limit makes @hono/node-server build a web
  \`Request\` with a stream around Node's request. The baseline pays the same through
  \`c.req.json()\`.
- Validation, 5 %, most of it libphonenumber-js parsing the recipient, and garbage collection,
  5 %. pino writes two lines per message (the attempt and the request).

The ratio stays below 0.8. The baseline validates nothing, keeps no record and logs nothing,
so it does none of this work.

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
