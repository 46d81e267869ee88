import type { FieldError } from '../../errors.js';

/** Parameters of Twilio's create-message call that the gateway acts on. */
const usedParameters = [
  'To',
  'From',
  'MessagingServiceSid',
  'Body',
  'StatusCallback',
  'ValidityPeriod',
] as const;

/**
 * Parameters of Twilio's create-message call (twilio-node 6.3.1) that the gateway accepts and
 * ignores, because they change neither what the recipient gets nor when.
 */
export const ignoredParameters = [
  'Attempt',
  'FallbackFrom',
  'ForceDelivery',
  'MaxPrice',
  'MessageIntent',
  'PersistentAction',
  'ProvideFeedback',
  'RiskCheck',
  'ShortenUrls',
  'SmartEncoded',
  'TrafficType',
] as const;

/** Parameters that the gateway accepts only with the value `retain`, because it stores both. */
const retentionParameters = ['ContentRetention', 'AddressRetention'] as const;

/** Parameters of Twilio's create-message call that the gateway rejects, with the reason. */
export const unsupportedParameters: Readonly<Record<string, string>> = {
  MediaUrl: 'MMS is not supported; the gateway sends SMS only',
  SendAsMms: 'MMS is not supported; the gateway sends SMS only',
  ContentSid: 'content templates are not supported; send the text in Body',
  ContentVariables: 'content templates are not supported; send the text in Body',
  ScheduleType: 'scheduled sending is not supported; send the message when it is due',
  SendAt: 'scheduled sending is not supported; send the message when it is due',
  ApplicationSid: 'status callbacks of a TwiML application are not supported; set StatusCallback',
};

const knownParameters = new Set<string>([
  ...usedParameters,
  ...ignoredParameters,
  ...retentionParameters,
  ...Object.keys(unsupportedParameters),
]);

/** Returns the problems of the parameter names: repeated, unknown or unsupported ones. */
export function parameterErrors(form: URLSearchParams): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) {
      errors.push({ path: name, code: 'repeated_parameter', message: `${name} may appear once` });
    }
    const unsupported = unsupportedParameters[name];
    if (unsupported !== undefined) {
      errors.push({
        path: name,
        code: 'unsupported_parameter',
        message: `${name}: ${unsupported}`,
      });
    } else if ((retentionParameters as readonly string[]).includes(name)) {
      checkRetention(name, form.get(name) ?? '', errors);
    } else if (!knownParameters.has(name)) {
      errors.push({
        path: name,
        code: 'unknown_parameter',
        message: `unknown parameter "${name}"; parameters are case-sensitive, and the gateway takes ${usedParameters.join(', ')} and ignores ${ignoredParameters.join(', ')}`,
      });
    }
  }
  return errors;
}

function checkRetention(name: string, value: string, errors: FieldError[]): void {
  if (value === '' || value === 'retain') {
    return;
  }
  errors.push({
    path: name,
    code: 'unsupported_parameter',
    message: `${name} may only be "retain": the gateway stores every message's body and addresses until store.retention_days has passed`,
  });
}
