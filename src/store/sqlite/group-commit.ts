import type { Database, Statement } from 'better-sqlite3';

interface Operation {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Settled =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Group commit for one better-sqlite3 connection. Every operation is queued in call order, and
 * the queue runs in one transaction, with one commit and so one disk sync, in the check phase of
 * the event loop (`setImmediate`). Every call made in one turn of the event loop, including the
 * I/O callbacks of its poll phase, shares that commit.
 *
 * Each operation runs in its own SAVEPOINT: one that throws is rolled back alone and rejects only
 * its own promise. Every promise settles only after the commit, so a write that a caller awaited
 * is on disk, and a read returns nothing that could still be rolled back. Reads run in the queue
 * too, or at once when it is empty, so each one reads every write issued before it.
 */
export class GroupCommit {
  #queue: Operation[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #closed = false;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  readonly #savepoint: Statement;
  readonly #release: Statement;
  readonly #rollbackTo: Statement;

  constructor(private readonly db: Database) {
    this.#begin = db.prepare('BEGIN');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#savepoint = db.prepare('SAVEPOINT operation');
    this.#release = db.prepare('RELEASE operation');
    this.#rollbackTo = db.prepare('ROLLBACK TO operation');
  }

  /**
   * Queues `work` for the next commit and resolves with its result once that commit is on disk.
   * Rejects with the error that `work` threw, with the commit's error when the commit fails, or
   * with an `Error` once `close` was called.
   */
  run<T>(work: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new Error('The message store is closed, so the operation did not run.'),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /**
   * Runs the read-only `work` at once when no operation is queued, because then every earlier
   * write is committed and there is no commit to wait for. Otherwise it queues `work` as `run` does.
   */
  read<T>(work: () => T): Promise<T> {
    if (this.#closed || this.#queue.length > 0) {
      return this.run(work);
    }
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Runs and commits every queued operation now. */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) {
      return;
    }

    const settled = this.#runBatch(batch);
    batch.forEach((operation, index) => {
      const result = settled[index];
      if (result?.ok === true) {
        operation.resolve(result.value);
      } else {
        operation.reject(result?.error);
      }
    });
  }

  /** Flushes the queue and rejects every later call. */
  close(): void {
    this.flush();
    this.#closed = true;
  }

  /**
   * Runs `batch` in one transaction and returns each operation's result, in order. When the
   * transaction itself fails (BEGIN, a savepoint statement, COMMIT, or a rollback by SQLite), every
   * operation of the batch fails with that error and nothing of the batch is stored.
   */
  #runBatch(batch: readonly Operation[]): Settled[] {
    try {
      this.#begin.run();
      const settled = batch.map((operation) => this.#runOne(operation));
      this.#commit.run();
      return settled;
    } catch (error) {
      this.#rollbackQuietly();
      return batch.map(() => ({ ok: false, error }));
    }
  }

  /** Rolls back an open transaction; the batch already fails with the error that led here. */
  #rollbackQuietly(): void {
    try {
      if (this.db.inTransaction) {
        this.#rollback.run();
      }
    } catch {
      // The batch's promises carry the first error, which explains this one too.
    }
  }

  /** Runs one operation in a savepoint. Throws only when the transaction can no longer go on. */
  #runOne(operation: Operation): Settled {
    this.#savepoint.run();
    try {
      const value = operation.work();
      this.#release.run();
      return { ok: true, value };
    } catch (error) {
      if (!this.db.inTransaction) {
        // SQLite may roll the whole transaction back by itself after SQLITE_FULL, SQLITE_IOERR,
        // SQLITE_NOMEM, SQLITE_BUSY or SQLITE_INTERRUPT (https://sqlite.org/c3ref/get_autocommit.html),
        // which undoes the operations before this one too. So the batch fails as a whole, and
        // the rest does not run outside a transaction.
        throw error;
      }
      this.#rollbackTo.run();
      this.#release.run();
      return { ok: false, error };
    }
  }
}
