export {
  type AuthOutcome,
  DEFAULT_ALGORITHMS,
  DigestAuthenticator,
  type DigestAuthenticatorOptions,
  type DigestRequest,
  sameRequestUri,
} from './authenticator.ts';
export { type ChallengeInput, challengeValues } from './challenge.ts';
export {
  type DigestAlgorithm,
  digestsEqual,
  expectedResponse,
  hashHex,
  parseAlgorithm,
} from './compute.ts';
export {
  DEFAULT_THROTTLE,
  FailureThrottle,
  type FailureThrottleOptions,
  type ThrottleVerdict,
} from './failure-throttle.ts';
export {
  AuthHeaderSyntaxError,
  type ParsedAuthHeader,
  parseAuthHeaderList,
  quote,
} from './header-params.ts';
export { type CountResult, NonceManager, type NonceStatus } from './nonce.ts';
