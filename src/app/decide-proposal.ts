import { describeStatus, isProposalStatus, requiredStatus, targetStatus } from "../core/trades/proposal";
import type { Actor } from "../chat/transport";
import type { Proposal } from "../store/generated/client";
import { UserError, type App } from "./context";
import { tradingGate } from "./trading-state";

const who = (actor: Actor): string => `${actor.displayName} (${actor.platform})`;

/**
 * Moves a pending proposal to approved or rejected. The update is conditional on the proposal
 * still being pending and unexpired, so two presses (or one on each platform) decide it once;
 * the loser is told who decided first.
 */
async function decide(app: App, proposalId: string, actor: Actor, event: "approve" | "reject"): Promise<Proposal> {
  const now = app.clock();
  if (event === "approve") {
    const gate = await tradingGate(app);
    if (!gate.open) throw new UserError(`Not approved. ${gate.reason}`);
  }
  const changed = await app.db.proposal.updateMany({
    where: { id: proposalId, status: requiredStatus(event), expiresAt: { gt: new Date(now) } },
    data: { status: targetStatus(event), decidedAt: new Date(now), decidedBy: who(actor) },
  });
  const proposal = await app.db.proposal.findUnique({ where: { id: proposalId } });
  if (proposal === null) throw new UserError(`There is no proposal ${proposalId}. It may belong to another perpbot database.`);
  if (changed.count === 0) {
    if (proposal.status === "pending") {
      await expireProposal(app, proposal.id);
      throw new UserError(`This proposal expired at ${proposal.expiresAt.toISOString()} and can no longer be ${event}d.`);
    }
    const status = isProposalStatus(proposal.status) ? describeStatus(proposal.status) : proposal.status;
    const by = proposal.decidedBy ? ` (decided by ${proposal.decidedBy})` : "";
    throw new UserError(`Nothing done: this proposal is ${status}${by}.`);
  }
  if (event === "approve") await app.enqueueExecution(proposal.id);
  await app.notify({ kind: "proposal-update", proposalId: proposal.id });
  return proposal;
}

export const approveProposal = (app: App, proposalId: string, actor: Actor): Promise<Proposal> => decide(app, proposalId, actor, "approve");
export const rejectProposal = (app: App, proposalId: string, actor: Actor): Promise<Proposal> => decide(app, proposalId, actor, "reject");

/** Marks a pending proposal expired (no-op if it was decided meanwhile); true when it did. */
export async function expireProposal(app: App, proposalId: string): Promise<boolean> {
  const changed = await app.db.proposal.updateMany({
    where: { id: proposalId, status: requiredStatus("expire") },
    data: { status: targetStatus("expire"), decidedAt: new Date(app.clock()) },
  });
  if (changed.count === 1) await app.notify({ kind: "proposal-update", proposalId });
  return changed.count === 1;
}

/** Expires every pending proposal past its deadline. */
export async function expireStaleProposals(app: App): Promise<number> {
  const stale = await app.db.proposal.findMany({ where: { status: "pending", expiresAt: { lte: new Date(app.clock()) } }, select: { id: true } });
  let count = 0;
  for (const { id } of stale) if (await expireProposal(app, id)) count += 1;
  return count;
}
