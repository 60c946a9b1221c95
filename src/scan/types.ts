/** Where in a resource an occurrence sat, as a person would name it. */
export type KeyContext =
  | 'company_id'
  | 'token'
  | 'account'
  | 'api_key'
  | 'authorization'
  | 'environment'
  | 'other';

/** How the key was written in the resource, when it was not plain text. */
/** `split-markup`: the key reads whole only as a person sees the page, across inline tags (`pk_<b>…</b>…`). */
export type KeyEncoding = 'plain' | 'js-escape' | 'url-encoding' | 'html-entity' | 'base64' | 'split-markup';

/** `low` only for placeholders, which are never counted as exposed keys. */
export type Confidence = 'high' | 'medium' | 'low';

/** Which of Klaviyo's two private-key spellings a key uses. */
export type KeyForm = 'legacy' | 'account-scoped';

/**
 * One place a private key was seen inside one text. The full key is carried here (the detector
 * needs it to group occurrences); it is dropped by `redact.ts` before anything is shown.
 */
export interface KeyHit {
  key: string;
  form: KeyForm;
  /** For the account-scoped form, the public key in the middle segment. */
  accountPublicKey?: string;
  /** Character offset in the scanned text where the (possibly encoded) key starts. */
  offset: number;
  line: number;
  column: number;
  context: KeyContext;
  encoding: KeyEncoding;
  confidence: Confidence;
  /** Up to ~100 characters around the key with every private key masked. Never contains a full key. */
  snippet: string;
  /**
   * Why the key looks made up (`pk_xxxx…`, a documentation example), when it does: such a hit is a
   * placeholder, with low confidence, and never an exposed key.
   */
  placeholder?: string;
}

/** One place a public key (site ID) was used. */
export interface PublicKeyHit {
  key: string;
  offset: number;
  line: number;
  column: number;
  /** What showed it to be a site ID, e.g. `company_id`, `onsite-path`, `account`, `token`. */
  via: string;
}
