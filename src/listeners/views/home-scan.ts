import { isCheckupError } from '../../errors.js';
import { BLOCK_HOME_URL, INPUT_HOME_URL } from '../../slack/views/home.js';
import { answerForm, type FormArgs } from '../chain.js';
import type { Services } from '../context.js';

/** How long the form waits for a scan request's answer (a refused target) before it closes. */
const ANSWER_IN_FORM_MS = 2_000;

/** The App Home scan form: the result comes to the person's direct messages with the bot. */
export function homeScanSubmitted(services: Services) {
  return async (args: FormArgs): Promise<void> => {
    const { body, view } = args;
    const url = view.state.values[BLOCK_HOME_URL]?.[INPUT_HOME_URL]?.value ?? '';
    const work = services.scans.request({ text: url, userId: body.user.id, channelId: body.user.id });
    // A bad URL or a refused target is shown in the form itself when it is known within two seconds.
    const settled = await Promise.race([
      work.then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ANSWER_IN_FORM_MS)),
    ]);
    if (settled === undefined) {
      await answerForm(services, args);
      await work;
      return;
    }
    if (settled.ok) return answerForm(services, args);
    if (isCheckupError(settled.error))
      return answerForm(services, args, { [BLOCK_HOME_URL]: settled.error.message });
    await answerForm(services, args);
    throw settled.error;
  };
}
