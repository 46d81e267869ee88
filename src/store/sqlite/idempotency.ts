import type { Database } from 'better-sqlite3';

import type { IdempotencyClaim, IdempotencyClaimRequest, StoredResponse } from '../types.js';

interface KeyRow {
  fingerprint: string;
  message_id: string;
  owner: string;
  state: string;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  expires_at: number;
}

/**
 * The `idempotency_keys` table. `owner` is the id of the store instance (one per process start)
 * that claimed a key, so that a key left `running` by a crashed process is told apart from one
 * whose request is still running here.
 */
export class IdempotencyTable {
  readonly #select;
  readonly #upsert;
  readonly #complete;
  readonly #release;

  constructor(
    db: Database,
    private readonly owner: string,
  ) {
    this.#select = db.prepare<[{ principal: string; key: string }], KeyRow>(
      `SELECT fingerprint, message_id, owner, state, response_status, response_headers,
        response_body, expires_at FROM idempotency_keys WHERE principal = @principal AND key = @key`,
    );
    this.#upsert = db.prepare(`INSERT OR REPLACE INTO idempotency_keys (principal, key,
      fingerprint, message_id, owner, state, created_at, expires_at)
      VALUES (@principal, @key, @fingerprint, @message_id, @owner, 'running', @now, @expires_at)`);
    this.#complete = db.prepare(`UPDATE idempotency_keys SET state = 'completed',
      response_status = @status, response_headers = @headers, response_body = @body
      WHERE principal = @principal AND key = @key AND owner = @owner`);
    this.#release = db.prepare(
      'DELETE FROM idempotency_keys WHERE principal = @principal AND key = @key AND owner = @owner',
    );
  }

  /** Claims the key or describes its holder; the caller runs this inside a transaction. */
  claim(request: IdempotencyClaimRequest): IdempotencyClaim {
    const row = this.#select.get({ principal: request.principal, key: request.key });
    if (row === undefined || row.expires_at <= request.now) {
      this.#upsert.run({
        principal: request.principal,
        key: request.key,
        fingerprint: request.fingerprint,
        message_id: request.messageId,
        owner: this.owner,
        now: request.now,
        expires_at: request.expiresAt,
      });
      return { kind: 'claimed' };
    }

    if (row.fingerprint !== request.fingerprint) {
      return { kind: 'mismatch' };
    }
    if (row.state !== 'completed') {
      return {
        kind: 'in_progress',
        messageId: row.message_id,
        interrupted: row.owner !== this.owner,
      };
    }
    return {
      kind: 'completed',
      messageId: row.message_id,
      response: {
        status: row.response_status ?? 500,
        headers: JSON.parse(row.response_headers ?? '{}') as Record<string, string>,
        body: row.response_body ?? '',
      },
    };
  }

  complete(principal: string, key: string, response: StoredResponse): void {
    this.#complete.run({
      principal,
      key,
      owner: this.owner,
      status: response.status,
      headers: JSON.stringify(response.headers),
      body: response.body,
    });
  }

  release(principal: string, key: string): void {
    this.#release.run({ principal, key, owner: this.owner });
  }
}
