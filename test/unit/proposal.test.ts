import { describe, expect, it } from "vitest";
import { describeStatus, isProposalStatus, requiredStatus, targetStatus, transition, type ProposalEvent, type ProposalStatus } from "../../src/core/trades/proposal";

const STATUSES: ProposalStatus[] = ["pending", "approved", "rejected", "expired", "open", "closed", "failed"];
const EVENTS: ProposalEvent[] = ["approve", "reject", "expire", "fill", "fail", "close"];

/** The lifecycle of DESIGN §3: pending → approved | rejected | expired; approved → open | failed; open → closed. */
const ALLOWED: readonly [ProposalStatus, ProposalEvent, ProposalStatus][] = [
  ["pending", "approve", "approved"],
  ["pending", "reject", "rejected"],
  ["pending", "expire", "expired"],
  ["approved", "fill", "open"],
  ["approved", "fail", "failed"],
  ["open", "close", "closed"],
];

describe("transition", () => {
  it.each(ALLOWED)("%s --%s--> %s", (from, event, to) => {
    expect(transition(from, event)).toEqual({ ok: true, from, to });
    expect(requiredStatus(event)).toBe(from);
    expect(targetStatus(event)).toBe(to);
  });

  it("refuses every other (status, event) pair", () => {
    let refused = 0;
    for (const status of STATUSES) {
      for (const event of EVENTS) {
        if (ALLOWED.some(([from, e]) => from === status && e === event)) continue;
        const result = transition(status, event);
        expect(result.ok, `${event} from ${status}`).toBe(false);
        refused++;
      }
    }
    // 7 statuses × 6 events − 6 allowed.
    expect(refused).toBe(36);
  });

  it("explains refusals in words a user understands", () => {
    // The double click: a second approve of the same proposal.
    expect(transition("approved", "approve")).toEqual({ ok: false, reason: "cannot approve a proposal that is approved and being executed" });
    // Approve after someone rejected it (e.g. on the other platform).
    expect(transition("rejected", "approve")).toEqual({ ok: false, reason: "cannot approve a proposal that is already rejected" });
    expect(transition("expired", "approve")).toEqual({ ok: false, reason: "cannot approve a proposal that is expired" });
    expect(transition("approved", "reject")).toEqual({ ok: false, reason: "cannot reject a proposal that is approved and being executed" });
    expect(transition("open", "expire")).toEqual({ ok: false, reason: "cannot expire a proposal that is already open" });
    expect(transition("pending", "fill")).toEqual({ ok: false, reason: "cannot fill a proposal that is waiting for approval" });
    expect(transition("pending", "close")).toEqual({ ok: false, reason: "cannot close a proposal that is waiting for approval" });
    expect(transition("closed", "close")).toEqual({ ok: false, reason: "cannot close a proposal that is already closed" });
    expect(transition("failed", "fill")).toEqual({ ok: false, reason: "cannot fill a proposal that is failed to execute" });
  });

  it("has no way out of a terminal status", () => {
    for (const terminal of ["rejected", "expired", "closed", "failed"] as const) {
      for (const event of EVENTS) expect(transition(terminal, event).ok).toBe(false);
    }
  });
});

describe("describeStatus / isProposalStatus", () => {
  it("describes every status", () => {
    for (const status of STATUSES) expect(describeStatus(status).length).toBeGreaterThan(0);
    expect(describeStatus("pending")).toBe("waiting for approval");
  });

  it("recognises exactly the known statuses", () => {
    for (const status of STATUSES) expect(isProposalStatus(status)).toBe(true);
    for (const other of ["", "PENDING", "cancelled", "approve", "open "]) expect(isProposalStatus(other)).toBe(false);
  });
});
