export {
  isSupportedRegion,
  isValidSenderId,
  maskPhoneNumber,
  normalizeRecipient,
  normalizeSender,
  type CountryCode,
  type NormalizeRecipientOptions,
  type NormalizeRecipientResult,
  type NormalizeSenderResult,
  type NumberValidation,
  type RecipientErrorCode,
} from './numbers.js';
export {
  countCharacters,
  countSegments,
  MAX_BODY_LENGTH,
  type SegmentCount,
  type SmsEncoding,
} from './segments.js';
