import type { WebhookParams } from '../../../providers/delivery.js';

/** The parameters of a webhook body, or why it could not be read. */
export type ParsedBody =
  | { readonly ok: true; readonly format: 'form' | 'json'; readonly params: WebhookParams }
  | { readonly ok: false; readonly unsupportedType: boolean; readonly message: string };

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Parses a webhook body from the bytes read once from the request. A JSON content type
 * (`application/json` or `+json`) is parsed as JSON. Any other content type, or none, is tried as
 * a form first, and as JSON when the form attempt fails, because providers let operators choose
 * the format and proxies sometimes drop or rewrite the header. A form attempt fails when the text
 * starts with `{` or `[`, or has a non-empty part without `=`.
 *
 * The bytes must be UTF-8. A JSON body must be an object whose members are strings, numbers,
 * booleans or null; null members are left out and the others become strings.
 */
export function parseWebhookBody(bytes: Uint8Array, contentType: string | undefined): ParsedBody {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, unsupportedType: false, message: 'The body is not valid UTF-8.' };
  }

  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    return parseJson(text);
  }

  const form = parseForm(text);
  if (form !== undefined) {
    return { ok: true, format: 'form', params: form };
  }
  const json = parseJson(text);
  if (json.ok) {
    return json;
  }
  if (mediaType !== '' && mediaType !== FORM_TYPE) {
    return {
      ok: false,
      unsupportedType: true,
      message: `Content-Type ${mediaType.slice(0, 100)} is not supported; send ${FORM_TYPE} or application/json.`,
    };
  }
  return {
    ok: false,
    unsupportedType: false,
    message: 'The body is neither form-encoded nor a JSON object; send one of the two.',
  };
}

/** Returns the fields of a form body, or undefined when the text is not a form. */
function parseForm(text: string): WebhookParams | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return undefined;
  }
  const parts = trimmed.split('&').filter((part) => part !== '');
  if (parts.some((part) => !part.includes('='))) {
    return undefined;
  }

  const params: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(trimmed)) {
    const previous = params[name];
    if (previous === undefined) {
      params[name] = value;
    } else {
      params[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    }
  }
  return params;
}

function parseJson(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, unsupportedType: false, message: 'The body is not valid JSON.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, unsupportedType: false, message: 'The JSON body must be an object.' };
  }

  const params: Record<string, string> = {};
  for (const [name, member] of Object.entries(value)) {
    if (typeof member === 'string') {
      params[name] = member;
    } else if (typeof member === 'number' || typeof member === 'boolean') {
      params[name] = String(member);
    } else if (member !== null) {
      return {
        ok: false,
        unsupportedType: false,
        message: `The JSON member ${JSON.stringify(name.slice(0, 64))} must be a string, number or boolean.`,
      };
    }
  }
  return { ok: true, format: 'json', params };
}
