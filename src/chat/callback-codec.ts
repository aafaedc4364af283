/**
 * The one codec for button data, shared by Telegram (callback_data, ≤ 64 bytes) and Discord
 * (custom_id, ≤ 100 chars). A version prefix lets old buttons in chat history be recognised
 * after the format changes, instead of being misread.
 */
export type ButtonAction =
  | { readonly kind: "approve"; readonly proposalId: string }
  | { readonly kind: "reject"; readonly proposalId: string };

const VERSION = "v1";
const CODES = { approve: "a", reject: "r" } as const;
const MAX_BYTES = 64;
const PROPOSAL_ID = /^[a-z0-9]{1,40}$/;

export function encodeButton(action: ButtonAction): string {
  if (!PROPOSAL_ID.test(action.proposalId)) throw new RangeError(`proposal id "${action.proposalId}" cannot go into button data`);
  const data = `${VERSION}:${CODES[action.kind]}:${action.proposalId}`;
  if (Buffer.byteLength(data) > MAX_BYTES) throw new RangeError(`button data over ${MAX_BYTES} bytes`);
  return data;
}

/** null for anything this version did not write: old, forged or foreign buttons. */
export function decodeButton(data: string): ButtonAction | null {
  const [version, code, proposalId, ...rest] = data.split(":");
  if (version !== VERSION || proposalId === undefined || rest.length > 0 || !PROPOSAL_ID.test(proposalId)) return null;
  if (code === CODES.approve) return { kind: "approve", proposalId };
  if (code === CODES.reject) return { kind: "reject", proposalId };
  return null;
}
