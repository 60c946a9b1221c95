import type { Logger } from '../log.js';
import type { SlackGateway } from '../slack/gateway.js';

const GROUP_CACHE_MS = 5 * 60_000;

/**
 * Who may act on scans and checklists: the listed Slack users, the members of a user group, or, when
 * neither is configured, anyone who can use the commands in the channel.
 */
export class AccessPolicy {
  #group: { members: Set<string>; fetchedAt: number } | undefined;
  #fetching: Promise<Set<string>> | undefined;

  constructor(
    private readonly settings: { users: string[]; userGroup?: string },
    private readonly gateway: Pick<SlackGateway, 'groupMembers'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get restricted(): boolean {
    return this.settings.users.length > 0 || this.settings.userGroup !== undefined;
  }

  async canAct(userId: string): Promise<boolean> {
    if (!this.restricted) return true;
    if (this.settings.users.includes(userId)) return true;
    if (this.settings.userGroup === undefined) return false;
    return (await this.#groupMembers()).has(userId);
  }

  /**
   * The answer when it is known without asking Slack (no restriction, a listed user, or a fresh group
   * cache); undefined otherwise, and the group is fetched in the background. For code that must answer
   * Slack within three seconds.
   */
  knownDecision(userId: string): boolean | undefined {
    if (!this.restricted || this.settings.users.includes(userId)) return true;
    if (this.settings.userGroup === undefined) return false;
    const cached = this.#group;
    if (cached !== undefined && this.now() - cached.fetchedAt < GROUP_CACHE_MS)
      return cached.members.has(userId);
    void this.#groupMembers();
    return undefined;
  }

  /** Why someone was refused, for the ephemeral reply. */
  refusal(): string {
    const who = [
      ...(this.settings.users.length > 0 ? [this.settings.users.map((id) => `<@${id}>`).join(', ')] : []),
      ...(this.settings.userGroup ? [`members of <!subteam^${this.settings.userGroup}>`] : []),
    ].join(' and ');
    return `Only ${who} can do this in Klaviyo Checkup. Ask one of them, or ask whoever runs Klaviyo Checkup to add you.`;
  }

  #groupMembers(): Promise<Set<string>> {
    const cached = this.#group;
    if (cached !== undefined && this.now() - cached.fetchedAt < GROUP_CACHE_MS)
      return Promise.resolve(cached.members);
    // Clicks that arrive together share one request to Slack.
    this.#fetching ??= this.#fetchGroup(cached).finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #fetchGroup(cached: { members: Set<string> } | undefined): Promise<Set<string>> {
    try {
      const members = new Set(await this.gateway.groupMembers(this.settings.userGroup as string));
      this.#group = { members, fetchedAt: this.now() };
      return members;
    } catch (error) {
      this.log.warn('could not read the allowed user group', { error: String(error) });
      // Fail closed, but keep a stale list rather than locking everyone out on a transient error.
      return cached?.members ?? new Set();
    }
  }
}
