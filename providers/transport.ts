import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

import { ProviderError } from './contract.js';

/**
 * How far a request got: `connecting` (no connection yet), `connected` (TCP, and TLS for https,
 * is up, and the request is being written), `sent` (the whole request went to the operating
 * system, so the server may act on it).
 */
export type RequestPhase = 'connecting' | 'connected' | 'sent';

/** A request that ended without a complete response. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** Phase the request had reached when it failed. */
  readonly phase: RequestPhase;
  /** Node.js error code such as `ECONNREFUSED` or `ECONNRESET`, when there was one. */
  readonly code: string | undefined;
  /** True when the caller's AbortSignal ended the request. */
  readonly aborted: boolean;

  constructor(phase: RequestPhase, code: string | undefined, aborted: boolean) {
    super(describeFailure(phase, code, aborted));
    this.phase = phase;
    this.code = code;
    this.aborted = aborted;
  }

  /** True when the server may have received the whole request and acted on it. */
  get requestSent(): boolean {
    return this.phase === 'sent';
  }
}

export interface HttpRequestOptions {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Ends the request, and closes its socket, when it aborts. */
  readonly signal: AbortSignal;
  /** Maximum response body size in bytes, 1 MiB by default. */
  readonly maxResponseBytes?: number;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends one HTTP request with `node:http` or `node:https` and reads the whole response as UTF-8.
 *
 * Every request opens its own connection (`agent: false`). A reused keep-alive socket that the
 * server closed while idle fails with ECONNRESET after the request was written, so the attempt
 * would look ambiguous. A fresh connection costs one handshake but keeps the phase accurate.
 * Rejects with `TransportError` when the connection fails, the signal aborts or the response is
 * cut off; any HTTP status resolves.
 */
export function sendHttpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const { signal, url } = options;

  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new TransportError('connecting', undefined, true));
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new TypeError(`unsupported protocol ${url.protocol} in a provider base URL`));
      return;
    }

    let phase: RequestPhase = 'connecting';
    let settled = false;
    const body = options.body ?? '';
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const transport = url.protocol === 'https:' ? https : http;

    const request = transport.request(url, {
      method: options.method,
      headers: { ...options.headers, 'Content-Length': String(Buffer.byteLength(body)) },
      agent: false,
    });

    const fail = (code: string | undefined): void => {
      if (settled) {
        return;
      }
      settled = true;
      signal.removeEventListener('abort', onAbort);
      reject(new TransportError(phase, code, signal.aborted));
      request.destroy();
    };
    const onAbort = (): void => fail(undefined);
    signal.addEventListener('abort', onAbort, { once: true });

    request.on('socket', (socket) => {
      const connectEvent = url.protocol === 'https:' ? 'secureConnect' : 'connect';
      if (socket.connecting) {
        socket.once(connectEvent, () => {
          phase = phase === 'connecting' ? 'connected' : phase;
        });
      } else {
        phase = phase === 'connecting' ? 'connected' : phase;
      }
    });
    // 'finish' fires once the last byte of the request was handed to the operating system.
    request.on('finish', () => {
      phase = 'sent';
    });
    request.on('error', (error: NodeJS.ErrnoException) => fail(error.code));

    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          fail('ERR_RESPONSE_TOO_LARGE');
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', (error: NodeJS.ErrnoException) => fail(error.code));
      response.on('aborted', () => fail('ECONNRESET'));
      response.on('end', () => {
        if (settled) {
          return;
        }
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve({
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });

    request.end(body);
  });
}

/** Returns the first value of a response header, or `undefined`. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Node.js and OpenSSL error codes raised before a request could be written: DNS, connect and TLS
 * handshake failures. Used by adapters whose SDK hides the request phase.
 */
const connectFailureCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True for an error code that proves nothing reached the server (see `connectFailureCodes`). */
export function isConnectFailureCode(code: string | undefined): boolean {
  return code !== undefined && (connectFailureCodes.has(code) || code.startsWith('ERR_SSL_'));
}

function describeFailure(phase: RequestPhase, code: string | undefined, aborted: boolean): string {
  const what = aborted ? 'request aborted' : `request failed (${code ?? 'no error code'})`;
  switch (phase) {
    case 'connecting':
      return `${what} before the connection was established`;
    case 'connected':
      return `${what} before the request was fully written`;
    case 'sent':
      return `${what} after the request was sent`;
  }
}

/**
 * Turns a transport failure into a `ProviderError`: nothing sent is `transient`, and a request
 * that may have reached the provider is `ambiguous`, because resending it could duplicate the SMS.
 */
export function transportFailure(provider: string, error: TransportError): ProviderError {
  return new ProviderError({
    errorClass: error.requestSent ? 'ambiguous' : 'transient',
    message: `${provider} ${error.message}`,
    cause: error,
  });
}
