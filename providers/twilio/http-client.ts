import { sendHttpRequest, type HttpResponse } from '../transport.js';

/**
 * Options the twilio SDK passes to `httpClient.request` (twilio 6.3.1, `BaseTwilio.request`).
 * `data` and `params` arrive unencoded. This client ignores `timeout`, `allowRedirects` and
 * `logLevel`: the attempt's AbortSignal is the timeout, redirects are never followed, and the
 * SDK's debug output would print request parameters.
 */
export interface TwilioRequestOptions {
  readonly method: string;
  readonly uri: string;
  readonly username?: string;
  readonly password?: string;
  readonly authStrategy?: { getAuthString(): Promise<string> };
  readonly headers?: Readonly<Record<string, string>>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Response shape the SDK expects. `Version.create` JSON-parses a string body. */
export interface TwilioResponse {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: HttpResponse['headers'];
}

/**
 * The custom `httpClient` for one attempt. It sends to `baseUrl` whatever origin the SDK chose,
 * applies the attempt's AbortSignal, and keeps the last response so that the adapter can read
 * headers (`Retry-After`, `Date`) that the SDK's `RestException` drops.
 *
 * A custom httpClient replaces the SDK's `RequestClient`, and with it the axios interceptor that
 * implements `autoRetry`: the SDK retries nothing, and each `request` call is one HTTP request.
 */
export class AttemptHttpClient {
  #lastResponse: HttpResponse | undefined;

  constructor(
    private readonly baseUrl: URL,
    private readonly signal: AbortSignal,
  ) {}

  /** The last complete response, whatever its status. */
  get lastResponse(): HttpResponse | undefined {
    return this.#lastResponse;
  }

  async request(options: TwilioRequestOptions): Promise<TwilioResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.username && options.password) {
      const credentials = `${options.username}:${options.password}`;
      headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    } else if (options.authStrategy) {
      headers['Authorization'] = await options.authStrategy.getAuthString();
    }

    const url = this.targetUrl(options.uri);
    appendParams(url.searchParams, options.params);

    const response = await sendHttpRequest({
      method: options.method.toUpperCase(),
      url,
      headers,
      body: encodeBody(headers, options.data),
      signal: this.signal,
    });
    this.#lastResponse = response;
    return { statusCode: response.statusCode, body: response.body, headers: response.headers };
  }

  /** Replaces the origin of the SDK's URI with the configured base URL, keeping its path prefix. */
  private targetUrl(uri: string): URL {
    const source = new URL(uri);
    const target = new URL(this.baseUrl);
    target.pathname = target.pathname.replace(/\/+$/, '') + source.pathname;
    target.search = source.search;
    return target;
  }
}

/**
 * Encodes the request body the way the SDK's own client does: form fields with repeated keys for
 * arrays (`MediaUrl=a&MediaUrl=b`), or JSON when the SDK sets that content type.
 */
function encodeBody(
  headers: Readonly<Record<string, string>>,
  data: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  if (data === undefined) {
    return undefined;
  }
  if (headers['Content-Type'] === 'application/json') {
    return JSON.stringify(data);
  }
  const form = new URLSearchParams();
  appendParams(form, data);
  return form.toString();
}

function appendParams(
  target: URLSearchParams,
  values: Readonly<Record<string, unknown>> | undefined,
): void {
  for (const [name, value] of Object.entries(values ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) {
        target.append(name, String(item));
      }
    }
  }
}
