import { defineProvider, ProviderError } from '../contract.js';
import { twilioOptions } from './options.js';

// NOTE: placeholder until the adapter lands; every send fails as a configuration fault.
export const twilioDefinition = defineProvider({
  type: 'twilio',
  options: twilioOptions,
  create(id) {
    return {
      id,
      type: 'twilio',
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
