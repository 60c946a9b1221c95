import { context, type SlackMessage, section } from './blocks.js';

/** The ephemeral usage reply for `/klaviyo-scan` with no text, `help`, or a bad URL. */
export function scanUsage(problem?: string): SlackMessage {
  const lines = [
    '*`/klaviyo-scan &lt;url&gt;`* crawls a site (pages, scripts, tag-manager containers) and reports every exposed Klaviyo *private* API key (`pk_…`). Full keys are never shown.',
    'Example: `/klaviyo-scan https://your-store.example`',
    'Each exposed key gets a *Start rotation* button: a checklist the team walks through, following Klaviyo’s guidance.',
    '*`/klaviyo-scan watch &lt;url&gt;`* re-scans a site on a schedule and announces only keys that are new; *`/klaviyo-scan unwatch &lt;url&gt;`* stops it; *`/klaviyo-scan watch list`* shows the watched sites.',
  ];
  return {
    text: problem ? `${problem} Usage: /klaviyo-scan &lt;url&gt;` : 'Usage: /klaviyo-scan &lt;url&gt;',
    blocks: [
      ...(problem ? [section(`:warning: ${problem}`)] : []),
      section(lines.join('\n')),
      context('Only http and https sites on the public internet are scanned.'),
    ],
  };
}

export function notice(text: string): SlackMessage {
  return { text, blocks: [section(text)] };
}
