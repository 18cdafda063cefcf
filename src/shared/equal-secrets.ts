import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; hashing first hides the length of the secret as well. */
export function equalSecrets(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
