/**
 * Klaviyo's built-in user roles and what each can do, as a reminder during the quarterly role review.
 * Source: Klaviyo's "User management and privileges" help page (see docs reference, "Users, roles").
 */

export type KlaviyoRoleName =
  | 'Owner'
  | 'Admin'
  | 'Manager'
  | 'Analyst'
  | 'Campaign Coordinator'
  | 'Content Creator'
  | 'Support';

export interface KlaviyoRole {
  name: KlaviyoRoleName;
  /** One line a reviewer reads next to the user's name. */
  reminder: string;
  /** Only Owner and Admin add and remove users. */
  canManageUsers: boolean;
  /** Who can create and delete private API keys (Klaviyo's pages disagree about Manager; we say yes). */
  canManagePrivateKeys: boolean;
}

export const KLAVIYO_ROLES: readonly KlaviyoRole[] = [
  {
    name: 'Owner',
    reminder: 'Full access; exactly one per account and cannot be deleted; adds and deletes users',
    canManageUsers: true,
    canManagePrivateKeys: true,
  },
  {
    name: 'Admin',
    reminder: 'Full access; adds and deletes users; creates private API keys',
    canManageUsers: true,
    canManagePrivateKeys: true,
  },
  {
    name: 'Manager',
    reminder: 'Core features and private API keys; cannot manage users',
    canManageUsers: false,
    canManagePrivateKeys: true,
  },
  {
    name: 'Analyst',
    reminder: 'Analytics, lists and segments; read-only on sent campaigns',
    canManageUsers: false,
    canManagePrivateKeys: false,
  },
  {
    name: 'Campaign Coordinator',
    reminder: 'Builds and sends campaigns; cannot see list members',
    canManageUsers: false,
    canManagePrivateKeys: false,
  },
  {
    name: 'Content Creator',
    reminder: 'Templates and forms; cannot send',
    canManageUsers: false,
    canManagePrivateKeys: false,
  },
  {
    name: 'Support',
    reminder: 'Limited access for support tasks',
    canManageUsers: false,
    canManagePrivateKeys: false,
  },
];

export const CUSTOM_ROLE_REMINDER = 'Custom role: check its permission sets';

const BY_KEY = new Map<string, KlaviyoRole>(KLAVIYO_ROLES.map((role) => [roleKey(role.name), role]));

// "campaign_coordinator", "Campaign-Coordinator" and "CAMPAIGN  COORDINATOR" are all the same role.
function roleKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

/** The built-in role this text names (case-insensitively), if any. */
export function findRole(role: string): KlaviyoRole | undefined {
  return BY_KEY.get(roleKey(role));
}

/**
 * A built-in role in Klaviyo's spelling; anything else is a custom role, kept as written with its
 * whitespace tidied.
 */
export function normalizeRole(role: string): string {
  const builtIn = findRole(role);
  if (builtIn) return builtIn.name;
  return role.replace(/\s+/g, ' ').trim();
}

/** Whether two role names mean the same role (case and spacing ignored). */
export function sameRole(a: string, b: string): boolean {
  return roleKey(normalizeRole(a)) === roleKey(normalizeRole(b));
}

export function describeRole(role: string): string {
  return findRole(role)?.reminder ?? CUSTOM_ROLE_REMINDER;
}
