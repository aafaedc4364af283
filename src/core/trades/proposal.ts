/**
 * The proposal lifecycle as pure transitions:
 *   pending → approved | rejected | expired;  approved → open | failed;  open → closed.
 * Storage applies a transition as a conditional update from the expected state, so a double
 * click, or a click on Telegram and Discord at once, moves a proposal only once.
 */
export type ProposalStatus = "pending" | "approved" | "rejected" | "expired" | "open" | "closed" | "failed";

export type ProposalEvent = "approve" | "reject" | "expire" | "fill" | "fail" | "close";

const TRANSITIONS: Readonly<Record<ProposalEvent, { readonly from: ProposalStatus; readonly to: ProposalStatus }>> = {
  approve: { from: "pending", to: "approved" },
  reject: { from: "pending", to: "rejected" },
  expire: { from: "pending", to: "expired" },
  fill: { from: "approved", to: "open" },
  fail: { from: "approved", to: "failed" },
  close: { from: "open", to: "closed" },
};

export type TransitionResult =
  | { readonly ok: true; readonly from: ProposalStatus; readonly to: ProposalStatus }
  | { readonly ok: false; readonly reason: string };

export function transition(current: ProposalStatus, event: ProposalEvent): TransitionResult {
  const rule = TRANSITIONS[event];
  if (current === rule.from) return { ok: true, from: rule.from, to: rule.to };
  return { ok: false, reason: `cannot ${event} a proposal that is ${describeStatus(current)}` };
}

/** The state an event requires, for conditional updates in storage. */
export function requiredStatus(event: ProposalEvent): ProposalStatus {
  return TRANSITIONS[event].from;
}

export function targetStatus(event: ProposalEvent): ProposalStatus {
  return TRANSITIONS[event].to;
}

export function describeStatus(status: ProposalStatus): string {
  switch (status) {
    case "pending": return "waiting for approval";
    case "approved": return "approved and being executed";
    case "rejected": return "already rejected";
    case "expired": return "expired";
    case "open": return "already open";
    case "closed": return "already closed";
    case "failed": return "failed to execute";
  }
}

export function isProposalStatus(value: string): value is ProposalStatus {
  return ["pending", "approved", "rejected", "expired", "open", "closed", "failed"].includes(value);
}
