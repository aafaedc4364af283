import { describe, expect, it } from "vitest";
import { decodeButton, encodeButton, type ButtonAction } from "../../src/chat/callback-codec";

describe("callback codec", () => {
  it("round-trips approve and reject", () => {
    const actions: ButtonAction[] = [
      { kind: "approve", proposalId: "p0a1b2c3d4e5f" },
      { kind: "reject", proposalId: "p0a1b2c3d4e5f" },
      { kind: "approve", proposalId: "1" },
    ];
    for (const action of actions) expect(decodeButton(encodeButton(action))).toEqual(action);
    expect(encodeButton({ kind: "approve", proposalId: "pabc" })).toBe("v1:a:pabc");
    expect(encodeButton({ kind: "reject", proposalId: "pabc" })).toBe("v1:r:pabc");
  });

  it("stays within Telegram's 64 bytes at the longest id allowed", () => {
    const longest = "z".repeat(40);
    const data = encodeButton({ kind: "reject", proposalId: longest });
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(decodeButton(data)).toEqual({ kind: "reject", proposalId: longest });
    // One more character and the id is refused outright.
    expect(() => encodeButton({ kind: "reject", proposalId: "z".repeat(41) })).toThrow(RangeError);
  });

  it("refuses ids that cannot go into button data", () => {
    for (const proposalId of ["", "P-ABC", "a:b", "with space", "ü", "../x"]) {
      expect(() => encodeButton({ kind: "approve", proposalId })).toThrow(/cannot go into button data/);
    }
  });

  it("rejects old, foreign and forged data", () => {
    const bad = [
      "", "v1", "v1:a", "v1:a:", // incomplete
      "v0:a:pabc", "v2:a:pabc", "V1:a:pabc", // another version
      "v1:x:pabc", "v1::pabc", "v1:approve:pabc", // unknown action
      "v1:a:pabc:extra", "v1:a:pabc:", // extra fields
      "v1:a:PABC", "v1:a:p-abc", "v1:a:p abc", `v1:a:${"z".repeat(41)}`, // bad ids
      "approve:pabc", "{\"kind\":\"approve\",\"proposalId\":\"pabc\"}", // foreign formats
    ];
    for (const data of bad) expect(decodeButton(data), JSON.stringify(data)).toBeNull();
  });
});
