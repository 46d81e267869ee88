import { isIP } from 'node:net';

import { z } from 'zod';

/** One DNS label: 1 to 63 letters, digits or hyphens, with no hyphen at either end. */
const hostnameLabel = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const hostnamePattern = new RegExp(`^(?=.{1,253}$)${hostnameLabel}(?:\\.${hostnameLabel})*$`);

/** Returns true when `host` is an IP address or a syntactically valid host name. */
export function isHost(host: string): boolean {
  return isIP(host) !== 0 || hostnamePattern.test(host);
}

/** Creates the schema of a host to connect to or listen on: an IP address or a host name. */
export function hostSchema() {
  return z.string().refine(isHost, 'must be an IP address or a host name');
}
