import { readFile } from 'node:fs/promises';
import { escapeNonAscii, signBody } from '../ingress/signature.ts';

export interface SendOptions {
  url: string;
  secret: string;
  /** Send non-ASCII as \uXXXX escapes, as Meta does. */
  escapeUnicode: boolean;
}

export interface SendResult {
  file: string;
  status: number;
  body: string;
}

/** Signs each payload exactly as Meta does and POSTs it: our answer to `stripe trigger`. */
export async function sendPayloads(files: readonly string[], options: SendOptions): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const body = Buffer.from(options.escapeUnicode ? escapeNonAscii(text) : text, 'utf8');
    results.push({ file, ...(await postSigned(options.url, body, options.secret)) });
  }
  return results;
}

export async function postSigned(url: string, body: Buffer, secret: string): Promise<{ status: number; body: string }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, secret) },
      body: new Uint8Array(body),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(`could not reach ${url} (${cause}): is the service running? Start it with \`npm start\`, or pass --url.`, { cause: error });
  }
  return { status: response.status, body: await response.text() };
}
