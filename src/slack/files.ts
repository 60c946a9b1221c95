import { request } from 'undici';
import type { WebClient } from './gateway.js';

const MAX_FILE_BYTES = 5 * 1024 * 1024;

/**
 * The text of a file someone attached in Slack: `files.info` gives its private download URL, which
 * is read with the bot token. Capped, since a roster is small and a file can be anything.
 */
export async function readSlackFile(client: WebClient, botToken: string, fileId: string): Promise<string> {
  const info = await client.files.info({ file: fileId });
  const file = info.file;
  const url = file?.url_private_download ?? file?.url_private;
  if (!url) throw new Error('the file has no download URL');
  if ((file?.size ?? 0) > MAX_FILE_BYTES)
    throw new Error('the file is larger than a Klaviyo roster can be (5 MB)');
  const response = await request(url, {
    headers: { authorization: `Bearer ${botToken}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`Slack answered HTTP ${response.statusCode} for the file`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_FILE_BYTES) {
      response.body.destroy();
      throw new Error('the file is larger than a Klaviyo roster can be (5 MB)');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}
