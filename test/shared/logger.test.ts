import { describe, expect, it } from 'vitest';
import { createLogger, maskPhone } from '../../src/shared/logger.ts';

describe('logger', () => {
  it('drops the statement and parameters database errors carry (phone numbers, captions)', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const error = Object.assign(new Error('time zone displacement out of range'), {
      query: 'insert into image_metadata (sender_phone, original_caption) values ($1, $2)',
      params: ['5511999887766', 'PRIVATE-CAPTION'],
      detail: 'Key (sender_phone)=(5511999887766) ...',
      code: '22008',
    });
    logger.error({ err: error }, 'request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('time zone displacement out of range');
    expect(lines[0]).toContain('22008');
    expect(lines[0]).not.toContain('5511999887766');
    expect(lines[0]).not.toContain('PRIVATE-CAPTION');
  });

  it('redacts tokens and captions wherever they sit in a log object', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info({ accessToken: 'EAAG-secret', caption: 'my address is …', nested: { token: 'abc123' } }, 'x');
    expect(lines[0]).not.toMatch(/EAAG-secret|my address|abc123/);
  });

  it('masks phone numbers to their last 4 digits', () => {
    expect(maskPhone('5511987654321')).toBe('********4321');
    expect(maskPhone('+1 555 000 1111')).toBe('*******1111');
    expect(maskPhone(undefined)).toBeUndefined();
  });
});
