/**
 * The console (`npm start` without chat tokens) as its operator uses it: lines typed into the
 * transport (a stream in place of the terminal), the real router and commands, a real database.
 * Every button is listed with a code ("[1a] Confirm close"); typing the code presses it through
 * the same router a chat press reaches.
 */
import { PassThrough } from "node:stream";
import { afterEach, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import type { App } from "../../src/app/context";
import { createChatRouter } from "../../src/chat/chat-router";
import { ConsoleTransport } from "../../src/chat/console/console-transport";
import { deliverNotice } from "../../src/chat/notifier";
import { seedProposal } from "../support/fixtures";
import { useRecordingApps, type RecordingApp } from "../support/test-env";

const newApp = useRecordingApps();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

interface Terminal { env: RecordingApp; transport: ConsoleTransport; output: string[]; type: (line: string) => void; waitFor: (pattern: RegExp) => Promise<string> }

async function terminal(): Promise<Terminal> {
  const env = await newApp();
  const input = new PassThrough();
  const output: string[] = [];
  const transport = new ConsoleTransport({ write: (text) => output.push(text), input });
  await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
  stops.push(() => transport.stop());
  const waitFor = async (pattern: RegExp): Promise<string> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = output.find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no output matching ${String(pattern)}; got:\n${output.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { env, transport, output, type: (line) => input.write(`${line}\n`), waitFor };
}

async function openShort(app: App): Promise<string> {
  const id = await seedProposal(app, { side: "short", price: 0.6 });
  await approveProposal(app, id, { platform: "console", userId: "console", displayName: "console operator" });
  await executeProposal(app, id);
  return id;
}

const statusOf = async (app: App, id: string) => (await app.db.proposal.findUniqueOrThrow({ where: { id } })).status;
const closeIntents = (env: RecordingApp) => env.dispatched.filter((d) => d.startsWith("close-"));

it("/close lists Confirm close and Cancel with codes; typing the code closes once, and the spent code presses nothing", async () => {
  const { env, output, type, waitFor } = await terminal();
  const id = await openShort(env.app);
  type(`/close ${id}`);
  const card = await waitFor(/Close this position\?/);
  expect(card).toMatch(/^\n── perpbot #1 ──\nClose this position\?\n/);
  expect(card.split("\n").at(-1)).toBe("[1a] Confirm close   [1b] Cancel   (type a code to press it)");

  type("1a");
  expect(await waitFor(/^→ /)).toBe("→ Closing…"); // acknowledged first, decided after
  expect(await waitFor(/^→ Closing 1/)).toBe("→ Closing 1 position: exit order queued.");
  const updated = await waitFor(/#1 \(updated\)/);
  expect(updated).toMatch(/^\n── perpbot #1 \(updated\) ──\nClose confirmed by console operator \(console\)\./);
  expect(updated).not.toMatch(/\[1a\]/);
  expect(await statusOf(env.app, id)).toBe("closing");

  type("1A");
  expect(await waitFor(/no button/)).toBe("Message #1 has no button 1A (any more): nothing pressed.");
  type("7c");
  expect(await waitFor(/^No button 7c/)).toBe("No button 7c here: no message here has buttons to press right now.");
  expect(closeIntents(env)).toEqual([`close-${id}`]);
  expect(output.filter((line) => line.startsWith("→ "))).toHaveLength(2); // one press: its acknowledgement and its result
});

it("Cancel typed as its code leaves the position open", async () => {
  const { env, type, waitFor } = await terminal();
  const id = await openShort(env.app);
  type(`/close ${id}`);
  await waitFor(/\[1b\] Cancel/);
  type("1b");
  expect(await waitFor(/^→ /)).toBe("→ Cancelling the close…");
  expect(await waitFor(/^→ Cancelled/)).toBe("→ Cancelled: nothing will be closed.");
  expect(await waitFor(/#1 \(updated\)/)).toMatch(/Close cancelled by console operator \(console\); nothing was closed\.$/);
  expect(await statusOf(env.app, id)).toBe("open");
  expect(closeIntents(env)).toEqual([]);
});

it("a proposal card's Approve and Reject are pressed by their codes, through the router's checks and the audit", async () => {
  const { env, transport, type, waitFor } = await terminal();
  const first = await seedProposal(env.app);
  const second = await seedProposal(env.app, { symbol: "ETH/USDT:USDT", price: 2000 });
  await deliverNotice(env.app, [transport], { kind: "card", proposalId: first });
  await deliverNotice(env.app, [transport], { kind: "card", proposalId: second });
  expect((await waitFor(/── perpbot #1 ──/)).split("\n").at(-1)).toBe("[1a] ✅ Approve   [1b] ❌ Reject   (type a code to press it)");
  await waitFor(/── perpbot #2 ──/);
  type("9a");
  expect(await waitFor(/^No button 9a/)).toBe("No button 9a here: type a code shown in brackets, e.g. 2a.");

  type("2b");
  expect(await waitFor(/^→ Rejected/)).toBe("→ Rejected. Nothing will be traded.");
  type("1a");
  expect(await waitFor(/^→ Approved/)).toBe("→ Approved. Executing the paper order…");
  expect([await statusOf(env.app, first), await statusOf(env.app, second)]).toEqual(["approved", "rejected"]);
  expect(env.executions).toEqual([first]);
  const audits = await env.app.db.auditLog.findMany({ orderBy: { id: "asc" } });
  expect(audits.map((a) => [a.platform, a.action, a.target, a.outcome])).toEqual([["console", "reject", second, "ok"], ["console", "approve", first, "ok"]]);
});
