import { approveProposal, rejectProposal } from "../src/app/decide-proposal";
import { UserError } from "../src/app/context";
import type { Command } from "./command";

const proposalArg = { name: "proposal", description: "Proposal id, e.g. p1a2b3c4d5e6", required: true } as const;

function proposalIdFrom(args: readonly string[], verb: string): string {
  const id = args[0]?.trim().toLowerCase();
  if (!id || !/^[a-z0-9]{1,40}$/.test(id)) throw new UserError(`Usage: /${verb} <proposal id>, e.g. /${verb} p1a2b3c4d5e6 (the id is in the proposal message).`);
  return id;
}

/** The typed twins of the Approve/Reject buttons, for when a button is out of reach. */
export const approveCommand: Command = {
  name: "approve",
  description: "Approve a pending proposal by id (same as its Approve button)",
  args: [proposalArg],
  mutates: true,
  async run(app, args, actor) {
    const trade = await approveProposal(app, proposalIdFrom(args, "approve"), actor);
    return { text: `Approved ${trade.terms.id}: ${trade.terms.side} ${trade.terms.symbol}. Executing now.` };
  },
};

export const rejectCommand: Command = {
  name: "reject",
  description: "Reject a pending proposal by id (same as its Reject button)",
  args: [proposalArg],
  mutates: true,
  async run(app, args, actor) {
    const trade = await rejectProposal(app, proposalIdFrom(args, "reject"), actor);
    return { text: `Rejected ${trade.terms.id}. Nothing will be traded.` };
  },
};
