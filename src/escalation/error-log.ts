import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * An append-only file of JSON lines, one per escalated event. The file is created with mode 0600
 * because escalations carry message bodies. Each line is written and flushed to disk
 * (`fdatasync`) before `append` resolves; appends run one at a time, in call order.
 */
export class ErrorLog {
  #handle: Promise<FileHandle> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(readonly path: string) {}

  /** Number of lines accepted by `append` and not yet on disk. */
  get pending(): number {
    return this.#pending;
  }

  /** Appends `event` as one JSON line. Rejects when the line could not be written. */
  append(event: Readonly<Record<string, unknown>>): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    this.#pending += 1;
    const write = this.#queue.then(async () => {
      const handle = await this.#open();
      await handle.appendFile(line, 'utf8');
      await handle.datasync();
    });
    this.#queue = write
      .catch(() => undefined)
      .finally(() => {
        this.#pending -= 1;
      });
    return write;
  }

  /** Opens (and creates) the file now, so that start-up fails when it cannot be written. */
  async open(): Promise<void> {
    await this.#open();
  }

  /** Waits for every pending line, then closes the file. */
  async close(): Promise<void> {
    await this.#queue;
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) {
      await (await handle).close();
    }
  }

  #open(): Promise<FileHandle> {
    this.#handle ??= mkdir(dirname(this.path), { recursive: true, mode: 0o700 }).then(() =>
      open(this.path, 'a', 0o600),
    );
    this.#handle.catch(() => {
      this.#handle = undefined;
    });
    return this.#handle;
  }
}
