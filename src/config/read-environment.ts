import { existsSync } from 'node:fs';

/**
 * A snapshot of the process environment, after loading `.env` if present (variables already set win).
 * Entry points call this once and hand the result to loadConfig; nothing else touches process.env.
 */
export function readEnvironment(envFile = '.env'): Record<string, string | undefined> {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return { ...process.env };
}
