import type { Redis } from "ioredis";
import type { PrivateRedis } from "./private-redis";

export const FAULTS = ["flushall", "restart", "drop"] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultInjector {
  /** How many of each fault were injected. */
  readonly counts: Map<string, number>;
  /** Faults run one after another, never two at once; a fault that cannot be injected is reported, not thrown. */
  inject(kind: Fault): Promise<void>;
}

export function faultInjector(admin: Redis, redisServer: PrivateRedis): FaultInjector {
  const faults = new Map<string, number>(FAULTS.map((f) => [f, 0]));
  let faultChain: Promise<void> = Promise.resolve();
  function injectFault(kind: Fault): Promise<void> {
    faultChain = faultChain.then(async () => {
      faults.set(kind, (faults.get(kind) ?? 0) + 1);
      if (kind === "flushall") await admin.flushall();
      else if (kind === "drop") await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      else {
        await redisServer.kill();
        await redisServer.start();
      }
    }).catch((error: unknown) => {
      console.error(`chaos: fault ${kind} could not be injected: ${error instanceof Error ? error.message : String(error)}`);
    });
    return faultChain;
  }
  return { counts: faults, inject: injectFault };
}
