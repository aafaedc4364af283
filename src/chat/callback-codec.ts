import type { Role } from "./roles";

/**
 * The one codec for button data, shared by Telegram (callback_data, ≤ 64 bytes) and Discord
 * (custom_id, ≤ 100 chars). A version prefix lets old buttons in chat history be recognised
 * after the format changes, instead of being misread.
 */
export type ButtonAction =
  | { readonly kind: "approve"; readonly proposalId: string }
  | { readonly kind: "reject"; readonly proposalId: string }
  /**
   * The two buttons of a /close confirmation. `proposalId` is what it closes (a trade id, or "all",
   * so refusals and the audit name it like a proposal button's target); `confirmId` names the
   * stored confirmation, which holds the exact list and the expiry (src/app/close-position.ts).
   */
  | { readonly kind: "close-confirm"; readonly proposalId: string; readonly confirmId: string }
  | { readonly kind: "close-cancel"; readonly proposalId: string; readonly confirmId: string };

const VERSION = "v1";
const CODES = { approve: "a", reject: "r", "close-confirm": "cc", "close-cancel": "cx" } as const;
const MAX_BYTES = 64;
const PROPOSAL_ID = /^[a-z0-9]{1,40}$/;
const CONFIRM_ID = /^[a-z0-9]{6,16}$/;

/** v1:<code>:<proposal id>, and for a /close button :<confirmation id> after it (at most 3+3+40+1+16 = 63 bytes). */
export function encodeButton(action: ButtonAction): string {
  if (!PROPOSAL_ID.test(action.proposalId)) throw new RangeError(`proposal id "${action.proposalId}" cannot go into button data`);
  const tail = action.kind === "close-confirm" || action.kind === "close-cancel" ? `:${action.confirmId}` : "";
  if (tail !== "" && !CONFIRM_ID.test(tail.slice(1))) throw new RangeError(`confirmation id "${tail.slice(1)}" cannot go into button data`);
  const data = `${VERSION}:${CODES[action.kind]}:${action.proposalId}${tail}`;
  if (Buffer.byteLength(data) > MAX_BYTES) throw new RangeError(`button data over ${MAX_BYTES} bytes`);
  return data;
}

/** null for anything this version did not write: old, forged or foreign buttons. */
export function decodeButton(data: string): ButtonAction | null {
  const [version, code, proposalId, confirmId, ...rest] = data.split(":");
  if (version !== VERSION || proposalId === undefined || rest.length > 0 || !PROPOSAL_ID.test(proposalId)) return null;
  if (confirmId === undefined) {
    if (code === CODES.approve) return { kind: "approve", proposalId };
    if (code === CODES.reject) return { kind: "reject", proposalId };
    return null;
  }
  if (!CONFIRM_ID.test(confirmId)) return null;
  if (code === CODES["close-confirm"]) return { kind: "close-confirm", proposalId, confirmId };
  if (code === CODES["close-cancel"]) return { kind: "close-cancel", proposalId, confirmId };
  return null;
}

/**
 * The least role that may press a button of each kind (the router checks it before anything
 * else). A Record, so a new button kind does not compile until its role is chosen here.
 */
const BUTTON_ROLES: Record<ButtonAction["kind"], Role> = { approve: "approver", reject: "approver", "close-confirm": "admin", "close-cancel": "admin" };

export function buttonRole(action: ButtonAction): Role {
  return BUTTON_ROLES[action.kind];
}
