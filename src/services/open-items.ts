import { describeFollowUp } from '../checklists/review.js';
import { allItems, encodeItem, itemDone, itemLabel, itemOwner } from '../checklists/rotation.js';
import type { ReviewRecord } from '../store/reviews.js';
import type { RotationRecord } from '../store/rotations.js';

/** Work someone was given and has not done: a checklist item, or a review's follow-up in Klaviyo. */
export interface AssignedItem {
  checklistId: string;
  itemId: string;
  /** Slack user ID. */
  owner: string;
  label: string;
  /** Since when it is open (ISO): the checklist's start, or the decision that made the follow-up. */
  openedAt: string;
}

/** A rotation's items that have an owner and are not done, in checklist order. */
export function openRotationItems(rotation: RotationRecord): AssignedItem[] {
  const state = rotation.state;
  return allItems(state).flatMap((item) => {
    const owner = itemOwner(state, item);
    if (owner === undefined || itemDone(state, item) !== undefined) return [];
    return [
      {
        checklistId: rotation.id,
        itemId: encodeItem(item),
        owner,
        label: itemLabel(state, item),
        openedAt: rotation.startedAt,
      },
    ];
  });
}

/** A review's follow-ups not yet confirmed; they belong to the person who started the review. */
export function openReviewFollowUps(review: ReviewRecord): AssignedItem[] {
  return review.state.followUps
    .filter((followUp) => !followUp.doneAt)
    .map((followUp) => ({
      checklistId: review.id,
      itemId: followUp.id,
      owner: review.startedBy,
      label: describeFollowUp(followUp),
      openedAt:
        review.state.users.find((user) => user.email === followUp.email)?.decidedAt ?? review.startedAt,
    }));
}
