import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

/**
 * The benches' stopwatch hook: the runtime logs "<mode> entry filled" with the proposal id right
 * after the fill commits; a logger stream resolves the waiter for that id synchronously (no polling).
 */
export function fillHook(): { readonly waiters: Map<string, () => void>; readonly logger: Logger } {
  const waiters = new Map<string, () => void>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const line = chunk.toString("utf8");
      if (line.includes("entry filled")) {
        const match = /"proposalId":"([^"]+)"/.exec(line);
        if (match?.[1] !== undefined) waiters.get(match[1])?.();
      }
      callback();
    },
  });
  return { waiters, logger: pino({ level: "info" }, sink) };
}
