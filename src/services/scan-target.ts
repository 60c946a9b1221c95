import { CheckupError, type RequestErrorCode } from '../errors.js';
import { findPrivateKeys } from '../scan/detector.js';
import { isScanError } from '../scan/errors.js';
import { preflightTarget } from '../scan/fetcher.js';
import { normalizeUrl, parseTarget } from '../scan/url-scope.js';

/**
 * The site a person asked to scan, as the scans are keyed: read, checked for a key in the URL itself,
 * and refused when it points at a private network, all before anything is queued or fetched. Throws
 * CheckupError: `usage` for what cannot be a site, `refused` for what must not be reached.
 */
export async function acceptTarget(
  text: string,
  options: { allowPrivateNetworks: boolean },
): Promise<string> {
  let url: URL;
  try {
    url = parseTarget(text);
  } catch (error) {
    throw new CheckupError<RequestErrorCode>('usage', error instanceof Error ? error.message : String(error));
  }
  // The detector reads %-escapes itself, so an encoded key in the URL is caught too.
  if (findPrivateKeys(url.href).length > 0) {
    throw new CheckupError<RequestErrorCode>(
      'usage',
      'That URL itself contains a Klaviyo private key, so it was not scanned or stored. Scan the page without it, and rotate that key: it has now been shared in Slack.',
    );
  }
  try {
    await preflightTarget(url, options);
  } catch (error) {
    if (isScanError(error, 'REFUSED_TARGET'))
      throw new CheckupError<RequestErrorCode>('refused', `Not scanned: ${error.message}.`);
    if (isScanError(error))
      throw new CheckupError<RequestErrorCode>('usage', `Not scanned: ${error.message}.`);
    throw error;
  }
  return normalizeUrl(url);
}
