import pino, { type Logger } from 'pino';

export type { Logger };

// Anything that could carry a secret is censored wherever it appears in a log object.
const REDACT_PATHS = [
  'token',
  'accessToken',
  'secret',
  'appSecret',
  'authorization',
  'signature',
  'caption',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  '*.token',
  '*.accessToken',
  '*.authorization',
  '*.caption',
];

// Database drivers attach the failed statement and its parameters to errors: those hold phone numbers and
// captions, so they never reach a log line.
const ERROR_FIELDS_NEVER_LOGGED = ['params', 'parameters', 'query', 'detail', 'where', 'internalQuery'];

function serializeError(error: Error): Record<string, unknown> {
  const serialized: Record<string, unknown> = { ...pino.stdSerializers.err(error) };
  for (const field of ERROR_FIELDS_NEVER_LOGGED) delete serialized[field];
  return serialized;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'whatsapp-media-vault' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/** A phone number in logs shows only its last 4 digits: enough to match a complaint, not to dial. */
export function maskPhone(phone: string | undefined): string | undefined {
  if (!phone) return undefined;
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '****';
  return `${'*'.repeat(Math.min(digits.length - 4, 8))}${digits.slice(-4)}`;
}
