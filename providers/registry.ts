import { simulatorDefinition } from './simulator/index.js';
import { twilioDefinition } from './twilio/index.js';
import { vonageDefinition } from './vonage/index.js';

/** Every provider type the gateway can run, by the `type` key of a `[[providers]]` table. */
export const providerDefinitions = {
  twilio: twilioDefinition,
  vonage: vonageDefinition,
  simulator: simulatorDefinition,
} as const;

export type ProviderType = keyof typeof providerDefinitions;
