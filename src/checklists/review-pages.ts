/** The review's users as the decision form lists them: filtered, a page at a time. Pure. */
import { FLAGS, type Flag, type Review, type ReviewUser } from './review.js';

/** A list of the form: by decision, or the undecided users with one flag (`flag:never_logged_in`). */
export type UserFilter = 'all' | 'flagged' | 'undecided' | 'decided' | `flag:${Flag}`;

export const FLAG_FILTERS: readonly UserFilter[] = FLAGS.map((flag) => `flag:${flag}` as const);

export function isUserFilter(value: string): value is UserFilter {
  return (
    ['all', 'flagged', 'undecided', 'decided'].includes(value) || FLAG_FILTERS.includes(value as UserFilter)
  );
}

export function filterUsers(review: Review, filter: UserFilter): ReviewUser[] {
  switch (filter) {
    case 'flagged':
      return review.users.filter((user) => user.flags.length > 0);
    case 'undecided':
      return review.users.filter((user) => !user.decision);
    case 'decided':
      return review.users.filter((user) => user.decision);
    case 'all':
      return [...review.users];
    default: {
      const flag = filter.slice('flag:'.length) as Flag;
      return review.users.filter((user) => !user.decision && user.flags.includes(flag));
    }
  }
}

/** A 1-based page of items; out-of-range pages are clamped, and an empty list has one empty page. */
export function pageOf<T>(
  items: readonly T[],
  page: number,
  pageSize: number,
): { items: T[]; page: number; pages: number } {
  const size = Math.max(1, Math.floor(pageSize) || 1);
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(pages, Math.max(1, Math.floor(page) || 1));
  return { items: items.slice((current - 1) * size, current * size), page: current, pages };
}
