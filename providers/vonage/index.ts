import { defineProvider, ProviderError } from '../contract.js';
import { vonageOptions } from './options.js';

// NOTE: placeholder until the adapter lands; every send fails as a configuration fault.
export const vonageDefinition = defineProvider({
  type: 'vonage',
  options: vonageOptions,
  create(id) {
    return {
      id,
      type: 'vonage',
      send() {
        return Promise.reject(
          new ProviderError({
            errorClass: 'provider',
            configFault: true,
            message: 'adapter missing',
          }),
        );
      },
    };
  },
});
