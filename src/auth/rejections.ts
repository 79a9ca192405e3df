// Why a request is not authenticated: one code per reason, with the message a client sees in
// the 401. jose's errors are mapped here, in one place, so the reasons stay a closed set.
import { errors } from "jose";

export const REJECTION_MESSAGES = {
  token_missing: "missing access token",
  header_malformed: "the Authorization header must be 'Bearer <token>'",
  token_malformed: "the access token is not a well-formed JWT",
  token_invalid: "the access token is invalid (signature, algorithm, issuer or audience)",
  token_expired: "the access token has expired",
  token_not_yet_valid: "the access token is not valid yet",
  user_unknown: "the user of this access token does not exist",
  verification_unavailable: "the access token could not be checked right now (identity provider or database unreachable); try again",
} as const;

/** A reason an access token was not accepted. */
export type Rejection = keyof typeof REJECTION_MESSAGES;

/** Thrown inside token verification; the authenticator turns it into a Rejection, never a 500. */
export class TokenRejected extends Error {
  override name = "TokenRejected";
  constructor(readonly reason: Rejection) {
    super(REJECTION_MESSAGES[reason]);
  }
}

export function isTokenRejected(err: unknown): err is TokenRejected {
  return err instanceof Error && err.name === "TokenRejected";
}

/** The reason behind an error from jose (or a TokenRejected); null for anything unexpected. */
export function rejectionOf(err: unknown): Rejection | null {
  if (isTokenRejected(err)) return err.reason;
  if (err instanceof errors.JWTExpired) return "token_expired";
  if (err instanceof errors.JWTClaimValidationFailed) return err.claim === "nbf" ? "token_not_yet_valid" : "token_invalid";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "token_malformed";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return "verification_unavailable";
  // Signature, disallowed algorithm (none, or HS256 where keys are asymmetric), no key for the kid.
  if (err instanceof errors.JOSEError) return "token_invalid";
  return null;
}
