import { approveProposal, rejectProposal } from "../src/app/decide-proposal";
import { UsageError, type Command } from "./command";

const proposalArg = { name: "proposal", description: "Proposal id, e.g. p1a2b3c4d5e6", required: true } as const;

function proposalIdFrom(args: readonly string[]): string {
  const id = args[0]?.trim().toLowerCase();
  if (!id || !/^[a-z0-9]{1,40}$/.test(id)) throw new UsageError("not a proposal id");
  return id;
}

/** The typed twins of the Approve/Reject buttons, for when a button is out of reach. */
export const approveCommand: Command = {
  name: "approve",
  description: "Approve a pending proposal by id (same as its Approve button)",
  args: [proposalArg],
  usage: "/approve <proposal id>, e.g. /approve p1a2b3c4d5e6 (the id is in the proposal message)",
  role: "approver",
  async run(app, args, actor) {
    const trade = await approveProposal(app, proposalIdFrom(args), actor);
    return { text: `Approved ${trade.terms.id}: ${trade.terms.side} ${trade.terms.symbol}. Executing now.` };
  },
};

export const rejectCommand: Command = {
  name: "reject",
  description: "Reject a pending proposal by id (same as its Reject button)",
  args: [proposalArg],
  usage: "/reject <proposal id>, e.g. /reject p1a2b3c4d5e6 (the id is in the proposal message)",
  role: "approver",
  async run(app, args, actor) {
    const trade = await rejectProposal(app, proposalIdFrom(args), actor);
    return { text: `Rejected ${trade.terms.id}. Nothing will be traded.` };
  },
};
