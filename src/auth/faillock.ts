/**
 * pam_faillock's rule, for the users-file backend and the simulated user
 * manager that reads the same file (as phosphor-user-manager reads the
 * faillock tally): an account is locked once `deny` failures fall inside one
 * fail interval (15 min), until `unlock_time` has passed since the last of
 * them (0: until an administrator resets the tally). `deny` 0 never locks.
 * Pure.
 *
 * OpenBMC's names: `deny` is AccountPolicy.MaxLoginAttemptBeforeLockout,
 * `unlock_time` AccountPolicy.AccountUnlockTimeout (seconds).
 */

export interface LockoutPolicy {
  readonly maxLoginAttemptBeforeLockout: number;
  readonly accountUnlockTimeout: number;
}

/** No lockout: a users file without an "accountPolicy". */
export const NO_LOCKOUT: LockoutPolicy = { maxLoginAttemptBeforeLockout: 0, accountUnlockTimeout: 0 };

/** pam_faillock's default fail_interval: failures older than this are forgotten. */
export const FAIL_INTERVAL_MS = 900_000;

/**
 * The failures (epoch ms) that count together, oldest first: those inside the fail interval
 * before the latest one (as pam_faillock counts them).
 */
export function countedFailures(failures: readonly number[]): number[] {
  const sorted = failures.filter((at) => Number.isFinite(at)).sort((a, b) => a - b);
  const last = sorted[sorted.length - 1];
  return last === undefined ? [] : sorted.filter((at) => at > last - FAIL_INTERVAL_MS);
}

/** Whether the account is locked at `now`. */
export function isLocked(failures: readonly number[], policy: LockoutPolicy, now: number): boolean {
  const deny = policy.maxLoginAttemptBeforeLockout;
  if (deny <= 0) return false;
  const counted = countedFailures(failures);
  if (counted.length < deny) return false;
  const last = counted[counted.length - 1] ?? 0;
  return policy.accountUnlockTimeout === 0 || last + policy.accountUnlockTimeout * 1000 > now;
}

/** The tally after one more failure at `now` (bounded: what no longer counts is dropped). */
export function withFailure(failures: readonly number[], now: number): number[] {
  return countedFailures([...failures, now]).slice(-64);
}
